#pragma once
// Batched simulation: one circuit structure bound to many samples (rows of X) in one pass, threads over
// samples, each sample's small state simulated by one thread without allocating per gate.

#include <hqml/backends/cpu.hpp>
#include <hqml/backends/cuda.hpp>
#include <hqml/circuit.hpp>
#include <hqml/detail/cuda_kernel_entry.hpp>
#include <hqml/feature_matrix.hpp>
#include <hqml/rng.hpp>
#include <hqml/state_vector.hpp>

#include <Eigen/Core>

#include <array>
#include <atomic>
#include <complex>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace hqml {

template <class Real>
using state_matrix = Eigen::Matrix<std::complex<Real>, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace detail {

inline void check_batch_inputs(const circuit& c, Eigen::Index features, std::span<const double> theta,
                               const char* where) {
  if (!c.is_unitary())
    throw std::invalid_argument(std::string(where) +
                                ": the circuit measures or resets; batched states need a unitary circuit");
  if (c.num_features() > static_cast<std::size_t>(features))
    throw std::invalid_argument(std::string(where) + ": the circuit reads feature x[" +
                                std::to_string(c.num_features() - 1) + "] but the data has " +
                                std::to_string(features) + " columns");
  if (c.num_params() > theta.size())
    throw std::invalid_argument(std::string(where) + ": the circuit needs " + std::to_string(c.num_params()) +
                                " parameters theta, " + std::to_string(theta.size()) + " given");
  if (c.num_qubits() > 30)
    throw std::invalid_argument(std::string(where) + ": " + std::to_string(c.num_qubits()) +
                                " qubits is too many for per-sample states");
}

/// Runs `per_sample(i, state)` after simulating the circuit on row i of X, threads over samples.
template <class Real, class F>
void for_each_sample_state(const circuit& c, const Eigen::Ref<const Eigen::MatrixXd>& X, std::span<const double> theta,
                           int threads, const F& per_sample) {
  const auto n = static_cast<Eigen::Index>(X.rows());
  const auto& ops = c.operations();
  const std::size_t d = static_cast<std::size_t>(X.cols());
  auto body = [&](state_vector<Real, basic_cpu<sequential_threads>>& sv, std::vector<double>& x, Eigen::Index i) {
    for (std::size_t j = 0; j < d; ++j) x[j] = X(i, static_cast<Eigen::Index>(j));
    sv.set_basis_state(0);
    for (const operation& op : ops) {
      if (op.kind == gate_kind::unitary || op.kind == gate_kind::diagonal) {
        sv.apply(op);
        continue;
      }
      double prm[3] = {0, 0, 0};
      for (std::size_t k = 0; k < op.params.size(); ++k) prm[k] = op.params[k].evaluate(theta, x);
      sv.apply_gate(op.kind, op.qubits, prm);
    }
    per_sample(i, sv);
  };
  // A small batch (about 0.1 ms of gate work) runs on the calling thread: starting a team costs more, and much
  // more when another process holds the other cores.
  const double work = double(n) * double(std::size_t{1} << c.num_qubits()) * double(ops.size() + 1);
  struct thread_state {
    state_vector<Real, basic_cpu<sequential_threads>> sv;
    std::vector<double> x;
  };
  cpu_detail::for_each_with_state(
      n, threads, work >= 65536.0, 16,
      [&] {
        return thread_state{decltype(thread_state::sv)(c.num_qubits()), std::vector<double>(d)};
      },
      [&](thread_state& t, std::ptrdiff_t i) { body(t.sv, t.x, static_cast<Eigen::Index>(i)); });
}

}  // namespace detail

namespace detail {

/// The strided view of an Eigen matrix that the compiled backends take (no copy).
[[nodiscard]] inline feature_matrix features_of(const Eigen::Ref<const Eigen::MatrixXd>& x) {
  return {x.data(), static_cast<std::size_t>(x.rows()), static_cast<std::size_t>(x.cols()),
          static_cast<std::size_t>(x.innerStride()), static_cast<std::size_t>(x.outerStride())};
}

}  // namespace detail

