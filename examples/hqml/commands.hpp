#pragma once
// Each subcommand of the hqml program lives in cmd_<name>.cpp and registers itself here.

#include <CLI/CLI.hpp>

#include <hqml/entanglement.hpp>
#include <hqml/error.hpp>
#include <hqml/name_table.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace hqml::cli {

/// Thrown by a subcommand for bad input: main prints the message on one line and exits with code 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A state too large for this machine (hqml::out_of_memory, refused by the library before allocating) is bad
/// input: rethrown as a usage_error (exit 2) named by what asked for it. main prints the "hqml: " prefix.
[[noreturn]] inline void throw_too_large(const std::exception& e, const std::string& asked_by) {
  std::string why = e.what();
  if (why.starts_with("hqml: ")) why.erase(0, 6);
  throw usage_error(asked_by + ": " + why);
}

/// A byte count of any magnitude for a message: "11.9 GiB".
inline std::string human_bytes(double bytes) {
  static constexpr const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024 && u < 6) {
    bytes /= 1024;
    ++u;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3g %s", bytes, units[u]);
  return buf;
}

/// A subcommand's action; returns the process exit code.
using action = std::function<int()>;

/// The whole command line: every subcommand registered, `run` set to the chosen one's action by parse().
/// Separate from main so the option-parsing fuzzer (tests/fuzz/cli_fuzz.cpp) parses exactly what users type.
[[nodiscard]] std::unique_ptr<CLI::App> make_app(action& run);

// Range checks of numeric options, run by CLI11 on the text before it is converted, so a bad value is refused
// at parse time with the option's name (exit 2) instead of reaching the computation: NaN and infinities are
// never meaningful in hqml's options; CLI11 alone converts "-1" and "1e30" to 2^64 - 1 for unsigned options.
namespace detail {
inline bool read_double(const std::string& s, double& v) {
  const char* b = s.data();
  const char* e = b + s.size();
  if (b != e && *b == '+') ++b;
  const auto r = std::from_chars(b, e, v);
  return r.ec == std::errc() && r.ptr == e;
}
inline CLI::Validator number_check(std::string name, std::string what, bool (*ok)(double)) {
  return CLI::Validator(
      [what, ok](std::string& s) -> std::string {
        double v = 0;
        if (!read_double(s, v)) return "'" + s + "' is not a number";
        if (!std::isfinite(v) || !ok(v)) return "'" + s + "' is not " + what;
        return {};
      },
      std::move(name));
}
}  // namespace detail

/// Any finite number.
/// --entanglement's choices: the library's named patterns (hqml::entanglement_patterns).
inline std::vector<std::string> entanglement_choices() {
  return {entanglement_patterns.begin(), entanglement_patterns.end()};
}

inline const CLI::Validator finite = detail::number_check("FINITE", "a finite number", [](double) { return true; });
/// A finite number > 0.
inline const CLI::Validator finite_positive =
    detail::number_check("POSITIVE", "a finite number > 0", [](double v) { return v > 0; });
/// A finite number >= 0.
inline const CLI::Validator finite_non_negative =
    detail::number_check("NONNEGATIVE", "a finite number >= 0", [](double v) { return v >= 0; });
/// A seed or count: decimal digits only, at most 2^64 - 1.
inline const CLI::Validator unsigned_integer = CLI::Validator(
    [](std::string& s) -> std::string {
      std::uint64_t v = 0;
      const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
        return "'" + s + "' is not a non-negative integer";
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return "'" + s + "' is larger than 2^64 - 1";
      return {};
    },
    "UINT");

/// The floating-point type of the simulated amplitudes. The library takes it as a template argument (Real), so
/// its names are the program's: this table is the one place they are spelled.
enum class precision : std::uint8_t { float32, float64 };

inline constexpr name_table<precision, 2> precision_names{{
    {precision::float32, "float"},
    {precision::float64, "double"},
}};

[[nodiscard]] constexpr std::string_view to_string(precision p) {
  return name_in(precision_names, p, "hqml::cli::to_string", "precision");
}

/// A subcommand's --precision, one of precision_names (simulate, kernel, vqe).
struct precision_option {
  std::string name{to_string(precision::float64)};

  /// `what`: the option's help text.
  void add_to(CLI::App* sub, const std::string& what) {
    sub->add_option("--precision", name, what)->check(CLI::IsMember(names_in(precision_names)))->capture_default_str();
  }
  [[nodiscard]] precision value() const { return parse_in(precision_names, name, "--precision", "precision"); }
  [[nodiscard]] bool single() const { return value() == precision::float32; }
};

void register_simulate(CLI::App& app, action& run);
void register_run(CLI::App& app, action& run);
void register_prep(CLI::App& app, action& run);
void register_kernel(CLI::App& app, action& run);
void register_train(CLI::App& app, action& run);
void register_predict(CLI::App& app, action& run);
void register_assess(CLI::App& app, action& run);
void register_tune(CLI::App& app, action& run);
void register_anneal(CLI::App& app, action& run);
void register_serve(CLI::App& app, action& run);
void register_vqe(CLI::App& app, action& run);

}  // namespace hqml::cli
