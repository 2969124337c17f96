#pragma once
// Exact gradients of expectation values ⟨ψ(θ, x)|H|ψ(θ, x)⟩ by adjoint differentiation (Jones & Gacon,
// arXiv:2009.02823): one forward run, then one backward sweep that undoes the gates one by one on |ψ⟩ and
// on |λ⟩ = H|ψ⟩. Every angle a of gate U_l = exp(−i a G / 2)·(phase) contributes
//   ∂⟨H⟩/∂a = 2 Re⟨λ_l|∂U_l/∂a|ψ_{l−1}⟩ = Im⟨λ_l|G|ψ_l⟩,
// read from one pass over both states (the reduced transition matrix on the gate's qubits), and the
// chain rule through the angle polynomials (angle.hpp) gives the derivatives in θ, or in x. The cost is
// about three circuit runs per observable, whatever the number of parameters, against two runs per
// parameter (four for controlled rotations) for the parameter-shift rule.

#include <hqml/angle.hpp>
#include <hqml/backends/cpu.hpp>
#include <hqml/batched.hpp>
#include <hqml/circuit.hpp>
#include <hqml/gate.hpp>
#include <hqml/pauli.hpp>
#include <hqml/state_vector.hpp>

#include <Eigen/Core>

#include <array>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hqml {

/// What adjoint differentiation differentiates with respect to, and how it runs the circuit forward.
struct adjoint_options {
  /// θ (variable::source::param, the default) or the features x (variable::source::feature).
  variable::source wrt = variable::source::param;
  /// The forward run (gate fusion for wide states); the backward sweep runs gate by gate.
  apply_options forward{};
};

/// Expectation values ⟨H_o⟩ and their Jacobian ∂⟨H_o⟩/∂v_k (one row per observable).
struct expectation_jacobian {
  std::vector<double> values;
  std::size_t num_variables = 0;
  /// Row-major, values.size() × num_variables.
  std::vector<double> jacobian;

  [[nodiscard]] double operator()(std::size_t o, std::size_t k) const { return jacobian[o * num_variables + k]; }
  /// ∂⟨H_o⟩/∂v for every variable v.
  [[nodiscard]] std::span<const double> gradient(std::size_t o = 0) const {
    return std::span<const double>(jacobian).subspan(o * num_variables, num_variables);
  }
};

/// Per-sample values and Jacobians of a batch: values is N × O, jacobian[o] is N × V.
struct batch_expectation_jacobian {
  Eigen::MatrixXd values;
  std::vector<Eigen::MatrixXd> jacobian;
};

