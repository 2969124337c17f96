// Kernel training (include/hqml/kernel_training.hpp): parameter-shift kernel gradients against central finite
// differences of the ordinary kernel, loss gradients against finite differences of the losses, loss values
// against qiskit-machine-learning (tests/reference/kernel_training_reference.json, made by
// tests/reference/kernel_training_reference.py), training on the ad hoc dataset, and bad input; and the gradients
// and the trainer on each backend. The GPU twin (test_cuda_kernel_training, tests/cuda/CMakeLists.txt) compiles this
// file with nvcc and HQML_TEST_CUDA: then only the backend case runs, on hqml::cuda.
#if defined(HQML_TEST_CUDA)
#include <hqml/cuda.cuh>
#include <hqml/cuda/quantum_kernel.cuh>
#endif

#include <catch2/catch.hpp>

#include <hqml/datasets.hpp>
#include <hqml/feature_map.hpp>
#include <hqml/kernel_training.hpp>
#include <hqml/learn/alignment.hpp>
#include <hqml/quantum_kernel.hpp>

#if !defined(HQML_TEST_CUDA)
#include "common/json_data.hpp"

#include <nlohmann/json.hpp>
#endif

#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using namespace hqml;

namespace {

// One thread: the problems are small, and a shared CI machine makes thread teams slower than serial code.
const kernel_options serial{1, 256};

Eigen::MatrixXd uniform_angles(Eigen::Index rows, Eigen::Index cols, std::mt19937& g) {
  std::uniform_real_distribution<double> u(0, 2 * pi);
  Eigen::MatrixXd x(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) x(i, j) = u(g);
  return x;
}

std::vector<double> random_theta(std::size_t n, std::mt19937& g) {
  std::uniform_real_distribution<double> u(-pi, pi);
  std::vector<double> t(n);
  for (auto& v : t) v = u(g);
  return t;
}

// A ZZ-style map with θ on many gates: θ0 in every single-qubit data rotation with coefficient 2 and times the
// feature, θ1 scaling the ZZ products, and every parameterized kind with a two-term rule.
circuit trainable_zz(std::uint32_t n) {
  REQUIRE(n >= 3);
  circuit c(n);
  for (int rep = 0; rep < 2; ++rep) {
    for (std::uint32_t q = 0; q < n; ++q) c.h(q);
    for (std::uint32_t q = 0; q < n; ++q) c.p(q, 2.0 * param(0) * feature(q));
    for (std::uint32_t q = 0; q + 1 < n; ++q) {
      c.cx(q, q + 1);
      c.p(q + 1, 2.0 * param(1) * (pi - feature(q)) * (pi - feature(q + 1)));
      c.cx(q, q + 1);
    }
    for (std::uint32_t q = 0; q < n; ++q) c.ry(q, param(2) + 0.5 * param(3) + feature(q));
  }
  c.rx(0, param(4) * param(4));  // a polynomial in θ: ∂/∂θ4 = 2θ4
  c.rz(1, -param(2));
  c.u(2, param(3), 2.0 * param(4), feature(1));
  c.rxx(0, 2, param(5) + feature(0));
  c.ryy(1, 2, 3.0 * param(5));
  c.rzz(0, 1, param(0) * param(5));
  c.cp(2, 0, param(1) + 0.25);
  return c;
}

// Controlled rotations need the four-term rule.
circuit controlled_rotations() {
  circuit c(2);
  c.h(0).h(1).ry(0, feature(0)).ry(1, feature(1));
  c.crx(0, 1, param(0) * feature(0));
  c.cry(1, 0, 2.0 * param(1));
  c.crz(0, 1, param(0) + param(1) + feature(1));
  c.h(1);
  c.crx(1, 0, param(1));
  return c;
}

// Largest |parameter-shift − finite difference| over all entries of all ∂K/∂θ_k: {central difference with
// h = 1e-5, fourth-order difference with h = 1e-4}. The angles here have coefficients up to ~20, so the central
// difference's truncation error h²/6·K''' is ~2e-7 (measured; it falls 100× per decade of h), while the
// fourth-order stencil agrees to ~1e-9. The parameter-shift side runs on Backend, the differences on the CPU.
template <class Backend = cpu>
std::pair<double, double> worst_kernel_gradient_error(const circuit& c, const Eigen::MatrixXd& x,
                                                      const std::vector<double>& theta) {
  const parameter_shift_kernel pk(c);
  const auto r = pk.kernel_and_gradient<Backend>(x, theta, serial);
  REQUIRE(r.gradient.size() == theta.size());
  const double kernel_tol = backend_traits<Backend>::host_accessible ? 1e-12 : 1e-10;  // GPU: another summation order
  REQUIRE((r.kernel - fidelity_kernel<double>(c, x, theta, serial)).cwiseAbs().maxCoeff() < kernel_tol);
  double central = 0, fourth = 0, largest = 0;
  for (std::size_t k = 0; k < theta.size(); ++k) {
    const auto at = [&](double s) {
      auto t = theta;
      t[k] += s;
      return fidelity_kernel<double>(c, x, t, serial);
    };
    const double h = 1e-5, h4 = 1e-4;
    const Eigen::MatrixXd fd = (at(h) - at(-h)) / (2 * h);
    const Eigen::MatrixXd fd4 = (8 * (at(h4) - at(-h4)) - (at(2 * h4) - at(-2 * h4))) / (12 * h4);
    central = std::max(central, (fd - r.gradient[k]).cwiseAbs().maxCoeff());
    fourth = std::max(fourth, (fd4 - r.gradient[k]).cwiseAbs().maxCoeff());
    largest = std::max(largest, fd.cwiseAbs().maxCoeff());
    REQUIRE((r.gradient[k] - r.gradient[k].transpose()).cwiseAbs().maxCoeff() < 1e-12);
  }
  REQUIRE(largest > 0.05);  // the comparison is not between zeros
  return {central, fourth};
}

#if !defined(HQML_TEST_CUDA)
// The circuits of kernel_training_reference.py.
circuit reference_map(const std::string& name, std::uint32_t n) {
  if (name == "ry_zz_n2") return with_trainable_layer(zz_feature_map(n, 2, "linear"));
  REQUIRE(name == "interleaved_n3");
  circuit c(n);
  for (std::uint32_t q = 0; q < n; ++q) c.h(q);
  for (std::uint32_t q = 0; q < n; ++q) c.rz(q, 2.0 * param(0) * feature(q));
  for (std::uint32_t q = 0; q + 1 < n; ++q) c.rzz(q, q + 1, param(1) * (pi - feature(q)) * (pi - feature(q + 1)));
  for (std::uint32_t q = 0; q < n; ++q) c.ry(q, param(2) + feature(q));
  for (std::uint32_t q = 0; q + 1 < n; ++q) c.cx(q, q + 1);
  for (std::uint32_t q = 0; q < n; ++q) c.rx(q, feature(q));
  return c;
}
#endif

// The backends of the parameter-shift case below: the CPU in both thread policies here, hqml::cuda in the GPU twin.
#if defined(HQML_TEST_CUDA)
using shift_backends = std::tuple<hqml::cuda>;
#else
using shift_backends = std::tuple<hqml::cpu, hqml::basic_cpu<hqml::sequential_threads>>;
#endif

}  // namespace

