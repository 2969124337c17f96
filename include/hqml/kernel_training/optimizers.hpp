#pragma once
// Minimizers for kernel training, usable for any smooth objective of a few parameters:
//
// - SPSA (Spall 1998), first order, with Qiskit's conventions: learning rate a_k = a / (A + k)^alpha and
//   perturbation c_k = c / k^gamma for k = 1, 2, ..., alpha = 0.602, gamma = 0.101; when neither a nor c is given,
//   Qiskit's calibration picks a so that the first step has magnitude target_magnitude (2π/10): c = 0.2 and a =
//   target / mean |f(x + cΔ) − f(x − cΔ)| / (2c) over 25 random directions Δ. Δ has independent ±1 entries drawn
//   from a seeded generator, so runs are reproducible. (Qiskit's second-order 2-SPSA is not implemented.)
// - gradient descent and Adam (Kingma & Ba 2015) on an exact gradient.
// - BFGS (Nocedal & Wright, Algorithm 6.1) on an exact gradient, with a backtracking Armijo line search: for a
//   few parameters and exact (adjoint) gradients it reaches the optimum to the gradient tolerance in tens of
//   iterations where Adam needs hundreds.
//
// Both evaluate the objective at every iterate, so the history holds f(x_k) for k = 0 (the initial point),
// 1, 2, ...; the result is the iterate with the lowest value seen (SPSA steps are noisy, so the last iterate
// need not be the best).

#include <hqml/rng.hpp>

#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <numbers>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml {

/// Called after every iteration k = 1, 2, ... with the new point and the objective there.
using iteration_callback = std::function<void(std::size_t iteration, std::span<const double> x, double value)>;

struct minimize_options {
  std::size_t max_iterations = 50;
  /// Stop when the objective changed by at most this much over one iteration (0: never stop early).
  double tolerance = 0;
  iteration_callback callback;
};

struct minimize_result {
  std::vector<double> x;        // the best iterate seen
  double value = 0;             // f there
  std::vector<double> history;  // f(x_k), k = 0 .. iterations
  std::size_t iterations = 0;
  std::size_t evaluations = 0;           // objective evaluations (SPSA: calibration included)
  std::size_t gradient_evaluations = 0;  // gradient evaluations (gradient methods)
  bool converged = false;                // stopped by the tolerance before max_iterations
};

struct spsa_options {
  /// a of the learning-rate series; set together with perturbation, or leave both unset for the calibration.
  std::optional<double> learning_rate;
  /// c of the perturbation series.
  std::optional<double> perturbation;
  double alpha = 0.602;
  double gamma = 0.101;
  double stability_constant = 0;  // A
  double target_magnitude = 2 * std::numbers::pi / 10;
  double calibration_perturbation = 0.2;
  std::size_t calibration_steps = 25;
  std::uint64_t seed = 0;
};

struct bfgs_options {
  /// Converged when every entry of the gradient is at most this in magnitude.
  double gradient_tolerance = 1e-8;
  /// Converged when a step moves no coordinate by more than this times (1 + the largest |x_j|).
  double step_tolerance = 1e-12;
  /// Sufficient decrease f(x + αp) ≤ f(x) + armijo·α·∇f·p (up to rounding in f), with α halved until it holds.
  double armijo = 1e-4;
  std::size_t max_halvings = 50;
};

struct gradient_options {
  bool adam = true;  // false: plain gradient descent x ← x − η ∇f
  double learning_rate = 0.1;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;  // Adam
};

namespace detail {

inline void check_minimize_options(const minimize_options& o, std::size_t dim, const char* where) {
  if (dim == 0) throw std::invalid_argument(std::string(where) + ": the starting point has no parameters");
  if (!(o.tolerance >= 0)) throw std::invalid_argument(std::string(where) + ": tolerance must be non-negative");
}

// Shared bookkeeping: records a value, keeps the best point, calls back, checks the tolerance.
struct iterate_tracker {
  minimize_result& r;
  const minimize_options& o;
  bool record(std::size_t k, const std::vector<double>& x, double f) {
    if (!std::isfinite(f))
      throw std::runtime_error("hqml: minimize: the objective is not finite at iteration " + std::to_string(k));
    const double previous = r.history.empty() ? f : r.history.back();
    r.history.push_back(f);
    if (r.history.size() == 1 || f < r.value) {
      r.value = f;
      r.x = x;
    }
    if (k > 0) {
      r.iterations = k;
      if (o.callback) o.callback(k, x, f);
      if (o.tolerance > 0 && std::abs(f - previous) <= o.tolerance) {
        r.converged = true;
        return true;
      }
    }
    return false;
  }
};

}  // namespace detail

