// Adjoint differentiation of expectation values, and the state operations it is built on (⟨a|P|b⟩, H|ψ⟩,
// reduced transition matrices), against the dense reference simulator and its finite differences.
#include "common/backends.hpp"
#include "common/reference.hpp"

#include <catch2/catch.hpp>

#include <hqml/gradient.hpp>
#include <hqml/state_vector.hpp>

#include <cmath>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace gradient_test {

using namespace hqml;
using hqml::test::cmat;
using hqml::test::cvec;
using hqml::test::dense_observable;
using hqml::test::random_observable;

/// Every gate with an angle, each angle a polynomial in θ (products and powers included) and in x, between
/// fixed gates, a dense unitary and a diagonal; 4 qubits, 9 parameters, 3 features.
inline circuit every_angle_circuit() {
  const angle t0 = angle::param(0), t1 = angle::param(1), t2 = angle::param(2), t3 = angle::param(3),
              t4 = angle::param(4), t5 = angle::param(5), t6 = angle::param(6), t7 = angle::param(7),
              t8 = angle::param(8);
  const angle x0 = angle::feature(0), x1 = angle::feature(1), x2 = angle::feature(2);
  circuit c(4);
  c.h(0).h(1).h(2).h(3);
  c.rx(0, t0 * x0 + 0.3).ry(1, 2.0 * t1).rz(2, t2 * t2 - t0).p(3, t3 + x1);
  c.cx(0, 1).cz(2, 3);
  c.u(1, t4, t5 * x2, t6 - 0.2);
  c.crx(0, 2, t7).cry(3, 1, t8 * t0).crz(1, 3, t1 + t2).cp(2, 0, t3 * x0);
  c.unitary({0, 3}, hqml::test::random_unitary(2, 5));
  c.rxx(0, 1, t4 + t5).ryy(2, 3, -t6).rzz(1, 2, t7 * x1 + t8);
  c.sx(2).t(3).swap(0, 3).iswap(1, 2);
  c.diagonal({1}, matrix{std::polar(1.0, 0.4), std::polar(1.0, -1.1)});
  c.ry(0, x2 * 1.5).rx(3, t0 + t8);
  return c;
}

/// ∂f/∂v_k by the five-point central difference (error O(h⁴)).
inline double five_point(const std::function<double(const std::vector<double>&)>& f, std::vector<double> v,
                         std::size_t k, double h) {
  const double v0 = v[k];
  auto at = [&](double d) {
    v[k] = v0 + d;
    return f(v);
  };
  return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
}

template <class State>
double gradient_tolerance() {
  return std::is_same_v<typename State::real_type, float> ? 2e-4 : 1e-8;
}

/// (o, θ, x) ↦ ⟨ψ(θ, x)|H_o|ψ(θ, x)⟩ for the observables `hs`, on the dense reference simulator.
inline std::function<double(std::size_t, const std::vector<double>&, const std::vector<double>&)> reference_expectation(
    const circuit& c, const std::vector<pauli_sum>& hs) {
  const std::size_t n = c.num_qubits();
  std::vector<cmat> hd;
  for (const auto& h : hs) hd.push_back(dense_observable(h, n));
  cvec zero = cvec::Zero(Eigen::Index{1} << n);
  zero[0] = 1;
  return [c, hd = std::move(hd), zero](std::size_t o, const std::vector<double>& theta, const std::vector<double>& x) {
    const cvec psi = hqml::test::reference_run(c, zero, theta, x);
    return psi.dot(hd[o] * psi).real();
  };
}

}  // namespace gradient_test

using namespace gradient_test;

