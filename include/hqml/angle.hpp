#pragma once
// Gate angles as polynomials in trainable parameters θ_k and data features x_i, so one circuit
// structure is built once and bound to many (x, θ): constants, θ_k, a·x_i + b and the products
// (π − x_i)(π − x_j) of Pauli feature maps are all polynomials.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml {

/// A variable an angle can depend on.
struct variable {
  enum class source : std::uint8_t { param, feature };
  source kind;
  std::uint32_t index;

  friend bool operator==(const variable&, const variable&) = default;
  friend auto operator<=>(const variable&, const variable&) = default;
};

/// A polynomial Σ_t c_t Π_{v ∈ t} v over parameters and features.
class angle {
 public:
  struct term {
    double coefficient = 0.0;
    std::vector<variable> vars;  // sorted, with repetition for powers
  };

  angle() = default;
  angle(double constant) {  // NOLINT(google-explicit-constructor): angles read like numbers
    if (constant != 0.0) terms_.push_back({constant, {}});
  }

  static angle param(std::size_t k) { return of({variable::source::param, checked_index(k)}); }
  static angle feature(std::size_t i) { return of({variable::source::feature, checked_index(i)}); }

  [[nodiscard]] const std::vector<term>& terms() const noexcept { return terms_; }
  [[nodiscard]] bool is_constant() const noexcept {
    return std::all_of(terms_.begin(), terms_.end(), [](const term& t) { return t.vars.empty(); });
  }
  /// True when the angle depends on no parameter θ (it may still depend on features).
  [[nodiscard]] bool depends_on_params() const noexcept { return max_index(variable::source::param) > 0; }
  [[nodiscard]] bool depends_on_features() const noexcept { return max_index(variable::source::feature) > 0; }

  /// One past the largest θ index used (0 when none).
  [[nodiscard]] std::size_t num_params() const noexcept { return max_index(variable::source::param); }
  /// One past the largest feature index used (0 when none).
  [[nodiscard]] std::size_t num_features() const noexcept { return max_index(variable::source::feature); }

  /// Value of a constant angle; throws when the angle has variables.
  [[nodiscard]] double value() const {
    if (!is_constant()) throw std::logic_error("hqml::angle::value: angle " + to_string() + " is not constant");
    return evaluate({}, {});
  }

  /// Value for given parameters and features; throws when an index is out of range.
  [[nodiscard]] double evaluate(std::span<const double> theta, std::span<const double> x) const {
    double sum = 0.0;
    for (const term& t : terms_) {
      double p = t.coefficient;
      for (const variable& v : t.vars) {
        const auto& values = v.kind == variable::source::param ? theta : x;
        if (v.index >= values.size())
          throw std::out_of_range(std::string("hqml::angle: ") +
                                  (v.kind == variable::source::param ? "parameter theta[" : "feature x[") +
                                  std::to_string(v.index) + "] is needed but only " + std::to_string(values.size()) +
                                  " were given");
        p *= values[v.index];
      }
      sum += p;
    }
    return sum;
  }

  /// ∂angle/∂v as a polynomial.
  [[nodiscard]] angle derivative(variable v) const {
    angle out;
    for (const term& t : terms_) {
      const auto n = static_cast<double>(std::count(t.vars.begin(), t.vars.end(), v));
      if (n == 0) continue;
      term d{t.coefficient * n, t.vars};
      d.vars.erase(std::find(d.vars.begin(), d.vars.end(), v));
      out.terms_.push_back(std::move(d));
    }
    out.normalize();
    return out;
  }

  friend angle operator+(angle a, const angle& b) {
    a.terms_.insert(a.terms_.end(), b.terms_.begin(), b.terms_.end());
    a.normalize();
    return a;
  }
  friend angle operator-(const angle& a) {
    angle r = a;
    for (term& t : r.terms_) t.coefficient = -t.coefficient;
    return r;
  }
  friend angle operator-(const angle& a, const angle& b) { return a + (-b); }
  friend angle operator*(const angle& a, const angle& b) {
    angle r;
    r.terms_.reserve(a.terms_.size() * b.terms_.size());
    for (const term& s : a.terms_)
      for (const term& t : b.terms_) {
        term p{s.coefficient * t.coefficient, s.vars};
        p.vars.insert(p.vars.end(), t.vars.begin(), t.vars.end());
        std::sort(p.vars.begin(), p.vars.end());
        r.terms_.push_back(std::move(p));
      }
    r.normalize();
    return r;
  }
  angle& operator+=(const angle& b) { return *this = *this + b; }
  angle& operator*=(const angle& b) { return *this = *this * b; }

  /// Structural equality (same polynomial after normalization).
  friend bool operator==(const angle& a, const angle& b) {
    if (a.terms_.size() != b.terms_.size()) return false;
    for (std::size_t i = 0; i < a.terms_.size(); ++i)
      if (a.terms_[i].coefficient != b.terms_[i].coefficient || a.terms_[i].vars != b.terms_[i].vars) return false;
    return true;
  }

  [[nodiscard]] std::string to_string() const {
    if (terms_.empty()) return "0";
    std::ostringstream os;
    os.precision(17);
    bool first = true;
    for (const term& t : terms_) {
      if (!first) os << (t.coefficient < 0 ? " - " : " + ");
      else if (t.coefficient < 0) os << "-";
      first = false;
      const double c = std::abs(t.coefficient);
      bool printed = false;
      if (c != 1.0 || t.vars.empty()) {
        os << c;
        printed = true;
      }
      for (const variable& v : t.vars) {
        os << (printed ? "*" : "") << (v.kind == variable::source::param ? "theta[" : "x[") << v.index << "]";
        printed = true;
      }
    }
    return os.str();
  }

 private:
  static std::uint32_t checked_index(std::size_t k) {
    if (k > 0xffffffu) throw std::out_of_range("hqml::angle: variable index " + std::to_string(k) + " too large");
    return static_cast<std::uint32_t>(k);
  }
  static angle of(variable v) {
    angle a;
    a.terms_.push_back({1.0, {v}});
    return a;
  }
  [[nodiscard]] std::size_t max_index(variable::source s) const noexcept {
    std::size_t m = 0;
    for (const term& t : terms_)
      for (const variable& v : t.vars)
        if (v.kind == s) m = std::max<std::size_t>(m, v.index + 1u);
    return m;
  }
  // Canonical form: terms sorted by variables, like terms merged, zero terms dropped.
  void normalize() {
    std::sort(terms_.begin(), terms_.end(), [](const term& a, const term& b) { return a.vars < b.vars; });
    std::vector<term> merged;
    for (term& t : terms_) {
      if (!merged.empty() && merged.back().vars == t.vars) merged.back().coefficient += t.coefficient;
      else merged.push_back(std::move(t));
    }
    std::erase_if(merged, [](const term& t) { return t.coefficient == 0.0; });
    terms_ = std::move(merged);
  }

  std::vector<term> terms_;
};

/// θ_k, a trainable parameter.
inline angle param(std::size_t k) { return angle::param(k); }
/// x_i, a data feature.
inline angle feature(std::size_t i) { return angle::feature(i); }

inline constexpr double pi = std::numbers::pi;

}  // namespace hqml
