// Gate matrices checked against their definitions written independently here: Pauli algebra,
// exponentials of Pauli generators and projector forms of controlled gates.
#include <catch2/catch.hpp>

#include <hqml/gate.hpp>

#include <Eigen/Dense>

#include <complex>
#include <numbers>

using namespace hqml;
using cmat = Eigen::MatrixXcd;
using cd = std::complex<double>;

namespace {
cmat to_eigen(const matrix& m) {
  const auto d = static_cast<Eigen::Index>(matrix_dimension(m.size()));
  cmat e(d, d);
  for (Eigen::Index r = 0; r < d; ++r)
    for (Eigen::Index c = 0; c < d; ++c) e(r, c) = m[static_cast<std::size_t>(r * d + c)];
  return e;
}
cmat gm(gate_kind k, std::initializer_list<double> p = {}) {
  std::vector<double> v(p);
  return to_eigen(gate_matrix(k, v.data()));
}
const cd I{0, 1};
double pi_half() { return std::numbers::pi / 2; }
cmat X() { return (cmat(2, 2) << 0, 1, 1, 0).finished(); }
cmat Y() { return (cmat(2, 2) << 0, -I, I, 0).finished(); }
cmat Z() { return (cmat(2, 2) << 1, 0, 0, -1).finished(); }
cmat Id(Eigen::Index d = 2) { return cmat::Identity(d, d); }
// a ⊗ b with b on the lower bit (qubit 0) of the index: kron(hi, lo).
cmat kron(const cmat& hi, const cmat& lo) {
  cmat r(hi.rows() * lo.rows(), hi.cols() * lo.cols());
  for (Eigen::Index i = 0; i < hi.rows(); ++i)
    for (Eigen::Index j = 0; j < hi.cols(); ++j) r.block(i * lo.rows(), j * lo.cols(), lo.rows(), lo.cols()) = hi(i, j) * lo;
  return r;
}
// exp(-i θ/2 P) for P² = I.
cmat rot(const cmat& p, double th) { return std::cos(th / 2) * Id(p.rows()) - I * std::sin(th / 2) * p; }
// Controlled u with the control on qubit 0 (low bit) and the target on qubit 1.
cmat ctrl(const cmat& u) {
  const cmat p0 = (cmat(2, 2) << 1, 0, 0, 0).finished(), p1 = (cmat(2, 2) << 0, 0, 0, 1).finished();
  return kron(Id(), p0) + kron(u, p1);
}
void same(const cmat& a, const cmat& b) { REQUIRE((a - b).cwiseAbs().maxCoeff() < 1e-14); }
}  // namespace

TEST_CASE("one-qubit gate matrices follow their definitions", "[gate_matrix]") {
  const double th = 0.7312, ph = -1.234, la = 2.5;
  same(gm(gate_kind::x), X());
  same(gm(gate_kind::y), Y());
  same(gm(gate_kind::z), Z());
  same(gm(gate_kind::h), (X() + Z()) / std::sqrt(2.0));
  same(gm(gate_kind::s) * gm(gate_kind::s), Z());
  same(gm(gate_kind::t) * gm(gate_kind::t), gm(gate_kind::s));
  same(gm(gate_kind::sdg), gm(gate_kind::s).adjoint());
  same(gm(gate_kind::tdg), gm(gate_kind::t).adjoint());
  same(gm(gate_kind::sx) * gm(gate_kind::sx), X());
  same(gm(gate_kind::sxdg), gm(gate_kind::sx).adjoint());
  same(gm(gate_kind::rx, {th}), rot(X(), th));
  same(gm(gate_kind::ry, {th}), rot(Y(), th));
  same(gm(gate_kind::rz, {th}), rot(Z(), th));
  same(gm(gate_kind::p, {th}), std::exp(I * th / 2.0) * rot(Z(), th));
  // U(θ, φ, λ) = e^{i(φ+λ)/2} RZ(φ) RY(θ) RZ(λ) (OpenQASM 3 / Qiskit definition).
  same(gm(gate_kind::u, {th, ph, la}), std::exp(I * (ph + la) / 2.0) * rot(Z(), ph) * rot(Y(), th) * rot(Z(), la));
}

TEST_CASE("two- and three-qubit gate matrices follow their definitions", "[gate_matrix]") {
  const double th = 1.1;
  same(gm(gate_kind::cx), ctrl(X()));
  same(gm(gate_kind::cy), ctrl(Y()));
  same(gm(gate_kind::cz), ctrl(Z()));
  same(gm(gate_kind::ch), ctrl((X() + Z()) / std::sqrt(2.0)));
  same(gm(gate_kind::crx, {th}), ctrl(rot(X(), th)));
  same(gm(gate_kind::cry, {th}), ctrl(rot(Y(), th)));
  same(gm(gate_kind::crz, {th}), ctrl(rot(Z(), th)));
  same(gm(gate_kind::cp, {th}), ctrl(gm(gate_kind::p, {th})));
  same(gm(gate_kind::rxx, {th}), rot(kron(X(), X()), th));
  same(gm(gate_kind::ryy, {th}), rot(kron(Y(), Y()), th));
  same(gm(gate_kind::rzz, {th}), rot(kron(Z(), Z()), th));
  // SWAP = (I + XX + YY + ZZ)/2; iSWAP = exp(i π/4 (XX + YY)).
  same(gm(gate_kind::swap), (Id(4) + kron(X(), X()) + kron(Y(), Y()) + kron(Z(), Z())) / 2.0);
  same(gm(gate_kind::iswap), rot(kron(X(), X()), -pi_half()) * rot(kron(Y(), Y()), -pi_half()));
  // Toffoli and Fredkin truth tables.
  const cmat ccx = gm(gate_kind::ccx), cswap = gm(gate_kind::cswap);
  for (int in = 0; in < 8; ++in) {
    const bool c0 = in & 1, c1 = in & 2;
    const int out_ccx = (c0 && c1) ? in ^ 4 : in;
    const int b1 = (in >> 1) & 1, b2 = (in >> 2) & 1;
    const int out_cswap = c0 ? ((in & 1) | (b2 << 1) | (b1 << 2)) : in;
    for (int r = 0; r < 8; ++r) {
      REQUIRE(std::abs(ccx(r, in) - cd(r == out_ccx ? 1 : 0)) < 1e-15);
      REQUIRE(std::abs(cswap(r, in) - cd(r == out_cswap ? 1 : 0)) < 1e-15);
    }
  }
}

TEST_CASE("check_unitary rejects non-unitary matrices with a clear message", "[gate_matrix]") {
  REQUIRE_NOTHROW(check_unitary(gate_matrix(gate_kind::h), 2, 1e-12, "h"));
  REQUIRE_THROWS_WITH(check_unitary({1, 1, 0, 1}, 2, 1e-8, "mine"), Catch::Contains("mine") && Catch::Contains("not unitary"));
  REQUIRE_THROWS_WITH(check_unitary({1, 0, 0}, 2, 1e-8, "mine"), Catch::Contains("3 entries"));
}