TEMPLATE_LIST_TEST_CASE("Pauli matrix elements, products H|psi> and reduced transition matrices",
                        "[state][observables]", hqml::test::state_types) {
  using state = TestType;
  using real = typename state::real_type;
  const double tol = hqml::test::tolerance<state>();
  const std::size_t n = 5;
  const cvec a = hqml::test::random_state(n, 11), b = hqml::test::random_state(n, 12);
  state sa(n), sb(n);
  hqml::test::from_eigen(sa, a);
  hqml::test::from_eigen(sb, b);
  const pauli_sum h = random_observable(n, 12, 3);
  const cmat hd = dense_observable(h, n);

  for (const auto& [c, p] : h.terms) {
    pauli_sum one;
    one.add(1.0, p);
    const std::complex<double> expect = a.dot(dense_observable(one, n) * b);  // Eigen's dot conjugates a
    REQUIRE(std::abs(matrix_element(sa, p, sb) - expect) < 100 * tol);
  }
  REQUIRE(std::abs(matrix_element(sa, h, sb) - a.dot(hd * b)) < 1000 * tol);

  const cvec hb = hd * b;
  const state product = h * sb;
  REQUIRE((hqml::test::to_eigen(product) - hb).cwiseAbs().maxCoeff() < 1000 * tol);
  state target(n);
  target.assign_product(h, sb);
  REQUIRE((hqml::test::to_eigen(target) - hb).cwiseAbs().maxCoeff() < 1000 * tol);
  state self = sb;
  self.assign_product(h, self);  // in place
  REQUIRE((hqml::test::to_eigen(self) - hb).cwiseAbs().maxCoeff() < 1000 * tol);
  state wider(n + 2);  // another size: reallocated
  wider.assign_product(h, sb);
  REQUIRE(wider.num_qubits() == n);
  REQUIRE((hqml::test::to_eigen(wider) - hb).cwiseAbs().maxCoeff() < 1000 * tol);
  target.assign_product(pauli_sum{}, sb);  // the empty sum is the zero operator
  REQUIRE(hqml::test::to_eigen(target).cwiseAbs().maxCoeff() == 0.0);

  // T = Tr_others |b⟩⟨a| against the definition; ⟨a|G ⊗ 1|b⟩ = Tr(G T) for a random G; every kernel set.
  for (const auto mode : hqml::test::cpu_simd_modes())
    for (const std::vector<std::uint32_t>& qs :
         {std::vector<std::uint32_t>{0}, {1}, {2}, {4}, {0, 4}, {3, 1}, {4, 3}}) {
      const hqml::test::simd_scope scope(mode);
      const matrix t = reduced_transition_matrix(sa, sb, qs);
      const std::size_t k = qs.size(), d = std::size_t{1} << k, mask = hqml::test::qubit_mask(qs);
      auto local = [&](std::size_t i) { return hqml::test::local_index(i, qs); };
      std::vector<std::complex<double>> ref(d * d, 0.0);
      for (std::size_t i = 0; i < (std::size_t{1} << n); ++i)
        for (std::size_t j = 0; j < (std::size_t{1} << n); ++j)
          if ((i & ~mask) == (j & ~mask))
            ref[local(i) * d + local(j)] += b[Eigen::Index(i)] * std::conj(a[Eigen::Index(j)]);
      for (std::size_t e = 0; e < d * d; ++e) REQUIRE(std::abs(t[e] - ref[e]) < 100 * tol);
      const matrix g = hqml::test::random_unitary(k, 40 + k);
      std::complex<double> trace = 0;
      for (std::size_t r = 0; r < d; ++r)
        for (std::size_t c = 0; c < d; ++c) trace += g[r * d + c] * t[c * d + r];
      REQUIRE(std::abs(trace - a.dot(hqml::test::embed(g, qs, n) * b)) < 100 * tol);
    }
  const auto rho = sa.reduced_density_matrix(3);
  const matrix t3 = reduced_transition_matrix(sa, sa, std::vector<std::uint32_t>{3});
  for (int e = 0; e < 4; ++e) REQUIRE(std::abs(t3[e] - rho[e]) < 10 * tol);

  static_assert(std::is_same_v<typename state::real_type, real>);
  state small(3);
  REQUIRE_THROWS_WITH(matrix_element(sa, pauli_string::from_label("XIIIII"), sb), Catch::Contains("qubit 5"));
  REQUIRE_THROWS_WITH(matrix_element(sa, pauli_string::from_label("X"), small), Catch::Contains("5 and 3"));
  REQUIRE_THROWS_WITH(matrix_element(sa, pauli_sum{}, small), Catch::Contains("5 and 3"));
  REQUIRE_THROWS_WITH(small.assign_product(h, small), Catch::Contains("Pauli string acts on qubit"));
  REQUIRE_THROWS_WITH(reduced_transition_matrix(sa, sb, std::vector<std::uint32_t>{0, 1, 2}),
                      Catch::Contains("3 qubits; 1 or 2"));
  REQUIRE_THROWS_WITH(reduced_transition_matrix(sa, sb, std::vector<std::uint32_t>{1, 1}), Catch::Contains("repeated"));
  REQUIRE_THROWS_WITH(reduced_transition_matrix(sa, sb, std::vector<std::uint32_t>{5}), Catch::Contains("qubit 5"));
  REQUIRE_THROWS_WITH(reduced_transition_matrix(sa, small, std::vector<std::uint32_t>{0}), Catch::Contains("5 and 3"));
}

