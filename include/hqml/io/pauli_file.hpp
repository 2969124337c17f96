#pragma once
// Hamiltonians as files: a weighted sum of Pauli strings, one term per line, in the spellings the peers
// print, so an operator built in Qiskit or OpenFermion can be handed to hqml as it is:
//
//   # H2, STO-3G            ('#' or '%' starts a comment)
//   -0.8105 IIII            a Qiskit label: the rightmost character acts on qubit 0
//   0.1721  Z0 Z1           sparse: a Pauli letter and its qubit, in any order
//   0.0453  [X0 Y1 Y2 X3] + OpenFermion's QubitOperator text; "[]" is the identity, "+" may end the line
//   (0.12+0j) XX            a complex coefficient as Python prints it, if its imaginary part is zero
//
// or JSON: [["IZ", 0.39], ["XX", [0.18, 0.0]], ...] (Qiskit's SparsePauliOp.to_list() with each complex
// c written as a number or [re, im]), optionally inside {"num_qubits": n, "terms": [...]}. Every label of a
// file must have the same length (the qubit count); sparse terms take their count from the highest qubit.
// Observables are Hermitian, so a coefficient with an imaginary part is an error, as is any malformed term:
// each names the file, line and column.

#include <hqml/error.hpp>
#include <hqml/io/atomic_file.hpp>
#include <hqml/io/text_scanner.hpp>
#include <hqml/pauli.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace hqml::io {

/// A Hamiltonian read from a file, with the qubit count the file implies.
struct pauli_sum_file {
  pauli_sum hamiltonian;
  std::size_t num_qubits = 0;
};

namespace detail {

// An imaginary part this small relative to the magnitude is printing noise of a Hermitian operator.
inline constexpr double imaginary_tolerance = 1e-12;

class pauli_text_reader {
 public:
  pauli_text_reader(std::string_view text, std::string name) : scan_(text, std::move(name)) {}

  pauli_sum_file read() {
    pauli_sum_file r;
    while (scan_.next_line()) {
      const detail::token c = scan_.next_in_line();
      const double coefficient = parse_coefficient(c);
      detail::token t = scan_.next_in_line();
      if (t.text.empty()) scan_.fail(t, "expected a Pauli string after the coefficient, found end of line");
      pauli_string p;
      if (t.text.front() == '[')
        p = bracketed(t);
      else if (t.text == "I")
        p = identity_term();  // the identity in the sparse style, fixing no qubit count
      else if (is_label(t.text))
        p = label(t);
      else
        p = sparse(t);
      // OpenFermion joins its terms with " +" at the line's end.
      detail::token after = scan_.next_in_line();
      if (after.text == "+") after = scan_.next_in_line();
      if (!after.text.empty())
        scan_.fail(after, "unexpected '" + std::string(after.text) + "' after the Pauli string, expected end of line");
      scan_.end_line("the term");
      r.hamiltonian.add(coefficient, p);
    }
    if (r.hamiltonian.terms.empty())
      throw hqml::parse_error(scan_.name(), scan_.line(), 1,
                              "no terms: a Hamiltonian needs at least one 'coefficient Pauli-string' line");
    r.num_qubits = label_length_ ? *label_length_ : std::max<std::size_t>(max_qubit_, 1);
    if (label_length_ && max_qubit_ > *label_length_)
      throw hqml::parse_error(scan_.name(), max_line_, max_column_,
                              "qubit " + std::to_string(max_qubit_ - 1) + " is outside the " +
                                  std::to_string(*label_length_) + " qubits the labels span");
    return r;
  }

 private:
  static bool is_label(std::string_view s) {
    return !s.empty() && s.find_first_not_of("IXYZ") == std::string_view::npos;
  }

  double parse_coefficient(const detail::token& t) {
    std::string_view s = t.text;
    if (s.empty() || s.front() != '(') return scan_.real(t, "a coefficient");
    // Python's complex: (re+imj), (re-imj), or (imj).
    if (s.size() < 3 || s.back() != ')')
      scan_.fail(t, "expected a coefficient such as 0.5 or (0.5+0j), found '" + std::string(s) + "'");
    s = s.substr(1, s.size() - 2);
    double re = 0, im = 0;
    if (!s.empty() && s.back() == 'j') {
      std::size_t split = s.size() - 1;
      while (split > 0 && !((s[split] == '+' || s[split] == '-') && s[split - 1] != 'e' && s[split - 1] != 'E'))
        --split;
      if (split > 0 && !number(s.substr(0, split), re))
        scan_.fail(t, "bad real part in the coefficient '" + std::string(t.text) + "'");
      if (!number(s.substr(split, s.size() - 1 - split), im))
        scan_.fail(t, "bad imaginary part in the coefficient '" + std::string(t.text) + "'");
    } else if (!number(s, re)) {
      scan_.fail(t, "expected a coefficient such as 0.5 or (0.5+0j), found '" + std::string(t.text) + "'");
    }
    if (std::abs(im) > imaginary_tolerance * std::max(1.0, std::abs(re)))
      scan_.fail(t, "the coefficient " + std::string(t.text) +
                        " has an imaginary part; a Hamiltonian (a Hermitian operator) needs real coefficients");
    return re;
  }
  static bool number(std::string_view s, double& v) {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(v);
  }