namespace detail {

/// G with ∂U/∂a = −(i/2)·G·U for angle `slot` of a standard gate with bound angles prm, up to a multiple of
/// the identity (which the gradient does not see: ⟨λ_l|ψ_l⟩ = ⟨H⟩ is real). Row-major into g; bit j of a
/// row or column index is the gate's qubit j (controls first). Returns the dimension, 0 when hqml knows none.
inline unsigned angle_generator(gate_kind kind, std::size_t slot, const double* prm, std::complex<double>* g) {
  using c = std::complex<double>;
  const c i(0, 1);
  const std::array<c, 4> x{0, 1, 1, 0}, y{0, -i, i, 0}, z{1, 0, 0, -1};
  auto one = [&](const std::array<c, 4>& m) {
    for (int e = 0; e < 4; ++e) g[e] = m[e];
    return 2u;
  };
  // P on both qubits: entry (r1 r0, c1 c0) = P[r1][c1]·P[r0][c0].
  auto both = [&](const std::array<c, 4>& m) {
    for (unsigned r = 0; r < 4; ++r)
      for (unsigned k = 0; k < 4; ++k) g[r * 4 + k] = m[(r >> 1) * 2 + (k >> 1)] * m[(r & 1) * 2 + (k & 1)];
    return 4u;
  };
  // |1⟩⟨1| on the control (qubit 0) ⊗ P on the target (qubit 1).
  auto controlled = [&](const std::array<c, 4>& m) {
    for (unsigned e = 0; e < 16; ++e) g[e] = 0;
    for (unsigned r = 0; r < 2; ++r)
      for (unsigned k = 0; k < 2; ++k) g[(2 * r + 1) * 4 + 2 * k + 1] = m[r * 2 + k];
    return 4u;
  };
  switch (kind) {
    case gate_kind::rx:
      return one(x);
    case gate_kind::ry:
      return one(y);
    case gate_kind::rz:
      return one(z);
    case gate_kind::p:
      return one({0, 0, 0, -2});  // P(a) = diag(1, e^{ia}): G = −2|1⟩⟨1|
    case gate_kind::rxx:
      return both(x);
    case gate_kind::ryy:
      return both(y);
    case gate_kind::rzz:
      return both(z);
    case gate_kind::crx:
      return controlled(x);
    case gate_kind::cry:
      return controlled(y);
    case gate_kind::crz:
      return controlled(z);
    case gate_kind::cp:
      for (unsigned e = 0; e < 16; ++e) g[e] = 0;
      g[15] = -2;
      return 4u;
    case gate_kind::u: {
      // U(θ, φ, λ) = RZ(φ)·RY(θ)·RZ(λ) up to phase: each generator is conjugated by the factors to its left.
      const double th = prm[0], ph = prm[1];
      std::array<c, 4> m{};
      for (int e = 0; e < 4; ++e) {
        if (slot == 0)
          m[e] = std::cos(ph) * y[e] - std::sin(ph) * x[e];
        else if (slot == 1)
          m[e] = z[e];
        else
          m[e] = std::sin(th) * (std::cos(ph) * x[e] + std::sin(ph) * y[e]) + std::cos(th) * z[e];
      }
      return one(m);
    }
    default:
      return 0u;
  }
}

/// The circuit as adjoint differentiation walks it: the inverse of every operation, and for each operation the
/// angles that depend on the chosen variables with their derivatives.
class adjoint_tape {
 public:
  struct slot {
    std::size_t index = 0;
    std::vector<std::pair<std::size_t, angle>> derivatives;  // (variable k, ∂angle/∂v_k)
  };