/// Minimizes f by first-order SPSA from x0.
[[nodiscard]] inline minimize_result spsa_minimize(const std::function<double(std::span<const double>)>& f,
                                                   std::span<const double> x0, const spsa_options& s = {},
                                                   const minimize_options& o = {}) {
  static constexpr const char* where = "hqml::spsa_minimize";
  detail::check_minimize_options(o, x0.size(), where);
  if (s.learning_rate.has_value() != s.perturbation.has_value())
    throw std::invalid_argument(std::string(where) +
                                ": set learning_rate and perturbation together, or neither to calibrate both");
  if (s.perturbation && !(*s.perturbation > 0))
    throw std::invalid_argument(std::string(where) + ": perturbation must be positive");
  if (s.learning_rate && !(*s.learning_rate > 0))
    throw std::invalid_argument(std::string(where) + ": learning_rate must be positive");
  if (!(s.calibration_perturbation > 0) || !(s.target_magnitude > 0) || s.calibration_steps == 0)
    throw std::invalid_argument(std::string(where) +
                                ": calibration_perturbation, target_magnitude and calibration_steps must be positive");
  const std::size_t dim = x0.size();
  minimize_result r;
  xoshiro256 rng(s.seed);
  auto bernoulli = [&](std::vector<double>& delta) {
    for (auto& d : delta) d = (rng() >> 63) ? 1.0 : -1.0;
  };
  std::vector<double> x(x0.begin(), x0.end()), delta(dim), plus(dim), minus(dim);
  auto eval = [&](const std::vector<double>& p) {
    ++r.evaluations;
    return f(p);
  };
  auto perturbed = [&](double c) {
    for (std::size_t j = 0; j < dim; ++j) {
      plus[j] = x[j] + c * delta[j];
      minus[j] = x[j] - c * delta[j];
    }
    return eval(plus) - eval(minus);
  };
  double a = 0, c = 0;
  if (s.learning_rate) {
    a = *s.learning_rate;
    c = *s.perturbation;
  } else {
    c = s.calibration_perturbation;
    double magnitude = 0;
    for (std::size_t t = 0; t < s.calibration_steps; ++t) {
      bernoulli(delta);
      magnitude += std::abs(perturbed(c) / (2 * c));
    }
    magnitude /= static_cast<double>(s.calibration_steps);
    a = s.target_magnitude / magnitude;
    if (!(a >= 1e-10) || !std::isfinite(a)) a = s.target_magnitude;  // flat objective: Qiskit's fallback
  }
  detail::iterate_tracker track{r, o};
  track.record(0, x, eval(x));
  for (std::size_t k = 1; k <= o.max_iterations; ++k) {
    const double kk = static_cast<double>(k);
    const double ck = c / std::pow(kk, s.gamma), ak = a / std::pow(s.stability_constant + kk, s.alpha);
    bernoulli(delta);
    const double slope = perturbed(ck) / (2 * ck);
    for (std::size_t j = 0; j < dim; ++j) x[j] -= ak * slope * delta[j];
    if (track.record(k, x, eval(x))) break;
  }
  return r;
}

/// Minimizes f by gradient descent or Adam; fg(x, grad) returns f(x) and, when grad is not null, writes ∇f(x).
[[nodiscard]] inline minimize_result gradient_minimize(
    const std::function<double(std::span<const double>, Eigen::VectorXd*)>& fg, std::span<const double> x0,
    const gradient_options& g = {}, const minimize_options& o = {}) {
  static constexpr const char* where = "hqml::gradient_minimize";
  detail::check_minimize_options(o, x0.size(), where);
  if (!(g.learning_rate > 0)) throw std::invalid_argument(std::string(where) + ": learning_rate must be positive");
  if (g.adam && !(g.beta1 >= 0 && g.beta1 < 1 && g.beta2 >= 0 && g.beta2 < 1 && g.epsilon > 0))
    throw std::invalid_argument(std::string(where) + ": Adam needs 0 <= beta1, beta2 < 1 and epsilon > 0");
  const auto dim = static_cast<Eigen::Index>(x0.size());
  minimize_result r;
  std::vector<double> x(x0.begin(), x0.end());
  Eigen::VectorXd grad(dim), m = Eigen::VectorXd::Zero(dim), v = Eigen::VectorXd::Zero(dim);
  auto eval = [&](bool with_gradient) {
    ++r.evaluations;
    if (with_gradient) ++r.gradient_evaluations;
    return fg(x, with_gradient ? &grad : nullptr);
  };
  detail::iterate_tracker track{r, o};
  track.record(0, x, eval(o.max_iterations > 0));
  for (std::size_t k = 1; k <= o.max_iterations; ++k) {
    if (grad.size() != dim) throw std::runtime_error(std::string(where) + ": the gradient has the wrong length");
    Eigen::VectorXd step = grad;
    if (g.adam) {
      const double kk = static_cast<double>(k);
      m = g.beta1 * m + (1 - g.beta1) * grad;
      v = g.beta2 * v + (1 - g.beta2) * grad.cwiseAbs2();
      const Eigen::VectorXd mh = m / (1 - std::pow(g.beta1, kk)), vh = v / (1 - std::pow(g.beta2, kk));
      step = mh.array() / (vh.array().sqrt() + g.epsilon);
    }
    for (Eigen::Index j = 0; j < dim; ++j) x[static_cast<std::size_t>(j)] -= g.learning_rate * step(j);
    // The last iterate needs its value only.
    if (track.record(k, x, eval(k < o.max_iterations))) break;
  }
  return r;
}

