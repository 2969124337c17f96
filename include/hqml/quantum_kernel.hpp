#pragma once
// Kernel matrices: the fidelity kernel K_ij = |⟨ψ(x_i)|ψ(x_j)⟩|² from one batched pass over the samples
// plus one tiled matrix product, the projected quantum kernel (Huang et al. 2021), and classical
// baselines. Tiles keep memory bounded; a streaming variant writes N × M kernels to .npy row block by block.

#include <hqml/backends/cpu.hpp>
#include <hqml/backends/cuda.hpp>
#include <hqml/batched.hpp>
#include <hqml/circuit.hpp>
#include <hqml/detail/cuda_kernel_entry.hpp>
#include <hqml/feature_matrix.hpp>
#include <hqml/io/npy.hpp>
#include <hqml/rng.hpp>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <filesystem>
#include <future>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace hqml {

struct kernel_options {
  int threads = 0;  // CPU threads; 0: all
  /// Rows and columns of one Gram tile; 0: the backend's default (256 on the CPU; on a GPU as large as fits in a
  /// quarter of free device memory, at most 8192).
  Eigen::Index tile = 0;
};

namespace detail {

inline constexpr Eigen::Index cpu_default_tile = 256;

inline void check_tile(Eigen::Index tile) {
  if (tile < 0) throw std::invalid_argument("hqml: kernel tile size must be positive (or 0: the backend's default)");
}

/// Rows [a0, a0 + na) of `a` against all rows of `b`: calls store(r, c, nr, nc, tile) for each tile of
/// |⟨a_i|b_j⟩|² (r, c relative to a0 and to b's first row), in parallel over tiles. With `upper_only` (a and b the
/// same states, a0 = 0), only tiles with c ≥ r are visited, and in the diagonal tiles only j ≥ i is meaningful.
///
/// One real matrix product per tile instead of a complex one: a row of states read as reals is r_i = (Re a_i0,
/// Im a_i0, Re a_i1, ...), and s_i = (−Im a_i0, Re a_i0, ...) is the same row with each pair rotated, so
/// Re⟨a_i|b_j⟩ = r_i·r_j and Im⟨a_i|b_j⟩ = s_i·r_j. Stacking the tile's r rows over its s rows gives both parts in
/// one real GEMM (2·nr × 2D times 2D × nc), which Eigen runs close to its real peak and about twice as fast as its
/// complex product of the same flops; the states are read in place, and the stacked rows are built once per
/// row tile and per thread, not per tile.
template <class Real, class Store>
void gram_tiles(const state_matrix<Real>& a, Eigen::Index a0, Eigen::Index na, const state_matrix<Real>& b,
                bool upper_only, const kernel_options& opt, const Store& store) {
  using real_rows = Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using real_map = Eigen::Map<const real_rows>;
  using real_cols = Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic>;
  check_tile(opt.tile);
  const Eigen::Index tile = opt.tile == 0 ? cpu_default_tile : opt.tile, nb = b.rows(), d2 = 2 * a.cols();
  // std::complex<Real> arrays may be read as arrays of (re, im) pairs ([complex.numbers]).
  const real_map ra(reinterpret_cast<const Real*>(a.data()), a.rows(), d2);
  const real_map rb(reinterpret_cast<const Real*>(b.data()), b.rows(), d2);
  const Eigen::Index ti = (na + tile - 1) / tile, tj = (nb + tile - 1) / tile;
  std::vector<std::pair<Eigen::Index, Eigen::Index>> tiles;
  for (Eigen::Index i = 0; i < ti; ++i)
    for (Eigen::Index j = upper_only ? i : 0; j < tj; ++j) tiles.emplace_back(i, j);
  const auto count = static_cast<long>(tiles.size());
  const int nt = cpu_detail::resolve_threads(opt.threads);
  (void)nt;
#if defined(_OPENMP)
#pragma omp parallel num_threads(nt) if (count > 1 && nt > 1)
#endif
  {
    real_rows lhs;  // the current row tile: its r rows, then its s rows
    real_cols prod;
    Eigen::Index lhs_tile = -1;
#if defined(_OPENMP)
    // Eigen parallelizes a product by itself unless it runs in a team of several threads; with one thread
    // requested (an inactive region) it would start its own team. This sets only this region's thread count.
    omp_set_num_threads(1);
#pragma omp for schedule(dynamic, 1)
#endif
    for (long t = 0; t < count; ++t) {
      const auto [i, j] = tiles[static_cast<std::size_t>(t)];
      const Eigen::Index r0 = i * tile, c0 = j * tile, nr = std::min(tile, na - r0), nc = std::min(tile, nb - c0);
      if (i != lhs_tile) {
        lhs.resize(2 * nr, d2);
        lhs.topRows(nr) = ra.middleRows(a0 + r0, nr);
        for (Eigen::Index r = 0; r < nr; ++r) {
          const Real* src = ra.data() + (a0 + r0 + r) * d2;
          Real* dst = &lhs(nr + r, 0);
          for (Eigen::Index k = 0; k < d2; k += 2) {
            dst[k] = -src[k + 1];
            dst[k + 1] = src[k];
          }
        }
        lhs_tile = i;
      }
      prod.noalias() = lhs * rb.middleRows(c0, nc).transpose();
      store(r0, c0, nr, nc, (prod.topRows(nr).array().square() + prod.bottomRows(nr).array().square()).matrix());
    }
  }
}

template <class Real>
void check_same_dimension(const state_matrix<Real>& a, const state_matrix<Real>& b) {
  if (a.cols() != b.cols())
    throw std::invalid_argument("hqml::fidelity_kernel: states of dimension " + std::to_string(a.cols()) + " and " +
                                std::to_string(b.cols()));
}

}  // namespace detail

