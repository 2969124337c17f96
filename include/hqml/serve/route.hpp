#pragma once
// Which model answers a row (hqml serve --route): the quantum model, the classical one, the classical one with
// the rows it is unsure of sent on to the quantum model, or both averaged. The routes' semantics live here once:
// hqml serve's engine answers with them, and hqml run's "serving routes" stage estimates their accuracy with them.

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

namespace hqml::serve {

/// How sure a model is of a row: its top probability minus the runner-up, 0 (cannot tell) to 1 (certain). NaN
/// entries are passed over (a row with fewer than two others has margin 1), and two infinities give NaN. The
/// confidence route sends the rows whose classical margin is below its threshold to the quantum model.
[[nodiscard]] inline double class_margin(const Eigen::Ref<const Eigen::RowVectorXd>& p) {
  double a = -1, b = -1;
  for (Eigen::Index j = 0; j < p.size(); ++j) {
    if (p(j) > a) {
      b = a;
      a = p(j);
    } else if (p(j) > b) {
      b = p(j);
    }
  }
  return b < 0 ? 1.0 : a - b;
}

/// One model's answers to some rows: class probabilities (columns in class-id order) and predicted class ids.
struct class_scores {
  Eigen::MatrixXd proba;
  std::vector<int> label;
};

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

  /// The rows, ascending, that the route sends to the quantum model: all `n` (quantum, ensemble), none
  /// (classical), or those whose classical margin is strictly below T (confidence: a margin equal to T, or NaN,
  /// stays classical). `classical_proba` holds the classical model's probabilities of the n rows; only the
  /// confidence route reads it.
  [[nodiscard]] std::vector<std::size_t> quantum_rows(std::size_t n, const Eigen::MatrixXd& classical_proba) const {
    std::vector<std::size_t> out;
    if (k == kind::classical) return out;
    if (k != kind::confidence) {
      out.resize(n);
      for (std::size_t i = 0; i < n; ++i) out[i] = i;
      return out;
    }
    if (static_cast<std::size_t>(classical_proba.rows()) != n)
      throw std::invalid_argument("route " + to_string() + ": " + std::to_string(classical_proba.rows()) +
                                  " classical probability rows for " + std::to_string(n) + " rows");
    for (std::size_t i = 0; i < n; ++i)
      if (class_margin(classical_proba.row(static_cast<Eigen::Index>(i))) < value) out.push_back(i);
    return out;
  }
};

/// A route's answers to some rows, in row order.
struct routed_scores {
  Eigen::MatrixXd proba;  // rows x classes; a row left unanswered is zero
  std::vector<int> label;
  /// "quantum", "classical" or "ensemble"; null where the row needed the quantum model and it gave no answer.
  std::vector<const char*> served_by;
};

/// Combines the two models' answers to `n` rows as `route` does. `classical`: the classical model's answers to
/// all n rows (unread by the quantum route); `quantum_rows`: route.quantum_rows(n, classical.proba);
/// `quantum`: the quantum model's answers to those rows, in that order, or null when it has none (it failed, or
/// no row needed it). A row the quantum model should have answered is then left unanswered (served_by null):
/// hqml serve answers it with the classical model as a fallback. Ensemble rows: w * quantum + (1 - w) *
/// classical, labelled with the first class of the highest probability.
[[nodiscard]] inline routed_scores route_answers(const route_policy& route, std::size_t n, std::size_t n_classes,
                                                 const class_scores& classical,
                                                 const std::vector<std::size_t>& quantum_rows,
                                                 const class_scores* quantum) {
  const auto k = static_cast<Eigen::Index>(n_classes);
  const auto fits = [&](const class_scores& s, std::size_t rows, const char* who) {
    if (static_cast<std::size_t>(s.proba.rows()) != rows || s.proba.cols() != k || s.label.size() != rows)
      throw std::invalid_argument("route " + route.to_string() + ": the " + who + " model's answers have " +
                                  std::to_string(s.proba.rows()) + " x " + std::to_string(s.proba.cols()) +
                                  " probabilities and " + std::to_string(s.label.size()) + " labels; expected " +
                                  std::to_string(rows) + " x " + std::to_string(n_classes));
  };
  if (route.needs_classical()) fits(classical, n, "classical");
  if (quantum) fits(*quantum, quantum_rows.size(), "quantum");
  if (!route.uses_quantum() && !quantum_rows.empty())
    throw std::invalid_argument("route classical: it sends no row to the quantum model");
  routed_scores out;
  out.proba = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(n), k);
  out.label.assign(n, -1);
  out.served_by.assign(n, nullptr);
  // Where each row's quantum answer is (-1: the route does not send the row to the quantum model).
  std::vector<std::ptrdiff_t> at(n, -1);
  for (std::size_t j = 0; j < quantum_rows.size(); ++j) {
    if (quantum_rows[j] >= n) throw std::invalid_argument("route " + route.to_string() + ": row index out of range");
    at[quantum_rows[j]] = static_cast<std::ptrdiff_t>(j);
  }
  const double w = route.value;
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    if (at[i] < 0) {
      if (route.k == route_policy::kind::quantum || route.k == route_policy::kind::ensemble) continue;
      out.proba.row(r) = classical.proba.row(r);
      out.label[i] = classical.label[i];
      out.served_by[i] = "classical";
      continue;
    }
    if (!quantum) continue;
    const auto j = static_cast<Eigen::Index>(at[i]);
    if (route.k == route_policy::kind::ensemble) {
      const Eigen::RowVectorXd p = w * quantum->proba.row(j) + (1 - w) * classical.proba.row(r);
      Eigen::Index best = 0;
      p.maxCoeff(&best);
      out.proba.row(r) = p;
      out.label[i] = static_cast<int>(best);
      out.served_by[i] = "ensemble";
    } else {
      out.proba.row(r) = quantum->proba.row(j);
      out.label[i] = quantum->label[static_cast<std::size_t>(j)];
      out.served_by[i] = "quantum";
    }
  }
  return out;
}

}  // namespace hqml::serve
