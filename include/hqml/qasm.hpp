#pragma once
// OpenQASM 2.0 import and export.
//
// Import reads the whole OpenQASM 2.0 language except classical control (`if`, which an hqml circuit
// cannot express): registers (flattened into one qubit and one bit index space in declaration order),
// broadcasting, gate definitions, opaque declarations, parameter expressions, barrier, measure and
// reset. `include "qelib1.inc";` is built in (no file is read); its gates map onto hqml's gate kinds
// (u3 → u, u2(φ,λ) → u(π/2,φ,λ), u1 → p, cu1 → cp, id and u0 → i, ...) or, where hqml has none
// (cu3, cu, csx, rccx, rc3x, c3x, c3sqrtx, c4x), expand into them with the same matrix.
// Every problem is an hqml::parse_error naming file, line and column. qasm_parse_options bounds the
// operations a file may expand to and the nesting of gate definitions and expressions, so no input can
// exhaust memory or stack.
//
// Export writes qelib1.inc gates (u as u3, p as u1, cp as cu1); ryy and iswap get gate definitions in
// the file's header; one-qubit unitary and diagonal operations become u3 and u1 (exact up to global
// phase), larger ones the quantum Shannon decomposition (block-ZXZ form) into u3, rz, cx and cz
// (exact up to global phase; (22/48)·4^k − (3/2)·2^k + 5/3 two-qubit gates for a generic k-qubit
// unitary, 1783 for 6; a diagonal takes 2^k − 2, a two-qubit operation as few as its Cartan form
// needs). Numbers are
// printed with 17 significant digits, so parse_qasm(to_qasm(c)) gives back c's operations exactly for
// every gate that qelib1.inc has.

#include <hqml/circuit.hpp>
#include <hqml/error.hpp>
#include <hqml/final_measurements.hpp>  // remove_final_measurements, for readers of QASM files
#include <hqml/io/atomic_file.hpp>
#include <hqml/io/read_file.hpp>

#define HQML_QASM_INTERNAL_INCLUDE
#include <hqml/detail/qasm_expr.hpp>
#include <hqml/detail/qasm_lexer.hpp>
#include <hqml/detail/qasm_parser.hpp>
#include <hqml/detail/qasm_writer.hpp>
#undef HQML_QASM_INTERNAL_INCLUDE

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace hqml {

/// The circuit an OpenQASM 2.0 program describes; `filename` names it in error messages.
/// Throws hqml::parse_error ("file:line:col: message") for anything it cannot read faithfully.
[[nodiscard]] inline circuit parse_qasm(std::string_view text, std::string_view filename = "<string>",
                                        const qasm_parse_options& options = {}) {
  detail::qasm::parser p(text, filename, options);
  return p.run();
}

/// Reads and parses an OpenQASM 2.0 file; a file that cannot be read throws std::system_error.
[[nodiscard]] inline circuit load_qasm(const std::filesystem::path& path, const qasm_parse_options& options = {}) {
  return parse_qasm(io::read_input_file(path), path.string(), options);
}

/// The circuit as an OpenQASM 2.0 program over qelib1.inc. Throws std::invalid_argument naming the
/// operation when an angle still depends on parameters or features (bind() the circuit first).
[[nodiscard]] inline std::string to_qasm(const circuit& c) { return detail::qasm::writer(c).run(); }

/// Writes to_qasm(c) to `path` atomically (through hqml::io::atomic_file): a temporary file in the same
/// folder is written, fsynced and renamed over `path`, so readers see the old file or the whole new one,
/// never a part; on failure the temporary is removed and std::filesystem::filesystem_error names the file.
inline void save_qasm(const circuit& c, const std::filesystem::path& path) {
  io::write_file_atomically(path, to_qasm(c));
}

}  // namespace hqml
