#pragma once
// Exact derivatives of a fidelity kernel K_ij = |⟨ψ(x_j, θ)|ψ(x_i, θ)⟩|² with respect to the trainable
// parameters θ of its feature map, by the parameter-shift rule.
//
// θ enters through gate angles a_g(x, θ), polynomials (angle.hpp), so by the chain rule
//   ∂K_ij/∂θ_k = Σ_g [∂a_g/∂θ_k(x_i) · D_g(i, j) + ∂a_g/∂θ_k(x_j) · D_g(j, i)],
// where D_g(i, j) is the derivative of |⟨ψ_j|ψ_i⟩|² in the angle of occurrence g inside ψ_i only (ψ_j held
// fixed). That is the derivative of the expectation of the projector |ψ_j⟩⟨ψ_j| in ψ_i, so a shift rule
// gives it exactly: D_g(i, j) = Σ_t c_t |⟨ψ_j|ψ_i(a_g + s_t)⟩|². Per occurrence and shift, the shifted states
// of all N samples are simulated once (the unshifted prefix shared by the shifts) and compared with all
// unshifted states in one Gram product, so the cost is that of (1 + Σ_g |rule_g|) kernel evaluations, never
// one circuit per pair.
//
// The entry points take the backend that simulates the states as a template parameter: a host backend
// (hqml::cpu, basic_cpu<T>) threads over samples, each sample on one thread's CPU state; a device backend
// (hqml::cuda, from an nvcc unit that includes <hqml/cuda.cuh> and <hqml/cuda/quantum_kernel.cuh>) computes the
// unshifted states in one batched launch and the shifted ones sample after sample, each state in parallel on the
// device. The Gram products run on the host (kernel_options::threads) on every backend.

#include <hqml/angle.hpp>
#include <hqml/backends/cpu.hpp>
#include <hqml/backends/traits.hpp>
#include <hqml/batched.hpp>
#include <hqml/circuit.hpp>
#include <hqml/gate.hpp>
#include <hqml/quantum_kernel.hpp>
#include <hqml/state_vector.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <numbers>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace hqml {

/// One term of a shift rule: df/da = Σ_t coefficient_t · f(a + shift_t).
struct shift_term {
  double shift;
  double coefficient;
};

namespace detail {
// Generators with two eigenvalues ±1/2 after removing a global phase: one frequency, two terms.
inline constexpr std::array<shift_term, 2> two_term_rule{{{std::numbers::pi / 2, 0.5}, {-std::numbers::pi / 2, -0.5}}};
// Controlled rotations: generator |1⟩⟨1| ⊗ σ/2 has eigenvalues {0, ±1/2}, frequencies 1/2 and 1, so two shift
// pairs are needed (the four-term rule, Anselmetti et al., New J. Phys. 23:113010, 2021):
// f' = c₊[f(a + π/2) − f(a − π/2)] − c₋[f(a + 3π/2) − f(a − 3π/2)], c± = (√2 ± 1)/(4√2).
inline constexpr double four_term_cp = (std::numbers::sqrt2 + 1) / (4 * std::numbers::sqrt2);
inline constexpr double four_term_cm = (std::numbers::sqrt2 - 1) / (4 * std::numbers::sqrt2);
inline constexpr std::array<shift_term, 4> four_term_rule{{{std::numbers::pi / 2, four_term_cp},
                                                           {-std::numbers::pi / 2, -four_term_cp},
                                                           {3 * std::numbers::pi / 2, -four_term_cm},
                                                           {-3 * std::numbers::pi / 2, four_term_cm}}};
}  // namespace detail

/// The exact shift rule for the angles of a gate kind; empty when hqml knows none.
/// RX, RY, RZ, RXX, RYY, RZZ, P, CP and each angle of U (= RZ(φ) RY(θ) RZ(λ) up to phase) have generators with
/// two eigenvalues one apart (P and CP: {0, 1}, a global phase away from ±1/2): the two-term rule. CRX, CRY and
/// CRZ have three eigenvalues: the four-term rule.
[[nodiscard]] inline std::span<const shift_term> shift_rule(gate_kind k) noexcept {
  switch (k) {
    case gate_kind::rx:
    case gate_kind::ry:
    case gate_kind::rz:
    case gate_kind::p:
    case gate_kind::u:
    case gate_kind::cp:
    case gate_kind::rxx:
    case gate_kind::ryy:
    case gate_kind::rzz:
      return detail::two_term_rule;
    case gate_kind::crx:
    case gate_kind::cry:
    case gate_kind::crz:
      return detail::four_term_rule;
    default:
      return {};
  }
}