TEMPLATE_LIST_TEST_CASE("Pauli sums with many terms per X mask: expectations, elements and products",
                        "[state][observables]", hqml::test::state_types) {
  using state = TestType;
  const double tol = hqml::test::tolerance<state>();
  const std::size_t n = 6;
  // 40 diagonal terms, 35 sharing the X mask 0b101101 and a few others, against the dense reference (terms
  // sharing an X mask could run as one pass; kept here for when they do).
  std::mt19937_64 g(5);
  std::uniform_real_distribution<double> u(-1, 1);
  pauli_sum h;
  for (int t = 0; t < 40; ++t) h.add(u(g), pauli_string{0, g() & 0x3f});
  for (int t = 0; t < 35; ++t) h.add(u(g), pauli_string{0b101101, g() & 0x3f});
  h.add(0.5, "XIIIII").add(-0.25, "IIYZII");
  const cmat hd = dense_observable(h, n);
  const cvec a = hqml::test::random_state(n, 21), b = hqml::test::random_state(n, 22);
  state sa(n), sb(n);
  hqml::test::from_eigen(sa, a);
  hqml::test::from_eigen(sb, b);
  REQUIRE(std::abs(sa.expectation(h) - a.dot(hd * a).real()) < 1000 * tol);
  REQUIRE(std::abs(matrix_element(sa, h, sb) - a.dot(hd * b)) < 1000 * tol);
  REQUIRE((hqml::test::to_eigen(h * sb) - hd * b).cwiseAbs().maxCoeff() < 1000 * tol);
  pauli_sum wide = h;
  wide.add(1.0, pauli_string::from_ops({{6, 'Z'}}));
  REQUIRE_THROWS_WITH(sa.expectation(wide), Catch::Contains("acts on qubit 6 of a 6-qubit state"));
  REQUIRE_THROWS_WITH(matrix_element(sa, wide, sb), Catch::Contains("acts on qubit 6"));
}

TEMPLATE_LIST_TEST_CASE("adjoint gradients equal finite differences of the dense reference", "[gradient]",
                        hqml::test::state_types) {
  using state = TestType;
  using real = typename state::real_type;
  using backend = typename state::backend_type;
  const circuit c = every_angle_circuit();
  const std::size_t n = c.num_qubits();
  REQUIRE(c.num_params() == 9);
  const std::vector<pauli_sum> hs = {random_observable(n, 6, 1), random_observable(n, 3, 2),
                                     pauli_sum{}.add(1.0, "ZZZZ")};
  const auto expectation = reference_expectation(c, hs);

  std::mt19937_64 g(2024);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  for (int trial = 0; trial < 3; ++trial) {
    std::vector<double> theta(11), x(3);  // two more θ than the circuit reads: their columns are zero
    for (auto& v : theta) v = u(g);
    for (auto& v : x) v = u(g);
    const auto jac = adjoint_jacobian<real, backend>(c, hs, theta, x);
    const auto jx = adjoint_jacobian<real, backend>(c, hs, theta, x, {variable::source::feature, {}});
    REQUIRE(jac.values.size() == hs.size());
    REQUIRE(jac.num_variables == theta.size());
    REQUIRE(jx.num_variables == x.size());
    for (std::size_t o = 0; o < hs.size(); ++o) {
      REQUIRE(jac.values[o] == Approx(expectation(o, theta, x)).margin(100 * hqml::test::tolerance<state>()));
      REQUIRE(jx.values[o] == Approx(jac.values[o]).margin(1e-12));
      for (std::size_t k = 0; k < theta.size(); ++k) {
        const double fd =
            five_point([&](const std::vector<double>& t) { return expectation(o, t, x); }, theta, k, 1e-3);
        INFO("trial " << trial << ", observable " << o << ", theta " << k);
        REQUIRE(jac(o, k) == Approx(fd).margin(gradient_tolerance<state>()));
        if (k >= 9) REQUIRE(jac(o, k) == 0.0);
      }
      for (std::size_t k = 0; k < x.size(); ++k) {
        const double fd =
            five_point([&](const std::vector<double>& v) { return expectation(o, theta, v); }, x, k, 1e-3);
        INFO("trial " << trial << ", observable " << o << ", x " << k);
        REQUIRE(jx(o, k) == Approx(fd).margin(gradient_tolerance<state>()));
      }
    }
    // One observable at a time gives the same rows.
    const auto single = adjoint_gradient<real, backend>(c, hs[1], theta, x);
    for (std::size_t k = 0; k < theta.size(); ++k) REQUIRE(single.gradient()[k] == Approx(jac(1, k)).margin(1e-12));
  }

  // With every kernel set (AVX2 where the processor has it) the Jacobian agrees with finite differences.
  for (const auto mode : hqml::test::cpu_simd_modes()) {
    const hqml::test::simd_scope scope(mode);
    std::vector<double> theta(9, 0.4), x{0.3, -0.2, 0.9};
    const auto ref = adjoint_jacobian<real, backend>(c, hs, theta, x, {variable::source::param, {}});
    const auto one = adjoint_gradient<real, backend>(c, hs[0], theta, x);  // the fused one-qubit steps
    for (std::size_t o = 0; o < hs.size(); ++o)
      for (std::size_t k = 0; k < theta.size(); ++k) {
        const double fd =
            five_point([&](const std::vector<double>& t) { return expectation(o, t, x); }, theta, k, 1e-3);
        REQUIRE(ref(o, k) == Approx(fd).margin(gradient_tolerance<state>()));
        if (o == 0) REQUIRE(one.gradient()[k] == Approx(fd).margin(gradient_tolerance<state>()));
      }
  }

  // The training-loop form reuses its states and gives the same numbers call after call.
  adjoint_differentiator<real, backend> d(c, hs);
  std::vector<double> theta(9, 0.25), x{0.1, -0.7, 1.3};
  const auto first = d.evaluate(theta, x);
  theta[4] = 1.0;
  (void)d.evaluate(theta, x);
  theta[4] = 0.25;
  const auto again = d.evaluate(theta, x);
  REQUIRE(first.jacobian == again.jacobian);
  REQUIRE(first.values == again.values);
}

