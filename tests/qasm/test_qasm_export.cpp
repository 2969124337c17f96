// The OpenQASM 2.0 exporter: round trips, decompositions of what qelib1.inc lacks, errors, and files.

#include "qasm_test_support.hpp"

#include <hqml/qasm.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <string>
#include <system_error>
#include <vector>

namespace {

using hqml::gate_kind;
using qasm_test::max_diff;
using qasm_test::max_diff_up_to_phase;
namespace fs = std::filesystem;
using std::numbers::pi;

void require_same_operations(const hqml::circuit& a, const hqml::circuit& b) {
  REQUIRE(a.num_qubits() == b.num_qubits());
  REQUIRE(a.num_clbits() == b.num_clbits());
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("operation " << i << " (" << a[i].name() << ")");
    CHECK(a[i].kind == b[i].kind);
    CHECK(a[i].qubits == b[i].qubits);
    CHECK(a[i].params == b[i].params);  // bit-exact: 17 significant digits round-trip every double
    CHECK(a[i].clbit == b[i].clbit);
  }
}

// Every gate qelib1.inc has, with awkward angles.
hqml::circuit all_qelib1_kinds() {
  hqml::circuit c(4, 3);
  const double a = 0.1, b = -2.718281828459045, d = 1e-20, e = 123456.789;
  c.i(0).x(1).y(2).z(3).h(0).s(1).sdg(2).t(3).tdg(0).sx(1).sxdg(2);
  c.rx(0, a).ry(1, b).rz(2, d).p(3, e).u(0, a, b, pi).u(1, -0.0, 1e22, 5e-324);
  c.cx(0, 1).cy(1, 2).cz(2, 3).ch(3, 0).swap(0, 2).crx(1, 3, a).cry(3, 1, b).crz(0, 3, e).cp(2, 0, pi / 3);
  c.rxx(0, 3, a).rzz(3, 2, b).ccx(0, 1, 2).cswap(3, 2, 1);
  c.barrier().barrier({2, 0}).reset(1).measure(0, 2).measure(3, 0);
  return c;
}