  pauli_string label(const detail::token& t) {
    if (t.text.size() > 64) scan_.fail(t, "a label of " + std::to_string(t.text.size()) + " qubits; at most 64");
    if (label_length_ && *label_length_ != t.text.size())
      scan_.fail(t, "a label of " + std::to_string(t.text.size()) + " qubits after labels of " +
                        std::to_string(*label_length_) + " (line " + std::to_string(label_line_) + ")");
    if (!label_length_) {
      label_length_ = t.text.size();
      label_line_ = t.line;
    }
    return pauli_string::from_label(t.text);
  }

  pauli_string identity_term() {
    const detail::token next = scan_.next_in_line();
    if (!next.text.empty() && next.text != "+")
      scan_.fail(next, "unexpected '" + std::string(next.text) + "' after the identity 'I'");
    return {};
  }

  // "X0", "Y12": one factor of a sparse term. `seen` catches a qubit named twice.
  void factor(const detail::token& t, std::string_view f, pauli_string& p, std::uint64_t& seen) {
    if (f.size() < 2 || std::string_view("IXYZ").find(f.front()) == std::string_view::npos)
      scan_.fail(t, "expected a Pauli factor such as X0 or Z12, found '" + std::string(f) + "'");
    unsigned q = 0;
    const auto [ptr, ec] = std::from_chars(f.data() + 1, f.data() + f.size(), q);
    if (ec != std::errc() || ptr != f.data() + f.size())
      scan_.fail(t, "expected a qubit index after '" + std::string(1, f.front()) + "' in '" + std::string(f) + "'");
    if (q >= 64) scan_.fail(t, "qubit " + std::to_string(q) + " in '" + std::string(f) + "'; at most 64 qubits");
    if ((seen >> q) & 1u) scan_.fail(t, "qubit " + std::to_string(q) + " appears twice in one term");
    seen |= std::uint64_t{1} << q;
    p.set(q, f.front());
    if (q + 1 > max_qubit_) {
      max_qubit_ = q + 1;
      max_line_ = t.line;
      max_column_ = t.column;
    }
  }

  pauli_string sparse(detail::token t) {
    pauli_string p;
    std::uint64_t seen = 0;
    // Up to the end of the line or a "+", after which the caller's end-of-line check finds nothing more.
    for (; !t.text.empty() && t.text != "+"; t = scan_.next_in_line()) factor(t, t.text, p, seen);
    return p;
  }

  // "[X0 Y1]" may arrive as one token or several ("[X0", "Y1]").
  pauli_string bracketed(detail::token t) {
    pauli_string p;
    std::uint64_t seen = 0;
    std::string_view f = t.text.substr(1);
    for (;;) {
      const bool closes = !f.empty() && f.back() == ']';
      if (closes) f.remove_suffix(1);
      if (!f.empty()) factor(t, f, p, seen);
      if (closes) break;
      t = scan_.next_in_line();
      if (t.text.empty()) scan_.fail(t, "expected ']' to close the Pauli string, found end of line");
      f = t.text;
    }
    return p;
  }