/// K_ij = |⟨a_i|b_j⟩|² for the rows of two state matrices.
template <class Real>
[[nodiscard]] Eigen::MatrixXd fidelity_kernel(const state_matrix<Real>& a, const state_matrix<Real>& b,
                                              const kernel_options& opt = {}) {
  detail::check_same_dimension(a, b);
  Eigen::MatrixXd k(a.rows(), b.rows());
  detail::gram_tiles<Real>(a, 0, a.rows(), b, false, opt,
                           [&](Eigen::Index r0, Eigen::Index c0, Eigen::Index nr, Eigen::Index nc, const auto& t) {
                             k.block(r0, c0, nr, nc) = t.template cast<double>();
                           });
  return k;
}

/// The symmetric train × train kernel: upper-triangle tiles only, each also written to its mirror tile, so the
/// result is exactly symmetric; the diagonal is |⟨a_i|a_i⟩|².
template <class Real>
[[nodiscard]] Eigen::MatrixXd fidelity_kernel(const state_matrix<Real>& a, const kernel_options& opt = {}) {
  Eigen::MatrixXd k(a.rows(), a.rows());
  detail::gram_tiles<Real>(a, 0, a.rows(), a, true, opt,
                           [&](Eigen::Index r0, Eigen::Index c0, Eigen::Index nr, Eigen::Index nc, const auto& t) {
                             if (r0 != c0) {
                               k.block(r0, c0, nr, nc) = t.template cast<double>();
                               k.block(c0, r0, nc, nr) = t.transpose().template cast<double>();
                               return;
                             }
                             for (Eigen::Index c = 0; c < nc; ++c)
                               for (Eigen::Index r = 0; r <= c; ++r) k(r0 + r, c0 + c) = k(c0 + c, r0 + r) = double(t(r, c));
                           });
  return k;
}

namespace detail {

/// K(x, y) (y null: the symmetric K(x, x)) on Backend: written once for every caller, each backend's states and
/// Gram tiles where it keeps them.
template <class Real, class Backend>
[[nodiscard]] Eigen::MatrixXd fidelity_kernel_on(const circuit& feature_map, const Eigen::Ref<const Eigen::MatrixXd>& x,
                                                 const Eigen::Ref<const Eigen::MatrixXd>* y,
                                                 std::span<const double> theta, const kernel_options& opt) {
  static_assert(std::is_same_v<Real, float> || std::is_same_v<Real, double>, "fidelity_kernel: float or double");
  check_tile(opt.tile);
  if constexpr (std::is_same_v<Backend, cuda>) {
    // Host code reaches the GPU through the compiled entry point (hqml::cuda, or <hqml/cuda/quantum_kernel.cuh>).
    Eigen::MatrixXd k(x.rows(), y ? y->rows() : x.rows());
    const feature_matrix fx = features_of(x);
    const feature_matrix fy = y ? features_of(*y) : feature_matrix{};
    cuda_fidelity_kernel<Real>::run(feature_map, fx, y ? &fy : nullptr, theta, static_cast<std::size_t>(opt.tile),
                                    k.data(), static_cast<std::size_t>(std::max<Eigen::Index>(k.rows(), 1)));
    return k;
  } else {
    static_assert(std::is_same_v<Backend, cpu>, "fidelity_kernel: the backend is hqml::cpu or hqml::cuda");
    const auto sx = batched_states<Real>(feature_map, x, theta, opt.threads);
    if (!y) return fidelity_kernel<Real>(sx, opt);
    return fidelity_kernel<Real>(sx, batched_states<Real>(feature_map, *y, theta, opt.threads), opt);
  }
}

}  // namespace detail

