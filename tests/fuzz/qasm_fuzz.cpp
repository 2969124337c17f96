// libFuzzer target for the OpenQASM 2.0 importer and exporter. Any input must either parse or raise
// hqml::parse_error; whatever parses must export, and the export must parse back to the very same
// operations. Anything else (another exception, a crash, a hang, a leak) is a bug.

#include <hqml/qasm.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void bug(const char* what, const std::string& detail) {
  std::fprintf(stderr, "qasm_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Small enough that no input can spend seconds or gigabytes on gate expansion.
  hqml::qasm_parse_options options;
  options.max_operations = 20000;
  hqml::circuit c;
  try {
    c = hqml::parse_qasm(text, "fuzz.qasm", options);
  } catch (const hqml::parse_error&) {
    return 0;  // the expected way to refuse an input
  } catch (const std::exception& e) {
    bug("parse_qasm threw something other than hqml::parse_error", e.what());
  }
  std::string out;
  hqml::circuit back;
  try {
    out = hqml::to_qasm(c);
    back = hqml::parse_qasm(out, "fuzz-roundtrip.qasm", options);
  } catch (const std::exception& e) {
    bug("an imported circuit did not export and import again", e.what() + std::string("\n") + out);
  }
  if (back.num_qubits() != c.num_qubits() || back.num_clbits() != c.num_clbits() || back.size() != c.size())
    bug("the round trip changed the circuit's shape", out);
  for (std::size_t i = 0; i < c.size(); ++i) {
    const hqml::operation &a = c[i], &b = back[i];
    if (a.kind != b.kind || a.qubits != b.qubits || a.params != b.params || a.clbit != b.clbit)
      bug("the round trip changed an operation", "#" + std::to_string(i) + "\n" + out);
  }
  return 0;
}