std::vector<std::uint32_t> all_qubits(std::size_t n) {
  std::vector<std::uint32_t> q(n);
  for (std::size_t i = 0; i < n; ++i) q[i] = static_cast<std::uint32_t>(i);
  return q;
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("hqml_qasm_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("qasm export: the text of a small circuit", "[qasm][export]") {
  hqml::circuit c(2, 2);
  c.h(0).cx(0, 1).rz(1, 0.5).p(0, 0.1).measure(0, 0).measure(1, 1);
  CHECK(hqml::to_qasm(c) ==
        "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nrz(0.5) q[1];\n"
        "u1(0.10000000000000001) q[0];\nmeasure q[0] -> c[0];\nmeasure q[1] -> c[1];\n");
  CHECK(hqml::to_qasm(hqml::circuit()) == "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n");
}

TEST_CASE("qasm export: numbers have 17 significant digits and stay valid OpenQASM reals", "[qasm][export]") {
  using hqml::detail::qasm::format_real;
  CHECK(format_real(0.5) == "0.5");
  CHECK(format_real(-0.1) == "-0.10000000000000001");
  CHECK(format_real(pi) == "3.1415926535897931");
  CHECK(format_real(3.0) == "3");
  CHECK(format_real(1e22) == "1.0e+22");
  CHECK(format_real(1e-5) == "1.0000000000000001e-05");
  CHECK(format_real(5e-324) == "4.9406564584124654e-324");
}

TEST_CASE("qasm export: parse(to_qasm(c)) gives back every qelib1 gate exactly", "[qasm][export]") {
  const auto c = all_qelib1_kinds();
  const std::string text = hqml::to_qasm(c);
  INFO(text);
  require_same_operations(hqml::parse_qasm(text), c);
  // and the text is stable under a second round
  CHECK(hqml::to_qasm(hqml::parse_qasm(text)) == text);
}

TEST_CASE("qasm export: ryy and iswap come with exact gate definitions", "[qasm][export]") {
  hqml::circuit c(3);
  c.h(0).ryy(0, 2, 0.7).iswap(2, 1).ryy(1, 0, -1.3).iswap(0, 2);
  const std::string text = hqml::to_qasm(c);
  INFO(text);
  CHECK_THAT(text, Catch::Contains("gate ryy(theta) a,b {"));
  CHECK_THAT(text, Catch::Contains("gate iswap a,b {"));
  CHECK_THAT(text, Catch::Contains("ryy(0.69999999999999996) q[0],q[2];"));
  CHECK_THAT(text, Catch::Contains("iswap q[2],q[1];"));
  const auto back = hqml::parse_qasm(text);
  CHECK(max_diff(qasm_test::unitary_of(back), qasm_test::unitary_of(c)) < 1e-12);
}

TEST_CASE("qasm export: one-qubit unitary and diagonal operations become u3 and u1", "[qasm][export]") {
  std::mt19937_64 rng(7);
  const hqml::matrix x = hqml::gate_matrix(hqml::gate_kind::x);
  const hqml::matrix y = hqml::gate_matrix(hqml::gate_kind::y);
  std::vector<hqml::matrix> cases = {x,
                                     y,
                                     hqml::gate_matrix(hqml::gate_kind::h),
                                     hqml::gate_matrix(hqml::gate_kind::sx),
                                     qasm_test::u3(1e-17, 0.3, 0.2, 1.0),
                                     qasm_test::u3(pi - 1e-17, 0.3, 0.2, -2.0)};
  hqml::matrix phased_x = x;
  for (auto& v : phased_x) v *= std::polar(1.0, 0.4);
  cases.push_back(phased_x);
  for (int i = 0; i < 50; ++i) cases.push_back(qasm_test::random_unitary(2, rng));
  for (const auto& m : cases) {
    hqml::circuit c(2);
    c.unitary({1}, m);
    const auto back = hqml::parse_qasm(hqml::to_qasm(c));
    REQUIRE(back.size() == 1);
    CHECK(back[0].kind == gate_kind::u);
    CHECK(max_diff_up_to_phase(qasm_test::unitary_of(back), qasm_test::unitary_of(c)) < 1e-14);
  }
  hqml::circuit d(1);
  d.diagonal({0}, {std::polar(1.0, 0.3), std::polar(1.0, -2.9)});
  const auto back = hqml::parse_qasm(hqml::to_qasm(d));
  REQUIRE(back.size() == 1);
  CHECK(back[0].kind == gate_kind::p);
  CHECK(max_diff_up_to_phase(qasm_test::unitary_of(back), qasm_test::unitary_of(d)) < 1e-14);
}

TEST_CASE("qasm export: larger diagonal operations decompose exactly up to global phase", "[qasm][export]") {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> ph(-pi, pi);
  for (std::size_t k = 2; k <= hqml::max_unitary_qubits; ++k) {
    INFO(k << " qubits");
    hqml::matrix d(std::size_t{1} << k);
    for (auto& v : d) v = std::polar(1.0, ph(rng));
    hqml::circuit c(k + 1);
    std::vector<std::uint32_t> qs = all_qubits(k + 1);
    std::shuffle(qs.begin(), qs.end(), rng);
    qs.pop_back();
    c.h(0).diagonal(qs, d).h(static_cast<std::uint32_t>(k));
    const auto back = hqml::parse_qasm(hqml::to_qasm(c));
    CHECK(max_diff_up_to_phase(qasm_test::unitary_of(back), qasm_test::unitary_of(c)) < 1e-12);
  }
  // the controlled-Z diagonal needs no rotation for the constant part
  hqml::circuit cz(2);
  cz.diagonal({0, 1}, {1.0, 1.0, 1.0, -1.0});
  CHECK(max_diff_up_to_phase(qasm_test::unitary_of(hqml::parse_qasm(hqml::to_qasm(cz))),
                             hqml::gate_matrix(hqml::gate_kind::cz)) < 1e-14);
}

TEST_CASE("qasm export: larger unitary operations decompose exactly up to global phase", "[qasm][export]") {
  std::mt19937_64 rng(5);
  SECTION("random unitaries on 2 to 4 qubits, on permuted qubits") {
    for (std::size_t k = 2; k <= 4; ++k) {
      INFO(k << " qubits");
      const auto m = qasm_test::random_unitary(std::size_t{1} << k, rng);
      hqml::circuit c(k + 1);
      std::vector<std::uint32_t> qs = all_qubits(k + 1);
      std::shuffle(qs.begin(), qs.end(), rng);
      qs.pop_back();
      c.unitary(qs, m);
      const auto back = hqml::parse_qasm(hqml::to_qasm(c));
      CHECK(max_diff_up_to_phase(qasm_test::unitary_of(back), qasm_test::unitary_of(c)) < 1e-10);
    }
  }
  SECTION("sparse and structured unitaries") {
    const std::vector<std::pair<std::size_t, hqml::matrix>> cases = {
        {2, hqml::gate_matrix(hqml::gate_kind::swap)},
        {2, hqml::gate_matrix(hqml::gate_kind::iswap)},
        {2, hqml::gate_matrix(hqml::gate_kind::cx)},
        {3, hqml::gate_matrix(hqml::gate_kind::ccx)},
        {3, hqml::gate_matrix(hqml::gate_kind::cswap)},
        {2,
         [] {
           hqml::matrix m(16, 0.0);
           for (std::size_t i = 0; i < 4; ++i) m[i * 4 + i] = 1.0;
           return m;
         }()},
    };
    for (const auto& [k, m] : cases) {
      hqml::circuit c(k);
      c.unitary(all_qubits(k), m);
      const auto back = hqml::parse_qasm(hqml::to_qasm(c));
      CHECK(max_diff_up_to_phase(qasm_test::unitary_of(back), m) < 1e-12);
    }
  }
  SECTION("a 6-qubit unitary, the largest hqml holds, with the block-ZXZ decomposition's count") {
    const auto m = qasm_test::random_unitary(64, rng);
    hqml::circuit c(6);
    c.unitary(all_qubits(6), m);
    const auto back = hqml::parse_qasm(hqml::to_qasm(c));
    std::size_t two_qubit = 0, one_qubit = 0;
    for (const auto& op : back.operations()) {
      if (op.kind == gate_kind::cx || op.kind == gate_kind::cz)
        ++two_qubit;
      else if (op.qubits.size() == 1 && hqml::is_unitary(op.kind))
        ++one_qubit;
    }
    CHECK(two_qubit + one_qubit == back.size());
    CHECK(two_qubit == 1783);               // (22/48)·4^6 − (3/2)·2^6 + 5/3
    CHECK(one_qubit <= 2 * two_qubit + 6);  // runs of one-qubit gates are merged
    CHECK(max_diff_up_to_phase(qasm_test::unitary_of(back), m) < 1e-11);
  }
}

TEST_CASE("qasm export: Euler angles of one-qubit unitaries, global phase included", "[qasm][export]") {
  using hqml::detail::synth::euler_angles;
  std::mt19937_64 rng(3);
  std::vector<hqml::matrix> cases = {{1.0, 0.0, 0.0, 1.0},
                                     {0.0, 1.0, 1.0, 0.0},
                                     {-1.0, 0.0, 0.0, -1.0},
                                     qasm_test::u3(1e-17, 0.3, 0.2, 1.0),
                                     qasm_test::u3(pi - 1e-17, 0.3, 0.2, -2.0)};
  for (int i = 0; i < 100; ++i) cases.push_back(qasm_test::random_unitary(2, rng));
  for (const auto& m : cases) {
    const auto a = euler_angles({m[0], m[1], m[2], m[3]});
    CHECK(max_diff(qasm_test::u3(a.theta, a.phi, a.lambda, a.gamma), m) < 1e-14);
  }
}

TEST_CASE("qasm export: refuses parameterized circuits, naming the operation", "[qasm][export]") {
  hqml::circuit c(2);
  c.h(0).rx(1, hqml::param(0) * 2.0).rz(0, hqml::feature(3));
  try {
    (void)hqml::to_qasm(c);
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    CHECK_THAT(e.what(), Catch::Contains("operation #1 ('rx')"));
    CHECK_THAT(e.what(), Catch::Contains("2*theta[0]"));
    CHECK_THAT(e.what(), Catch::Contains("bind()"));
  }
  const std::vector<double> theta = {0.25}, x = {0, 0, 0, 1.5};
  const auto bound = c.bind(theta, x);
  const auto back = hqml::parse_qasm(hqml::to_qasm(bound));
  CHECK(back[1].params[0].value() == 0.5);
  CHECK(back[2].params[0].value() == 1.5);
}

TEST_CASE("qasm export: save_qasm writes atomically and load_qasm reads it back", "[qasm][export][file]") {
  const fs::path dir = fresh_dir("save");
  const fs::path file = dir / "circuit.qasm";
  const auto c = all_qelib1_kinds();
  hqml::save_qasm(c, file);
  CHECK(read_file(file) == hqml::to_qasm(c));
  require_same_operations(hqml::load_qasm(file), c);
  // overwrite an existing file
  hqml::circuit small(1);
  small.x(0);
  hqml::save_qasm(small, file);
  CHECK(read_file(file) == hqml::to_qasm(small));
  // a circuit that cannot be written leaves the old file alone
  hqml::circuit bad(1);
  bad.rx(0, hqml::param(0));
  CHECK_THROWS_AS(hqml::save_qasm(bad, file), std::invalid_argument);
  CHECK(read_file(file) == hqml::to_qasm(small));
  // nothing but the file itself is left in the folder
  std::size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    INFO(entry.path());
    CHECK(entry.path().filename() == "circuit.qasm");
    ++entries;
  }
  CHECK(entries == 1);
  // a relative path with no folder part saves into the working directory
  const fs::path cwd = fs::current_path();
  fs::current_path(dir);
  hqml::save_qasm(small, "here.qasm");
  fs::current_path(cwd);
  CHECK(read_file(dir / "here.qasm") == hqml::to_qasm(small));
  fs::remove_all(dir);
}