TEMPLATE_LIST_TEST_CASE("Parameter-shift kernel gradients on each backend equal the CPU's and finite differences",
                        "[kernel_training][backend]", shift_backends) {
  using backend = TestType;
  // A host backend runs the CPU's code path, so the numbers are the same; a device the same maths in another order.
  const double same = backend_traits<backend>::host_accessible ? 0.0 : 1e-10;
  std::mt19937 g(23);
  for (const circuit& c : {trainable_zz(3), controlled_rotations()}) {  // two-term and four-term rules
    const Eigen::MatrixXd x = uniform_angles(6, static_cast<Eigen::Index>(c.num_features()), g);
    const std::vector<double> theta = random_theta(c.num_params(), g);
    INFO(c.num_qubits() << " qubits, " << theta.size() << " parameters");
    const parameter_shift_kernel pk(c);
    const auto got = pk.kernel_and_gradient<backend>(x, theta, serial);
    const auto ref = pk.kernel_and_gradient<cpu>(x, theta, serial);
    REQUIRE((got.kernel - ref.kernel).cwiseAbs().maxCoeff() <= same);
    REQUIRE(got.gradient.size() == theta.size());
    for (std::size_t k = 0; k < theta.size(); ++k)
      REQUIRE((got.gradient[k] - ref.gradient[k]).cwiseAbs().maxCoeff() <= same);
    // Against central differences of the kernel itself (fidelity_kernel on the CPU), not of the shift rule.
    const auto [central, fourth] = worst_kernel_gradient_error<backend>(c, x, theta);
    REQUIRE(central < 1e-6);
    REQUIRE(fourth < 1e-8);
    // The contraction with dL/dK, its shifted states on the backend, equals the full derivatives contracted.
    Eigen::MatrixXd dl_dk = uniform_angles(x.rows(), x.rows(), g);
    const Eigen::VectorXd dot = pk.gradient_dot<backend>(x, theta, pk.states<backend>(x, theta, serial), dl_dk, serial);
    const Eigen::MatrixXd sym = 0.5 * (dl_dk + dl_dk.transpose());
    for (std::size_t k = 0; k < theta.size(); ++k)
      REQUIRE(std::abs(dot(static_cast<Eigen::Index>(k)) - sym.cwiseProduct(ref.gradient[k]).sum()) < 1e-11);
  }
  // The trainer on the backend: the loss, its gradient and a few Adam steps as on the CPU.
  const circuit fm = with_trainable_layer(zz_feature_map(2, 1, "linear"));
  const Eigen::MatrixXd x = uniform_angles(8, 2, g);
  const std::vector<int> labels = {0, 1, 0, 1, 1, 0, 1, 0};
  const std::vector<double> theta0 = {0.3, -0.4};
  kernel_objective f(fm, x, labels, kernel_loss::alignment(), serial);
  Eigen::VectorXd on_backend, on_cpu;
  REQUIRE(std::abs(f.operator()<backend>(theta0, &on_backend) - f(theta0, &on_cpu)) <= same);
  REQUIRE(on_cpu.norm() > 1e-3);
  REQUIRE((on_backend - on_cpu).cwiseAbs().maxCoeff() <= same);
  REQUIRE((f.kernel<backend>(theta0) - f.kernel(theta0)).cwiseAbs().maxCoeff() <= same);
  kernel_training_options o;
  o.optimizer = kernel_optimizer::adam;
  o.max_iterations = 3;
  o.gradient.learning_rate = 0.1;
  o.kernel = serial;
  const auto trained = train_kernel<backend>(fm, x, labels, theta0, o);
  const auto expected = train_kernel(fm, x, labels, theta0, o);
  const double steps = same == 0 ? 0.0 : 1e-8;  // three Adam steps may grow a device's rounding differences
  REQUIRE(trained.loss_history.size() == 4);
  REQUIRE(expected.theta != theta0);
  for (std::size_t k = 0; k < 4; ++k) REQUIRE(std::abs(trained.loss_history[k] - expected.loss_history[k]) <= steps);
  for (std::size_t k = 0; k < theta0.size(); ++k) REQUIRE(std::abs(trained.theta[k] - expected.theta[k]) <= steps);
}