  adjoint_tape(circuit c, std::vector<pauli_sum> observables, variable::source wrt, const char* where)
      : circuit_(std::move(c)), observables_(std::move(observables)), wrt_(wrt) {
    const auto& ops = circuit_.operations();
    for (std::size_t l = 0; l < ops.size(); ++l)
      if (ops[l].kind == gate_kind::measure || ops[l].kind == gate_kind::reset)
        throw std::invalid_argument(std::string(where) + ": operation " + std::to_string(l) + " is a '" +
                                    std::string(ops[l].name()) + "'; adjoint differentiation needs a unitary circuit");
    if (observables_.empty()) throw std::invalid_argument(std::string(where) + ": no observable given");
    for (std::size_t o = 0; o < observables_.size(); ++o)
      for (std::size_t t = 0; t < observables_[o].terms.size(); ++t) {
        const auto& [coefficient, p] = observables_[o].terms[t];
        if (!std::isfinite(coefficient))
          throw std::invalid_argument(std::string(where) + ": observable " + std::to_string(o) + ", term " +
                                      std::to_string(t) + ": the coefficient is not finite");
        if (p.support_size() > circuit_.num_qubits())
          throw std::invalid_argument(std::string(where) + ": observable " + std::to_string(o) + ", term " +
                                      std::to_string(t) + " acts on qubit " + std::to_string(p.support_size() - 1) +
                                      " of a " + std::to_string(circuit_.num_qubits()) + "-qubit circuit");
      }
    inverse_ = circuit_.inverse();
    // One past the largest index of the chosen variables the circuit reads.
    const std::size_t used = wrt == variable::source::param ? circuit_.num_params() : circuit_.num_features();
    slots_.resize(ops.size());
    for (std::size_t l = 0; l < ops.size(); ++l)
      for (std::size_t s = 0; s < ops[l].params.size(); ++s) {
        const angle& a = ops[l].params[s];
        if (!(wrt == variable::source::param ? a.depends_on_params() : a.depends_on_features())) continue;
        std::complex<double> g[16];
        const double zero[3] = {0, 0, 0};
        if (angle_generator(ops[l].kind, s, zero, g) == 0)
          throw std::invalid_argument(std::string(where) + ": gate '" + std::string(ops[l].name()) + "' (operation " +
                                      std::to_string(l) + ") has no known generator");
        slot sl{s, {}};
        for (std::size_t k = 0; k < used; ++k) {
          angle d = a.derivative({wrt, static_cast<std::uint32_t>(k)});
          if (!d.terms().empty()) sl.derivatives.emplace_back(k, std::move(d));
        }
        slots_[l].push_back(std::move(sl));
        if (!first_) first_ = l;
      }
    // Gates whose generator is one Pauli string: ⟨λ|P|ψ⟩ is one reduction, cheaper than the transition
    // matrix on two qubits (16 entries) that the other gates need.
    pauli_generator_.resize(ops.size());
    for (std::size_t l = 0; l < ops.size(); ++l) {
      if (slots_[l].empty()) continue;
      const auto& q = ops[l].qubits;
      const char axis = ops[l].kind == gate_kind::rx || ops[l].kind == gate_kind::rxx   ? 'X'
                        : ops[l].kind == gate_kind::ry || ops[l].kind == gate_kind::ryy ? 'Y'
                        : ops[l].kind == gate_kind::rz || ops[l].kind == gate_kind::rzz ? 'Z'
                                                                                        : 'I';
      if (axis == 'I') continue;
      pauli_string p;
      for (auto qubit : q) p.set(qubit, axis);
      pauli_generator_[l] = p;
    }
    // Runs of one-qubit gates on one qubit, walked backwards down to the first differentiable gate: a backend
    // with a fused adjoint step (adjoint_run_1q) undoes each run and reads its transition matrices at once.
    run_.assign(ops.size(), 0);
    if (!first_) return;
    auto one_qubit = [&](std::size_t l) {
      const gate_kind k = ops[l].kind;
      return info(k).num_qubits == 1 && k != gate_kind::measure && k != gate_kind::reset && k != gate_kind::unitary &&
             k != gate_kind::diagonal;
    };
    for (std::size_t l = ops.size(); l-- > *first_;) {
      if (!one_qubit(l)) continue;
      std::size_t len = 1;
      while (len < max_run && l - len + 1 > *first_ && one_qubit(l - len) && ops[l - len].qubits[0] == ops[l].qubits[0])
        ++len;
      run_[l] = len;
      l -= len - 1;
    }
  }

  [[nodiscard]] const circuit& source() const noexcept { return circuit_; }
  [[nodiscard]] const std::vector<pauli_sum>& observables() const noexcept { return observables_; }

  /// Checks θ and x; returns the number of variables (columns of the Jacobian).
  std::size_t check(std::span<const double> theta, std::span<const double> x, const char* where) const {
    auto finite = [&](std::span<const double> v, const char* name) {
      for (std::size_t k = 0; k < v.size(); ++k)
        if (!std::isfinite(v[k]))
          throw std::invalid_argument(std::string(where) + ": " + name + "[" + std::to_string(k) + "] is not finite");
    };
    if (theta.size() < circuit_.num_params())
      throw std::invalid_argument(std::string(where) + ": the circuit needs " + std::to_string(circuit_.num_params()) +
                                  " parameters theta, " + std::to_string(theta.size()) + " given");
    if (x.size() < circuit_.num_features())
      throw std::invalid_argument(std::string(where) + ": the circuit reads feature x[" +
                                  std::to_string(circuit_.num_features() - 1) + "] but " + std::to_string(x.size()) +
                                  " features are given");
    finite(theta, "theta");
    finite(x, "x");
    return wrt_ == variable::source::param ? theta.size() : x.size();
  }

