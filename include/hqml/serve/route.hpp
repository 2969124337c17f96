#pragma once
// Which model answers a row (hqml serve --route): the quantum model, the classical one, the classical one with
// the rows it is unsure of sent on to the quantum model, or both averaged.

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hqml::serve {

struct route_policy {
  enum class kind { quantum, classical, confidence, ensemble };
  kind k = kind::quantum;
  /// confidence: rows whose classical margin (top probability minus the runner-up, in [0, 1]) is below this go
  /// to the quantum model; ensemble: the quantum model's weight in the averaged probabilities.
  double value = 0;

  /// "quantum", "classical", "confidence:T" or "ensemble:W", T and W in [0, 1]; std::invalid_argument otherwise.
  static route_policy parse(std::string_view text) {
    const auto number = [&](std::string_view rest, const char* what) {
      const std::string s(rest);
      std::size_t used = 0;
      double v = std::nan("");
      try {
        v = std::stod(s, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (s.empty() || used != s.size() || !(v >= 0 && v <= 1))
        throw std::invalid_argument("'" + std::string(text) + "': " + what + " must be a number in [0, 1]");
      return v;
    };
    if (text == "quantum") return {kind::quantum, 0};
    if (text == "classical") return {kind::classical, 0};
    if (text.starts_with("confidence:")) return {kind::confidence, number(text.substr(11), "the margin threshold")};
    if (text.starts_with("ensemble:")) return {kind::ensemble, number(text.substr(9), "the quantum weight")};
    throw std::invalid_argument("'" + std::string(text) +
                                "' is not a route; use quantum, classical, confidence:T or ensemble:W");
  }
  [[nodiscard]] std::string to_string() const {
    char b[64];
    switch (k) {
      case kind::quantum:
        return "quantum";
      case kind::classical:
        return "classical";
      case kind::confidence:
        std::snprintf(b, sizeof b, "confidence:%g", value);
        return b;
      case kind::ensemble:
        std::snprintf(b, sizeof b, "ensemble:%g", value);
        return b;
    }
    return "quantum";
  }
  [[nodiscard]] bool needs_classical() const noexcept { return k != kind::quantum; }
  [[nodiscard]] bool uses_quantum() const noexcept { return k != kind::classical; }
};

}  // namespace hqml::serve