/// Fidelity kernel of a feature map on the rows of X (train × train, symmetric), computed on Backend: hqml::cpu,
/// or hqml::cuda from a unit that links hqml::cuda (or includes <hqml/cuda/quantum_kernel.cuh> under nvcc).
template <class Real = double, class Backend = cpu>
[[nodiscard]] Eigen::MatrixXd fidelity_kernel(const circuit& feature_map, const Eigen::Ref<const Eigen::MatrixXd>& x,
                                              std::span<const double> theta = {}, const kernel_options& opt = {}) {
  return detail::fidelity_kernel_on<Real, Backend>(feature_map, x, nullptr, theta, opt);
}

/// Fidelity kernel between the rows of X (e.g. test samples) and the rows of Y (training samples), on Backend.
template <class Real = double, class Backend = cpu>
[[nodiscard]] Eigen::MatrixXd fidelity_kernel(const circuit& feature_map, const Eigen::Ref<const Eigen::MatrixXd>& x,
                                              const Eigen::Ref<const Eigen::MatrixXd>& y,
                                              std::span<const double> theta = {}, const kernel_options& opt = {}) {
  return detail::fidelity_kernel_on<Real, Backend>(feature_map, x, &y, theta, opt);
}

/// Streams the fidelity kernel rows(X) × rows(Y) (Y = X when `y` is empty) to a float64 .npy file one row block
/// at a time: memory holds the states and two blocks of `block_rows` rows, one being written to the file while
/// the next is computed. The file appears atomically.
template <class Real = double>
void fidelity_kernel_to_npy(const circuit& feature_map, const Eigen::Ref<const Eigen::MatrixXd>& x,
                            const Eigen::MatrixXd* y, const std::filesystem::path& out,
                            std::span<const double> theta = {}, const kernel_options& opt = {},
                            Eigen::Index block_rows = 1024) {
  using block_t = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  if (block_rows < 1) throw std::invalid_argument("hqml::fidelity_kernel_to_npy: block_rows must be at least 1");
  detail::check_tile(opt.tile);
  const auto sx = batched_states<Real>(feature_map, x, theta, opt.threads);
  const state_matrix<Real> sy_own = y ? batched_states<Real>(feature_map, *y, theta, opt.threads) : state_matrix<Real>();
  const state_matrix<Real>& sy = y ? sy_own : sx;
  io::npy_stream_writer<double> w(out, static_cast<std::size_t>(sx.rows()), static_cast<std::size_t>(sy.rows()));
  std::array<block_t, 2> blocks;
  std::future<void> writing;
  for (Eigen::Index r0 = 0, b = 0; r0 < sx.rows(); r0 += block_rows, b ^= 1) {
    const Eigen::Index nr = std::min(block_rows, sx.rows() - r0);
    block_t& block = blocks[static_cast<std::size_t>(b)];
    block.resize(nr, sy.rows());
    detail::gram_tiles<Real>(sx, r0, nr, sy, false, opt,
                             [&](Eigen::Index r, Eigen::Index c, Eigen::Index tr, Eigen::Index tc, const auto& t) {
                               block.block(r, c, tr, tc) = t.template cast<double>();
                             });
    if (writing.valid()) writing.get();
    writing = std::async(std::launch::async, [&w, &block, nr] { w.append_rows(block.data(), static_cast<std::size_t>(nr)); });
  }
  if (writing.valid()) writing.get();
  w.finalize();
}

/// Projected quantum kernel (Huang et al., Nat. Commun. 12:2631, 2021):
/// k(x, x') = exp(−γ Σ_q ‖ρ_q(x) − ρ_q(x')‖_F²) = exp(−(γ/2) ‖r(x) − r(x')‖²), r the per-qubit Bloch vectors.
[[nodiscard]] inline Eigen::MatrixXd projected_kernel(const Eigen::MatrixXd& bloch_a, const Eigen::MatrixXd& bloch_b,
                                                      double gamma) {
  if (bloch_a.cols() != bloch_b.cols())
    throw std::invalid_argument("hqml::projected_kernel: Bloch vectors of different lengths");
  if (!(gamma > 0)) throw std::invalid_argument("hqml::projected_kernel: gamma must be positive");
  const Eigen::VectorXd na = bloch_a.rowwise().squaredNorm(), nb = bloch_b.rowwise().squaredNorm();
  Eigen::MatrixXd d2 = (-2.0 * bloch_a * bloch_b.transpose()).colwise() + na;
  d2.rowwise() += nb.transpose();
  return (-0.5 * gamma * d2.cwiseMax(0.0)).array().exp().matrix();
}

