#pragma once
// Batched simulation: one circuit structure bound to many samples (rows of X) in one pass, threads over
// samples, each sample's small state simulated by one thread without allocating per gate. Circuits that fold
// (feature maps) run as the GPU's batch program (<hqml/batch_compile.hpp>), compiled once per batch.

#include <hqml/backends/cpu.hpp>
#include <hqml/backends/cuda.hpp>
#include <hqml/batch_compile.hpp>
#include <hqml/circuit.hpp>
#include <hqml/detail/cuda_kernel_entry.hpp>
#include <hqml/feature_matrix.hpp>
#include <hqml/kernels/batch_program.hpp>
#include <hqml/rng.hpp>
#include <hqml/state_vector.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
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

/// How for_each_sample_state simulates a sample.
enum class sample_simulation {
  automatic,      // the batch program where it measured faster (use_batch_program), the gate walk elsewhere
  gate_walk,      // the circuit's operations one by one through the state vector's gate kernels
  batch_program,  // the circuit compiled once (<hqml/batch_compile.hpp>, the GPU's program); it must compile
};

/// Whether lowering c to a batch program saves passes over the state: a leading constant gate (applied once at
/// compile time, up to kernels::batch_fold_max_qubits), two diagonal gates in a row (one step) or CX·D·CX with D
/// diagonal (one diagonal). Without any, the program applies the circuit's gates one by one through the same
/// kernels as the gate walk, at a little more cost per gate.
[[nodiscard]] inline bool batch_program_folds(const circuit& c) {
  std::vector<const operation*> ops;
  for (const operation& op : c.operations())
    if (op.kind != gate_kind::barrier && op.kind != gate_kind::i) ops.push_back(&op);
  if (ops.empty()) return false;
  if (!ops.front()->is_parameterized() && c.num_qubits() <= kernels::batch_fold_max_qubits) return true;
  auto diagonal = [](const operation* op) { return info(op->kind).cls == gate_class::diagonal; };
  for (std::size_t j = 0; j + 1 < ops.size(); ++j) {
    if (diagonal(ops[j]) && diagonal(ops[j + 1])) return true;
    if (j + 2 < ops.size() && ops[j]->kind == gate_kind::cx && diagonal(ops[j + 1]) &&
        ops[j + 2]->kind == gate_kind::cx && ops[j]->qubits == ops[j + 2]->qubits)
      return true;
  }
  return false;
}

/// Whether for_each_sample_state's automatic choice runs c on `rows` samples as a batch program: where it
/// folds (batch_program_folds) and the batch repays compiling it. Measured on a 2-core AMD EPYC (AVX2), both
/// paths in one binary, one thread, time per sample of the program over the gate walk's, 2 to 16 qubits
/// (double): Qiskit's ZZ map, reps 2, linear 0.42-0.53 but 0.82 at 6 qubits (float 0.42-0.71; 0.32-0.38 at
/// 18-20 qubits), full 0.23-0.55 but 0.70 at 6 (0.12-0.18 at 18-20); the IQP map 0.15-0.72; Pauli map Z, YY, ZZZ
/// circular 0.51-0.91; RY(θ) layer + ZZ map + RealAmplitudes 0.76-0.95. The angle ladder map (RY, H, CX: nothing folds)
/// ran at 0.84-1.04, above 1 from 10 qubits, so it stays on the walk. bench_kernel (benchmarks/ab.sh, ZZ linear, one
/// thread): states/{4,8,12}/{1000,4000} 0.53-0.76, kernel/{4,8,12}/{100,200,1000} 0.53-0.89. Compiling and planning
/// takes 8 µs (2 qubits) to 130 µs (12 qubits, linear), some samples' worth: the program overtook the walk
/// from about 25 rows at 2-6 qubits, 8 at 8, 2-3 at 10-12, hence at least 64 rows or 2^13 amplitudes in all.
[[nodiscard]] inline bool use_batch_program(const circuit& c, Eigen::Index rows) {
  const bool repaid = rows >= 64 || double(rows) * double(std::size_t{1} << c.num_qubits()) >= 8192.0;
  return repaid && batch_compilable(c) && batch_program_folds(c);
}

