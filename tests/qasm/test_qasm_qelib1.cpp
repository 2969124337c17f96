// qelib1.inc as imported: every gate's matrix against the one it must equal. The reference matrices
// are written down here from their definitions (or Qiskit's, where the relative phases are the point),
// independently of the importer's decompositions, and compared exactly: these gates can be controlled
// or composed, so no global phase is allowed to differ.

#include "qasm_test_support.hpp"

#include <hqml/qasm.hpp>

#include <catch2/catch.hpp>

#include <complex>
#include <numbers>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

using qasm_test::cplx;
using qasm_test::max_diff;
using std::numbers::pi;
constexpr double tol = 1e-12;

hqml::matrix unitary_of_call(const std::string& call, std::size_t n) {
  const auto c =
      hqml::parse_qasm("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[" + std::to_string(n) + "];\n" + call + ";\n");
  return qasm_test::unitary_of(c);
}

std::string num(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

using qasm_test::identity;

hqml::matrix gm(hqml::gate_kind k, std::vector<double> p = {}) { return hqml::gate_matrix(k, p.data()); }

// Sparse matrix from (row, column, value) triples; every other entry zero.
hqml::matrix sparse(std::size_t d, std::initializer_list<std::tuple<std::size_t, std::size_t, cplx>> entries) {
  hqml::matrix m(d * d, 0.0);
  for (const auto& [r, c, v] : entries) m[r * d + c] = v;
  return m;
}

}  // namespace

TEST_CASE("qelib1: gates with an hqml kind have exactly that kind's matrix", "[qasm][qelib1]") {
  using K = hqml::gate_kind;
  const double a = 0.3, b = -1.1, c = 2.4;
  struct row {
    std::string call;
    std::size_t n;
    hqml::matrix expected;
  };
  const std::vector<row> rows = {
      {"U(0.3,-1.1,2.4) q[0]", 1, qasm_test::u3(a, b, c)},
      {"u3(0.3,-1.1,2.4) q[0]", 1, qasm_test::u3(a, b, c)},
      {"u(0.3,-1.1,2.4) q[0]", 1, qasm_test::u3(a, b, c)},
      {"u2(-1.1,2.4) q[0]", 1, qasm_test::u3(pi / 2, b, c)},
      {"u1(2.4) q[0]", 1, {1.0, 0.0, 0.0, std::polar(1.0, c)}},
      {"p(2.4) q[0]", 1, {1.0, 0.0, 0.0, std::polar(1.0, c)}},
      {"id q[0]", 1, identity(2)},
      {"u0(5) q[0]", 1, identity(2)},
      {"x q[0]", 1, gm(K::x)},
      {"y q[0]", 1, gm(K::y)},
      {"z q[0]", 1, gm(K::z)},
      {"h q[0]", 1, gm(K::h)},
      {"s q[0]", 1, gm(K::s)},
      {"sdg q[0]", 1, gm(K::sdg)},
      {"t q[0]", 1, gm(K::t)},
      {"tdg q[0]", 1, gm(K::tdg)},
      {"rx(0.3) q[0]", 1, gm(K::rx, {a})},
      {"ry(0.3) q[0]", 1, gm(K::ry, {a})},
      {"rz(0.3) q[0]", 1, gm(K::rz, {a})},
      {"sx q[0]", 1, gm(K::sx)},
      {"sxdg q[0]", 1, gm(K::sxdg)},
      {"CX q[0],q[1]", 2, gm(K::cx)},
      {"cx q[0],q[1]", 2, gm(K::cx)},
      {"cz q[0],q[1]", 2, gm(K::cz)},
      {"cy q[0],q[1]", 2, gm(K::cy)},
      {"ch q[0],q[1]", 2, gm(K::ch)},
      {"swap q[0],q[1]", 2, gm(K::swap)},
      {"crx(0.3) q[0],q[1]", 2, gm(K::crx, {a})},
      {"cry(0.3) q[0],q[1]", 2, gm(K::cry, {a})},
      {"crz(0.3) q[0],q[1]", 2, gm(K::crz, {a})},
      {"cu1(0.3) q[0],q[1]", 2, gm(K::cp, {a})},
      {"cp(0.3) q[0],q[1]", 2, gm(K::cp, {a})},
      {"rxx(0.3) q[0],q[1]", 2, gm(K::rxx, {a})},
      {"rzz(0.3) q[0],q[1]", 2, gm(K::rzz, {a})},
      {"ccx q[0],q[1],q[2]", 3, gm(K::ccx)},
      {"cswap q[0],q[1],q[2]", 3, gm(K::cswap)},
  };
  for (const auto& r : rows) {
    INFO(r.call);
    CHECK(max_diff(unitary_of_call(r.call, r.n), r.expected) < tol);
  }
}