// The remaining cases are the CPU's: the GPU twin runs only the backend case above.
#if !defined(HQML_TEST_CUDA)
TEST_CASE("Parameter-shift kernel gradients equal central finite differences", "[kernel_training]") {
  std::mt19937 g(11);
  SECTION("trainable ZZ-style map: shared theta, coefficients, products with features, every two-term gate") {
    const circuit c = trainable_zz(3);
    REQUIRE(c.num_params() == 6);
    const parameter_shift_kernel pk(c);
    // θ0 sits in 2 reps × 3 qubits P gates plus the RZZ: one parameter, many occurrences.
    std::size_t uses_theta0 = 0;
    for (const auto& o : pk.occurrences())
      for (const auto& [k, d] : o.derivatives) uses_theta0 += k == 0;
    REQUIRE(uses_theta0 == 7);
    for (int trial = 0; trial < 3; ++trial) {
      const Eigen::MatrixXd x = uniform_angles(7, 3, g);
      const auto [central, fourth] = worst_kernel_gradient_error(c, x, random_theta(6, g));
      REQUIRE(central < 1e-6);
      REQUIRE(fourth < 1e-8);
    }
  }
  SECTION("controlled rotations by the four-term rule") {
    const circuit c = controlled_rotations();
    for (int trial = 0; trial < 3; ++trial) {
      const Eigen::MatrixXd x = uniform_angles(6, 2, g);
      const auto [central, fourth] = worst_kernel_gradient_error(c, x, random_theta(2, g));
      REQUIRE(central < 1e-6);
      REQUIRE(fourth < 1e-8);
    }
  }
  SECTION("threads give the same derivatives as one thread") {
    // Large enough (samples × gates × amplitudes) for the shifted simulations to run on a thread team.
    const circuit c = with_trainable_layer(zz_feature_map(5, 2, "linear"));
    const Eigen::MatrixXd x = uniform_angles(48, 5, g);
    const auto theta = random_theta(5, g);
    const parameter_shift_kernel pk(c);
    const auto one = pk.kernel_and_gradient(x, theta, serial);
    const auto two = pk.kernel_and_gradient(x, theta, kernel_options{2, 16});
    for (std::size_t k = 0; k < theta.size(); ++k)
      REQUIRE((one.gradient[k] - two.gradient[k]).cwiseAbs().maxCoeff() < 1e-13);
  }
  SECTION("the shift rules themselves") {
    REQUIRE(shift_rule(gate_kind::rzz).size() == 2);
    REQUIRE(shift_rule(gate_kind::cp).size() == 2);
    REQUIRE(shift_rule(gate_kind::crz).size() == 4);
    REQUIRE(shift_rule(gate_kind::h).empty());
  }
}