/// Projected quantum kernel of a feature map on the rows of X and Y.
template <class Real = double>
[[nodiscard]] Eigen::MatrixXd projected_kernel(const circuit& feature_map, const Eigen::Ref<const Eigen::MatrixXd>& x,
                                               const Eigen::Ref<const Eigen::MatrixXd>& y, double gamma,
                                               std::span<const double> theta = {}, int threads = 0) {
  return projected_kernel(batched_bloch_vectors<Real>(feature_map, x, theta, threads),
                          batched_bloch_vectors<Real>(feature_map, y, theta, threads), gamma);
}

/// Classical RBF kernel exp(−γ ‖x − y‖²).
[[nodiscard]] inline Eigen::MatrixXd rbf_kernel(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, double gamma) {
  if (x.cols() != y.cols()) throw std::invalid_argument("hqml::rbf_kernel: inputs have different feature counts");
  if (!(gamma > 0)) throw std::invalid_argument("hqml::rbf_kernel: gamma must be positive");
  const Eigen::VectorXd nx = x.rowwise().squaredNorm(), ny = y.rowwise().squaredNorm();
  Eigen::MatrixXd d2 = (-2.0 * x * y.transpose()).colwise() + nx;
  d2.rowwise() += ny.transpose();
  return (-gamma * d2.cwiseMax(0.0)).array().exp().matrix();
}

/// Linear kernel x·y.
[[nodiscard]] inline Eigen::MatrixXd linear_kernel(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y) {
  if (x.cols() != y.cols()) throw std::invalid_argument("hqml::linear_kernel: inputs have different feature counts");
  return x * y.transpose();
}

/// Polynomial kernel (γ x·y + c0)^degree.
[[nodiscard]] inline Eigen::MatrixXd polynomial_kernel(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, double gamma,
                                                       double coef0, int degree) {
  if (degree < 1) throw std::invalid_argument("hqml::polynomial_kernel: degree must be at least 1");
  return (gamma * linear_kernel(x, y)).array().unaryExpr([&](double v) { return std::pow(v + coef0, degree); }).matrix();
}

/// Emulates finite-shot estimation of a fidelity kernel: each off-diagonal entry becomes Binomial(shots, K_ij)/shots,
/// seeded per entry (same result for any thread count); symmetric input stays symmetric with a unit diagonal.
inline void add_shot_noise(Eigen::MatrixXd& k, std::size_t shots, std::uint64_t seed, bool symmetric) {
  if (shots == 0) throw std::invalid_argument("hqml::add_shot_noise: shots must be at least 1");
  const Eigen::Index rows = k.rows(), cols = k.cols();
  if (symmetric && rows != cols) throw std::invalid_argument("hqml::add_shot_noise: a symmetric kernel must be square");
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic, 8)
#endif
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = symmetric ? i : 0; j < cols; ++j) {
      if (symmetric && i == j) {
        k(i, j) = 1.0;
        continue;
      }
      xoshiro256 g(seed, static_cast<std::uint64_t>(i) * static_cast<std::uint64_t>(cols) + static_cast<std::uint64_t>(j));
      std::binomial_distribution<std::uint64_t> b(shots, std::clamp(k(i, j), 0.0, 1.0));
      k(i, j) = double(b(g)) / double(shots);
      if (symmetric) k(j, i) = k(i, j);
    }
}

/// Nearest positive semidefinite matrix in the Frobenius norm: negative eigenvalues clipped to zero. (A
/// template, so that only a program that calls it compiles the eigensolver: seconds per translation unit.)
template <class Derived>
[[nodiscard]] Eigen::MatrixXd project_psd(const Eigen::MatrixBase<Derived>& kernel) {
  if (kernel.rows() != kernel.cols()) throw std::invalid_argument("hqml::project_psd: kernel must be square");
  const Eigen::MatrixXd k = kernel.template cast<double>();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(0.5 * (k + k.transpose()));
  if (es.info() != Eigen::Success) throw std::runtime_error("hqml::project_psd: eigen decomposition failed");
  const Eigen::VectorXd w = es.eigenvalues().cwiseMax(0.0);
  return es.eigenvectors() * w.asDiagonal() * es.eigenvectors().transpose();
}

}  // namespace hqml