TEST_CASE("qelib1: the gates hqml decomposes equal their definitions exactly", "[qasm][qelib1]") {
  const hqml::matrix sx = hqml::gate_matrix(hqml::gate_kind::sx);
  const hqml::matrix x = hqml::gate_matrix(hqml::gate_kind::x);
  SECTION("cu3 is U3 controlled, with no extra phase") {
    for (const auto& [t, p, l] : {std::tuple{0.3, -1.1, 2.4}, std::tuple{pi, 0.0, pi}, std::tuple{-2.0, 0.7, 0.0}}) {
      const std::string call = "cu3(" + num(t) + "," + num(p) + "," + num(l) + ")";
      CHECK(max_diff(unitary_of_call(call + " q[0],q[1]", 2),
                     qasm_test::controlled(2, {0}, 1, qasm_test::u3(t, p, l))) < tol);
      // control and target the other way round
      CHECK(max_diff(unitary_of_call(call + " q[1],q[0]", 2),
                     qasm_test::controlled(2, {1}, 0, qasm_test::u3(t, p, l))) < tol);
    }
  }
  SECTION("cu is e^{i gamma} U3 controlled") {
    CHECK(max_diff(unitary_of_call("cu(0.3,-1.1,2.4,0.9) q[0],q[1]", 2),
                   qasm_test::controlled(2, {0}, 1, qasm_test::u3(0.3, -1.1, 2.4, 0.9))) < tol);
    CHECK(max_diff(unitary_of_call("cu(0.3,-1.1,2.4,0.9) q[2],q[0]", 3),
                   qasm_test::controlled(3, {2}, 0, qasm_test::u3(0.3, -1.1, 2.4, 0.9))) < tol);
  }
  SECTION("csx is sqrt(X) controlled") {
    CHECK(max_diff(unitary_of_call("csx q[0],q[1]", 2), qasm_test::controlled(2, {0}, 1, sx)) < tol);
  }
  SECTION("c3x, c3sqrtx and c4x are multi-controlled X and sqrt(X)") {
    CHECK(max_diff(unitary_of_call("c3x q[0],q[1],q[2],q[3]", 4), qasm_test::controlled(4, {0, 1, 2}, 3, x)) < tol);
    CHECK(max_diff(unitary_of_call("c3x q[3],q[1],q[0],q[2]", 4), qasm_test::controlled(4, {3, 1, 0}, 2, x)) < tol);
    CHECK(max_diff(unitary_of_call("c3sqrtx q[0],q[1],q[2],q[3]", 4), qasm_test::controlled(4, {0, 1, 2}, 3, sx)) <
          tol);
    CHECK(max_diff(unitary_of_call("c4x q[0],q[1],q[2],q[3],q[4]", 5), qasm_test::controlled(5, {0, 1, 2, 3}, 4, x)) <
          tol);
    CHECK(max_diff(unitary_of_call("c4x q[4],q[2],q[0],q[1],q[3]", 5), qasm_test::controlled(5, {4, 2, 0, 1}, 3, x)) <
          tol);
  }
  SECTION("rccx and rc3x are Qiskit's relative-phase Toffolis") {
    const cplx i{0.0, 1.0};
    const auto rccx = sparse(
        8, {{0, 0, 1.0}, {1, 1, 1.0}, {2, 2, 1.0}, {3, 7, -i}, {4, 4, 1.0}, {5, 5, -1.0}, {6, 6, 1.0}, {7, 3, i}});
    CHECK(max_diff(unitary_of_call("rccx q[0],q[1],q[2]", 3), rccx) < tol);
    const auto rc3x = sparse(16, {{0, 0, 1.0},
                                  {1, 1, 1.0},
                                  {2, 2, 1.0},
                                  {3, 3, i},
                                  {4, 4, 1.0},
                                  {5, 5, 1.0},
                                  {6, 6, 1.0},
                                  {7, 15, 1.0},
                                  {8, 8, 1.0},
                                  {9, 9, 1.0},
                                  {10, 10, 1.0},
                                  {11, 11, -i},
                                  {12, 12, 1.0},
                                  {13, 13, 1.0},
                                  {14, 14, 1.0},
                                  {15, 7, -1.0}});
    CHECK(max_diff(unitary_of_call("rc3x q[0],q[1],q[2],q[3]", 4), rc3x) < tol);
  }
}

TEST_CASE("qelib1: decomposed gates broadcast and nest in user gates", "[qasm][qelib1]") {
  const auto c = hqml::parse_qasm(
      "OPENQASM 2.0;\ninclude \"qelib1.inc\";\ngate my(a) x, y { cu3(a, 0, 0) x, y; }\nqreg ctl[2];\nqreg tgt[2];\n"
      "my(pi) ctl, tgt;\n");
  const hqml::matrix ry_pi = qasm_test::u3(pi, 0, 0);
  hqml::circuit expected(4);
  expected.unitary({0, 2}, qasm_test::controlled(2, {0}, 1, ry_pi));
  expected.unitary({1, 3}, qasm_test::controlled(2, {0}, 1, ry_pi));
  CHECK(max_diff(qasm_test::unitary_of(c), qasm_test::unitary_of(expected)) < tol);
}