TEMPLATE_LIST_TEST_CASE("adjoint gradients of a layered ansatz, forward pass fused", "[gradient]",
                        hqml::test::state_types) {
  using state = TestType;
  using real = typename state::real_type;
  using backend = typename state::backend_type;
  // 8 qubits, 3 layers of RY·RZ and a CX ring: 48 parameters; the forward run fuses gates into blocks.
  const std::size_t n = 8;
  circuit c(n);
  std::size_t k = 0;
  for (int layer = 0; layer < 3; ++layer) {
    for (std::uint32_t q = 0; q < n; ++q) {
      c.ry(q, angle::param(k++));
      c.rz(q, angle::param(k++));
    }
    for (std::uint32_t q = 0; q < n; ++q) c.cx(q, (q + 1) % static_cast<std::uint32_t>(n));
  }
  pauli_sum h;  // transverse-field Ising chain
  for (std::uint32_t q = 0; q + 1 < n; ++q) h.add(-1.0, pauli_string::from_ops({{q, 'Z'}, {q + 1, 'Z'}}));
  for (std::uint32_t q = 0; q < n; ++q) h.add(-0.7, pauli_string::from_ops({{q, 'X'}}));
  std::vector<double> theta(k);
  std::mt19937_64 g(7);
  std::uniform_real_distribution<double> u(-3.1, 3.1);
  for (auto& v : theta) v = u(g);

  adjoint_options fused;
  fused.forward.fusion_min_qubits = 4;
  adjoint_options plain;
  plain.forward.fusion = false;
  const auto b = adjoint_gradient<real, backend>(c, h, theta, {}, plain);
  const cmat hd = dense_observable(h, n);
  cvec zero = cvec::Zero(Eigen::Index{1} << n);
  zero[0] = 1;
  auto f = [&](const std::vector<double>& t) {
    const cvec psi = hqml::test::reference_run(c, zero, t);
    return psi.dot(hd * psi).real();
  };
  const double tol = 10 * gradient_tolerance<state>();
  std::vector<double> fd(k);
  for (std::size_t j = 0; j < k; j += 7) fd[j] = five_point(f, theta, j, 1e-3);  // every 7th: each costs 4 runs
  // Every kernel set: with AVX2 the runs of RY·RZ go through the fused adjoint step.
  for (const auto mode : hqml::test::cpu_simd_modes()) {
    const hqml::test::simd_scope scope(mode);
    const auto a = adjoint_gradient<real, backend>(c, h, theta, {}, fused);
    REQUIRE(a.values[0] == Approx(f(theta)).margin(1e4 * hqml::test::tolerance<state>()));
    for (std::size_t j = 0; j < k; j += 7) {
      INFO("theta " << j);
      REQUIRE(a.gradient()[j] == Approx(fd[j]).margin(tol));
    }
    for (std::size_t j = 0; j < k; ++j) REQUIRE(a.gradient()[j] == Approx(b.gradient()[j]).margin(tol));
  }
}