/// K(θ) and ∂K/∂θ_k for every k (one N × N matrix per parameter).
struct kernel_gradient_result {
  Eigen::MatrixXd kernel;
  std::vector<Eigen::MatrixXd> gradient;
};

/// The fidelity kernel of a trainable feature map on the training rows, with its exact parameter-shift
/// derivatives. Built once per circuit: it finds every angle that depends on θ and checks that it has a shift
/// rule; evaluations then take θ (exactly num_params() values) and the data.
class parameter_shift_kernel {
 public:
  /// One angle that depends on θ: operation `op`, angle slot `slot`, its rule, and ∂angle/∂θ_k for the k it uses.
  struct occurrence {
    std::size_t op = 0;
    std::size_t slot = 0;
    std::span<const shift_term> rule;
    std::vector<std::pair<std::size_t, angle>> derivatives;
  };

  explicit parameter_shift_kernel(circuit feature_map) : map_(std::move(feature_map)) {
    static constexpr const char* where = "hqml::parameter_shift_kernel";
    if (!map_.is_unitary())
      throw std::invalid_argument(std::string(where) + ": the feature map measures or resets; it must be unitary");
    num_params_ = map_.num_params();
    if (num_params_ == 0)
      throw std::invalid_argument(std::string(where) + ": the feature map has no trainable parameter theta");
    const auto& ops = map_.operations();
    for (std::size_t p = 0; p < ops.size(); ++p)
      for (std::size_t s = 0; s < ops[p].params.size(); ++s) {
        const angle& a = ops[p].params[s];
        if (!a.depends_on_params()) continue;
        const auto rule = shift_rule(ops[p].kind);
        if (rule.empty())
          throw std::invalid_argument(std::string(where) + ": gate '" + std::string(ops[p].name()) + "' (operation " +
                                      std::to_string(p) + ") depends on theta but has no parameter-shift rule");
        occurrence o{p, s, rule, {}};
        for (std::size_t k = 0; k < num_params_; ++k) {
          angle d = a.derivative({variable::source::param, static_cast<std::uint32_t>(k)});
          if (!d.terms().empty()) o.derivatives.emplace_back(k, std::move(d));
        }
        shifted_per_sample_ += rule.size();
        occurrences_.push_back(std::move(o));
      }
  }

  [[nodiscard]] const circuit& feature_map() const noexcept { return map_; }
  [[nodiscard]] std::size_t num_params() const noexcept { return num_params_; }
  [[nodiscard]] const std::vector<occurrence>& occurrences() const noexcept { return occurrences_; }
  /// Shifted circuits simulated per sample for one gradient.
  [[nodiscard]] std::size_t shifted_circuits_per_sample() const noexcept { return shifted_per_sample_; }

  /// Checks θ and X against the map; `where` names the caller in the message.
  void check(const Eigen::Ref<const Eigen::MatrixXd>& x, std::span<const double> theta, const char* where) const {
    if (theta.size() != num_params_)
      throw std::invalid_argument(std::string(where) + ": theta has " + std::to_string(theta.size()) +
                                  " values; the feature map has " + std::to_string(num_params_) +
                                  " trainable parameters");
    if (map_.num_features() > static_cast<std::size_t>(x.cols()))
      throw std::invalid_argument(std::string(where) + ": the feature map reads feature x[" +
                                  std::to_string(map_.num_features() - 1) + "] but X has " + std::to_string(x.cols()) +
                                  " columns");
    if (x.rows() < 1) throw std::invalid_argument(std::string(where) + ": X has no rows");
  }

