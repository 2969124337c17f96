// libFuzzer target for the Hamiltonian reader (parse_pauli_sum: the line format and JSON). Any input must
// either load or raise hqml::parse_error naming the file, line and column; what loads must be consistent (at
// least one term, real finite coefficients, every term within the qubit count) and must write out (to_text)
// and read back to the very same terms and qubit count. Anything else (another exception, a crash, a hang, a
// leak) is a bug.

#include <hqml/io/pauli_file.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void bug(const char* what, const std::string& detail) {
  std::fprintf(stderr, "pauli_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

// An error names the file, line and column it read. (Its message may quote a raw byte of the input, even a
// line break: the hqml program prints messages through hqml::printable, which keeps them to one line.)
void check_message(const hqml::parse_error& e) {
  if (!e.file().starts_with("fuzz") || e.line() == 0 || e.column() == 0) bug("an error without its position", e.what());
}

// Parses, or returns false on a parse_error (checking that it names the position).
bool load(std::string_view text, const char* name, hqml::io::pauli_sum_file& f) {
  try {
    f = hqml::io::parse_pauli_sum(text, name);
    return true;
  } catch (const hqml::parse_error& e) {
    check_message(e);
    return false;
  } catch (const std::exception& e) {
    bug("parse_pauli_sum threw something other than hqml::parse_error", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  hqml::io::pauli_sum_file f;
  if (!load(text, "fuzz.txt", f)) return 0;
  if (f.hamiltonian.terms.empty()) bug("no terms, yet no error", "");
  if (f.num_qubits < 1 || f.num_qubits > 64) bug("qubit count outside 1..64", std::to_string(f.num_qubits));
  if (f.hamiltonian.support_size() > f.num_qubits)
    bug("a term acts beyond the qubit count", std::to_string(f.hamiltonian.support_size()));
  for (const auto& [c, p] : f.hamiltonian.terms)
    if (!std::isfinite(c)) bug("a coefficient that is not finite", std::to_string(c));

  std::string out;
  hqml::io::pauli_sum_file back;
  try {
    out = hqml::io::to_text(f.hamiltonian, f.num_qubits);
  } catch (const std::exception& e) {
    bug("a loaded Hamiltonian did not write out", e.what());
  }
  if (!load(out, "fuzz-roundtrip.txt", back)) bug("the written Hamiltonian did not load again", out);
  if (back.num_qubits != f.num_qubits) bug("the round trip changed the qubit count", out);
  if (back.hamiltonian.terms != f.hamiltonian.terms) bug("the round trip changed the terms", out);
  return 0;
}