/// Runs a batch program for one sample on the CPU state a (2^n amplitudes, one worker): from `initial` (the
/// program's start state in Real; null: |0⟩), each step's matrices evaluated into `scratch`
/// (2·kernels::batch_step_entries Reals), single ops applied by the gate functors through the CPU backend's
/// driver (the state vector's own kernels, AVX2 among them) and runs of diagonals by
/// kernels::batch_diagonal_step_host.
template <class Real>
void run_batch_program_cpu(const kernels::batch_program_ref& p, const kernels::batch_host_plan& plan, unsigned n,
                           const Real* initial, const double* x, const double* theta, std::complex<Real>* state,
                           Real* scratch) {
  using ops = state_ops<basic_cpu<sequential_threads>, Real>;
  using kernels::index_t;
  Real* a = reinterpret_cast<Real*>(state);  // std::complex arrays may be read as (re, im) pairs
  const index_t reals = index_t{2} << n;
  // A first step of diagonals reads the start state itself (feature maps: the folded H layer, then P(x)).
  const bool read_initial =
      initial != nullptr && p.num_steps > 0 && p.ops[p.steps[0].op_begin].kind == kernels::batch_op_kind::diagonal;
  if (initial == nullptr) {
    std::fill(a, a + reals, Real(0));
    a[0] = Real(1);
  } else if (!read_initial) {
    std::copy(initial, initial + reals, a);
  }
  for (std::uint32_t s = 0; s < p.num_steps; ++s) {
    const kernels::batch_step st = p.steps[s];
    kernels::batch_step_matrices(p, st, x, theta, scratch, 0u, 1u);
    const kernels::batch_op op = p.ops[st.op_begin];
    const Real* m = scratch + 2 * op.mat;
    if (op.kind == kernels::batch_op_kind::diagonal) {
      kernels::batch_diagonal_step_host(p, plan.steps[s], plan.low_qubits, scratch,
                                        s == 0 && read_initial ? initial : a, a, n);
      continue;
    }
    // The functor's bases have zeros at the gate's qubits (and a controlled gate's controls), ascending.
    unsigned fixed[3];
    unsigned k = 0;
    for (unsigned j = 0; j < op.k; ++j) fixed[k++] = op.qubits[j];
    for (index_t c = op.control; c != 0; c &= c - 1) fixed[k++] = static_cast<unsigned>(std::countr_zero(c));
    std::sort(fixed, fixed + k);
    if (op.kind == kernels::batch_op_kind::controlled_1q) {
      const index_t target = index_t{1} << op.qubits[0];
      if (op.slot < 0 && m[0] == 0 && m[1] == 0 && m[2] == 1 && m[3] == 0 && m[4] == 1 && m[5] == 0 && m[6] == 0 &&
          m[7] == 0) {
        // X, CX, CCX: the state vector's swap, which moves amplitudes instead of multiplying them.
        ops::run(n, {fixed, k}, 1, kernels::swap_kernel<Real>{op.control, op.control | target}, state);
        continue;
      }
      const kernels::dense1_kernel<Real> f{{m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]}, target, op.control};
      ops::run(n, {fixed, k}, 1, f, state);
      continue;
    }
    auto dense = [&]<unsigned K>() {
      constexpr unsigned dim = 1u << K;
      kernels::dense_kernel<Real, K> f{};
      for (unsigned r = 0; r < dim; ++r)
        for (unsigned c = 0; c < dim; ++c) {
          f.mre[c * dim + r] = m[2 * (r * dim + c)];
          f.mim[c * dim + r] = m[2 * (r * dim + c) + 1];
        }
      for (unsigned l = 0; l < dim; ++l) {
        index_t o = 0;
        for (unsigned j = 0; j < K; ++j) o |= index_t((l >> j) & 1u) << op.qubits[j];
        f.offsets[l] = o;
      }
      ops::run(n, {fixed, k}, 1, f, state);
    };
    if (op.k == 2)
      dense.template operator()<2>();
    else
      dense.template operator()<3>();  // the compiler lowers one-qubit matrices to controlled_1q
  }
}

/// Runs `per_sample(i, state)` after simulating the circuit on row i of X, threads over samples.
template <class Real, class F>
void for_each_sample_state(const circuit& c, const Eigen::Ref<const Eigen::MatrixXd>& X, std::span<const double> theta,
                           int threads, const F& per_sample, sample_simulation how = sample_simulation::automatic) {
  using state_type = state_vector<Real, basic_cpu<sequential_threads>>;
  const auto n = static_cast<Eigen::Index>(X.rows());
  const auto& ops = c.operations();
  const std::size_t d = static_cast<std::size_t>(X.cols());
  auto read_row = [&](std::vector<double>& x, Eigen::Index i) {
    for (std::size_t j = 0; j < d; ++j) x[j] = X(i, static_cast<Eigen::Index>(j));
  };
  // A small batch (about 0.1 ms of gate work) runs on the calling thread: starting a team costs more, and much
  // more when another process holds the other cores.
  const double work = double(n) * double(std::size_t{1} << c.num_qubits()) * double(ops.size() + 1);
  const bool parallel = work >= 65536.0;
  if (how == sample_simulation::batch_program || (how == sample_simulation::automatic && use_batch_program(c, n))) {
    // The GPU's folded program, run on each thread's state vector through its raw amplitudes, so per_sample
    // queries a state_vector as on the gate walk.
    const kernels::batch_program prog = compile_batch_program(c);
    const kernels::batch_program_ref ref = prog.ref();
    const kernels::batch_host_plan plan = kernels::make_batch_host_plan(prog);
    const std::vector<Real> initial(prog.initial.begin(), prog.initial.end());
    const Real* start = initial.empty() ? nullptr : initial.data();
    struct thread_state {
      state_type sv;
      std::vector<double> x;
      std::vector<Real> scratch;
    };
    cpu_detail::for_each_with_state(
        n, threads, parallel, 16,
        [&] {
          return thread_state{state_type(c.num_qubits()), std::vector<double>(d),
                              std::vector<Real>(2 * kernels::batch_step_entries)};
        },
        [&](thread_state& t, std::ptrdiff_t i) {
          read_row(t.x, static_cast<Eigen::Index>(i));
          run_batch_program_cpu(ref, plan, prog.num_qubits, start, t.x.data(), theta.data(), t.sv.raw(),
                                t.scratch.data());
          per_sample(static_cast<Eigen::Index>(i), t.sv);
        });
    return;
  }
  auto body = [&](state_type& sv, std::vector<double>& x, Eigen::Index i) {
    read_row(x, i);
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
  struct thread_state {
    state_type sv;
    std::vector<double> x;
  };
  cpu_detail::for_each_with_state(
      n, threads, parallel, 16,
      [&] {
        return thread_state{state_type(c.num_qubits()), std::vector<double>(d)};
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