  /// Unshifted states |ψ(x_i, θ)⟩, one row per sample, computed on Backend.
  template <class Backend = cpu>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] state_matrix<double> states(const Eigen::Ref<const Eigen::MatrixXd>& x, std::span<const double> theta,
                                            const kernel_options& opt = {}) const {
    static_assert(backend<Backend>, "parameter_shift_kernel: Backend must be a backend tag (backends/traits.hpp)");
    check(x, theta, "hqml::parameter_shift_kernel::states");
    // Every host backend runs the CPU's batch (threads over samples, one sequential state per thread).
    if constexpr (backend_traits<Backend>::host_accessible)
      return batched_states<double>(map_, x, theta, opt.threads);
    else
      return batched_states<double, Backend>(map_, x, theta, opt.threads);
  }

  /// Σ_ij G_ij ∂K_ij/∂θ_k for every k, given the unshifted states: what a loss L(K) needs for dL/dθ with
  /// G = dL/dK, without forming N × N derivative matrices per parameter. G is symmetrized first. The shifted
  /// states are simulated on Backend.
  template <class Backend = cpu>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] Eigen::VectorXd gradient_dot(const Eigen::Ref<const Eigen::MatrixXd>& x, std::span<const double> theta,
                                             const state_matrix<double>& psi, const Eigen::MatrixXd& g,
                                             const kernel_options& opt = {}) const {
    check(x, theta, "hqml::parameter_shift_kernel::gradient_dot");
    if (g.rows() != x.rows() || g.cols() != x.rows())
      throw std::invalid_argument("hqml::parameter_shift_kernel::gradient_dot: G is " + std::to_string(g.rows()) + "x" +
                                  std::to_string(g.cols()) + ", expected " + std::to_string(x.rows()) + "x" +
                                  std::to_string(x.rows()));
    const Eigen::MatrixXd gs = 0.5 * (g + g.transpose());
    Eigen::VectorXd out = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(num_params_));
    // With G symmetric, Σ_ij G_ij [w_i D(i,j) + w_j D(j,i)] = 2 Σ_i w_i Σ_j G_ij D(i,j).
    for_each_occurrence<Backend>(
        x, theta, psi, opt, [&](const occurrence& o, const Eigen::MatrixXd& d, const Eigen::MatrixXd& w) {
          const Eigen::VectorXd r = gs.cwiseProduct(d).rowwise().sum();
          for (std::size_t t = 0; t < o.derivatives.size(); ++t)
            out(static_cast<Eigen::Index>(o.derivatives[t].first)) += 2.0 * w.col(static_cast<Eigen::Index>(t)).dot(r);
        });
    return out;
  }

  /// K(θ) and every ∂K/∂θ_k as N × N matrices, the states simulated on Backend.
  template <class Backend = cpu>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] kernel_gradient_result kernel_and_gradient(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                                           std::span<const double> theta,
                                                           const kernel_options& opt = {}) const {
    const state_matrix<double> psi = states<Backend>(x, theta, opt);
    kernel_gradient_result r;
    r.kernel = fidelity_kernel<double>(psi, opt);
    const Eigen::Index n = x.rows();
    r.gradient.assign(num_params_, Eigen::MatrixXd::Zero(n, n));
    for_each_occurrence<Backend>(x, theta, psi, opt,
                                 [&](const occurrence& o, const Eigen::MatrixXd& d, const Eigen::MatrixXd& w) {
                                   for (std::size_t t = 0; t < o.derivatives.size(); ++t) {
                                     const Eigen::MatrixXd wd = w.col(static_cast<Eigen::Index>(t)).asDiagonal() * d;
                                     r.gradient[o.derivatives[t].first] += wd + wd.transpose();
                                   }
                                 });
    return r;
  }

  /// Calls f(occurrence, D, W) for every occurrence g: D(i, j) the derivative of |⟨ψ_j|ψ_i⟩|² in g's angle inside
  /// ψ_i, and W(i, t) = ∂a_g/∂θ_k(x_i) for the t-th entry k of occurrence.derivatives. The shifted states are
  /// simulated on Backend.
  template <class Backend = cpu, class F>
  void for_each_occurrence(const Eigen::Ref<const Eigen::MatrixXd>& x, std::span<const double> theta,
                           const state_matrix<double>& psi, const kernel_options& opt, const F& f) const {
    if (psi.rows() != x.rows() || psi.cols() != (Eigen::Index{1} << map_.num_qubits()))
      throw std::invalid_argument("hqml::parameter_shift_kernel: the states do not belong to X and this feature map");
    const Eigen::Index n = x.rows();
    const auto dim = psi.cols();
    std::vector<state_matrix<double>> shifted;
    for (const occurrence& o : occurrences_) {
      shifted.resize(o.rule.size());
      for (auto& s : shifted) s.resize(n, dim);
      Eigen::MatrixXd w(n, static_cast<Eigen::Index>(o.derivatives.size()));
      simulate_shifted<Backend>(x, theta, o, shifted, w, opt.threads);
      Eigen::MatrixXd d = Eigen::MatrixXd::Zero(n, n);
      // fidelity_kernel(a, b)(i, j) = |⟨a_i|b_j⟩|² = |⟨ψ_j|ψ_i(a + s)⟩|² for a = shifted, b = psi.
      for (std::size_t t = 0; t < o.rule.size(); ++t)
        d += o.rule[t].coefficient * fidelity_kernel<double>(shifted[t], psi, opt);
      f(o, d, w);
    }
  }

 private:
  // For every sample: the prefix before occurrence o once, then per shift the shifted gate and the suffix.
  // Also fills W with the angle derivatives at each sample. A host backend threads over samples, each on a
  // sequential CPU state; a device backend runs the samples one after another on its own states.
  template <class Backend>
  void simulate_shifted(const Eigen::Ref<const Eigen::MatrixXd>& x, std::span<const double> theta, const occurrence& o,
                        std::vector<state_matrix<double>>& out, Eigen::MatrixXd& w, int threads) const {
    const auto& ops = map_.operations();
    const Eigen::Index n = x.rows();
    const auto d = static_cast<std::size_t>(x.cols());
    auto bind = [&](const operation& op, std::span<const double> xi, double* prm) {
      for (std::size_t k = 0; k < op.params.size(); ++k) prm[k] = op.params[k].evaluate(theta, xi);
    };
    auto apply_op = [&](const operation& op, std::span<const double> xi, auto& sv) {
      if (op.kind == gate_kind::unitary || op.kind == gate_kind::diagonal) return void(sv.apply(op));
      double prm[3] = {0, 0, 0};
      bind(op, xi, prm);
      sv.apply_gate(op.kind, op.qubits, prm);
    };
    const operation& shifted_op = ops[o.op];
    // Sample i on the states prefix and work (of any backend), its features read into xi.
    auto sample = [&](auto& prefix, auto& work, std::vector<double>& xi, Eigen::Index i) {
      using state_backend_type = typename std::decay_t<decltype(work)>::backend_type;
      constexpr bool on_host = backend_traits<state_backend_type>::host_accessible;
      for (std::size_t j = 0; j < d; ++j) xi[j] = x(i, static_cast<Eigen::Index>(j));
      for (std::size_t t = 0; t < o.derivatives.size(); ++t)
        w(i, static_cast<Eigen::Index>(t)) = o.derivatives[t].second.evaluate(theta, xi);
      prefix.set_basis_state(0);
      for (std::size_t p = 0; p < o.op; ++p) apply_op(ops[p], xi, prefix);
      for (std::size_t t = 0; t < o.rule.size(); ++t) {
        if constexpr (on_host)
          std::copy(prefix.data().begin(), prefix.data().end(), work.data().begin());
        else
          detail::state_ops<state_backend_type, double>::copy(work.raw(), prefix.raw(), prefix.size());
        double prm[3] = {0, 0, 0};
        bind(shifted_op, xi, prm);
        prm[o.slot] += o.rule[t].shift;
        work.apply_gate(shifted_op.kind, shifted_op.qubits, prm);
        for (std::size_t p = o.op + 1; p < ops.size(); ++p) apply_op(ops[p], xi, work);
        if constexpr (on_host) {
          const auto amps = work.data();
          for (std::size_t k = 0; k < amps.size(); ++k) out[t](i, static_cast<Eigen::Index>(k)) = amps[k];
        } else {  // row-major: row i is contiguous
          detail::state_ops<state_backend_type, double>::download(out[t].row(i).data(), work.raw(), work.size());
        }
      }
    };
    if constexpr (backend_traits<Backend>::host_accessible) {
      using sv_type = state_vector<double, basic_cpu<sequential_threads>>;
      // Small batches (a few qubits, tens of samples) finish faster than a thread team starts.
      const bool parallel = static_cast<double>(n) * static_cast<double>(ops.size()) *
                                std::ldexp(1.0, static_cast<int>(map_.num_qubits())) >=
                            65536.0;
      struct thread_state {
        sv_type prefix, work;
        std::vector<double> xi;
      };
      cpu_detail::for_each_with_state(
          n, threads, parallel, 8,
          [&] {
            return thread_state{sv_type(map_.num_qubits()), sv_type(map_.num_qubits()), std::vector<double>(d)};
          },
          [&](thread_state& ts, std::ptrdiff_t i) { sample(ts.prefix, ts.work, ts.xi, i); });
    } else {
      (void)threads;  // the Gram products' (kernel_options::threads), not the device's
      state_vector<double, Backend> prefix(map_.num_qubits()), work(map_.num_qubits());
      std::vector<double> xi(d);
      for (Eigen::Index i = 0; i < n; ++i) sample(prefix, work, xi, i);
    }
  }

  circuit map_;
  std::size_t num_params_ = 0;
  std::size_t shifted_per_sample_ = 0;
  std::vector<occurrence> occurrences_;
};

}  // namespace hqml
