// The OpenQASM 2.0 importer: every construct, and every error with its message, line and column.

#include <hqml/qasm.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

namespace {

using hqml::gate_kind;
using std::numbers::pi;
const std::string header = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n";

hqml::circuit parse(const std::string& text) { return hqml::parse_qasm(text, "t.qasm"); }

std::vector<std::uint32_t> qubits(const hqml::operation& op) { return op.qubits; }

double param(const hqml::operation& op, std::size_t i) { return op.params.at(i).value(); }

// The error parse_qasm must raise: where, and a fragment of what it says.
void require_error(const std::string& text, std::size_t line, std::size_t column, const std::string& fragment,
                   const hqml::qasm_parse_options& options = {}) {
  INFO("input:\n" << text);
  try {
    (void)hqml::parse_qasm(text, "t.qasm", options);
    FAIL("no parse_error was thrown");
  } catch (const hqml::parse_error& e) {
    INFO("what(): " << e.what());
    CHECK(e.file() == "t.qasm");
    CHECK(e.line() == line);
    CHECK(e.column() == column);
    CHECK_THAT(e.message(), Catch::Contains(fragment));
    CHECK(std::string(e.what()) ==
          "t.qasm:" + std::to_string(line) + ":" + std::to_string(column) + ": " + e.message());
  }
}

}  // namespace

TEST_CASE("qasm parser: a plain program", "[qasm][parser]") {
  const auto c = parse(header +
                       "qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q[0] -> c[0];\n"
                       "measure q[1] -> c[1];\n");
  REQUIRE(c.num_qubits() == 2);
  REQUIRE(c.num_clbits() == 2);
  REQUIRE(c.size() == 4);
  CHECK(c[0].kind == gate_kind::h);
  CHECK(qubits(c[0]) == std::vector<std::uint32_t>{0});
  CHECK(c[1].kind == gate_kind::cx);
  CHECK(qubits(c[1]) == std::vector<std::uint32_t>{0, 1});
  CHECK(c[2].kind == gate_kind::measure);
  CHECK(c[2].clbit == 0);
  CHECK(c[3].clbit == 1);
  CHECK(qubits(c[3]) == std::vector<std::uint32_t>{1});
}

TEST_CASE("qasm parser: the version statement is optional, empty input is an empty circuit", "[qasm][parser]") {
  CHECK(parse("include \"qelib1.inc\"; qreg q[1]; x q[0];").size() == 1);
  CHECK(parse("OPENQASM 2.0; qreg q[1]; U(0,0,0) q[0];").size() == 1);
  CHECK(parse("OPENQASM 2;").empty());
  const auto e = parse("");
  CHECK(e.num_qubits() == 0);
  CHECK(e.empty());
  CHECK(parse("// only a comment").empty());
}

TEST_CASE("qasm parser: registers are flattened in declaration order", "[qasm][parser]") {
  const auto c = parse(header +
                       "qreg a[2];\ncreg m[3];\nqreg b[3];\ncreg n[2];\nx b[0];\ncx a[1],b[2];\n"
                       "measure b[1] -> n[1];\nmeasure a[0] -> m[2];\n");
  REQUIRE(c.num_qubits() == 5);
  REQUIRE(c.num_clbits() == 5);
  CHECK(qubits(c[0]) == std::vector<std::uint32_t>{2});
  CHECK(qubits(c[1]) == std::vector<std::uint32_t>{1, 4});
  CHECK(qubits(c[2]) == std::vector<std::uint32_t>{3});
  CHECK(c[2].clbit == 4);
  CHECK(c[3].clbit == 2);
}