/// States |ψ(x_i, θ)⟩ for every row x_i of X, as the rows of an N × 2^n host matrix, computed on Backend:
/// hqml::cpu (threads over samples), or hqml::cuda (one launch for the batch; `threads` does not apply) from a
/// unit that links hqml::cuda or includes <hqml/cuda/quantum_kernel.cuh> under nvcc.
template <class Real = double, class Backend = cpu>
[[nodiscard]] state_matrix<Real> batched_states(const circuit& c, const Eigen::Ref<const Eigen::MatrixXd>& X,
                                                std::span<const double> theta = {}, int threads = 0) {
  static_assert(std::is_same_v<Real, float> || std::is_same_v<Real, double>, "batched_states: float or double");
  detail::check_batch_inputs(c, X.cols(), theta, "hqml::batched_states");
  state_matrix<Real> psi(X.rows(), Eigen::Index{1} << c.num_qubits());
  if constexpr (std::is_same_v<Backend, cuda>) {
    if (X.rows() > 0) detail::cuda_batched_states<Real>::run(c, detail::features_of(X), theta, psi.data());
  } else {
    static_assert(std::is_same_v<Backend, cpu>, "batched_states: the backend is hqml::cpu or hqml::cuda");
    detail::for_each_sample_state<Real>(c, X, theta, threads, [&](Eigen::Index i, const auto& sv) {
      const auto amps = sv.data();
      for (std::size_t k = 0; k < amps.size(); ++k) psi(i, static_cast<Eigen::Index>(k)) = amps[k];
    });
  }
  return psi;
}

/// Per-qubit Bloch vectors (⟨X_q⟩, ⟨Y_q⟩, ⟨Z_q⟩) for every sample: an N × 3n matrix, columns 3q, 3q+1, 3q+2.
template <class Real = double>
[[nodiscard]] Eigen::MatrixXd batched_bloch_vectors(const circuit& c, const Eigen::Ref<const Eigen::MatrixXd>& X,
                                                    std::span<const double> theta = {}, int threads = 0) {
  detail::check_batch_inputs(c, X.cols(), theta, "hqml::batched_bloch_vectors");
  const auto nq = static_cast<Eigen::Index>(c.num_qubits());
  Eigen::MatrixXd out(X.rows(), 3 * nq);
  detail::for_each_sample_state<Real>(c, X, theta, threads, [&](Eigen::Index i, const auto& sv) {
    for (Eigen::Index q = 0; q < nq; ++q) {
      const auto rho = sv.reduced_density_matrix(static_cast<std::uint32_t>(q));
      out(i, 3 * q) = 2 * rho[1].real();
      out(i, 3 * q + 1) = -2 * rho[1].imag();
      out(i, 3 * q + 2) = (rho[0] - rho[3]).real();
    }
  });
  return out;
}

/// Per-qubit probabilities P(qubit q reads 1) for every sample: N × n (exact quantum features).
template <class Real = double>
[[nodiscard]] Eigen::MatrixXd batched_qubit_probabilities(const circuit& c, const Eigen::Ref<const Eigen::MatrixXd>& X,
                                                          std::span<const double> theta = {}, int threads = 0) {
  detail::check_batch_inputs(c, X.cols(), theta, "hqml::batched_qubit_probabilities");
  const auto nq = static_cast<Eigen::Index>(c.num_qubits());
  Eigen::MatrixXd out(X.rows(), nq);
  detail::for_each_sample_state<Real>(c, X, theta, threads, [&](Eigen::Index i, const auto& sv) {
    for (Eigen::Index q = 0; q < nq; ++q) out(i, q) = sv.probability_one(static_cast<std::uint32_t>(q));
  });
  return out;
}

/// Shot-sampled per-qubit measurements: for each sample, the mean of `shots` 0/1 outcomes per qubit (one shot:
/// the bits themselves). Seeded per sample, so results do not depend on the thread count.
template <class Real = double>
[[nodiscard]] Eigen::MatrixXd batched_measurements(const circuit& c, const Eigen::Ref<const Eigen::MatrixXd>& X,
                                                   std::size_t shots, std::uint64_t seed,
                                                   std::span<const double> theta = {}, int threads = 0) {
  detail::check_batch_inputs(c, X.cols(), theta, "hqml::batched_measurements");
  if (shots == 0) throw std::invalid_argument("hqml::batched_measurements: shots must be at least 1");
  const auto nq = static_cast<Eigen::Index>(c.num_qubits());
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(X.rows(), nq);
  detail::for_each_sample_state<Real>(c, X, theta, threads, [&](Eigen::Index i, const auto& sv) {
    xoshiro256 g(seed, static_cast<std::uint64_t>(i));
    for (auto outcome : sv.sample(shots, g()))
      for (Eigen::Index q = 0; q < nq; ++q) out(i, q) += double((outcome >> q) & 1u);
    out.row(i) /= double(shots);
  });
  return out;
}

}  // namespace hqml