TEMPLATE_LIST_TEST_CASE("batched adjoint Jacobians equal one sample at a time and finite differences", "[gradient]",
                        hqml::test::state_types) {
  using state = TestType;
  using real = typename state::real_type;
  using backend = typename state::backend_type;
  const circuit c = every_angle_circuit();
  const std::size_t n = c.num_qubits();
  const std::vector<pauli_sum> hs = {random_observable(n, 5, 8), pauli_sum{}.add(0.5, "XIIY")};
  const auto expectation = reference_expectation(c, hs);
  std::mt19937_64 g(99);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Eigen::MatrixXd X(37, 3);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = u(g);
  std::vector<double> theta(9);
  for (auto& v : theta) v = u(g);
  // A host backend runs each sample on a CPU state of its own, as adjoint_jacobian does; a device backend the
  // same operations on the device.
  const double same = backend_traits<backend>::host_accessible ? 1e-13 : 100 * hqml::test::tolerance<state>();
  for (auto wrt : {variable::source::param, variable::source::feature}) {
    const adjoint_options opt{wrt, {}};
    const bool by_param = wrt == variable::source::param;
    const auto batch = adjoint_jacobian_batch<real, backend>(c, hs, theta, X, opt);
    REQUIRE(batch.values.rows() == X.rows());
    REQUIRE(batch.values.cols() == Eigen::Index(hs.size()));
    REQUIRE(batch.jacobian.size() == hs.size());
    for (std::size_t o = 0; o < hs.size(); ++o) {
      REQUIRE(batch.jacobian[o].rows() == X.rows());
      REQUIRE(batch.jacobian[o].cols() == (by_param ? 9 : 3));
    }
    if constexpr (backend_traits<backend>::host_accessible) {
      // Threads over samples: every thread count gives the same numbers.
      const auto one = adjoint_jacobian_batch<real, backend>(c, hs, theta, X, opt, 1);
      const auto two = adjoint_jacobian_batch<real, backend>(c, hs, theta, X, opt, 2);
      REQUIRE(one.values == batch.values);
      REQUIRE(two.values == batch.values);
      for (std::size_t o = 0; o < hs.size(); ++o) {
        REQUIRE(one.jacobian[o] == batch.jacobian[o]);
        REQUIRE(two.jacobian[o] == batch.jacobian[o]);
      }
    }
    for (Eigen::Index i = 0; i < X.rows(); i += 6) {
      const std::vector<double> x{X(i, 0), X(i, 1), X(i, 2)};
      const auto ref = adjoint_jacobian<real, backend>(c, hs, theta, x, opt);
      for (std::size_t o = 0; o < hs.size(); ++o) {
        INFO("sample " << i << ", observable " << o);
        REQUIRE(batch.values(i, Eigen::Index(o)) == Approx(ref.values[o]).margin(same));
        REQUIRE(batch.values(i, Eigen::Index(o)) ==
                Approx(expectation(o, theta, x)).margin(100 * hqml::test::tolerance<state>()));
        for (std::size_t k = 0; k < ref.num_variables; ++k) {
          INFO("variable " << k);
          REQUIRE(batch.jacobian[o](i, Eigen::Index(k)) == Approx(ref(o, k)).margin(same));
          const double fd =
              by_param ? five_point([&](const std::vector<double>& t) { return expectation(o, t, x); }, theta, k, 1e-3)
                       : five_point([&](const std::vector<double>& v) { return expectation(o, theta, v); }, x, k, 1e-3);
          REQUIRE(batch.jacobian[o](i, Eigen::Index(k)) == Approx(fd).margin(gradient_tolerance<state>()));
        }
      }
    }
  }
  if constexpr (!backend_traits<backend>::host_accessible) {
    // No thread team over samples on a device: an explicit request for one is refused, one thread is what runs.
    const auto two_threads = [&] { return adjoint_jacobian_batch<real, backend>(c, hs, theta, X, {}, 2); };
    REQUIRE_THROWS_AS(two_threads(), std::invalid_argument);
    REQUIRE_THROWS_WITH(two_threads(), Catch::Contains("threads = 2") && Catch::Contains("pass 0 or 1"));
    const auto one = adjoint_jacobian_batch<real, backend>(c, hs, theta, X, {}, 1);
    const auto any = adjoint_jacobian_batch<real, backend>(c, hs, theta, X);
    REQUIRE((one.values - any.values).cwiseAbs().maxCoeff() <= same);
    REQUIRE((one.jacobian[0] - any.jacobian[0]).cwiseAbs().maxCoeff() <= same);
  }
}