TEST_CASE("qasm parser: register broadcasting", "[qasm][parser]") {
  const auto c = parse(header +
                       "qreg q[3]; qreg r[3]; qreg w[1]; creg c[3];\n"
                       "h q;\ncx q, r;\ncx w[0], q;\nrz(0.5) r;\nmeasure q -> c;\nreset r;\n");
  REQUIRE(c.size() == 3 + 3 + 3 + 3 + 3 + 3);
  for (std::uint32_t i = 0; i < 3; ++i) {
    CHECK(c[i].kind == gate_kind::h);
    CHECK(qubits(c[i]) == std::vector<std::uint32_t>{i});
    CHECK(qubits(c[3 + i]) == std::vector<std::uint32_t>{i, 3 + i});
    CHECK(qubits(c[6 + i]) == std::vector<std::uint32_t>{6, i});
    CHECK(qubits(c[9 + i]) == std::vector<std::uint32_t>{3 + i});
    CHECK(param(c[9 + i], 0) == 0.5);
    CHECK(c[12 + i].kind == gate_kind::measure);
    CHECK(c[12 + i].clbit == i);
    CHECK(c[15 + i].kind == gate_kind::reset);
    CHECK(qubits(c[15 + i]) == std::vector<std::uint32_t>{3 + i});
  }
}

TEST_CASE("qasm parser: barriers span every qubit named, once each", "[qasm][parser]") {
  const auto c = parse(header + "qreg q[3]; qreg r[2];\nbarrier q;\nbarrier q[1], r;\nbarrier r[0], r, q[2];\n");
  REQUIRE(c.size() == 3);
  for (const auto& op : c.operations()) CHECK(op.kind == gate_kind::barrier);
  CHECK(qubits(c[0]) == std::vector<std::uint32_t>{0, 1, 2});
  CHECK(qubits(c[1]) == std::vector<std::uint32_t>{1, 3, 4});
  CHECK(qubits(c[2]) == std::vector<std::uint32_t>{3, 4, 2});
}

TEST_CASE("qasm parser: qelib1 gates map onto hqml's kinds", "[qasm][parser]") {
  const auto c = parse(header +
                       "qreg q[2];\nu3(0.1,0.2,0.3) q[0];\nu2(0.4,0.5) q[0];\nu1(0.6) q[0];\n"
                       "id q[0];\nu0(3) q[0];\ncu1(0.7) q[0],q[1];\nU(1,2,3) q[1];\nCX q[1],q[0];\n"
                       "u(0.1,0.2,0.3) q[0];\np(0.8) q[1];\ncp(0.9) q[1],q[0];\n");
  REQUIRE(c.size() == 11);
  CHECK(c[0].kind == gate_kind::u);
  CHECK(param(c[0], 0) == 0.1);
  CHECK(param(c[0], 1) == 0.2);
  CHECK(param(c[0], 2) == 0.3);
  CHECK(c[1].kind == gate_kind::u);
  CHECK(param(c[1], 0) == pi / 2);
  CHECK(param(c[1], 1) == 0.4);
  CHECK(param(c[1], 2) == 0.5);
  CHECK(c[2].kind == gate_kind::p);
  CHECK(param(c[2], 0) == 0.6);
  CHECK(c[3].kind == gate_kind::i);
  CHECK(c[4].kind == gate_kind::i);
  CHECK(c[4].params.empty());
  CHECK(c[5].kind == gate_kind::cp);
  CHECK(c[6].kind == gate_kind::u);
  CHECK(param(c[6], 2) == 3.0);
  CHECK(c[7].kind == gate_kind::cx);
  CHECK(qubits(c[7]) == std::vector<std::uint32_t>{1, 0});
  CHECK(c[8].kind == gate_kind::u);
  CHECK(c[9].kind == gate_kind::p);
  CHECK(c[10].kind == gate_kind::cp);
}