TEST_CASE("Alignment and SVC loss gradients equal finite differences of the losses", "[kernel_training]") {
  std::mt19937 g(5);
  const circuit c = trainable_zz(3);
  const Eigen::MatrixXd x = uniform_angles(12, 3, g);
  const std::vector<int> labels = {1, -1, -1, 1, 1, -1, 1, -1, -1, 1, 1, -1};
  const std::vector<double> theta = random_theta(6, g);
  // SVC: a tight solver tolerance, so that the dual optimum (and with it the envelope-theorem gradient) is exact.
  for (const kernel_loss& loss :
       {kernel_loss::alignment(false), kernel_loss::alignment(true), kernel_loss::svc(1.0, 1e-12)}) {
    INFO("loss " << loss.name());
    kernel_objective f(c, x, labels, loss, serial);
    Eigen::VectorXd grad;
    const double value = f(theta, &grad);
    REQUIRE(value == Approx(f(theta)).epsilon(1e-12));
    const double h = 1e-5;
    for (std::size_t k = 0; k < theta.size(); ++k) {
      auto tp = theta, tm = theta;
      tp[k] += h;
      tm[k] -= h;
      const double fd = (f(tp) - f(tm)) / (2 * h);
      INFO("theta " << k);
      REQUIRE(grad(static_cast<Eigen::Index>(k)) == Approx(fd).margin(1e-7 * (1 + std::abs(value))).epsilon(1e-5));
    }
    REQUIRE(grad.norm() > 1e-3);
    REQUIRE(f.kernel_evaluations() == 2 + 2 * theta.size());
    REQUIRE(f.gradient_evaluations() == 1);
  }
  // The memory-light contraction equals the full derivative matrices contracted with dL/dK.
  const parameter_shift_kernel pk(c);
  const auto full = pk.kernel_and_gradient(x, theta, serial);
  Eigen::MatrixXd dl_dk;
  const Eigen::VectorXd y = binary_targets(labels, "test");
  (void)kernel_loss::alignment()(full.kernel, y, &dl_dk);
  const Eigen::VectorXd dot = pk.gradient_dot(x, theta, pk.states(x, theta, serial), dl_dk, serial);
  for (std::size_t k = 0; k < theta.size(); ++k)
    REQUIRE(dot(static_cast<Eigen::Index>(k)) == Approx((dl_dk.cwiseProduct(full.gradient[k])).sum()).margin(1e-13));
}

