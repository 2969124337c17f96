// Hamiltonian files: the line format in its Qiskit, sparse and OpenFermion spellings, JSON, errors that
// name line and column, and a round trip through the atomic writer.
#include "common/files.hpp"

#include <catch2/catch.hpp>

#include <hqml/error.hpp>
#include <hqml/io/pauli_file.hpp>
#include <hqml/pauli.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace pauli_file_test {

using namespace hqml;

/// The term for `label` in h (its coefficient), or NaN when absent.
inline double coefficient(const pauli_sum& h, const std::string& label) {
  const pauli_string p = pauli_string::from_label(label);
  for (const auto& [c, q] : h.terms)
    if (q == p) return c;
  return std::nan("");
}

/// The message of the parse_error that parsing `text` throws ("" if none).
inline std::string parse_failure(const std::string& text) {
  try {
    (void)io::parse_pauli_sum(text, "h.txt");
  } catch (const parse_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace pauli_file_test

using namespace pauli_file_test;

TEST_CASE("Hamiltonian files in the Qiskit, sparse and OpenFermion spellings read alike", "[pauli][io]") {
  const std::string qiskit =
      "# H = 0.5 XZI - 0.25 IIY + 1.5\n"
      "0.5 XZI\n"
      "-0.25 IIY   % trailing comment\n"
      "\n"
      "1.5 III\n";
  const std::string sparse = "0.5 Z1 X2\n-0.25 Y0\n1.5 I\n";
  const std::string openfermion = "1.5 [] +\n0.5 [X2 Z1] +\n(-0.25+0j) [Y0]\n";
  for (const std::string& text : {qiskit, sparse, openfermion}) {
    INFO(text);
    const io::pauli_sum_file f = io::parse_pauli_sum(text);
    REQUIRE(f.num_qubits == 3);
    REQUIRE(f.hamiltonian.terms.size() == 3);
    REQUIRE(coefficient(f.hamiltonian, "XZI") == 0.5);
    REQUIRE(coefficient(f.hamiltonian, "IIY") == -0.25);
    REQUIRE(coefficient(f.hamiltonian, "III") == 1.5);
  }
  // Sparse terms take the qubit count from the highest qubit named; "[X0 Y1]" split over tokens.
  const io::pauli_sum_file f = io::parse_pauli_sum("2 [X0\tY5 ]\n1e-3 Z3\n");
  REQUIRE(f.num_qubits == 6);
  REQUIRE(coefficient(f.hamiltonian, "YIIIIX") == 2.0);
  REQUIRE(coefficient(f.hamiltonian, "IIZIII") == 1e-3);
}

TEST_CASE("Hamiltonian files in JSON: Qiskit's to_list pairs, with or without an object around them", "[pauli][io]") {
  const io::pauli_sum_file a = io::parse_pauli_sum(R"([["IZ", 0.39], ["XX", [0.18, 0.0]]])");
  REQUIRE(a.num_qubits == 2);
  REQUIRE(coefficient(a.hamiltonian, "IZ") == 0.39);
  REQUIRE(coefficient(a.hamiltonian, "XX") == 0.18);
  const io::pauli_sum_file b = io::parse_pauli_sum("{\"num_qubits\": 3, \"terms\": [[\"ZZI\", -1]]}");
  REQUIRE(b.num_qubits == 3);
  REQUIRE(coefficient(b.hamiltonian, "ZZI") == -1.0);
}

TEST_CASE("malformed Hamiltonian files are errors naming line and column", "[pauli][io]") {
  const auto fails_with = [](const std::string& text, const std::string& where, const std::string& what) {
    const std::string m = parse_failure(text);
    INFO("input: " << text << "\nmessage: " << m);
    REQUIRE(m.find("h.txt:" + where + ":") == 0);
    REQUIRE(m.find(what) != std::string::npos);
  };
  fails_with("0.5 XZ\n0.1 XYZ\n", "2:5", "a label of 3 qubits after labels of 2 (line 1)");
  fails_with("0.5 XZ\nabc ZZ\n", "2:1", "expected a coefficient");
  fails_with("0.5\n", "1:4", "expected a Pauli string after the coefficient");
  fails_with("0.5 X0 X0\n", "1:8", "qubit 0 appears twice");
  fails_with("0.5 Q0\n", "1:5", "expected a Pauli factor");
  fails_with("0.5 Xa\n", "1:5", "expected a qubit index");
  fails_with("0.5 X64\n", "1:5", "at most 64 qubits");
  fails_with("0.5 [X0 Y1\n", "1:11", "expected ']'");
  fails_with("0.5 [X0] Z1\n", "1:10", "unexpected 'Z1'");
  fails_with("(0.5+0.1j) XX\n", "1:1", "imaginary part");
  fails_with("(0.5+zj) XX\n", "1:1", "bad imaginary part");
  fails_with("0.5 XZ\n0.2 Z2\n", "2:5", "qubit 2 is outside the 2 qubits the labels span");
  fails_with("inf XX\n", "1:1", "finite number");
  fails_with("# only a comment\n", "2:1", "no terms");
  fails_with(R"([["XQ", 1]])", "1:3", "expected a Pauli label");
  fails_with(R"([["XX", [1, 2]]])", "1:9", "imaginary part");
  fails_with(R"([["XX", 1], ["X", 1]])", "1:14", "a label of 1 qubits after labels of 2");
  fails_with(R"({"num_qubits": 3, "terms": [["XX", 1]]})", "1:1", "num_qubits is 3 but the labels span 2");
  fails_with(R"({"terms": []})", "1:11", "no terms");
  fails_with(R"([["XX", "1"]])", "1:9", "expected a coefficient (a number or [re, im]), found a string");
}

TEST_CASE("a UTF-8 byte-order mark before a Hamiltonian is skipped", "[pauli][io]") {
  // Windows editors start UTF-8 files with EF BB BF; the CSV reader skips it too.
  const std::string bom = "\xEF\xBB\xBF";
  for (const std::string& text : {std::string("0.5 XZ\n-1 IZ\n"), std::string(R"([["XZ", 0.5], ["IZ", -1]])"),
                                  std::string("# comment\n0.5 Z0 X1\n-1 Z0\n")}) {
    INFO(text);
    const io::pauli_sum_file f = io::parse_pauli_sum(bom + text);
    REQUIRE(f.num_qubits == 2);
    REQUIRE(coefficient(f.hamiltonian, "XZ") == 0.5);
    REQUIRE(coefficient(f.hamiltonian, "IZ") == -1.0);
  }
  // Columns count from after the mark, as an editor shows them; a mark elsewhere is still an error.
  REQUIRE(parse_failure(bom + "0.5 XQ\n").find("h.txt:1:5:") == 0);
  REQUIRE(parse_failure("0.5 XZ\n" + bom + "1 ZZ\n").find("h.txt:2:1:") == 0);
  hqml::test::temp_dir dir;
  const auto path = dir.path / "h.txt";
  std::ofstream(path, std::ios::binary) << bom << "0.25 YY\n";
  REQUIRE(coefficient(io::read_pauli_sum(path).hamiltonian, "YY") == 0.25);
}

TEST_CASE("Hamiltonian files round-trip through the atomic writer", "[pauli][io]") {
  hqml::test::temp_dir dir;
  pauli_sum h;
  h.add(-0.8105479805373276, "IIII").add(0.1, "XYZI").add(1.0 / 3.0, "IIIZ");
  const auto path = dir.path / "h.txt";
  io::write_pauli_sum(path, h, 4);
  const io::pauli_sum_file back = io::read_pauli_sum(path);
  REQUIRE(back.num_qubits == 4);
  REQUIRE(back.hamiltonian.terms == h.terms);  // 17 significant digits: exact doubles
  // A failed write (a term beyond the qubit count) leaves the old file whole.
  REQUIRE_THROWS_WITH(io::write_pauli_sum(path, h, 3), Catch::Contains("acts on qubit 3 of a 3-qubit"));
  REQUIRE(io::read_pauli_sum(path).hamiltonian.terms == h.terms);
  REQUIRE_THROWS_AS(io::read_pauli_sum(dir.path / "missing.txt"), std::system_error);
}

TEST_CASE("Pauli sums merge equal strings and drop cancelled terms", "[pauli]") {
  pauli_sum h;
  h.add(0.5, "XZ").add(1.0, "IZ").add(-0.5, "XZ").add(0.25, "IZ").add(2.0, "YY");
  const pauli_sum s = h.simplified();
  REQUIRE(s.terms.size() == 2);
  REQUIRE(s.terms[0].second == pauli_string::from_label("IZ"));
  REQUIRE(s.terms[0].first == 1.25);
  REQUIRE(s.terms[1].first == 2.0);
  REQUIRE(h.simplified(1.5).terms.size() == 1);
  REQUIRE(h.support_size() == 2);
  REQUIRE(h.coefficient_norm() == 4.25);
}