TEST_CASE("qasm parser: every qelib1 gate is defined with its arity", "[qasm][parser]") {
  struct g {
    const char* name;
    int params;
    int qubits;
  };
  const g gates[] = {{"u3", 3, 1},  {"u2", 2, 1},   {"u1", 1, 1},    {"cx", 0, 2},  {"id", 0, 1},      {"u0", 1, 1},
                     {"u", 3, 1},   {"p", 1, 1},    {"x", 0, 1},     {"y", 0, 1},   {"z", 0, 1},       {"h", 0, 1},
                     {"s", 0, 1},   {"sdg", 0, 1},  {"t", 0, 1},     {"tdg", 0, 1}, {"rx", 1, 1},      {"ry", 1, 1},
                     {"rz", 1, 1},  {"sx", 0, 1},   {"sxdg", 0, 1},  {"cz", 0, 2},  {"cy", 0, 2},      {"swap", 0, 2},
                     {"ch", 0, 2},  {"ccx", 0, 3},  {"cswap", 0, 3}, {"crx", 1, 2}, {"cry", 1, 2},     {"crz", 1, 2},
                     {"cu1", 1, 2}, {"cp", 1, 2},   {"cu3", 3, 2},   {"csx", 0, 2}, {"cu", 4, 2},      {"rxx", 1, 2},
                     {"rzz", 1, 2}, {"rccx", 0, 3}, {"rc3x", 0, 4},  {"c3x", 0, 4}, {"c3sqrtx", 0, 4}, {"c4x", 0, 5}};
  for (const auto& [name, np, nq] : gates) {
    std::string call = name;
    if (np > 0) {
      call += "(";
      for (int i = 0; i < np; ++i) call += (i ? ",0." : "0.") + std::to_string(i + 1);
      call += ")";
    }
    for (int i = 0; i < nq; ++i) call += (i ? ",q[" : " q[") + std::to_string(i) + "]";
    INFO(call);
    const auto c = parse(header + "qreg q[5];\n" + call + ";\n");
    CHECK(!c.empty());
    for (const auto& op : c.operations()) CHECK(hqml::is_unitary(op.kind));
    // one parameter too many
    std::string extra = std::string(name) + "(1";
    for (int i = 0; i < np; ++i) extra += ",1";
    require_error(header + "qreg q[5];\n" + extra + ") q[0];\n", 4, 1, "takes " + std::to_string(np) + " parameter");
  }
}

TEST_CASE("qasm parser: user gates with parameters, nested calls and barriers", "[qasm][parser]") {
  const auto c = parse(header +
                       "gate rot(a, b) x { rz(a) x; ry(b/2) x; }\n"
                       "gate pair(t) x, y { rot(t, 2*t) x; barrier x, y; cx x, y; rot(-t, t) y; }\n"
                       "gate nothing x { }\n"
                       "gate noparams() x { h x; }\n"
                       "qreg q[3];\npair(0.25) q[2], q[0];\nnothing q[1];\nnoparams() q[1];\nnoparams q;\n");
  REQUIRE(c.size() == 6 + 1 + 3);
  CHECK(c[0].kind == gate_kind::rz);
  CHECK(param(c[0], 0) == 0.25);
  CHECK(qubits(c[0]) == std::vector<std::uint32_t>{2});
  CHECK(c[1].kind == gate_kind::ry);
  CHECK(param(c[1], 0) == 0.25);
  CHECK(c[2].kind == gate_kind::barrier);
  CHECK(qubits(c[2]) == std::vector<std::uint32_t>{2, 0});
  CHECK(c[3].kind == gate_kind::cx);
  CHECK(qubits(c[3]) == std::vector<std::uint32_t>{2, 0});
  CHECK(c[4].kind == gate_kind::rz);
  CHECK(param(c[4], 0) == -0.25);
  CHECK(qubits(c[4]) == std::vector<std::uint32_t>{0});
  CHECK(c[5].kind == gate_kind::ry);
  CHECK(param(c[5], 0) == 0.125);
  CHECK(c[6].kind == gate_kind::h);
  CHECK(qubits(c[6]) == std::vector<std::uint32_t>{1});
  for (std::uint32_t i = 0; i < 3; ++i) CHECK(qubits(c[7 + i]) == std::vector<std::uint32_t>{i});
}

TEST_CASE("qasm parser: user gates work without qelib1, over U and CX", "[qasm][parser]") {
  const auto c =
      parse("OPENQASM 2.0;\ngate mine(l) a, b { U(0, 0, l) a; CX a, b; }\nqreg q[2];\nmine(pi) q[1], q[0];\n");
  REQUIRE(c.size() == 2);
  CHECK(c[0].kind == gate_kind::u);
  CHECK(param(c[0], 2) == pi);
  CHECK(qubits(c[1]) == std::vector<std::uint32_t>{1, 0});
}

TEST_CASE("qasm parser: opaque gates may be declared but not applied", "[qasm][parser]") {
  CHECK(parse(header + "opaque magic(a, b) x, y;\nopaque plain x;\nopaque empty() x;\nqreg q[2];\nh q[0];\n").size() ==
        1);
  require_error(header + "opaque magic(a) x;\nqreg q[1];\nmagic(1) q[0];\n", 5, 1, "opaque");
  require_error(header + "opaque magic x;\ngate wrap x { magic x; }\nqreg q[1];\nwrap q[0];\n", 6, 1,
                "calls opaque gate 'magic'");
}

