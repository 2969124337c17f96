// QASMBench small circuits imported by hqml and simulated, against Qiskit's Statevector of the same
// files (tests/reference/make_qasmbench_reference.py). No global phase is allowed to differ: Qiskit
// keeps the phases of its standard gates, and hqml's gates have the same matrices.

#include "qasm_test_support.hpp"

#include <hqml/qasm.hpp>
#include <hqml/state_vector.hpp>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include "common/skip.hpp"

#include <complex>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path qasmbench_small = fs::path(HQML_SHARED_DIR) / "data" / "qasmbench" / "small";
const fs::path reference_dir = fs::path(HQML_SOURCE_DIR) / "tests" / "reference";

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("qasmbench: statevectors equal Qiskit's to 1e-10", "[qasm][qasmbench][statevector]") {
  if (!fs::is_directory(qasmbench_small)) {
    HQML_SKIP_TEST(qasmbench_small.string() + " is absent; the statevector comparison did not run");
  }
  const auto states = read_json(reference_dir / "qasmbench_small_statevectors.json");
  const auto skipped = read_json(reference_dir / "qasmbench_small_skipped.json").at("skipped");
  REQUIRE(states.size() >= 30);

  // Every small circuit is either compared or skipped for a reason hqml agrees with.
  for (const auto& e : fs::directory_iterator(qasmbench_small)) {
    if (e.path().extension() != ".qasm") continue;
    const std::string name = e.path().filename().string();
    INFO(name);
    CHECK((states.contains(name) || skipped.contains(name)));
  }
  for (const auto& [name, why_json] : skipped.items()) {
    const std::string why = why_json.get<std::string>();
    INFO(name << ": skipped by the reference script because: " << why);
    const fs::path f = qasmbench_small / name;
    if (why.find("(if)") != std::string::npos) {
      CHECK_THROWS_WITH(hqml::load_qasm(f), Catch::Contains("('if') are not supported"));
    } else if (why.find("qiskit cannot read") != std::string::npos) {
      CHECK_THROWS_AS(hqml::load_qasm(f), hqml::parse_error);
    } else {  // reset or a measurement that is not final
      CHECK(!hqml::remove_final_measurements(hqml::load_qasm(f)).is_unitary());
    }
  }

  for (const auto& [name, entry] : states.items()) {
    INFO(name);
    const auto c = hqml::remove_final_measurements(hqml::load_qasm(qasmbench_small / name));
    REQUIRE(c.is_unitary());
    const std::size_t n = entry.at("num_qubits").get<std::size_t>();
    REQUIRE(c.num_qubits() == n);
    const auto& ref = entry.at("statevector");
    REQUIRE(ref.size() == (std::size_t{1} << n));

    hqml::state_vector<double> sv(n);
    sv.apply(c);
    const std::vector<std::complex<double>> v = sv.to_vector();
    // The same circuit through the tests' own dense reference, to tell an import problem from a
    // simulator problem should the two ever disagree.
    std::vector<std::complex<double>> w(std::size_t{1} << n, 0.0);
    w[0] = 1.0;
    for (const auto& op : c.operations()) qasm_test::apply(w, op);

    double worst_sv = 0.0, worst_ref = 0.0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
      const std::complex<double> q(ref[i][0].get<double>(), ref[i][1].get<double>());
      worst_sv = std::max(worst_sv, std::abs(v[i] - q));
      worst_ref = std::max(worst_ref, std::abs(w[i] - q));
    }
    CHECK(worst_sv < 1e-10);
    CHECK(worst_ref < 1e-10);
  }
}
