#pragma once
// Which qubits the multi-qubit blocks of a layered circuit act on, in Qiskit's layouts (its circuit
// library's `entanglement` argument): shared by the feature maps and the variational ansätze.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hqml {

/// The named patterns, in the order a program lists them (Qiskit's names); "explicit" is not one: it is what
/// an entanglement built from index lists says.
inline constexpr std::array<std::string_view, 5> entanglement_patterns{"full", "linear", "reverse_linear", "circular",
                                                                       "pairwise"};

/// Which qubit sets the k-qubit blocks act on: a named pattern or explicit index lists.
struct entanglement {
  std::string pattern = "full";                  // full, linear, reverse_linear, circular, pairwise, explicit
  std::vector<std::vector<std::uint32_t>> sets;  // for "explicit": one list of qubits per term

  entanglement() = default;
  entanglement(const char* p) : pattern(p) {}             // NOLINT: reads like Qiskit's entanglement="linear"
  entanglement(std::string p) : pattern(std::move(p)) {}  // NOLINT
  entanglement(std::vector<std::vector<std::uint32_t>> s) : pattern("explicit"), sets(std::move(s)) {}  // NOLINT

  /// The index sets of size k over n qubits, in Qiskit's order.
  [[nodiscard]] std::vector<std::vector<std::uint32_t>> blocks(std::size_t n, std::size_t k) const {
    std::vector<std::vector<std::uint32_t>> out;
    // A k-qubit term on fewer than k qubits has no blocks, as in Qiskit (ZZFeatureMap(1) is its Z part): a
    // data set with one feature still gets its map.
    if (k == 0 || k > n) return out;
    auto range = [](std::uint32_t from, std::size_t len) {
      std::vector<std::uint32_t> r(len);
      for (std::size_t i = 0; i < len; ++i) r[i] = from + static_cast<std::uint32_t>(i);
      return r;
    };
    if (pattern == "full") {
      std::vector<std::uint32_t> cur;
      auto rec = [&](auto&& self, std::uint32_t start) -> void {
        if (cur.size() == k) {
          out.push_back(cur);
          return;
        }
        for (std::uint32_t q = start; q < n; ++q) {
          cur.push_back(q);
          self(self, q + 1);
          cur.pop_back();
        }
      };
      rec(rec, 0);
    } else if (pattern == "linear" || pattern == "reverse_linear" || pattern == "circular") {
      for (std::size_t i = 0; i + k <= n; ++i) out.push_back(range(static_cast<std::uint32_t>(i), k));
      if (pattern == "reverse_linear") std::reverse(out.begin(), out.end());
      if (pattern == "circular" && n > k && k > 1) {
        // Qiskit puts the wrap-around block first: (n-k+1, ..., n-1, 0).
        auto wrap = range(static_cast<std::uint32_t>(n - k + 1), k - 1);
        wrap.push_back(0);
        out.insert(out.begin(), wrap);
      }
    } else if (pattern == "pairwise") {
      if (k == 1) return blocks_linear1(n);
      if (k != 2) throw std::invalid_argument("hqml::entanglement: 'pairwise' is defined for two-qubit terms only");
      for (std::uint32_t i = 0; i + 1 < n; i += 2) out.push_back({i, i + 1});
      for (std::uint32_t i = 1; i + 1 < n; i += 2) out.push_back({i, i + 1});
    } else if (pattern == "explicit") {
      for (const auto& s : sets) {
        for (auto q : s)
          if (q >= n)
            throw std::invalid_argument("hqml::entanglement: qubit " + std::to_string(q) + " out of range for " +
                                        std::to_string(n) + " qubits");
        if (s.size() == k) out.push_back(s);
      }
      if (k == 1 && out.empty()) return blocks_linear1(n);
    } else {
      std::string valid;
      for (std::string_view p : entanglement_patterns) valid += std::string(p) + ", ";
      throw std::invalid_argument("hqml::entanglement: unknown pattern '" + pattern + "' (" + valid +
                                  "or explicit lists)");
    }
    return out;
  }

 private:
  static std::vector<std::vector<std::uint32_t>> blocks_linear1(std::size_t n) {
    std::vector<std::vector<std::uint32_t>> out;
    for (std::uint32_t i = 0; i < n; ++i) out.push_back({i});
    return out;
  }
};

}  // namespace hqml