  /// The sweep on given states (any backend): values[o] = ⟨H_o⟩ and jac[o·V + k] = ∂⟨H_o⟩/∂v_k.
  template <class State>
  void run(State& psi, std::vector<State>& lambda, std::span<const double> theta, std::span<const double> x,
           const apply_options& forward, double* values, double* jac, std::size_t num_variables) const {
    const std::size_t no = observables_.size();
    psi.set_basis_state(0);
    psi.apply(circuit_, theta, x, forward);
    for (std::size_t o = 0; o < no; ++o) {
      lambda[o].assign_product(observables_[o], psi);
      values[o] = overlap(psi, lambda[o]).real();
      for (std::size_t k = 0; k < num_variables; ++k) jac[o * num_variables + k] = 0;
    }
    if (!first_) return;
    const auto& ops = circuit_.operations();
    const auto& inv = inverse_.operations();
    std::complex<double> t[16];
    using ops_type = state_ops<typename State::backend_type, typename State::real_type>;
    constexpr bool fused = requires { ops_type::adjoint_run_max; };
    for (std::size_t l = ops.size(); l-- > *first_;) {
      if constexpr (fused) {
        if (no == 1 && run_[l] > 0 && ops_type::adjoint_run_1q_applies(psi.num_qubits(), ops[l].qubits[0])) {
          l -= fused_run<ops_type>(psi, lambda[0], l, theta, x, jac) - 1;
          continue;
        }
      }
      const operation& op = ops[l];
      if (!slots_[l].empty()) {
        const std::size_t entries = std::size_t{1} << (2 * op.qubits.size());
        for (std::size_t o = 0; o < no; ++o) {
          double* row = jac + o * num_variables;
          if (const auto& p = pauli_generator_[l]) {
            const double im = matrix_element(lambda[o], *p, psi).imag();  // Im⟨λ|G|ψ⟩, G = P
            for (const auto& [k, da] : slots_[l][0].derivatives) row[k] += da.evaluate(theta, x) * im;
            continue;
          }
          reduced_transition_matrix(lambda[o], psi, op.qubits, std::span<std::complex<double>>(t, entries));
          accumulate(l, t, theta, x, row);
        }
      }
      if (l == *first_) break;  // nothing before the first differentiable gate needs undoing
      const operation& undo = inv[ops.size() - 1 - l];
      psi.apply(undo, theta, x);
      for (std::size_t o = 0; o < no; ++o) lambda[o].apply(undo, theta, x);
    }
  }

 private:
  /// ∂⟨H⟩/∂a += Im Tr(G T) for every differentiable angle of operation l, given T = Tr_others |ψ_l⟩⟨λ_l|.
  void accumulate(std::size_t l, const std::complex<double>* t, std::span<const double> theta,
                  std::span<const double> x, double* jac) const {
    const operation& op = circuit_.operations()[l];
    double prm[3] = {0, 0, 0};
    for (std::size_t j = 0; j < op.params.size(); ++j) prm[j] = op.params[j].evaluate(theta, x);
    std::complex<double> g[16];
    for (const slot& sl : slots_[l]) {
      const unsigned d = angle_generator(op.kind, sl.index, prm, g);
      double im = 0;
      for (unsigned r = 0; r < d; ++r)
        for (unsigned k = 0; k < d; ++k) im += (g[r * d + k] * t[k * d + r]).imag();
      for (const auto& [k, da] : sl.derivatives) jac[k] += da.evaluate(theta, x) * im;
    }
  }

  /// The run of one-qubit gates that ends at operation l in one call of the backend's fused step; returns
  /// its length.
  template <class Ops, class State>
  std::size_t fused_run(State& psi, State& lambda, std::size_t l, std::span<const double> theta,
                        std::span<const double> x, double* jac) const {
    static_assert(Ops::adjoint_run_max >= max_run, "the backend's fused step takes shorter runs than the tape makes");
    const auto& ops = circuit_.operations();
    const auto& inv = inverse_.operations();
    const std::size_t len = run_[l];
    std::array<std::complex<double>, 4 * max_run> undo, t;
    std::array<bool, max_run> want{};
    for (std::size_t j = 0; j < len; ++j) {
      const operation& u = inv[ops.size() - 1 - (l - j)];
      double prm[3] = {0, 0, 0};
      for (std::size_t p = 0; p < u.params.size(); ++p) prm[p] = u.params[p].evaluate(theta, x);
      gate_matrix_into(u.kind, prm, undo.data() + 4 * j);
      want[j] = !slots_[l - j].empty();
    }
    Ops::adjoint_run_1q(psi.raw(), lambda.raw(), psi.num_qubits(), ops[l].qubits[0], undo.data(), want.data(), len,
                        t.data(), psi.threads());
    for (std::size_t j = 0; j < len; ++j)
      if (want[j]) accumulate(l - j, t.data() + 4 * j, theta, x, jac);
    return len;
  }

