#pragma once
// Built-in datasets. ad_hoc_data follows qiskit-machine-learning's procedure for the dataset of
// Havlíček et al. (Nature 567:209, 2019): points a ZZ-feature-map kernel separates by construction.

#include <hqml/batched.hpp>
#include <hqml/feature_map.hpp>
#include <hqml/rng.hpp>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml {

/// Features and integer class labels.
struct labeled_data {
  Eigen::MatrixXd x;
  Eigen::VectorXi y;
};

struct ad_hoc_dataset {
  labeled_data train, test;
  std::size_t draws = 0;  // points drawn in total, rejected ones included
};

/// The ad hoc dataset: x uniform in [0, 2π)^n; |Φ(x)⟩ = U_Φ H^{⊗n} U_Φ H^{⊗n}|0⟩ with
/// U_Φ = exp(i[Σ x_i Z_i + Σ_{(i,j)} (π − x_i)(π − x_j) Z_i Z_j]) over the entanglement's pairs; a random unitary V
/// (eigenvectors of A^†A, A = U[0,1) + i·U[0,1)); O = V^† Z^{⊗n} V; label 0 where ⟨O⟩ > gap, 1 where ⟨O⟩ < −gap,
/// rejected otherwise. `training_size` and `test_size` count points per class.
template <class = void>  // instantiated only where called (README, "Compile times")
[[nodiscard]] inline ad_hoc_dataset ad_hoc_data(std::size_t training_size, std::size_t test_size, std::size_t n,
                                                double gap, std::uint64_t seed, const std::string& ent = "full") {
  if (n < 1 || n > 12) throw std::invalid_argument("hqml::ad_hoc_data: n = " + std::to_string(n) + " must be in 1..12");
  if (gap < 0 || gap >= 1) throw std::invalid_argument("hqml::ad_hoc_data: gap must be in [0, 1)");
  if (ent != "full" && ent != "linear" && ent != "circular")
    throw std::invalid_argument("hqml::ad_hoc_data: entanglement '" + ent + "' must be full, linear or circular");
  const auto dims = Eigen::Index{1} << n;
  xoshiro256 rng(seed);
  Eigen::MatrixXcd a(dims, dims);
  for (Eigen::Index j = 0; j < dims; ++j)
    for (Eigen::Index i = 0; i < dims; ++i) a(i, j) = {rng.uniform(), rng.uniform()};
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXcd> es(a.adjoint() * a);
  // Columns in descending eigenvalue order, as qiskit sorts them; O = V^† Z V, so ⟨ψ|O|ψ⟩ = (Vψ)^† Z (Vψ).
  const Eigen::MatrixXcd v = es.eigenvectors().rowwise().reverse();
  Eigen::VectorXd zdiag(dims);
  for (Eigen::Index k = 0; k < dims; ++k) zdiag[k] = (__builtin_popcountll(static_cast<unsigned long long>(k)) & 1) ? -1.0 : 1.0;

  circuit map(n);
  for (int r = 0; r < 2; ++r) {
    for (std::uint32_t q = 0; q < n; ++q) map.h(q);
    for (std::uint32_t i = 0; i < n; ++i) map.rz(i, -2.0 * feature(i));
    for (const auto& s : entanglement(ent).blocks(n, 2))
      map.rzz(s[0], s[1], -2.0 * (pi - feature(s[0])) * (pi - feature(s[1])));
  }

  const std::size_t per_class = training_size + test_size;
  std::vector<Eigen::VectorXd> class_a, class_b;
  ad_hoc_dataset out;
  const std::size_t max_draws = 1000 * (per_class + 1) * 2;
  while (class_a.size() < per_class || class_b.size() < per_class) {
    const std::size_t batch = 256;
    Eigen::MatrixXd x(static_cast<Eigen::Index>(batch), static_cast<Eigen::Index>(n));
    for (Eigen::Index i = 0; i < x.rows(); ++i)
      for (Eigen::Index j = 0; j < x.cols(); ++j) x(i, j) = 2 * pi * rng.uniform();
    const auto psi = batched_states<double>(map, x, {}, 1);
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      ++out.draws;
      const Eigen::VectorXcd phi = v * psi.row(i).transpose();
      const double e = (phi.cwiseAbs2().array() * zdiag.array()).sum();
      if (e > gap && class_a.size() < per_class) class_a.push_back(x.row(i).transpose());
      else if (e < -gap && class_b.size() < per_class) class_b.push_back(x.row(i).transpose());
    }
    if (out.draws > max_draws)
      throw std::runtime_error("hqml::ad_hoc_data: gap " + std::to_string(gap) + " rejects almost every point");
  }
  auto fill = [&](labeled_data& d, std::size_t from, std::size_t count) {
    d.x.resize(static_cast<Eigen::Index>(2 * count), static_cast<Eigen::Index>(n));
    d.y.resize(static_cast<Eigen::Index>(2 * count));
    for (std::size_t i = 0; i < count; ++i) {
      d.x.row(static_cast<Eigen::Index>(i)) = class_a[from + i].transpose();
      d.y[static_cast<Eigen::Index>(i)] = 0;
      d.x.row(static_cast<Eigen::Index>(count + i)) = class_b[from + i].transpose();
      d.y[static_cast<Eigen::Index>(count + i)] = 1;
    }
  };
  fill(out.train, 0, training_size);
  fill(out.test, training_size, test_size);
  return out;
}

}  // namespace hqml