TEST_CASE("qasm parser: parameter expressions", "[qasm][parser]") {
  auto value = [](const std::string& e) {
    const auto c = parse(header + "qreg q[1];\nrz(" + e + ") q[0];\n");
    return param(c[0], 0);
  };
  CHECK(value("1") == 1.0);
  CHECK(value("1+2*3") == 7.0);
  CHECK(value("(1+2)*3") == 9.0);
  CHECK(value("10-4-3") == 3.0);
  CHECK(value("8/4/2") == 1.0);
  CHECK(value("-2^2") == -4.0);
  CHECK(value("2^-1") == 0.5);
  CHECK(value("2^3^2") == 512.0);
  CHECK(value("(-2)^2") == 4.0);
  CHECK(value("--1") == 1.0);
  CHECK(value("+1") == 1.0);
  CHECK(value("-pi/2") == -pi / 2);
  CHECK(value("3*pi/4") == 3 * pi / 4);
  CHECK(value("sin(pi/6)") == std::sin(pi / 6));
  CHECK(value("cos(1)") == std::cos(1.0));
  CHECK(value("tan(0.5)") == std::tan(0.5));
  CHECK(value("exp(1)") == std::exp(1.0));
  CHECK(value("ln(2)") == std::log(2.0));
  CHECK(value("sqrt(2)") == std::sqrt(2.0));
  CHECK(value("1e-3") == 1e-3);
  CHECK(value("1E3") == 1e3);
  CHECK(value("2.5e+2") == 250.0);
  CHECK(value(".5") == 0.5);
  CHECK(value("1.") == 1.0);
  CHECK(value("0.1") == 0.1);
  CHECK(value("1.5707963267948966") == pi / 2);
  CHECK(value("sqrt(2)*cos(pi/4)") == Approx(1.0).epsilon(1e-15));
  // A long flat chain is parsed and evaluated without recursion.
  std::string chain = "0";
  for (int i = 0; i < 100000; ++i) chain += "+1";
  CHECK(value(chain) == 100000.0);
}

TEST_CASE("qasm parser: comments, whitespace and line endings", "[qasm][parser]") {
  const auto c = parse(
      "// leading comment\r\nOPENQASM 2.0; // trailing\r\ninclude \"qelib1.inc\";\r\n"
      "qreg q[2];\t// tab\r\n  h   q [ 0 ] ;\r\ncx q[0] ,\n q[1];// no newline at the end");
  REQUIRE(c.size() == 2);
  CHECK(qubits(c[1]) == std::vector<std::uint32_t>{0, 1});
  // A UTF-8 byte order mark is skipped, and columns count from after it.
  CHECK(parse("\xEF\xBB\xBFOPENQASM 2.0;\nqreg q[1];\n").num_qubits() == 1);
  require_error("\xEF\xBB\xBFqreg q[1]; @", 1, 12, "unexpected character '@'");
  require_error("qreg q[1];\n\xEF\xBB\xBF", 2, 1, "unexpected byte 0xef");
  // Line counting survives CRLF: the error is on line 3.
  require_error("OPENQASM 2.0;\r\ninclude \"qelib1.inc\";\r\nqreg q[1]; h r[0];\r\n", 3, 14, "undeclared register 'r'");
}

TEST_CASE("qasm parser: including qelib1.inc twice is harmless", "[qasm][parser]") {
  CHECK(parse(header + "include \"qelib1.inc\";\nqreg q[1];\nh q[0];\n").size() == 1);
}

