#pragma once
// One table of names per enum, and the three things a program does with it: list the names (the choices
// CLI11's IsMember offers), print a value, parse a name back with an error that lists the valid ones. Each
// enum's table (device_names, anneal::solver_names, ...) is the only place its names are spelled.

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hqml {

/// Every value of an enum and its name, in the order a program lists them.
template <class Enum, std::size_t N>
using name_table = std::array<std::pair<Enum, std::string_view>, N>;

/// The name of `value` in `table`; a value the table lacks is refused (`caller` names the function).
template <class Enum, std::size_t N>
[[nodiscard]] constexpr std::string_view name_in(const name_table<Enum, N>& table, Enum value, std::string_view caller,
                                                 std::string_view what) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  throw std::invalid_argument(std::string(caller) + ": " + std::string(what) + " value " +
                              std::to_string(static_cast<long long>(value)) + " has no name");
}

/// The value called `name` in `table`; an unknown name is refused with the list of valid ones:
/// "CALLER: unknown WHAT 'NAME'; valid names: a, b".
template <class Enum, std::size_t N>
[[nodiscard]] Enum parse_in(const name_table<Enum, N>& table, std::string_view name, std::string_view caller,
                            std::string_view what) {
  std::string valid;
  for (const auto& [value, known] : table) {
    if (known == name) return value;
    valid += (valid.empty() ? "" : ", ") + std::string(known);
  }
  throw std::invalid_argument(std::string(caller) + ": unknown " + std::string(what) + " '" + std::string(name) +
                              "'; valid names: " + valid);
}

/// The names of `table`, in its order: what a command-line parser offers as choices.
template <class Enum, std::size_t N>
[[nodiscard]] std::vector<std::string> names_in(const name_table<Enum, N>& table) {
  std::vector<std::string> names;
  names.reserve(N);
  for (const auto& [value, name] : table) names.emplace_back(name);
  return names;
}

}  // namespace hqml