TEST_CASE("qasm export: file errors are clear exceptions", "[qasm][export][file]") {
  const fs::path dir = fresh_dir("errors");
  hqml::circuit c(1);
  c.h(0);
  try {
    hqml::save_qasm(c, dir / "missing" / "c.qasm");
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("cannot create temporary file"));
    CHECK_THAT(e.what(), Catch::Contains("missing"));
  }
  CHECK(!fs::exists(dir / "missing"));
  try {
    (void)hqml::load_qasm(dir / "nope.qasm");
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("nope.qasm': cannot open"));
    CHECK_THAT(e.what(), Catch::Contains("nope.qasm"));
    CHECK(e.code() == std::errc::no_such_file_or_directory);
  }
  CHECK_THROWS_AS(hqml::load_qasm(dir), std::system_error);
  // parse errors from a file name the file
  { std::ofstream(dir / "bad.qasm") << "OPENQASM 2.0;\nqreg q[1];\nh q[0];\n"; }
  try {
    (void)hqml::load_qasm(dir / "bad.qasm");
    FAIL("no exception");
  } catch (const hqml::parse_error& e) {
    CHECK(e.file() == (dir / "bad.qasm").string());
    CHECK(e.line() == 3);
  }
  fs::remove_all(dir);
}

TEST_CASE("remove_final_measurements drops only measurements nothing but measures and barriers follow",
          "[qasm][export]") {
  hqml::circuit c(3, 4);
  c.h(0).measure(0, 0).x(0).measure(0, 1);  // the first measure of qubit 0 is mid-circuit
  c.h(1).measure(1, 2).barrier().measure(1, 3);
  c.h(2).barrier({2});
  const auto r = hqml::remove_final_measurements(c);
  CHECK(r.num_clbits() == 4);
  std::vector<gate_kind> kinds;
  for (const auto& op : r.operations()) kinds.push_back(op.kind);
  CHECK(kinds == std::vector<gate_kind>{gate_kind::h, gate_kind::measure, gate_kind::x, gate_kind::h,
                                        gate_kind::barrier, gate_kind::h, gate_kind::barrier});
  CHECK(r[1].clbit == 0);
  CHECK(!r.is_unitary());
  hqml::circuit u(1, 1);
  u.h(0).measure(0, 0);
  CHECK(hqml::remove_final_measurements(u).is_unitary());
}