TEST_CASE("qasm parser: errors in statements", "[qasm][parser]") {
  const std::string q = header + "qreg q[2];\ncreg c[2];\n";  // lines 1-4
  require_error(q + "foo q[0];\n", 5, 1, "unknown gate 'foo'");
  require_error("qreg q[1];\nh q[0];\n", 2, 1, "add include \"qelib1.inc\"");
  require_error(q + "rx q[0];\n", 5, 1, "gate 'rx' takes 1 parameter, got 0");
  require_error(q + "rx(1,2) q[0];\n", 5, 1, "gate 'rx' takes 1 parameter, got 2");
  require_error(q + "h(1) q[0];\n", 5, 1, "gate 'h' takes 0 parameters, got 1");
  require_error(q + "cx q[0];\n", 5, 4, "gate 'cx' acts on 2 qubits, got 1");
  require_error(q + "x q[0], q[1];\n", 5, 3, "gate 'x' acts on 1 qubit, got 2");
  require_error(q + "h r[0];\n", 5, 3, "undeclared register 'r'");
  require_error(q + "h q[2];\n", 5, 5, "index 2 is out of range for register 'q' of size 2");
  require_error(q + "measure q[0] -> c[7];\n", 5, 19, "index 7 is out of range for register 'c' of size 2");
  require_error(q + "h q[99999999999999999999999];\n", 5, 5, "too large");
  require_error(q + "qreg q[3];\n", 5, 6, "redeclaration of 'q' (first declared at t.qasm:3:6)");
  require_error(q + "creg q[3];\n", 5, 6, "redeclaration of 'q'");
  require_error(q + "gate h a { x a; }\n", 5, 6, "redeclaration of 'h' (first declared at qelib1.inc)");
  require_error(q + "gate c a { x a; }\n", 5, 6, "redeclaration of 'c'");
  require_error("OPENQASM 2.0;\ngate h a { U(0,0,0) a; }\ninclude \"qelib1.inc\";\n", 3, 1,
                "including \"qelib1.inc\" redeclares 'h'");
  require_error(q + "h q[0]\nx q[1];\n", 5, 7, "missing ';' at the end of the gate call (found 'x')");
  require_error(q + "h q[0]", 5, 7, "missing ';' at the end of the gate call (found end of input)");
  require_error(q + "qreg r[2]\n", 5, 10, "missing ';'");
  require_error(q + "measure q[0] -> c[0]\n", 5, 21, "missing ';'");
  require_error(q + "h q[0] @;\n", 5, 8, "unexpected character '@'");
  require_error(q + "h q[0];\n\xc3\xa9", 6, 1, "unexpected byte 0xc3");
  require_error(q + "/* block */ h q[0];\n", 5, 1, "expected a statement, found '/'");
  require_error(q + ";\n", 5, 1, "expected a statement, found ';'");
  require_error(q + "}\n", 5, 1, "expected a statement, found '}'");
  require_error(q + "42;\n", 5, 1, "expected a statement, found '42'");
  require_error(q + "q q[0];\n", 5, 1, "'q' is a register, not a gate");
  require_error(q + "h h;\n", 5, 3, "'h' is a gate, not a register");
  require_error(q + "h c[0];\n", 5, 3, "'c' is a classical register, but gate 'h' expects a quantum one");
  require_error(q + "measure q[0] -> q[1];\n", 5, 17, "'q' is a quantum register, but measure expects a classical");
  require_error(q + "measure c[0] -> c[1];\n", 5, 9, "'c' is a classical register");
  require_error(q + "reset c[0];\n", 5, 7, "'c' is a classical register");
  require_error(q + "barrier c;\n", 5, 9, "'c' is a classical register");
  require_error(q + "measure q[0] c[0];\n", 5, 14, "expected '->'");
  require_error(q + "cx q[0], q[0];\n", 5, 10, "qubit q[0] is passed twice to 'cx'");
  require_error(q + "cx q[1], q;\n", 5, 10, "qubit q[1] is passed twice to 'cx'");
  require_error(q + "qreg r[3];\ncx q, r;\n", 6, 7, "register 'r' has size 3 but 'q' has size 2");
  require_error(q + "measure q -> c[0];\n", 5, 14, "not a register and a single bit");
  require_error(q + "measure q[0] -> c;\n", 5, 9, "not a register and a single bit");
  require_error(q + "creg d[3];\nmeasure q -> d;\n", 6, 14, "register 'q' has size 2 but 'd' has size 3");
  require_error(q + "qreg r[0];\n", 5, 8, "must have at least one bit");
  require_error(q + "qreg r[-1];\n", 5, 8, "expected the register size (a non-negative integer), found '-'");
  require_error(q + "qreg r[1.5];\n", 5, 8, "expected the register size");
  require_error(q + "qreg r 3;\n", 5, 8, "expected '['");
  require_error(header + "qreg a[40];\nqreg b[23];\n", 4, 8, "too many qubits");
  CHECK(parse(header + "qreg a[40];\nqreg b[22];\n").num_qubits() == 62);
  require_error(header + "creg a[9];\n", 3, 8, "too many classical bits", hqml::qasm_parse_options{.max_clbits = 8});
  require_error(q + "qreg Q[2];\n", 5, 6, "names start with a lowercase letter");
  require_error(q + "qreg _a[2];\n", 5, 6, "names start with a lowercase letter");
  require_error(q + "qreg pi[2];\n", 5, 6, "'pi' is a reserved word");
  require_error(q + "creg measure[2];\n", 5, 6, "'measure' is a reserved word");
  require_error(q + "gate sin a { }\n", 5, 6, "'sin' is a reserved word");
}