// CPU-only paths: the GPU twin (tests/cuda/test_core.cu) runs the templated cases above on its backend.
#if !defined(HQML_TEST_CUDA)
TEST_CASE("batched adjoint Jacobians in float follow the double ones", "[gradient]") {
  const circuit c = every_angle_circuit();
  const std::vector<pauli_sum> hs = {random_observable(4, 5, 8), pauli_sum{}.add(0.5, "XIIY")};
  std::mt19937_64 g(99);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Eigen::MatrixXd X(37, 3);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = u(g);
  std::vector<double> theta(9);
  for (auto& v : theta) v = u(g);
  const auto f = adjoint_jacobian_batch<float>(c, hs, theta, X);
  const auto d = adjoint_jacobian_batch<double>(c, hs, theta, X);
  REQUIRE((f.values - d.values).cwiseAbs().maxCoeff() < 1e-5);
  REQUIRE((f.jacobian[0] - d.jacobian[0]).cwiseAbs().maxCoeff() < 1e-4);
}

TEST_CASE("adjoint differentiation refuses bad input with clear errors", "[gradient][errors]") {
  const circuit c = every_angle_circuit();
  const pauli_sum h = pauli_sum{}.add(1.0, "ZIII");
  const std::vector<double> theta(9, 0.1), x(3, 0.2);
  circuit measured(2);
  measured.rx(0, angle::param(0)).measure(0, measured.add_clbits(1));
  REQUIRE_THROWS_WITH(adjoint_gradient(measured, pauli_sum{}.add(1.0, "Z"), std::vector<double>{0.1}),
                      Catch::Contains("operation 1 is a 'measure'") && Catch::Contains("unitary"));
  REQUIRE_THROWS_WITH(adjoint_gradient(c, pauli_sum{}.add(1.0, "ZIIII"), theta, x),
                      Catch::Contains("observable 0, term 0 acts on qubit 4 of a 4-qubit circuit"));
  REQUIRE_THROWS_WITH(adjoint_gradient(c, pauli_sum{}.add(std::nan(""), "ZIII"), theta, x),
                      Catch::Contains("coefficient is not finite"));
  REQUIRE_THROWS_WITH(adjoint_jacobian(c, {}, theta, x), Catch::Contains("no observable"));
  REQUIRE_THROWS_WITH(adjoint_gradient(c, h, std::vector<double>(8, 0.1), x),
                      Catch::Contains("needs 9 parameters theta, 8 given"));
  REQUIRE_THROWS_WITH(adjoint_gradient(c, h, theta, std::vector<double>(2, 0.1)),
                      Catch::Contains("reads feature x[2] but 2 features"));
  std::vector<double> bad = theta;
  bad[4] = std::numeric_limits<double>::infinity();
  REQUIRE_THROWS_WITH(adjoint_gradient(c, h, bad, x), Catch::Contains("theta[4] is not finite"));
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(5, 3);
  X(3, 1) = std::nan("");
  REQUIRE_THROWS_WITH(adjoint_jacobian_batch(c, {h}, theta, X),
                      Catch::Contains("x[1] is not finite") && Catch::Contains("row 3 of X"));
  REQUIRE_THROWS_WITH(adjoint_jacobian_batch(c, {h}, theta, Eigen::MatrixXd::Zero(5, 2)),
                      Catch::Contains("reads feature x[2]"));
  // A circuit without trainable angles has an all-zero Jacobian, not an error.
  circuit fixed(2);
  fixed.h(0).cx(0, 1);
  const auto r = adjoint_gradient(fixed, pauli_sum{}.add(1.0, "ZZ"), std::vector<double>{0.5, 0.5});
  REQUIRE(r.values[0] == Approx(1.0));
  REQUIRE(r.gradient()[0] == 0.0);
  REQUIRE(r.gradient()[1] == 0.0);
}
#endif
