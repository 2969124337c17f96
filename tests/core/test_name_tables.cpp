// Every enum a program offers by name has one table in the library (name_table.hpp): each value named once,
// to_string and parse agree with it, names_in lists it in order (what the hqml program's IsMember offers), an
// unknown name is refused with the valid ones, and a value outside the table has no name.
#include <hqml/anneal/solve.hpp>
#include <hqml/ansatz.hpp>
#include <hqml/device.hpp>
#include <hqml/entanglement.hpp>
#include <hqml/feature_map.hpp>
#include <hqml/hamiltonians.hpp>
#include <hqml/io/csv.hpp>
#include <hqml/name_table.hpp>
#include <hqml/vqe.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace hqml;

namespace {

template <class Enum, std::size_t N, class Parse>
void check_name_table(const name_table<Enum, N>& table, Parse parse, const std::string& valid) {
  std::set<std::string_view> names;
  std::set<Enum> values;
  const std::vector<std::string> listed = names_in(table);
  REQUIRE(listed.size() == N);
  for (std::size_t k = 0; k < N; ++k) {
    const auto& [value, name] = table[k];
    CHECK(to_string(value) == name);
    CHECK(parse(name) == value);
    CHECK(listed[k] == name);
    names.insert(name);
    values.insert(value);
  }
  CHECK(names.size() == N);
  CHECK(values.size() == N);
  for (const char* bad : {"", "bogus", " linear", "TFIM"}) {
    CAPTURE(bad);
    try {
      (void)parse(bad);
      FAIL("accepted '" << bad << "'");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find("'" + std::string(bad) + "'; valid names: " + valid) != std::string::npos);
    }
  }
  CHECK_THROWS_AS(to_string(static_cast<Enum>(N + 3)), std::invalid_argument);
}

/// Same gates on the same qubits with the same parameter count, in order.
bool same_gates(const circuit& a, const circuit& b) {
  if (a.operations().size() != b.operations().size() || a.num_params() != b.num_params()) return false;
  for (std::size_t k = 0; k < a.operations().size(); ++k) {
    const operation &x = a.operations()[k], &y = b.operations()[k];
    if (x.kind != y.kind || x.qubits != y.qubits || x.params.size() != y.params.size()) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("each named enum has one table that parses and prints both ways", "[names]") {
  check_name_table(device_names, parse_device, "cpu, gpu");
  check_name_table(anneal::solver_names, anneal::parse_solver, "sa, pt, tabu");
  check_name_table(anneal::schedule_kind_names, anneal::parse_schedule_kind, "geometric, linear");
  check_name_table(anneal::acceptance_rule_names, anneal::parse_acceptance_rule, "metropolis, gibbs");
  check_name_table(anneal::update_order_names, anneal::parse_update_order, "sequential, random");
  check_name_table(ansatz_kind_names, parse_ansatz_kind, "real_amplitudes, efficient_su2");
  check_name_table(chain_model_names, parse_chain_model, "tfim, heisenberg");
  check_name_table(vqe_optimizer_names, parse_vqe_optimizer, "bfgs, adam, spsa");
  check_name_table(feature_map_kind_names, parse_feature_map_kind, "zz, pauli, iqp, angle, angle_ladder");
  check_name_table(io::text_columns_names, io::parse_text_columns, "refuse, one-hot");
}

TEST_CASE("named ansätze, chains and entanglement patterns build what their functions build", "[names]") {
  two_local_options o;
  o.reps = 2;
  o.pairs = "circular";
  CHECK(same_gates(hardware_efficient(ansatz_kind::real_amplitudes, 4, o), real_amplitudes(4, o)));
  CHECK(same_gates(hardware_efficient(ansatz_kind::efficient_su2, 4, o), efficient_su2(4, o)));
  CHECK_FALSE(same_gates(real_amplitudes(4, o), efficient_su2(4, o)));
  CHECK(chain_hamiltonian(chain_model::tfim, 5, 0.7, std::nullopt, true).terms ==
        transverse_field_ising(5, 0.7, 1.0, true).terms);
  CHECK(chain_hamiltonian(chain_model::heisenberg, 5, 0.7).terms == heisenberg(5, 0.7, 0.7, 0.7, 0.0).terms);
  CHECK(chain_hamiltonian(chain_model::heisenberg, 4, 1.0, 0.25).terms == heisenberg(4, 1, 1, 1, 0.25).terms);
  // Every named pattern gives blocks; an unknown one lists them all.
  for (std::string_view p : entanglement_patterns) {
    CAPTURE(p);
    CHECK_FALSE(entanglement(std::string(p)).blocks(4, 2).empty());
  }
  CHECK_THROWS_WITH(entanglement("ring").blocks(4, 2),
                    Catch::Contains("'ring' (full, linear, reverse_linear, circular, pairwise, or explicit lists)"));
}
