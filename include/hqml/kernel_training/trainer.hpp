#pragma once
// Training the parameters θ of a quantum feature map for a kernel method (as qiskit-machine-learning's
// QuantumKernelTrainer): a kernel loss of the training Gram matrix K(θ) (losses.hpp) minimized by SPSA or by
// gradient descent / Adam on the exact parameter-shift gradient (parameter_shift.hpp, optimizers.hpp). The states
// are simulated on the Backend the evaluations take (hqml::cpu by default; see parameter_shift.hpp).

#include <hqml/kernel_training/losses.hpp>
#include <hqml/kernel_training/optimizers.hpp>
#include <hqml/kernel_training/parameter_shift.hpp>

#include <Eigen/Core>

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hqml {

/// θ ↦ L(K(θ), y) for a trainable feature map, fixed training data and labels, with its parameter-shift gradient;
/// counts the work done.
class kernel_objective {
 public:
  /// `labels`: binary, −1/+1 or 0/1 (see binary_targets); one per row of x.
  kernel_objective(circuit feature_map, Eigen::MatrixXd x, std::span<const int> labels, kernel_loss loss,
                   kernel_options opt = {})
      : kernel_(std::move(feature_map)),
        x_(std::move(x)),
        y_(binary_targets(labels, "hqml::kernel_objective")),
        loss_(std::move(loss)),
        opt_(opt) {
    if (y_.size() != x_.rows())
      throw std::invalid_argument("hqml::kernel_objective: labels: " + std::to_string(y_.size()) + " given for " +
                                  std::to_string(x_.rows()) + " rows of X");
    if (x_.rows() < 2) throw std::invalid_argument("hqml::kernel_objective: X needs at least two rows");
    if (kernel_.feature_map().num_features() > static_cast<std::size_t>(x_.cols()))
      throw std::invalid_argument("hqml::kernel_objective: the feature map reads feature x[" +
                                  std::to_string(kernel_.feature_map().num_features() - 1) + "] but X has " +
                                  std::to_string(x_.cols()) + " columns");
  }

  [[nodiscard]] std::size_t num_params() const noexcept { return kernel_.num_params(); }
  [[nodiscard]] const parameter_shift_kernel& kernel_model() const noexcept { return kernel_; }
  [[nodiscard]] const Eigen::VectorXd& targets() const noexcept { return y_; }

  /// The training kernel K(θ), its states simulated on Backend.
  template <class Backend = cpu>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] Eigen::MatrixXd kernel(std::span<const double> theta) {
    const auto psi = kernel_.states<Backend>(x_, theta, opt_);
    count_kernel();
    return fidelity_kernel<double>(psi, opt_);
  }

  /// L(θ); with `gradient`, also dL/dθ by the parameter-shift rule; the states simulated on Backend.
  template <class Backend = cpu>  // instantiated only where called (README, "Compile times")
  double operator()(std::span<const double> theta, Eigen::VectorXd* gradient = nullptr) {
    const auto psi = kernel_.states<Backend>(x_, theta, opt_);
    count_kernel();
    const Eigen::MatrixXd k = fidelity_kernel<double>(psi, opt_);
    if (!gradient) return loss_(k, y_);
    Eigen::MatrixXd dl_dk;
    const double value = loss_(k, y_, &dl_dk);
    *gradient = kernel_.gradient_dot<Backend>(x_, theta, psi, dl_dk, opt_);
    ++gradient_evaluations_;
    circuit_runs_ += static_cast<std::size_t>(x_.rows()) * kernel_.shifted_circuits_per_sample();
    return value;
  }

  /// Kernel matrices K(θ) computed (one per loss evaluation).
  [[nodiscard]] std::size_t kernel_evaluations() const noexcept { return kernel_evaluations_; }
  [[nodiscard]] std::size_t gradient_evaluations() const noexcept { return gradient_evaluations_; }
  /// Single-sample circuit simulations, shifted ones included.
  [[nodiscard]] std::size_t circuit_runs() const noexcept { return circuit_runs_; }

 private:
  void count_kernel() {
    ++kernel_evaluations_;
    circuit_runs_ += static_cast<std::size_t>(x_.rows());
  }

  parameter_shift_kernel kernel_;
  Eigen::MatrixXd x_;
  Eigen::VectorXd y_;
  kernel_loss loss_;
  kernel_options opt_;
  std::size_t kernel_evaluations_ = 0, gradient_evaluations_ = 0, circuit_runs_ = 0;
};

enum class kernel_optimizer { spsa, gradient_descent, adam };

struct kernel_training_options {
  kernel_loss loss = kernel_loss::alignment();
  kernel_optimizer optimizer = kernel_optimizer::spsa;
  std::size_t max_iterations = 50;
  double tolerance = 0;  // stop when the loss changes by at most this over one iteration (0: never)
  spsa_options spsa;
  gradient_options gradient;  // learning rate and Adam settings; `adam` is set from `optimizer`
  iteration_callback callback;
  kernel_options kernel;
};

struct kernel_training_result {
  std::vector<double> theta;         // the best θ seen
  double loss = 0;                   // the loss there
  std::vector<double> loss_history;  // loss after each iteration; [0] at the initial θ
  std::size_t iterations = 0;
  bool converged = false;  // stopped by the tolerance
  std::size_t kernel_evaluations = 0;
  std::size_t gradient_evaluations = 0;
  std::size_t circuit_runs = 0;
};

/// Trains θ of `feature_map` on the rows of x with binary labels (−1/+1 or 0/1) from theta0 (one value per θ the
/// map uses), minimizing options.loss; the states simulated on Backend.
template <class Backend = cpu>  // instantiated only where called (README, "Compile times")
[[nodiscard]] inline kernel_training_result train_kernel(const circuit& feature_map,
                                                         const Eigen::Ref<const Eigen::MatrixXd>& x,
                                                         std::span<const int> labels, std::span<const double> theta0,
                                                         const kernel_training_options& options = {}) {
  kernel_objective objective(feature_map, x, labels, options.loss, options.kernel);
  if (theta0.size() != objective.num_params())
    throw std::invalid_argument("hqml::train_kernel: theta0 has " + std::to_string(theta0.size()) +
                                " values; the feature map has " + std::to_string(objective.num_params()) +
                                " trainable parameters");
  const minimize_options mo{options.max_iterations, options.tolerance, options.callback};
  minimize_result m;
  if (options.optimizer == kernel_optimizer::spsa) {
    m = spsa_minimize([&](std::span<const double> t) { return objective.operator()<Backend>(t); }, theta0, options.spsa,
                      mo);
  } else {
    gradient_options g = options.gradient;
    g.adam = options.optimizer == kernel_optimizer::adam;
    m = gradient_minimize(
        [&](std::span<const double> t, Eigen::VectorXd* grad) { return objective.operator()<Backend>(t, grad); },
        theta0, g, mo);
  }
  kernel_training_result r;
  r.theta = std::move(m.x);
  r.loss = m.value;
  r.loss_history = std::move(m.history);
  r.iterations = m.iterations;
  r.converged = m.converged;
  r.kernel_evaluations = objective.kernel_evaluations();
  r.gradient_evaluations = objective.gradient_evaluations();
  r.circuit_runs = objective.circuit_runs();
  return r;
}

}  // namespace hqml
