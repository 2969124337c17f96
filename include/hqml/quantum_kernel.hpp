#pragma once
// Kernel matrices: the fidelity kernel K_ij = |⟨ψ(x_i)|ψ(x_j)⟩|² from one batched pass over the samples
// plus one tiled matrix product, the projected quantum kernel (Huang et al. 2021), and classical
// baselines. Tiles keep memory bounded; a streaming variant writes N × M kernels to .npy row block by block.

#include <hqml/batched.hpp>
#include <hqml/circuit.hpp>
#include <hqml/io/npy.hpp>
#include <hqml/rng.hpp>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <complex>
#include <filesystem>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml {

struct kernel_options {
  int threads = 0;          // 0: all
  Eigen::Index tile = 256;  // rows and columns of one Gram tile
};

namespace detail {

// Visits the (I, J) tiles of an na × nb product in parallel; upper_only keeps J ≥ I.
template <class F>
void for_each_tile(Eigen::Index na, Eigen::Index nb, Eigen::Index tile, bool upper_only, int threads, const F& f) {
  const Eigen::Index ti = (na + tile - 1) / tile, tj = (nb + tile - 1) / tile;
  std::vector<std::pair<Eigen::Index, Eigen::Index>> tiles;
  for (Eigen::Index i = 0; i < ti; ++i)
    for (Eigen::Index j = upper_only ? i : 0; j < tj; ++j) tiles.emplace_back(i, j);
  const auto count = static_cast<long>(tiles.size());
  const int nt = cpu_detail::resolve_threads(threads);
  (void)nt;
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (count > 1 && nt > 1)
#endif
  for (long t = 0; t < count; ++t) {
    const auto [i, j] = tiles[static_cast<std::size_t>(t)];
    const Eigen::Index r0 = i * tile, c0 = j * tile;
    f(r0, std::min(tile, na - r0), c0, std::min(tile, nb - c0));
  }
}

inline void check_tile(Eigen::Index tile) {
  if (tile < 1) throw std::invalid_argument("hqml: kernel tile size must be at least 1");
}

}  // namespace detail

/// K_ij = |⟨a_i|b_j⟩|² for the rows of two state matrices.
template <class Real>
[[nodiscard]] Eigen::MatrixXd fidelity_kernel(const state_matrix<Real>& a, const state_matrix<Real>& b,
                                              const kernel_options& opt = {}) {
  if (a.cols() != b.cols())
    throw std::invalid_argument("hqml::fidelity_kernel: states of dimension " + std::to_string(a.cols()) + " and " +
                                std::to_string(b.cols()));
  detail::check_tile(opt.tile);
  Eigen::MatrixXd k(a.rows(), b.rows());
  detail::for_each_tile(a.rows(), b.rows(), opt.tile, false, opt.threads,
                        [&](Eigen::Index r0, Eigen::Index nr, Eigen::Index c0, Eigen::Index nc) {
                          Eigen::Matrix<std::complex<Real>, Eigen::Dynamic, Eigen::Dynamic> g =
                              a.middleRows(r0, nr).conjugate() * b.middleRows(c0, nc).transpose();
                          k.block(r0, c0, nr, nc) = g.cwiseAbs2().template cast<double>();
                        });
  return k;
}

/// The symmetric train × train kernel: upper-triangle tiles only, mirrored; the diagonal is |⟨a_i|a_i⟩|².
template <class Real>
[[nodiscard]] Eigen::MatrixXd fidelity_kernel(const state_matrix<Real>& a, const kernel_options& opt = {}) {
  detail::check_tile(opt.tile);
  Eigen::MatrixXd k(a.rows(), a.rows());
  detail::for_each_tile(a.rows(), a.rows(), opt.tile, true, opt.threads,
                        [&](Eigen::Index r0, Eigen::Index nr, Eigen::Index c0, Eigen::Index nc) {
                          Eigen::Matrix<std::complex<Real>, Eigen::Dynamic, Eigen::Dynamic> g =
                              a.middleRows(r0, nr).conjugate() * a.middleRows(c0, nc).transpose();
                          k.block(r0, c0, nr, nc) = g.cwiseAbs2().template cast<double>();
                        });
  k.template triangularView<Eigen::StrictlyLower>() = k.transpose();
  return k;
}

/// Fidelity kernel of a feature map on the rows of X (train × train, symmetric).
template <class Real = double>
[[nodiscard]] Eigen::MatrixXd fidelity_kernel(const circuit& feature_map, const Eigen::Ref<const Eigen::MatrixXd>& x,
                                              std::span<const double> theta = {}, const kernel_options& opt = {}) {
  return fidelity_kernel<Real>(batched_states<Real>(feature_map, x, theta, opt.threads), opt);
}

/// Fidelity kernel between the rows of X (e.g. test samples) and the rows of Y (training samples).
template <class Real = double>
[[nodiscard]] Eigen::MatrixXd fidelity_kernel(const circuit& feature_map, const Eigen::Ref<const Eigen::MatrixXd>& x,
                                              const Eigen::Ref<const Eigen::MatrixXd>& y,
                                              std::span<const double> theta = {}, const kernel_options& opt = {}) {
  const auto sx = batched_states<Real>(feature_map, x, theta, opt.threads);
  const auto sy = batched_states<Real>(feature_map, y, theta, opt.threads);
  return fidelity_kernel<Real>(sx, sy, opt);
}

/// Streams the fidelity kernel rows(X) × rows(Y) (Y = X when `y` is empty) to a float64 .npy file one row block
/// at a time: memory holds the states and one block of `block_rows` rows. The file appears atomically.
template <class Real = double>
void fidelity_kernel_to_npy(const circuit& feature_map, const Eigen::Ref<const Eigen::MatrixXd>& x,
                            const Eigen::MatrixXd* y, const std::filesystem::path& out,
                            std::span<const double> theta = {}, const kernel_options& opt = {},
                            Eigen::Index block_rows = 1024) {
  if (block_rows < 1) throw std::invalid_argument("hqml::fidelity_kernel_to_npy: block_rows must be at least 1");
  const auto sx = batched_states<Real>(feature_map, x, theta, opt.threads);
  const state_matrix<Real> sy_own = y ? batched_states<Real>(feature_map, *y, theta, opt.threads) : state_matrix<Real>();
  const state_matrix<Real>& sy = y ? sy_own : sx;
  io::npy_stream_writer<double> w(out, static_cast<std::size_t>(sx.rows()), static_cast<std::size_t>(sy.rows()));
  for (Eigen::Index r0 = 0; r0 < sx.rows(); r0 += block_rows) {
    const Eigen::Index nr = std::min(block_rows, sx.rows() - r0);
    const state_matrix<Real> rows = sx.middleRows(r0, nr);
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> block =
        fidelity_kernel<Real>(rows, sy, opt);
    w.append_rows(block.data(), static_cast<std::size_t>(nr));
  }
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

/// Nearest positive semidefinite matrix in the Frobenius norm: negative eigenvalues clipped to zero.
[[nodiscard]] inline Eigen::MatrixXd project_psd(const Eigen::MatrixXd& k) {
  if (k.rows() != k.cols()) throw std::invalid_argument("hqml::project_psd: kernel must be square");
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(0.5 * (k + k.transpose()));
  if (es.info() != Eigen::Success) throw std::runtime_error("hqml::project_psd: eigen decomposition failed");
  const Eigen::VectorXd w = es.eigenvalues().cwiseMax(0.0);
  return es.eigenvectors() * w.asDiagonal() * es.eigenvectors().transpose();
}

}  // namespace hqml