  static constexpr std::size_t max_run = 8;  // the longest run the fused step takes (state_ops::adjoint_run_max)

  circuit circuit_;
  circuit inverse_{1};
  std::vector<pauli_sum> observables_;
  variable::source wrt_;
  std::vector<std::vector<slot>> slots_;
  std::optional<std::size_t> first_;
  std::vector<std::size_t> run_;  // at the last operation of a run of one-qubit gates: the run's length
  std::vector<std::optional<pauli_string>> pauli_generator_;  // RX..RZ, RXX..RZZ: their generator
};

}  // namespace detail

/// Adjoint differentiation of a fixed circuit and set of observables, reusing its states from call to call
/// (the training-loop form). Not thread-safe: one object per thread.
template <class Real = double, class Backend = cpu>
class adjoint_differentiator {
 public:
  using state_type = state_vector<Real, Backend>;

  adjoint_differentiator(circuit c, std::vector<pauli_sum> observables, const adjoint_options& opt = {})
      : tape_(std::move(c), std::move(observables), opt.wrt, "hqml::adjoint_differentiator"), opt_(opt) {}

  [[nodiscard]] const circuit& source() const noexcept { return tape_.source(); }
  [[nodiscard]] const std::vector<pauli_sum>& observables() const noexcept { return tape_.observables(); }
  /// Threads of the state operations (0: the backend's default).
  void set_threads(int t) noexcept { threads_ = t; }

  /// ⟨H_o⟩ at (θ, x) and the Jacobian in θ (or x: adjoint_options::wrt), as many columns as θ (or x) has values.
  expectation_jacobian evaluate(std::span<const double> theta, std::span<const double> x = {}) {
    const std::size_t nv = tape_.check(theta, x, "hqml::adjoint_differentiator::evaluate");
    const std::size_t n = tape_.source().num_qubits(), no = tape_.observables().size();
    if (!psi_) {
      psi_.emplace(n);
      lambda_.assign(no, state_type(n));
    }
    psi_->set_threads(threads_);
    for (auto& l : lambda_) l.set_threads(threads_);
    expectation_jacobian r;
    r.values.resize(no);
    r.num_variables = nv;
    r.jacobian.resize(no * nv);
    tape_.run(*psi_, lambda_, theta, x, opt_.forward, r.values.data(), r.jacobian.data(), nv);
    return r;
  }

 private:
  detail::adjoint_tape tape_;
  adjoint_options opt_;
  int threads_ = 0;
  std::optional<state_type> psi_;
  std::vector<state_type> lambda_;
};

/// ⟨H_o⟩ and ∂⟨H_o⟩/∂θ (or ∂/∂x) of |ψ(θ, x)⟩ = U(θ, x)|0⟩ for every observable, by adjoint differentiation.
template <class Real = double, class Backend = cpu>
[[nodiscard]] expectation_jacobian adjoint_jacobian(const circuit& c, std::vector<pauli_sum> observables,
                                                    std::span<const double> theta, std::span<const double> x = {},
                                                    const adjoint_options& opt = {}) {
  adjoint_differentiator<Real, Backend> d(c, std::move(observables), opt);
  return d.evaluate(theta, x);
}

/// ⟨H⟩ and its gradient: the one-observable adjoint_jacobian.
template <class Real = double, class Backend = cpu>
[[nodiscard]] expectation_jacobian adjoint_gradient(const circuit& c, const pauli_sum& h, std::span<const double> theta,
                                                    std::span<const double> x = {}, const adjoint_options& opt = {}) {
  return adjoint_jacobian<Real, Backend>(c, std::vector<pauli_sum>{h}, theta, x, opt);
}