TEST_CASE("Kernel losses equal qiskit-machine-learning's for fixed problems", "[kernel_training][qiskit]") {
  const auto ref = hqml::test::load_reference("kernel_training_reference.json");
  REQUIRE(ref["cases"].size() == 2);
  for (const auto& c : ref["cases"]) {
    const std::string name = c["name"].get<std::string>();
    INFO("case " << name);
    const circuit fm = reference_map(name, c["num_qubits"].get<std::uint32_t>());
    const Eigen::MatrixXd x = hqml::test::matrix_of(c["x"]);
    const auto labels = c["labels"].get<std::vector<int>>();
    for (const auto& p : c["points"]) {
      const auto theta = p["theta"].get<std::vector<double>>();
      const Eigen::MatrixXd k = fidelity_kernel<double>(fm, x, theta, serial);
      REQUIRE((k - hqml::test::matrix_of(p["k_train"])).cwiseAbs().maxCoeff() < 1e-12);
      const auto loss = [&](const kernel_loss& l) { return kernel_objective(fm, x, labels, l, serial)(theta); };
      REQUIRE(loss(kernel_loss::alignment()) == Approx(-p["alignment"].get<double>()).epsilon(1e-12));
      REQUIRE(loss(kernel_loss::alignment(true)) == Approx(-p["centered_alignment"].get<double>()).epsilon(1e-12));
      for (const auto& [key, cc] : {std::pair<const char*, double>{"1.0", 1.0}, {"10.0", 10.0}}) {
        INFO("C = " << cc);
        REQUIRE(loss(kernel_loss::svc(cc)) == Approx(p["svc_loss"][key].get<double>()).epsilon(1e-7));
      }
    }
  }
}

TEST_CASE("Training increases kernel-target alignment on the ad hoc dataset", "[kernel_training]") {
  const ad_hoc_dataset d = ad_hoc_data(20, 10, 2, 0.3, 1);
  const circuit fm = with_trainable_layer(zz_feature_map(2, 2, "linear"));
  const std::vector<int> labels(d.train.y.data(), d.train.y.data() + d.train.y.size());  // 0 / 1
  const Eigen::VectorXd y = binary_targets(labels, "test");
  const std::vector<double> theta0 = {0.15, 4.95};
  auto alignment_at = [&](const std::vector<double>& t) {
    return learn::kernel_target_alignment(fidelity_kernel<double>(fm, d.train.x, t, serial), y);
  };
  const double before = alignment_at(theta0);
  // Measured: 0.245 at theta0; SPSA reaches 0.394 and gradient descent and Adam 0.393 within 30 iterations.
  REQUIRE(before == Approx(0.2456).margin(1e-3));
  for (const auto method : {kernel_optimizer::spsa, kernel_optimizer::gradient_descent, kernel_optimizer::adam}) {
    INFO("optimizer " << static_cast<int>(method));
    kernel_training_options o;
    o.optimizer = method;
    o.max_iterations = 30;
    o.kernel = serial;
    o.gradient.learning_rate = method == kernel_optimizer::gradient_descent ? 1.0 : 0.1;
    std::vector<double> seen;
    o.callback = [&](std::size_t k, std::span<const double> t, double loss) {
      REQUIRE(k == seen.size() + 1);
      REQUIRE(t.size() == 2);
      seen.push_back(loss);
    };
    const auto r = train_kernel(fm, d.train.x, labels, theta0, o);
    REQUIRE(r.iterations == 30);
    REQUIRE(r.loss_history.size() == 31);
    REQUIRE(r.loss_history.front() == Approx(-before).epsilon(1e-12));
    REQUIRE(std::vector<double>(r.loss_history.begin() + 1, r.loss_history.end()) == seen);
    REQUIRE(r.loss == *std::min_element(r.loss_history.begin(), r.loss_history.end()));
    const double after = alignment_at(r.theta);  // recomputed independently of the trainer
    REQUIRE(after == Approx(-r.loss).epsilon(1e-12));
    REQUIRE(after > before + 0.12);
    if (method == kernel_optimizer::spsa) {
      REQUIRE(r.kernel_evaluations == 50 + 1 + 3 * 30);  // calibration, start, two probes and one step per iteration
      REQUIRE(r.gradient_evaluations == 0);
      o.callback = nullptr;
      REQUIRE(train_kernel(fm, d.train.x, labels, theta0, o).theta == r.theta);  // seeded: reproducible
    } else {
      REQUIRE(r.kernel_evaluations == 31);
      REQUIRE(r.gradient_evaluations == 30);
      // 2 RY occurrences × 2 shifts per sample per gradient, plus one unshifted batch per kernel.
      REQUIRE(r.circuit_runs == 40 * (31 + 30 * 4));
    }
  }
  {  // the SVC loss decreases too, and a tolerance stops early
    kernel_training_options o;
    o.loss = kernel_loss::svc(1.0);
    o.optimizer = kernel_optimizer::adam;
    o.max_iterations = 15;
    o.kernel = serial;
    const auto r = train_kernel(fm, d.train.x, labels, theta0, o);
    REQUIRE(r.loss < r.loss_history.front() - 0.5);
    o.loss = kernel_loss::alignment();
    o.max_iterations = 200;
    o.tolerance = 1e-6;
    const auto s = train_kernel(fm, d.train.x, labels, theta0, o);
    REQUIRE(s.converged);
    REQUIRE(s.iterations < 200);
    REQUIRE(std::abs(s.loss_history[s.iterations] - s.loss_history[s.iterations - 1]) <= 1e-6);
  }
}