TEST_CASE("qasm parser: the header, includes and 'if'", "[qasm][parser]") {
  require_error("OPENQASM 3.0;\n", 1, 10, "unsupported OpenQASM version 3.0: hqml reads OpenQASM 2.0");
  require_error("OPENQASM 2.1;\n", 1, 10, "unsupported OpenQASM version 2.1");
  require_error("OPENQASM;\n", 1, 9, "expected a version number");
  require_error("OPENQASM 2.0\nqreg q[1];", 1, 13, "missing ';' at the end of the OPENQASM statement");
  require_error("qreg q[1];\nOPENQASM 2.0;\n", 2, 1, "'OPENQASM' must be the first statement");
  require_error("OPENQASM 2.0;\ninclude \"qelib1.inc;\nqreg q[1];\n", 2, 9, "unterminated string");
  require_error("OPENQASM 2.0;\ninclude \"qelib1.inc", 2, 9, "unterminated string");
  require_error("OPENQASM 2.0;\ninclude \"other.inc\";\n", 2, 9, "unsupported include file \"other.inc\"");
  require_error("OPENQASM 2.0;\ninclude qelib1.inc;\n", 2, 9, "expected a quoted file name");
  require_error("OPENQASM 2.0;\ninclude \"qelib1.inc\"\nqreg q[1];\n", 2, 21, "missing ';'");
  require_error(header + "qreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\nif(c==1) x q[0];\n", 6, 1,
                "classically controlled operations ('if') are not supported");
  require_error(header + "qreg q[1];\ncreg c[1];\n  if (c == 1) x q[0];\n", 5, 3, "('if') are not supported");
  require_error(header + "qreg q[1];\nh q[0] = 1;\n", 4, 8, "unexpected character '=' (comparisons are written '==')");
}