/// adjoint_jacobian for every row x_i of X: the variational-classifier form, where a loss over N samples needs N
/// values and gradients. On a host backend (hqml::cpu, basic_cpu<T>) threads over samples, each sample's states on
/// one thread (`threads`: 0 for OpenMP's default); on a device backend (hqml::cuda, from an nvcc unit that includes
/// <hqml/cuda.cuh>) the samples one after another, each on a state_vector<Real, Backend> that the device runs in
/// parallel, with opt.forward as given: such a backend has no thread team over samples, so `threads` above 1 is
/// refused there with std::invalid_argument.
template <class Real = double, class Backend = cpu>
[[nodiscard]] batch_expectation_jacobian adjoint_jacobian_batch(const circuit& c, std::vector<pauli_sum> observables,
                                                                std::span<const double> theta,
                                                                const Eigen::Ref<const Eigen::MatrixXd>& X,
                                                                const adjoint_options& opt = {}, int threads = 0) {
  static_assert(backend<Backend>, "adjoint_jacobian_batch: Backend must be a backend tag (backends/traits.hpp)");
  static constexpr const char* where = "hqml::adjoint_jacobian_batch";
  constexpr bool host = backend_traits<Backend>::host_accessible;
  if (!host && threads > 1)
    throw std::invalid_argument(std::string(where) + ": threads = " + std::to_string(threads) + ": the " +
                                Backend::name +
                                " backend runs the samples one after another, each state in parallel on the "
                                "device; pass 0 or 1");
  const detail::adjoint_tape tape(c, std::move(observables), opt.wrt, where);
  detail::check_batch_inputs(c, X.cols(), theta, where);
  const auto rows = X.rows();
  const auto d = static_cast<std::size_t>(X.cols());
  std::vector<double> row(d);
  for (Eigen::Index i = 0; i < rows; ++i) {  // every input checked before the threads start
    for (std::size_t j = 0; j < d; ++j) row[j] = X(i, static_cast<Eigen::Index>(j));
    try {
      tape.check(theta, row, where);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string(e.what()) + " (row " + std::to_string(i) + " of X)");
    }
  }
  const std::size_t no = tape.observables().size();
  const std::size_t nv = opt.wrt == variable::source::param ? theta.size() : d;
  batch_expectation_jacobian r;
  r.values.resize(rows, static_cast<Eigen::Index>(no));
  r.jacobian.assign(no, Eigen::MatrixXd(rows, static_cast<Eigen::Index>(nv)));
  const std::size_t n = c.num_qubits();
  auto store = [&](std::ptrdiff_t i, const std::vector<double>& values, const std::vector<double>& jac) {
    for (std::size_t o = 0; o < no; ++o) {
      r.values(i, static_cast<Eigen::Index>(o)) = values[o];
      for (std::size_t k = 0; k < nv; ++k) r.jacobian[o](i, static_cast<Eigen::Index>(k)) = jac[o * nv + k];
    }
  };
  if constexpr (host) {
    apply_options forward = opt.forward;
    forward.fusion = false;  // per-sample states are small; fusing per sample costs more than it saves
    using state = state_vector<Real, basic_cpu<sequential_threads>>;
    struct thread_state {
      state psi;
      std::vector<state> lambda;
      std::vector<double> x, values, jac;
    };
    cpu_detail::for_each_with_state(
        rows, threads, true, 4,
        [&] {
          thread_state t{state(n), {}, std::vector<double>(d), std::vector<double>(no), std::vector<double>(no * nv)};
          t.lambda.assign(no, t.psi);
          return t;
        },
        [&](thread_state& t, std::ptrdiff_t i) {
          for (std::size_t j = 0; j < d; ++j) t.x[j] = X(i, static_cast<Eigen::Index>(j));
          tape.run(t.psi, t.lambda, theta, t.x, forward, t.values.data(), t.jac.data(), nv);
          store(i, t.values, t.jac);
        });
  } else {
    // One set of device states, reused sample after sample: the device parallelizes inside each state.
    using state = state_vector<Real, Backend>;
    state psi(n);
    std::vector<state> lambda(no, psi);
    std::vector<double> x(d), values(no), jac(no * nv);
    for (Eigen::Index i = 0; i < rows; ++i) {
      for (std::size_t j = 0; j < d; ++j) x[j] = X(i, static_cast<Eigen::Index>(j));
      tape.run(psi, lambda, theta, x, opt.forward, values.data(), jac.data(), nv);
      store(i, values, jac);
    }
  }
  return r;
}

}  // namespace hqml
