// Every QASMBench circuit in the shared data folder imports, exports and re-imports; the only
// refusals are the classically controlled ones (and three files the suite ships broken).

#include <hqml/qasm.hpp>

#include <catch2/catch.hpp>

#include "common/skip.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path qasmbench = fs::path(HQML_SHARED_DIR) / "data" / "qasmbench";

// QASMBench's vqe_uccsd_n{4,6,8} declare `qreg reg[...]` but measure `q[...]`; Qiskit refuses them too.
const std::map<std::string, std::string> broken_upstream = {
    {"vqe_uccsd_n4.qasm", "undeclared register 'q'"},
    {"vqe_uccsd_n6.qasm", "undeclared register 'q'"},
    {"vqe_uccsd_n8.qasm", "undeclared register 'q'"},
};

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

}  // namespace

TEST_CASE("qasmbench: every circuit imports, or fails only because of 'if'", "[qasm][qasmbench]") {
  if (!fs::is_directory(qasmbench)) {
    HQML_SKIP_TEST(qasmbench.string() + " is absent; the QASMBench import test did not run");
  }
  std::size_t imported = 0, refused_if = 0, total = 0;
  for (const char* size : {"small", "medium"}) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(qasmbench / size))
      if (e.path().extension() == ".qasm") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    CHECK(!files.empty());
    for (const auto& f : files) {
      INFO(f.string());
      ++total;
      const auto lines = lines_of(f);
      const bool has_if = std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
        const auto p = l.find_first_not_of(" \t");
        return p != std::string::npos && l.compare(p, 2, "if") == 0;
      });
      const auto broken = broken_upstream.find(f.filename().string());
      try {
        const auto c = hqml::load_qasm(f);
        ++imported;
        CHECK(!has_if);
        CHECK(broken == broken_upstream.end());
        CHECK(c.num_qubits() > 0);
        // export and import again: the same operations, bit for bit
        const auto back = hqml::parse_qasm(hqml::to_qasm(c), "roundtrip");
        REQUIRE(back.size() == c.size());
        CHECK(back.num_qubits() == c.num_qubits());
        CHECK(back.num_clbits() == c.num_clbits());
        for (std::size_t i = 0; i < c.size(); ++i) {
          CHECK(back[i].kind == c[i].kind);
          CHECK(back[i].qubits == c[i].qubits);
          CHECK(back[i].params == c[i].params);
          CHECK(back[i].clbit == c[i].clbit);
        }
      } catch (const hqml::parse_error& e) {
        INFO(e.what());
        CHECK(e.file() == f.string());
        if (broken != broken_upstream.end()) {
          CHECK_THAT(e.message(), Catch::Contains(broken->second));
          continue;
        }
        ++refused_if;
        CHECK(has_if);
        CHECK_THAT(e.message(), Catch::Contains("('if') are not supported"));
        // the error points at the first `if` statement
        REQUIRE(e.line() >= 1);
        REQUIRE(e.line() <= lines.size());
        CHECK(lines[e.line() - 1].substr(e.column() - 1, 2) == "if");
      }
    }
  }
  CHECK(imported + refused_if + broken_upstream.size() == total);
  CHECK(imported > 50);
}