TEST_CASE("qasm parser: errors in gate definitions", "[qasm][parser]") {
  const std::string q = header + "qreg q[2];\ncreg c[2];\n";  // lines 1-4
  require_error(q + "gate g a { measure a -> c[0]; }\n", 5, 12, "'measure' is not allowed inside a gate definition");
  require_error(q + "gate g a { reset a; }\n", 5, 12, "'reset' is not allowed");
  require_error(q + "gate g a { if(c==1) x a; }\n", 5, 12, "'if' is not allowed");
  require_error(q + "gate g a { gate h2 b { } }\n", 5, 12, "'gate' is not allowed");
  require_error(q + "gate g a { x a[0]; }\n", 5, 15, "named without an index");
  require_error(q + "gate g a { x b; }\n", 5, 14, "'b' is not a qubit argument of gate 'g'");
  require_error(q + "gate g a { x q; }\n", 5, 14, "'q' is not a qubit argument of gate 'g'");
  require_error(q + "gate g(t) a { x t; }\n", 5, 17, "'t' is a parameter of gate 'g', not a qubit");
  require_error(q + "gate g(t) a { rx(a) a; }\n", 5, 18, "'a' is a qubit argument of gate 'g', not a parameter");
  require_error(q + "gate g(t) a { rx(s) a; }\n", 5, 18, "unknown parameter 's' in gate 'g'");
  require_error(q + "gate g a { g a; }\n", 5, 12, "gate 'g' calls itself");
  require_error(q + "gate g a { nope a; }\n", 5, 12, "unknown gate 'nope'");
  require_error(q + "gate g a, a { }\n", 5, 11, "'a' is declared twice in the definition of gate 'g'");
  require_error(q + "gate g(a) a { }\n", 5, 11, "'a' is declared twice");
  require_error(q + "gate g(t, t) a { }\n", 5, 11, "'t' is declared twice");
  require_error(q + "gate g a, b { cx a, a; }\n", 5, 18, "qubit 'a' is passed twice to 'cx'");
  require_error(q + "gate g a, b { cx a; }\n", 5, 18, "gate 'cx' acts on 2 qubits, got 1");
  require_error(q + "gate g a { rx a; }\n", 5, 12, "gate 'rx' takes 1 parameter, got 0");
  require_error(q + "gate g a { x a }\n", 5, 15, "missing ';'");
  require_error(q + "gate g a { x a;\n", 6, 1, "missing '}' to close the body of gate 'g' opened at line 5");
  require_error(q + "gate g a x a; }\n", 5, 10, "expected '{'");
  require_error(q + "gate g { }\n", 5, 8, "expected a qubit argument name");
  require_error(q + "gate g a { 1 a; }\n", 5, 12, "expected a gate call or barrier");
  require_error(q + "gate G a { }\n", 5, 6, "names start with a lowercase letter");
  require_error(q + "opaque o a, a;\n", 5, 13, "'a' is declared twice in opaque gate 'o'");
  require_error(q + "opaque o a\n", 5, 11, "missing ';' at the end of the opaque declaration");
  // No gate may take more qubits than a circuit holds: it could never be applied.
  std::string many, sixty_two;
  std::size_t last_column = 0;
  for (int i = 0; i < 63; ++i) {
    if (i) many += ",";
    if (i == 62) last_column = std::string("gate g ").size() + many.size() + 1;
    many += 'a';  // appended piecewise: GCC 12 at -O3 warns (-Wrestrict, falsely) on "a" + std::string
    many += std::to_string(i);
    if (i == 61) sixty_two = many;
  }
  CHECK(parse(q + "gate g " + sixty_two + " { }\nopaque o " + sixty_two + ";\n").empty());
  require_error(q + "gate g " + many + " { }\n", 5, last_column, "a gate of more than 62 qubits cannot be applied");
  require_error(q + "opaque g " + many + ";\n", 5, last_column + 2, "a gate of more than 62 qubits");
  // Calls are checked against the gate's signature at the call site.
  require_error(q + "gate g(t) a, b { }\ng q[0], q[1];\n", 6, 1, "gate 'g' takes 1 parameter, got 0");
  require_error(q + "gate g(t) a, b { }\ng(1) q[0];\n", 6, 6, "gate 'g' acts on 2 qubits, got 1");
}

TEST_CASE("qasm parser: errors in expressions", "[qasm][parser]") {
  const std::string q = header + "qreg q[2];\n";  // lines 1-3
  require_error(q + "rx(theta) q[0];\n", 4, 4, "unknown identifier 'theta'");
  require_error(q + "rx(1/0) q[0];\n", 4, 4, "not a finite number");
  require_error(q + "rx(1 + 1/(1/0)) q[0];\n", 4, 4, "not a finite number");
  require_error(q + "rx(ln(0)) q[0];\n", 4, 4, "not a finite number");
  require_error(q + "rx(ln(-1)) q[0];\n", 4, 4, "not a finite number");
  require_error(q + "rx(sqrt(-1)) q[0];\n", 4, 4, "not a finite number");
  require_error(q + "rx(exp(1000)) q[0];\n", 4, 4, "not a finite number");
  require_error(q + "rx(10^400) q[0];\n", 4, 4, "not a finite number");
  require_error(q + "rx(1e999) q[0];\n", 4, 4, "out of the range of a double");
  require_error(q + "rx(1e) q[0];\n", 4, 4, "the exponent has no digits");
  require_error(q + "rx(2pi) q[0];\n", 4, 4, "malformed number '2pi'");
  require_error(q + "rx(1+) q[0];\n", 4, 6, "expected a number, parameter or '('");
  require_error(q + "rx((1) q[0];\n", 4, 8, "expected ')'");
  require_error(q + "rx(sin 1) q[0];\n", 4, 8, "expected '(' after 'sin'");
  require_error(q + "rx(1 2) q[0];\n", 4, 6, "expected ')'");
  require_error(q + "rx() q[0];\n", 4, 1, "gate 'rx' takes 1 parameter, got 0");
  require_error(
      q + "gate g(a) x { rx(1/a) x; }\ng(0) q[0];\n", 5, 1,
      "a parameter of 'rx' inside gate 'g' is not a finite number for this call (the expression at t.qasm:4:18)");
  CHECK(parse(q + "gate g(a) x { rx(1/a) x; }\ng(2) q[0];\n")[0].params[0].value() == 0.5);
}