TEST_CASE("Kernel training rejects bad input with clear errors", "[kernel_training]") {
  const circuit fm = with_trainable_layer(zz_feature_map(2, 1, "linear"));
  std::mt19937 g(2);
  const Eigen::MatrixXd x = uniform_angles(6, 2, g);
  const std::vector<int> labels = {0, 1, 0, 1, 1, 0};
  const std::vector<double> theta = {0.1, 0.2};
  using Catch::Contains;
  REQUIRE_THROWS_WITH(train_kernel(fm, x, labels, std::vector<double>{0.1}),
                      Contains("theta0 has 1 values; the feature map has 2 trainable parameters"));
  REQUIRE_THROWS_WITH(parameter_shift_kernel(fm).kernel_and_gradient(x, std::vector<double>{1, 2, 3}),
                      Contains("theta has 3 values"));
  REQUIRE_THROWS_WITH(kernel_objective(fm, x, labels, kernel_loss::alignment())(std::vector<double>{1}),
                      Contains("theta has 1 values"));
  REQUIRE_THROWS_WITH(train_kernel(fm, x, std::vector<int>{1, 2, 1, 2, 1, 2}, theta),
                      Contains("labels: value 2 is not binary"));
  REQUIRE_THROWS_WITH(train_kernel(fm, x, std::vector<int>{-1, 0, 1, 1, 0, -1}, theta),
                      Contains("-1 and 0 both occur"));
  REQUIRE_THROWS_WITH(train_kernel(fm, x, std::vector<int>{1, 1, 1, 1, 1, 1}, theta), Contains("only one class"));
  REQUIRE_THROWS_WITH(train_kernel(fm, x, std::vector<int>{0, 1, 0, 1, 1}, theta),
                      Contains("labels: 5 given for 6 rows of X"));
  REQUIRE_THROWS_WITH(train_kernel(fm, x.leftCols(1), labels, theta),
                      Contains("reads feature x[1] but X has 1 columns"));
  REQUIRE_THROWS_WITH(train_kernel(zz_feature_map(2, 1), x, labels, std::vector<double>{}),
                      Contains("no trainable parameter"));
  circuit measured = fm;
  measured.measure_all();
  REQUIRE_THROWS_WITH(parameter_shift_kernel(measured), Contains("must be unitary"));
  kernel_training_options o;
  o.spsa.learning_rate = 0.1;  // without a perturbation
  REQUIRE_THROWS_WITH(train_kernel(fm, x, labels, theta, o), Contains("learning_rate and perturbation together"));
  REQUIRE_THROWS_WITH(kernel_loss::svc(0.0), Contains("C must be positive"));
}
#endif