/// Minimizes f by BFGS; fg(x, grad) returns f(x) and writes ∇f(x) (grad is never null here). Stops when the
/// gradient is below bfgs_options::gradient_tolerance, a step below step_tolerance, or the change of f in an
/// iteration at most minimize_options::tolerance (all three: converged), when the line search finds no
/// decrease, or after max_iterations. Each iteration evaluates f and ∇f once per line-search trial.
template <class = void>  // instantiated only where called (README, "Compile times")
[[nodiscard]] inline minimize_result bfgs_minimize(
    const std::function<double(std::span<const double>, Eigen::VectorXd*)>& fg, std::span<const double> x0,
    const bfgs_options& b = {}, const minimize_options& o = {}) {
  static constexpr const char* where = "hqml::bfgs_minimize";
  detail::check_minimize_options(o, x0.size(), where);
  if (!(b.gradient_tolerance >= 0 && b.step_tolerance >= 0))
    throw std::invalid_argument(std::string(where) + ": gradient_tolerance and step_tolerance must be non-negative");
  if (!(b.armijo > 0 && b.armijo < 1)) throw std::invalid_argument(std::string(where) + ": armijo must be in (0, 1)");
  const auto dim = static_cast<Eigen::Index>(x0.size());
  minimize_result r;
  Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(x0.data(), dim), g(dim), trial_g(dim);
  std::vector<double> xv(x0.begin(), x0.end());
  auto eval = [&](const Eigen::VectorXd& at, Eigen::VectorXd& grad) {
    ++r.evaluations;
    ++r.gradient_evaluations;
    for (Eigen::Index j = 0; j < dim; ++j) xv[static_cast<std::size_t>(j)] = at(j);
    const double f = fg(xv, &grad);
    if (grad.size() != dim) throw std::runtime_error(std::string(where) + ": the gradient has the wrong length");
    return f;
  };
  detail::iterate_tracker track{r, o};
  double f = eval(x, g);
  track.record(0, xv, f);
  Eigen::MatrixXd h = Eigen::MatrixXd::Identity(dim, dim);  // inverse Hessian estimate
  bool scaled = false;
  for (std::size_t k = 1; k <= o.max_iterations; ++k) {
    if (!std::isfinite(g.norm())) throw std::runtime_error(std::string(where) + ": the gradient is not finite");
    if (g.cwiseAbs().maxCoeff() <= b.gradient_tolerance) {
      r.converged = true;
      break;
    }
    Eigen::VectorXd p = -h * g;
    if (g.dot(p) >= 0) {  // not a descent direction (rounding in h): restart from steepest descent
      h.setIdentity();
      p = -g;
    }
    // Before the first update the step has no scale: start from a unit move in x.
    double alpha = scaled ? 1.0 : std::min(1.0, 1.0 / p.cwiseAbs().maxCoeff());
    Eigen::VectorXd trial(dim);
    double ft = 0;
    bool decreased = false;
    // Near the optimum f changes by less than its rounding: a trial within that of f counts as no worse, so
    // the step the curvature asks for is taken and the gradient test ends the run, rather than a walk of
    // ever shorter steps that each win by rounding.
    const double rounding = 64 * std::numeric_limits<double>::epsilon() * (1 + std::abs(f));
    for (std::size_t t = 0; t <= b.max_halvings; ++t, alpha *= 0.5) {
      trial = x + alpha * p;
      ft = eval(trial, trial_g);
      if (std::isfinite(ft) && ft <= f + b.armijo * alpha * g.dot(p) + rounding) {
        decreased = true;
        break;
      }
    }
    if (!decreased) break;  // no decrease along p: at the optimum to rounding, or f is not smooth here
    const bool small_step = (trial - x).cwiseAbs().maxCoeff() <= b.step_tolerance * (1 + x.cwiseAbs().maxCoeff());
    const Eigen::VectorXd s = trial - x, y = trial_g - g;
    const double sy = s.dot(y);
    if (sy > 1e-12 * s.norm() * y.norm()) {  // curvature condition; otherwise keep h
      if (!scaled) {
        h *= sy / y.squaredNorm();
        scaled = true;
      }
      const double rho = 1 / sy;
      const Eigen::MatrixXd v = Eigen::MatrixXd::Identity(dim, dim) - rho * y * s.transpose();
      h = v.transpose() * h * v + rho * s * s.transpose();
    }
    x = trial;
    g = trial_g;
    f = ft;
    if (track.record(k, xv, f)) break;
    if (small_step) {
      r.converged = true;
      break;
    }
  }
  return r;
}

}  // namespace hqml