  detail::text_scanner scan_;
  std::optional<std::size_t> label_length_;
  std::size_t label_line_ = 0;
  std::size_t max_qubit_ = 0;  // one past the highest qubit a sparse factor named
  std::size_t max_line_ = 0, max_column_ = 0;
};

inline double json_coefficient(const detail::json_value& v, detail::json_reader& r) {
  using kind = detail::json_value::kind;
  if (v.type == kind::number) return v.number;
  if (v.type == kind::array && v.items.size() == 2 && v.items[0].type == kind::number &&
      v.items[1].type == kind::number) {
    const double re = v.items[0].number, im = v.items[1].number;
    if (std::abs(im) > imaginary_tolerance * std::max(1.0, std::abs(re)))
      r.fail_at(v.line, v.column,
                "the coefficient has an imaginary part; a Hamiltonian (a Hermitian operator) needs real coefficients");
    return re;
  }
  r.fail_at(v.line, v.column, std::string("expected a coefficient (a number or [re, im]), found ") + v.type_name());
}

inline pauli_sum_file read_pauli_json(std::string_view text, const std::string& name) {
  using kind = detail::json_value::kind;
  detail::json_reader r(text, name);
  const detail::json_value doc = r.parse();
  const detail::json_value* terms = &doc;
  std::optional<std::size_t> declared;
  if (doc.type == kind::object) {
    terms = doc.find("terms");
    if (!terms) r.fail_at(doc.line, doc.column, "expected a \"terms\" member: [[label, coefficient], ...]");
    if (const auto* n = doc.find("num_qubits")) {
      if (n->type != kind::number || !(n->number >= 1 && n->number <= 64) || n->number != std::floor(n->number))
        r.fail_at(n->line, n->column, "num_qubits must be an integer from 1 to 64");
      declared = static_cast<std::size_t>(n->number);
    }
  }
  if (terms->type != kind::array)
    r.fail_at(terms->line, terms->column,
              std::string("expected an array of [label, coefficient] pairs, found ") + terms->type_name());
  if (terms->items.empty()) r.fail_at(terms->line, terms->column, "no terms: a Hamiltonian needs at least one");
  pauli_sum_file f;
  std::optional<std::size_t> length;
  for (const auto& t : terms->items) {
    if (t.type != kind::array || t.items.size() != 2 || t.items[0].type != kind::string)
      r.fail_at(t.line, t.column, "expected a term [label, coefficient] such as [\"XZ\", 0.5]");
    const std::string& label = t.items[0].text;
    if (label.empty() || label.size() > 64 || label.find_first_not_of("IXYZ") != std::string::npos)
      r.fail_at(t.items[0].line, t.items[0].column,
                "expected a Pauli label of 1 to 64 characters from I, X, Y, Z, found \"" + label + "\"");
    if (length && *length != label.size())
      r.fail_at(t.items[0].line, t.items[0].column,
                "a label of " + std::to_string(label.size()) + " qubits after labels of " + std::to_string(*length));
    length = label.size();
    f.hamiltonian.add(json_coefficient(t.items[1], r), pauli_string::from_label(label));
  }
  if (declared && *declared != *length)
    r.fail_at(doc.line, doc.column,
              "num_qubits is " + std::to_string(*declared) + " but the labels span " + std::to_string(*length));
  f.num_qubits = *length;
  return f;
}

}  // namespace detail

/// Parses a Hamiltonian from text (the line format or JSON, told apart by the first character); `name`
/// (a file name) prefixes every error message. A UTF-8 byte-order mark at the start is skipped, as the CSV
/// reader does (Windows editors write one), and columns count from after it.
[[nodiscard]] inline pauli_sum_file parse_pauli_sum(std::string_view text, const std::string& name = "<text>") {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (text[first] == '[' || text[first] == '{'))
    return detail::read_pauli_json(text, name);
  return detail::pauli_text_reader(text, name).read();
}

/// Reads a Hamiltonian file; an unreadable file is a std::system_error naming it.
[[nodiscard]] inline pauli_sum_file read_pauli_sum(const std::filesystem::path& path) {
  return parse_pauli_sum(detail::read_text_file(path.string()), path.string());
}

/// The line format with Qiskit labels over `num_qubits` qubits, coefficients to full precision.
[[nodiscard]] inline std::string to_text(const pauli_sum& h, std::size_t num_qubits) {
  if (h.support_size() > num_qubits)
    throw std::invalid_argument("hqml::io::to_text: a term acts on qubit " + std::to_string(h.support_size() - 1) +
                                " of a " + std::to_string(num_qubits) + "-qubit Hamiltonian");
  std::string s;
  char buf[32];
  for (const auto& [c, p] : h.terms) {
    const int len = std::snprintf(buf, sizeof buf, "%.17g", c);
    s.append(buf, static_cast<std::size_t>(len));
    s += ' ';
    s += p.label(static_cast<unsigned>(num_qubits));
    s += '\n';
  }
  return s;
}

/// Writes the line format atomically: a reader sees the old file or the whole new one.
inline void write_pauli_sum(const std::filesystem::path& path, const pauli_sum& h, std::size_t num_qubits) {
  write_file_atomically(path, to_text(h, num_qubits));
}

}  // namespace hqml::io