TEST_CASE("qasm parser: limits against deep nesting and blow-up", "[qasm][parser]") {
  const std::string q = header + "qreg q[1];\n";  // lines 1-3
  SECTION("expression depth") {
    std::string deep = "rx(" + std::string(200, '(') + "1" + std::string(200, ')') + ") q[0];\n";
    require_error(q + deep, 4, 4 + 128, "expression nested more than 128 levels deep");
    std::string minus = "rx(" + std::string(300, '-') + "1) q[0];\n";
    require_error(q + minus, 4, 4 + 128, "nested more than 128 levels");
    std::string powers = "rx(1";
    for (int i = 0; i < 300; ++i) powers += "^1";
    require_error(q + powers + ") q[0];\n", 4, 4 + 2 * 128, "nested more than 128 levels");
    std::string fn = "rx(";
    for (int i = 0; i < 300; ++i) fn += "sin(";
    require_error(q + fn + "1" + std::string(300, ')') + ") q[0];\n", 4, 4 + 4 * 128, "nested more than 128 levels");
    std::string ok = "rx(" + std::string(100, '(') + "1" + std::string(100, ')') + ") q[0];\n";
    CHECK(parse(q + ok).size() == 1);
  }
  SECTION("gate nesting depth") {
    std::string defs = "gate g0 a { x a; }\n";
    for (int i = 1; i <= 200; ++i) defs += "gate g" + std::to_string(i) + " a { g" + std::to_string(i - 1) + " a; }\n";
    // g_i has depth i + 1; g127 is the last one within 128 levels.
    require_error(q + defs, 4 + 128, 6, "gate 'g128' nests gate definitions 129 levels deep; the limit is 128");
    std::string ok = "gate g0 a { x a; }\n";
    for (int i = 1; i <= 100; ++i) ok += "gate g" + std::to_string(i) + " a { g" + std::to_string(i - 1) + " a; }\n";
    const auto c = parse(q + ok + "g100 q[0];\n");
    REQUIRE(c.size() == 1);
    CHECK(c[0].kind == gate_kind::x);
    require_error(q + ok, 4 + 9, 6, "the limit is 9", hqml::qasm_parse_options{.max_gate_nesting = 9});
    // qelib1.inc's own definitions count too: c4x is two levels deep
    require_error("OPENQASM 2.0;\ninclude \"qelib1.inc\";\n", 2, 1,
                  "qelib1.inc's gate 'c4x' nests gate definitions 2 levels deep; the limit is 1",
                  hqml::qasm_parse_options{.max_gate_nesting = 1});
  }
  SECTION("exponential expansion") {
    std::string defs = "gate d0 a { x a; x a; }\n";
    for (int i = 1; i <= 40; ++i)
      defs +=
          "gate d" + std::to_string(i) + " a { d" + std::to_string(i - 1) + " a; d" + std::to_string(i - 1) + " a; }\n";
    // Definitions alone cost nothing; a call that would expand to 2^41 operations is refused up front.
    CHECK(parse(q + defs).empty());
    require_error(q + defs + "d40 q[0];\n", 4 + 41, 1, "the circuit would exceed 4194304 operations");
    CHECK(parse(q + defs + "d9 q[0];\n").size() == 1024);
    hqml::qasm_parse_options small;
    small.max_operations = 1000;
    require_error(q + defs + "d9 q[0];\n", 4 + 41, 1, "would exceed 1000 operations", small);
    require_error(q + "qreg r[2];\ncreg c[2];\nmeasure r -> c;\n", 6, 1, "would exceed 1 operations",
                  hqml::qasm_parse_options{.max_operations = 1});
  }
}
