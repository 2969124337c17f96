#pragma once
// The OpenQASM 2.0 importer. Internal: include <hqml/qasm.hpp>.
#if !defined(HQML_QASM_INTERNAL_INCLUDE)
#error "hqml/detail/qasm_parser.hpp is internal; include <hqml/qasm.hpp> instead"
#endif

#include <hqml/circuit.hpp>
#include <hqml/detail/qasm_expr.hpp>
#include <hqml/detail/qasm_lexer.hpp>
#include <hqml/error.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <numbers>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace hqml {

/// Limits that keep a hostile or mistaken file from exhausting time, memory or stack.
struct qasm_parse_options {
  /// Operations the circuit may hold once every gate definition is expanded (definitions can nest
  /// exponentially: each level calling the previous one twice doubles the count). An operation takes
  /// a few hundred bytes, so the default bounds a tiny file's circuit to about a gigabyte.
  std::size_t max_operations = std::size_t{1} << 22;
  /// Levels of gate definitions calling gate definitions.
  std::size_t max_gate_nesting = 128;
  /// Levels of parentheses, unary minus, powers and function calls in one parameter expression.
  std::size_t max_expression_depth = 128;
  /// Classical bits over all creg declarations.
  std::size_t max_clbits = std::size_t{1} << 24;
};

namespace detail::qasm {

// The gates of qelib1.inc that hqml has natively; how their parameters map onto hqml's.
enum class param_map : std::uint8_t { same, u2, none };

struct native_gate {
  std::string_view name;
  gate_kind kind;
  std::uint8_t num_params;
  std::uint8_t num_qubits;
  param_map map;
};

inline constexpr native_gate qelib1_natives[] = {
    {"u3", gate_kind::u, 3, 1, param_map::same},        {"u2", gate_kind::u, 2, 1, param_map::u2},
    {"u1", gate_kind::p, 1, 1, param_map::same},        {"cx", gate_kind::cx, 0, 2, param_map::same},
    {"id", gate_kind::i, 0, 1, param_map::same},        {"u0", gate_kind::i, 1, 1, param_map::none},
    {"u", gate_kind::u, 3, 1, param_map::same},         {"p", gate_kind::p, 1, 1, param_map::same},
    {"x", gate_kind::x, 0, 1, param_map::same},         {"y", gate_kind::y, 0, 1, param_map::same},
    {"z", gate_kind::z, 0, 1, param_map::same},         {"h", gate_kind::h, 0, 1, param_map::same},
    {"s", gate_kind::s, 0, 1, param_map::same},         {"sdg", gate_kind::sdg, 0, 1, param_map::same},
    {"t", gate_kind::t, 0, 1, param_map::same},         {"tdg", gate_kind::tdg, 0, 1, param_map::same},
    {"rx", gate_kind::rx, 1, 1, param_map::same},       {"ry", gate_kind::ry, 1, 1, param_map::same},
    {"rz", gate_kind::rz, 1, 1, param_map::same},       {"sx", gate_kind::sx, 0, 1, param_map::same},
    {"sxdg", gate_kind::sxdg, 0, 1, param_map::same},   {"cz", gate_kind::cz, 0, 2, param_map::same},
    {"cy", gate_kind::cy, 0, 2, param_map::same},       {"swap", gate_kind::swap, 0, 2, param_map::same},
    {"ch", gate_kind::ch, 0, 2, param_map::same},       {"ccx", gate_kind::ccx, 0, 3, param_map::same},
    {"cswap", gate_kind::cswap, 0, 3, param_map::same}, {"crx", gate_kind::crx, 1, 2, param_map::same},
    {"cry", gate_kind::cry, 1, 2, param_map::same},     {"crz", gate_kind::crz, 1, 2, param_map::same},
    {"cu1", gate_kind::cp, 1, 2, param_map::same},      {"cp", gate_kind::cp, 1, 2, param_map::same},
    {"rxx", gate_kind::rxx, 1, 2, param_map::same},     {"rzz", gate_kind::rzz, 1, 2, param_map::same},
};

// The qelib1.inc gates hqml has no kind for, written over native gates. Each equals its
// qelib1.inc definition as a matrix, global phase included: the phase of an uncontrolled gate is
// unobservable, but these are controlled gates, where qelib1's phase fixes (the p on the control
// in cu3 and cu) are relative phases. h/t/tdg stand for qelib1's u2(0,pi)/u1(pi/4)/u1(-pi/4), which
// are the same matrices; the h pairs of c3sqrtx that meet around gates on other qubits cancel.
inline constexpr std::string_view qelib1_composites = R"(
gate cu3(theta,phi,lambda) c,t {
  p((lambda+phi)/2) c;
  p((lambda-phi)/2) t;
  cx c,t;
  u(-theta/2,0,-(phi+lambda)/2) t;
  cx c,t;
  u(theta/2,phi,0) t;
}
gate cu(theta,phi,lambda,gamma) c,t {
  p(gamma+(lambda+phi)/2) c;
  p((lambda-phi)/2) t;
  cx c,t;
  u(-theta/2,0,-(phi+lambda)/2) t;
  cx c,t;
  u(theta/2,phi,0) t;
}
gate csx a,b { h b; cp(pi/2) a,b; h b; }
gate rccx a,b,c {
  h c; t c;
  cx b,c; tdg c;
  cx a,c; t c;
  cx b,c; tdg c;
  h c;
}
gate rc3x a,b,c,d {
  h d; t d;
  cx c,d; tdg d;
  h d;
  cx a,d; t d;
  cx b,d; tdg d;
  cx a,d; t d;
  cx b,d; tdg d;
  h d; t d;
  cx c,d; tdg d;
  h d;
}
gate c3x a,b,c,d {
  h d;
  p(pi/8) a; p(pi/8) b; p(pi/8) c; p(pi/8) d;
  cx a,b; p(-pi/8) b; cx a,b;
  cx b,c; p(-pi/8) c;
  cx a,c; p(pi/8) c;
  cx b,c; p(-pi/8) c;
  cx a,c;
  cx c,d; p(-pi/8) d;
  cx b,d; p(pi/8) d;
  cx c,d; p(-pi/8) d;
  cx a,d; p(pi/8) d;
  cx c,d; p(-pi/8) d;
  cx b,d; p(pi/8) d;
  cx c,d; p(-pi/8) d;
  cx a,d;
  h d;
}
gate c3sqrtx a,b,c,d {
  h d;
  cp(pi/8) a,d;
  cx a,b; cp(-pi/8) b,d;
  cx a,b; cp(pi/8) b,d;
  cx b,c; cp(-pi/8) c,d;
  cx a,c; cp(pi/8) c,d;
  cx b,c; cp(-pi/8) c,d;
  cx a,c; cp(pi/8) c,d;
  h d;
}
gate c4x a,b,c,d,e {
  h e; cp(pi/2) d,e; h e;
  c3x a,b,c,d;
  h e; cp(-pi/2) d,e; h e;
  c3x a,b,c,d;
  c3sqrtx a,b,c,e;
}
)";

inline constexpr std::string_view reserved_words[] = {
    "OPENQASM", "include", "qreg", "creg", "gate", "opaque", "barrier", "measure", "reset", "if",
    "U",        "CX",      "pi",   "sin",  "cos",  "tan",    "exp",     "ln",      "sqrt"};

[[nodiscard]] inline bool is_reserved(std::string_view s) {
  return std::find(std::begin(reserved_words), std::end(reserved_words), s) != std::end(reserved_words);
}

class parser {
 public:
  parser(std::string_view text, std::string_view file, const qasm_parse_options& options)
      : parser(text, file, options, library()) {
    symbols_.emplace("U", symbol{symbol::type::gate, 0});
    symbols_.emplace("CX", symbol{symbol::type::gate, 1});
  }

  [[nodiscard]] circuit run() {
    cur_ = lexer_.next();
    bool first = true;
    while (peek().kind != tok::end) {
      parse_statement(first);
      first = false;
    }
    circuit c(num_qubits_, num_clbits_);
    for (operation& op : ops_) c.append(std::move(op));
    return c;
  }

 private:
  struct symbol {
    enum class type : std::uint8_t { qreg, creg, gate } kind;
    std::size_t index;
  };
  struct reg {
    std::string name;
    std::size_t offset;
    std::size_t size;
  };
  struct body_op {
    std::size_t gate = 0;
    bool barrier = false;
    std::vector<expression> params;
    std::vector<std::uint32_t> args;  // indices into the enclosing gate's qubit arguments
  };
  struct gate_def {
    enum class type : std::uint8_t { native, composite, opaque } kind = type::native;
    std::string name;
    std::size_t num_params = 0;
    std::size_t num_qubits = 0;
    gate_kind native = gate_kind::i;
    param_map map = param_map::same;
    std::vector<body_op> body;
    std::size_t depth = 0;         // levels of definitions below this one
    std::size_t expanded_ops = 1;  // operations one call emits (saturating)
    std::string declared_at;       // "file:line:col", for messages
    std::string file;              // where the body's expressions are
  };
  // The names a gate definition's body may use, looked up by name (a definition may list many).
  struct gate_scope {
    std::string_view gate;
    std::vector<std::string_view> qubits;  // in order, for messages
    std::map<std::string_view, std::uint32_t> param_index;
    std::map<std::string_view, std::uint32_t> qubit_index;
    [[nodiscard]] bool declares(std::string_view n) const { return param_index.count(n) || qubit_index.count(n); }
  };
  struct qarg {
    token at;
    std::size_t reg = 0;
    bool whole = false;
    std::uint64_t index = 0;
  };

  parser(std::string_view text, std::string_view file, const qasm_parse_options& options,
         const std::vector<gate_def>& lib)
      : options_(options), file_(file), lexer_(text, file_), library_(&lib) {}

  // Gate indices count the shared library first (U, CX, then qelib1.inc's gates), then this file's own.
  [[nodiscard]] const gate_def& gate_at(std::size_t i) const {
    return i < library_->size() ? (*library_)[i] : gates_[i - library_->size()];
  }
  [[nodiscard]] std::size_t next_gate_index() const { return library_->size() + gates_.size(); }

  // U, CX and all of qelib1.inc, built once per process: the composites are parsed from their text like
  // any user definition, by a parser whose library is empty, so its own gates get the final indices.
  static const std::vector<gate_def>& library() {
    static const std::vector<gate_def> lib = [] {
      const qasm_parse_options options;
      const std::vector<gate_def> none;
      parser p(qelib1_composites, "qelib1.inc", options, none);
      p.add_native("U", gate_kind::u, 3, 1, param_map::same, "the OpenQASM 2.0 language");
      p.add_native("CX", gate_kind::cx, 0, 2, param_map::same, "the OpenQASM 2.0 language");
      for (const native_gate& g : qelib1_natives)
        p.add_native(g.name, g.kind, g.num_params, g.num_qubits, g.map, "qelib1.inc");
      p.cur_ = p.lexer_.next();
      while (p.peek().kind != tok::end) p.parse_gate_definition();
      return std::move(p.gates_);
    }();
    return lib;
  }

  // ---- tokens ----
  // Tokens are returned by value: a reference to cur_ would change under the caller at the next step.
  [[nodiscard]] token peek() const { return cur_; }
  token next() {
    prev_ = cur_;
    if (cur_.kind != tok::end) cur_ = lexer_.next();
    return prev_;
  }
  [[nodiscard]] bool peek_is(tok k) const { return peek().kind == k; }
  bool accept(tok k) {
    if (!peek_is(k)) return false;
    next();
    return true;
  }
  [[noreturn]] void fail(const token& at, const std::string& message) const {
    throw parse_error(file_, at.line, at.column, message);
  }
  [[noreturn]] void fail_at(std::size_t line, std::size_t column, const std::string& message) const {
    throw parse_error(file_, line, column, message);
  }
  // `what` is a string, or a function making one: messages are only built for errors.
  template <class Describe>
  requires std::is_invocable_v<Describe> token expect(tok k, Describe&& what) {
    if (!peek_is(k)) fail(peek(), "expected " + std::string(what()) + ", found " + describe(peek()));
    return next();
  }
  token expect(tok k, std::string_view what) {
    return expect(k, [what] { return what; });
  }
  // A missing ';' is reported where it belongs: right after the previous token, not at the next line's start.
  void expect_semicolon(std::string_view statement) {
    if (peek_is(tok::semicolon)) {
      next();
      return;
    }
    fail_at(prev_.line, prev_.column + prev_.text.size(),
            "missing ';' at the end of the " + std::string(statement) + " (found " + describe(peek()) + ")");
  }
  [[nodiscard]] std::string location(const token& t) const {
    return file_ + ":" + std::to_string(t.line) + ":" + std::to_string(t.column);
  }

  // ---- names ----
  // A name being declared: OpenQASM 2 identifiers start with a lowercase letter and are not keywords.
  token expect_new_name(std::string_view what) {
    const token& t = peek();
    if (t.kind != tok::identifier) fail(t, "expected " + std::string(what) + ", found " + describe(t));
    if (is_reserved(t.text))
      fail(t, "'" + std::string(t.text) + "' is a reserved word and cannot name " + std::string(what));
    if (t.text[0] < 'a' || t.text[0] > 'z')
      fail(t, "'" + std::string(t.text) + "' is not a valid OpenQASM 2 name: names start with a lowercase letter");
    return next();
  }
  void check_not_declared(const token& t) const {
    const auto it = symbols_.find(t.text);
    if (it == symbols_.end()) return;
    std::string where;
    if (it->second.kind == symbol::type::gate)
      where = gate_at(it->second.index).declared_at;
    else
      where = reg_declared_at_[it->second.index];
    fail(t, "redeclaration of '" + std::string(t.text) + "' (first declared at " + where + ")");
  }

  void add_native(std::string_view name, gate_kind kind, std::size_t np, std::size_t nq, param_map map,
                  std::string declared_at) {
    gate_def g;
    g.kind = gate_def::type::native;
    g.name = std::string(name);
    g.num_params = np;
    g.num_qubits = nq;
    g.native = kind;
    g.map = map;
    g.declared_at = std::move(declared_at);
    symbols_.emplace(g.name, symbol{symbol::type::gate, next_gate_index()});
    gates_.push_back(std::move(g));
  }

  // ---- statements ----
  void parse_statement(bool first) {
    const token& t = peek();
    if (t.kind != tok::identifier) fail(t, "expected a statement, found " + describe(t));
    const std::string_view w = t.text;
    if (w == "OPENQASM") return parse_version(first);
    if (w == "include") return parse_include();
    if (w == "qreg" || w == "creg") return parse_register();
    if (w == "gate") return parse_gate_definition();
    if (w == "opaque") return parse_opaque();
    if (w == "barrier") return parse_barrier();
    if (w == "measure") return parse_measure();
    if (w == "reset") return parse_reset();
    if (w == "if")
      fail(t,
           "classically controlled operations ('if') are not supported: an hqml circuit has no classical control "
           "flow");
    parse_gate_call();
  }

  void parse_version(bool first) {
    const token& kw = next();
    if (!first) fail(kw, "'OPENQASM' must be the first statement of the file");
    const token& v = peek();
    if (v.kind != tok::real && v.kind != tok::integer)
      fail(v, "expected a version number after 'OPENQASM', found " + describe(v));
    next();
    double value = 0.0;
    const auto [p, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), value);
    if (ec != std::errc() || p != v.text.data() + v.text.size() || value != 2.0)
      fail(v, "unsupported OpenQASM version " + std::string(v.text) + ": hqml reads OpenQASM 2.0");
    expect_semicolon("OPENQASM statement");
  }

  void parse_include() {
    const token& kw = next();
    const token& f = peek();
    if (f.kind != tok::string) fail(f, "expected a quoted file name after 'include', found " + describe(f));
    next();
    const std::string_view name = f.text.substr(1, f.text.size() - 2);
    if (name != "qelib1.inc")
      fail(f, "unsupported include file \"" + std::string(name) +
                  "\": hqml provides only the standard \"qelib1.inc\" and reads no other files");
    expect_semicolon("include statement");
    if (qelib1_included_) return;  // including it twice changes nothing
    for (std::size_t i = 2; i < library_->size(); ++i) {
      const gate_def& g = (*library_)[i];
      check_include_clash(kw, g.name);
      if (g.depth > options_.max_gate_nesting)
        fail(kw, "qelib1.inc's gate '" + g.name + "' nests gate definitions " + std::to_string(g.depth) +
                     " levels deep; the limit is " + std::to_string(options_.max_gate_nesting));
      symbols_.emplace(g.name, symbol{symbol::type::gate, i});
    }
    qelib1_included_ = true;
  }
  void check_include_clash(const token& at, std::string_view name) const {
    const auto it = symbols_.find(name);
    if (it == symbols_.end()) return;
    const std::string first = it->second.kind == symbol::type::gate ? gate_at(it->second.index).declared_at
                                                                    : reg_declared_at_[it->second.index];
    fail(at, "including \"qelib1.inc\" redeclares '" + std::string(name) + "', first declared at " + first);
  }

  void parse_register() {
    const token& kw = next();
    const bool quantum = kw.text == "qreg";
    const token name = expect_new_name(quantum ? "a quantum register" : "a classical register");
    check_not_declared(name);
    expect(tok::lbracket, "'[' and the register size");
    const token size_tok = peek();
    const std::uint64_t size = parse_integer("the register size");
    expect(tok::rbracket, "']' after the register size");
    expect_semicolon(quantum ? "qreg declaration" : "creg declaration");
    if (size == 0) fail(size_tok, "register '" + std::string(name.text) + "' must have at least one bit");
    std::size_t& total = quantum ? num_qubits_ : num_clbits_;
    const std::size_t limit = quantum ? circuit::max_qubits : options_.max_clbits;
    if (size > limit - total)
      fail(size_tok, std::string(quantum ? "too many qubits" : "too many classical bits") + ": register '" +
                         std::string(name.text) + "' of size " + std::string(size_tok.text) +
                         " would bring the total over " + std::to_string(limit) + " (" + std::to_string(total) +
                         " declared before it)");
    symbols_.emplace(std::string(name.text), symbol{quantum ? symbol::type::qreg : symbol::type::creg, regs_.size()});
    regs_.push_back({std::string(name.text), total, static_cast<std::size_t>(size)});
    reg_declared_at_.push_back(location(name));
    total += static_cast<std::size_t>(size);
  }

  std::uint64_t parse_integer(std::string_view what) {
    const token& t = peek();
    if (t.kind != tok::integer)
      fail(t, "expected " + std::string(what) + " (a non-negative integer), found " + describe(t));
    next();
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec != std::errc() || p != t.text.data() + t.text.size())
      fail(t, "integer " + std::string(t.text) + " is too large");
    return v;
  }

  // gate name[(params)] qubits { body }
  void parse_gate_definition() {
    next();  // 'gate'
    const token name = expect_new_name("a gate name");
    check_not_declared(name);
    gate_scope scope;
    scope.gate = name.text;
    gate_def g;
    g.kind = gate_def::type::composite;
    g.name = std::string(name.text);
    g.declared_at = location(name);
    g.file = file_;
    auto check_local = [&](const token& t) {
      if (scope.declares(t.text))
        fail(t, "'" + std::string(t.text) + "' is declared twice in the definition of gate '" + g.name + "'");
    };
    if (accept(tok::lparen)) {
      if (!peek_is(tok::rparen)) {
        do {
          const token& p = expect_new_name("a parameter name");
          check_local(p);
          scope.param_index.emplace(p.text, static_cast<std::uint32_t>(scope.param_index.size()));
        } while (accept(tok::comma));
      }
      expect(tok::rparen, "')' after the parameter names");
    }
    do {
      const token& q = expect_new_name("a qubit argument name");
      check_local(q);
      check_qubit_limit(q, scope.qubits.size() + 1);
      scope.qubit_index.emplace(q.text, static_cast<std::uint32_t>(scope.qubits.size()));
      scope.qubits.push_back(q.text);
    } while (accept(tok::comma));
    const token& open = expect(tok::lbrace, [&] { return "'{' to open the body of gate '" + g.name + "'"; });
    g.num_params = scope.param_index.size();
    g.num_qubits = scope.qubits.size();
    g.expanded_ops = 0;
    while (!accept(tok::rbrace)) {
      const token& t = peek();
      if (t.kind == tok::end)
        fail(t, "missing '}' to close the body of gate '" + g.name + "' opened at line " + std::to_string(open.line));
      if (t.kind != tok::identifier)
        fail(t, "expected a gate call or barrier in the body of gate '" + g.name + "', found " + describe(t));
      const std::string_view w = t.text;
      if (w == "measure" || w == "reset" || w == "if" || w == "qreg" || w == "creg" || w == "gate" || w == "opaque" ||
          w == "include" || w == "OPENQASM")
        fail(t, "'" + std::string(w) + "' is not allowed inside a gate definition (only gate calls and barriers are)");
      body_op op = w == "barrier" ? parse_body_barrier(scope) : parse_body_call(scope);
      const std::size_t n = op.barrier ? 1 : gate_at(op.gate).expanded_ops;
      g.expanded_ops = n > std::numeric_limits<std::size_t>::max() - g.expanded_ops
                           ? std::numeric_limits<std::size_t>::max()
                           : g.expanded_ops + n;
      if (!op.barrier) g.depth = std::max(g.depth, gate_at(op.gate).depth + 1);
      g.body.push_back(std::move(op));
    }
    if (g.depth > options_.max_gate_nesting)
      fail(name, "gate '" + g.name + "' nests gate definitions " + std::to_string(g.depth) +
                     " levels deep; the limit is " + std::to_string(options_.max_gate_nesting));
    symbols_.emplace(g.name, symbol{symbol::type::gate, next_gate_index()});
    gates_.push_back(std::move(g));
  }

  // A gate on more qubits than a circuit holds could never be applied (its qubits must be distinct).
  void check_qubit_limit(const token& t, std::size_t count) const {
    if (count > circuit::max_qubits)
      fail(t, "a gate of more than " + std::to_string(circuit::max_qubits) +
                  " qubits cannot be applied in an hqml circuit");
  }
  std::uint32_t scope_qubit(const gate_scope& scope, const token& t) const {
    const auto it = scope.qubit_index.find(t.text);
    if (it != scope.qubit_index.end()) return it->second;
    if (scope.param_index.count(t.text))
      fail(t, "'" + std::string(t.text) + "' is a parameter of gate '" + std::string(scope.gate) + "', not a qubit");
    fail(t, "'" + std::string(t.text) + "' is not a qubit argument of gate '" + std::string(scope.gate) + "'");
  }
  std::vector<std::uint32_t> parse_body_qubits(const gate_scope& scope) {
    std::vector<std::uint32_t> args;
    do {
      const token& t = expect(tok::identifier, "a qubit argument name");
      args.push_back(scope_qubit(scope, t));
      if (peek_is(tok::lbracket))
        fail(peek(), "qubits inside a gate definition are the gate's arguments, named without an index");
    } while (accept(tok::comma));
    return args;
  }
  body_op parse_body_barrier(const gate_scope& scope) {
    next();
    body_op op;
    op.barrier = true;
    for (std::uint32_t a : parse_body_qubits(scope))
      if (std::find(op.args.begin(), op.args.end(), a) == op.args.end()) op.args.push_back(a);
    expect_semicolon("barrier");
    return op;
  }
  body_op parse_body_call(const gate_scope& scope) {
    const token name = next();
    if (name.text == scope.gate)
      fail(name, "gate '" + std::string(scope.gate) + "' calls itself; OpenQASM 2 gates cannot be recursive");
    body_op op;
    op.gate = lookup_gate(name);
    if (accept(tok::lparen)) {
      if (!peek_is(tok::rparen)) {
        do op.params.push_back(parse_expression(&scope));
        while (accept(tok::comma));
      }
      expect(tok::rparen, [&] { return "')' to close the parameters of '" + std::string(name.text) + "'"; });
    }
    check_param_count(name, op.gate, op.params.size());
    const token first_arg = peek();
    op.args = parse_body_qubits(scope);
    expect_semicolon("gate call");
    check_qubit_count(op.gate, op.args.size(), first_arg);
    for (std::size_t a = 0; a < op.args.size(); ++a)
      for (std::size_t b = 0; b < a; ++b)
        if (op.args[a] == op.args[b])
          fail(first_arg, "qubit '" + std::string(scope.qubits[op.args[a]]) + "' is passed twice to '" +
                              std::string(name.text) + "'");
    return op;
  }

  void parse_opaque() {
    next();
    const token name = expect_new_name("a gate name");
    check_not_declared(name);
    gate_def g;
    g.kind = gate_def::type::opaque;
    g.name = std::string(name.text);
    g.declared_at = location(name);
    g.expanded_ops = 0;
    std::set<std::string_view> names;
    auto add = [&](const token& t) {
      if (!names.insert(t.text).second)
        fail(t, "'" + std::string(t.text) + "' is declared twice in opaque gate '" + g.name + "'");
    };
    if (accept(tok::lparen)) {
      if (!peek_is(tok::rparen)) {
        do {
          add(expect_new_name("a parameter name"));
          ++g.num_params;
        } while (accept(tok::comma));
      }
      expect(tok::rparen, "')' after the parameter names");
    }
    do {
      const token q = expect_new_name("a qubit argument name");
      add(q);
      check_qubit_limit(q, ++g.num_qubits);
    } while (accept(tok::comma));
    expect_semicolon("opaque declaration");
    symbols_.emplace(g.name, symbol{symbol::type::gate, next_gate_index()});
    gates_.push_back(std::move(g));
  }

  std::size_t lookup_gate(const token& name) const {
    if (name.kind != tok::identifier) fail(name, "expected a gate name, found " + describe(name));
    const auto it = symbols_.find(name.text);
    if (it == symbols_.end()) {
      std::string msg = "unknown gate '" + std::string(name.text) + "'";
      const auto in_qelib1 = [&] {
        for (std::size_t i = 2; i < library_->size(); ++i)
          if ((*library_)[i].name == name.text) return true;
        return false;
      };
      if (!qelib1_included_ && in_qelib1()) msg += " (it is defined in qelib1.inc: add include \"qelib1.inc\";)";
      fail(name, msg);
    }
    if (it->second.kind != symbol::type::gate) fail(name, "'" + std::string(name.text) + "' is a register, not a gate");
    return it->second.index;
  }
  void check_param_count(const token& name, std::size_t gi, std::size_t got) const {
    const gate_def& g = gate_at(gi);
    if (got != g.num_params)
      fail(name, "gate '" + g.name + "' takes " + std::to_string(g.num_params) + " parameter" +
                     (g.num_params == 1 ? "" : "s") + ", got " + std::to_string(got));
  }
  void check_qubit_count(std::size_t gi, std::size_t got, const token& first_arg) const {
    const gate_def& g = gate_at(gi);
    if (got != g.num_qubits)
      fail(first_arg, "gate '" + g.name + "' acts on " + std::to_string(g.num_qubits) + " qubit" +
                          (g.num_qubits == 1 ? "" : "s") + ", got " + std::to_string(got));
  }

  // ---- top-level operations ----
  // `statement` names what the argument is for in messages: "measure", "barrier", or a gate's name.
  [[nodiscard]] static std::string statement_name(std::string_view statement, bool gate) {
    return gate ? "gate '" + std::string(statement) + "'" : std::string(statement);
  }
  qarg parse_argument(bool quantum, std::string_view statement, bool gate = false) {
    qarg a;
    a.at = peek();
    const token& t = peek();
    if (t.kind != tok::identifier)
      fail(t,
           std::string("expected a ") + (quantum ? "quantum" : "classical") + " register or bit, found " + describe(t));
    next();
    const auto it = symbols_.find(t.text);
    if (it == symbols_.end()) fail(t, "undeclared register '" + std::string(t.text) + "'");
    if (it->second.kind == symbol::type::gate) fail(t, "'" + std::string(t.text) + "' is a gate, not a register");
    if ((it->second.kind == symbol::type::qreg) != quantum)
      fail(t, "'" + std::string(t.text) + "' is a " + (quantum ? "classical" : "quantum") + " register, but " +
                  statement_name(statement, gate) + " expects a " + (quantum ? "quantum" : "classical") + " one here");
    a.reg = it->second.index;
    if (accept(tok::lbracket)) {
      const token idx = peek();
      a.index = parse_integer("an index");
      expect(tok::rbracket, "']' after the index");
      if (a.index >= regs_[a.reg].size)
        fail(idx, "index " + std::string(idx.text) + " is out of range for register '" + regs_[a.reg].name +
                      "' of size " + std::to_string(regs_[a.reg].size));
    } else {
      a.whole = true;
    }
    return a;
  }
  std::vector<qarg> parse_arguments(std::string_view statement, bool gate) {
    std::vector<qarg> args;
    do args.push_back(parse_argument(true, statement, gate));
    while (accept(tok::comma));
    return args;
  }
  [[nodiscard]] std::string bit_name(std::size_t r, std::uint64_t index) const {
    return regs_[r].name + "[" + std::to_string(index) + "]";
  }
  // Registers given whole are broadcast: the statement runs once per index, and all such registers
  // must have the same size.
  std::size_t broadcast_width(const std::vector<qarg>& args, std::string_view gate) const {
    const qarg* first = nullptr;
    for (const qarg& a : args) {
      if (!a.whole) continue;
      if (!first)
        first = &a;
      else if (regs_[a.reg].size != regs_[first->reg].size)
        fail(a.at, statement_name(gate, true) + ": register '" + regs_[a.reg].name + "' has size " +
                       std::to_string(regs_[a.reg].size) + " but '" + regs_[first->reg].name + "' has size " +
                       std::to_string(regs_[first->reg].size) + "; registers applied together must have equal sizes");
    }
    return first ? regs_[first->reg].size : 1;
  }
  void reserve_ops(const token& at, std::size_t count) {
    if (count > options_.max_operations - ops_.size())
      fail(at, "the circuit would exceed " + std::to_string(options_.max_operations) +
                   " operations once gate definitions are expanded");
  }

  void parse_gate_call() {
    const token name = next();
    const std::size_t gi = lookup_gate(name);
    std::vector<double> params;
    if (accept(tok::lparen)) {
      if (!peek_is(tok::rparen)) {
        do {
          const expression e = parse_expression(nullptr);
          const double v = evaluate(e, {}, stack_);
          if (!std::isfinite(v))
            fail_at(e.line, e.column,
                    "parameter of '" + std::string(name.text) +
                        "' is not a finite number (division by zero, overflow, or ln/sqrt of an "
                        "invalid argument)");
          params.push_back(v);
        } while (accept(tok::comma));
      }
      expect(tok::rparen, [&] { return "')' to close the parameters of '" + std::string(name.text) + "'"; });
    }
    check_param_count(name, gi, params.size());
    const token first_arg = peek();
    const std::vector<qarg> args = parse_arguments(name.text, true);
    expect_semicolon("gate call");
    check_qubit_count(gi, args.size(), first_arg);
    const gate_def& g = gate_at(gi);
    if (g.kind == gate_def::type::opaque)
      fail(name, "gate '" + g.name + "' is opaque (declared at " + g.declared_at +
                     " without a definition), so hqml cannot apply it");
    const std::size_t width = broadcast_width(args, g.name);
    std::vector<std::uint32_t> qubits(args.size());
    for (std::size_t i = 0; i < width; ++i) {
      for (std::size_t k = 0; k < args.size(); ++k) {
        const std::uint64_t idx = args[k].whole ? i : args[k].index;
        qubits[k] = static_cast<std::uint32_t>(regs_[args[k].reg].offset + idx);
        for (std::size_t j = 0; j < k; ++j)
          if (qubits[j] == qubits[k])
            fail(args[k].at, "qubit " + bit_name(args[k].reg, idx) + " is passed twice to '" + g.name + "'");
      }
      reserve_ops(name, g.expanded_ops);
      expand(gi, params, qubits, name);
    }
  }

  // Recursion depth is bounded by max_gate_nesting, checked when each definition was read.
  void expand(std::size_t gi, std::span<const double> params, std::span<const std::uint32_t> qubits,
              const token& site) {
    const gate_def& g = gate_at(gi);
    if (g.kind == gate_def::type::native) {
      operation op;
      op.kind = g.native;
      op.qubits.assign(qubits.begin(), qubits.end());
      switch (g.map) {
        case param_map::same:
          op.params.assign(params.begin(), params.end());
          break;
        case param_map::u2:
          op.params = {angle(std::numbers::pi / 2), angle(params[0]), angle(params[1])};
          break;
        case param_map::none:
          break;
      }
      ops_.push_back(std::move(op));
      return;
    }
    if (g.kind == gate_def::type::opaque)
      fail(site, "gate '" + std::string(site.text) + "' calls opaque gate '" + g.name + "' (declared at " +
                     g.declared_at + "), which hqml cannot apply");
    std::vector<double> sub_params;
    std::vector<std::uint32_t> sub_qubits;
    for (const body_op& b : g.body) {
      sub_qubits.clear();
      for (std::uint32_t a : b.args) sub_qubits.push_back(qubits[a]);
      if (b.barrier) {
        operation op;
        op.kind = gate_kind::barrier;
        op.qubits = sub_qubits;
        ops_.push_back(std::move(op));
        continue;
      }
      sub_params.clear();
      for (const expression& e : b.params) {
        const double v = evaluate(e, params, stack_);
        if (!std::isfinite(v))
          fail(site, "a parameter of '" + gate_at(b.gate).name + "' inside gate '" + g.name +
                         "' is not a finite number for this call (the expression at " + g.file + ":" +
                         std::to_string(e.line) + ":" + std::to_string(e.column) + ")");
        sub_params.push_back(v);
      }
      expand(b.gate, sub_params, sub_qubits, site);
    }
  }

  void parse_measure() {
    const token kw = next();
    const qarg q = parse_argument(true, "measure");
    expect(tok::arrow, "'->' after the measured qubit");
    const qarg c = parse_argument(false, "measure");
    expect_semicolon("measure statement");
    if (q.whole != c.whole)
      fail(q.whole ? c.at : q.at,
           "measure: give two registers of equal size or a single qubit and a single bit, "
           "not a register and a single bit");
    const std::size_t n = q.whole ? regs_[q.reg].size : 1;
    if (q.whole && regs_[c.reg].size != n)
      fail(c.at, "measure: register '" + regs_[q.reg].name + "' has size " + std::to_string(n) + " but '" +
                     regs_[c.reg].name + "' has size " + std::to_string(regs_[c.reg].size));
    reserve_ops(kw, n);
    for (std::size_t i = 0; i < n; ++i) {
      operation op;
      op.kind = gate_kind::measure;
      op.qubits = {static_cast<std::uint32_t>(regs_[q.reg].offset + (q.whole ? i : q.index))};
      op.clbit = static_cast<std::int64_t>(regs_[c.reg].offset + (c.whole ? i : c.index));
      ops_.push_back(std::move(op));
    }
  }

  void parse_reset() {
    const token kw = next();
    const qarg q = parse_argument(true, "reset");
    expect_semicolon("reset statement");
    const std::size_t n = q.whole ? regs_[q.reg].size : 1;
    reserve_ops(kw, n);
    for (std::size_t i = 0; i < n; ++i) {
      operation op;
      op.kind = gate_kind::reset;
      op.qubits = {static_cast<std::uint32_t>(regs_[q.reg].offset + (q.whole ? i : q.index))};
      ops_.push_back(std::move(op));
    }
  }

  // A barrier spans every qubit it names; registers are not broadcast, and a qubit named twice counts once.
  void parse_barrier() {
    const token kw = next();
    const std::vector<qarg> args = parse_arguments("barrier", false);
    expect_semicolon("barrier");
    operation op;
    op.kind = gate_kind::barrier;
    auto add = [&](std::size_t q) {
      const auto u = static_cast<std::uint32_t>(q);
      if (std::find(op.qubits.begin(), op.qubits.end(), u) == op.qubits.end()) op.qubits.push_back(u);
    };
    for (const qarg& a : args) {
      if (a.whole)
        for (std::size_t i = 0; i < regs_[a.reg].size; ++i) add(regs_[a.reg].offset + i);
      else
        add(regs_[a.reg].offset + a.index);
    }
    reserve_ops(kw, 1);
    ops_.push_back(std::move(op));
  }

  // ---- expressions ----
  // Precedence, loosest first: + -, * /, unary -, ^ (right-associative, so -2^2 = -4 and 2^-1 = 0.5).
  expression parse_expression(const gate_scope* scope) {
    expression e;
    e.line = peek().line;
    e.column = peek().column;
    parse_additive(e.code, scope, 0);
    return e;
  }
  void check_depth(std::size_t depth) const {
    if (depth >= options_.max_expression_depth)
      fail(peek(), "expression nested more than " + std::to_string(options_.max_expression_depth) + " levels deep");
  }
  void parse_additive(std::vector<instruction>& code, const gate_scope* scope, std::size_t depth) {
    parse_term(code, scope, depth);
    while (peek_is(tok::plus) || peek_is(tok::minus)) {
      const opcode op = next().kind == tok::plus ? opcode::add : opcode::sub;
      parse_term(code, scope, depth);
      code.push_back({op, 0, 0.0});
    }
  }
  void parse_term(std::vector<instruction>& code, const gate_scope* scope, std::size_t depth) {
    parse_unary(code, scope, depth);
    while (peek_is(tok::star) || peek_is(tok::slash)) {
      const opcode op = next().kind == tok::star ? opcode::mul : opcode::div;
      parse_unary(code, scope, depth);
      code.push_back({op, 0, 0.0});
    }
  }
  void parse_unary(std::vector<instruction>& code, const gate_scope* scope, std::size_t depth) {
    check_depth(depth);
    if (accept(tok::minus)) {
      parse_unary(code, scope, depth + 1);
      code.push_back({opcode::neg, 0, 0.0});
      return;
    }
    if (accept(tok::plus)) return parse_unary(code, scope, depth + 1);
    parse_primary(code, scope, depth);
    if (accept(tok::caret)) {
      parse_unary(code, scope, depth + 1);
      code.push_back({opcode::pow, 0, 0.0});
    }
  }
  void parse_primary(std::vector<instruction>& code, const gate_scope* scope, std::size_t depth) {
    const token& t = peek();
    if (t.kind == tok::integer || t.kind == tok::real) {
      next();
      double v = 0.0;
      const auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
      if (ec != std::errc() || p != t.text.data() + t.text.size() || !std::isfinite(v))
        fail(t, "number " + std::string(t.text) + " is out of the range of a double");
      code.push_back({opcode::constant, 0, v});
      return;
    }
    if (t.kind == tok::lparen) {
      next();
      parse_additive(code, scope, depth + 1);
      expect(tok::rparen, "')' to close the parenthesis");
      return;
    }
    if (t.kind != tok::identifier)
      fail(t, "expected a number, parameter or '(' in the expression, found " + describe(t));
    next();
    static constexpr std::pair<std::string_view, opcode> functions[] = {{"sin", opcode::sin}, {"cos", opcode::cos},
                                                                        {"tan", opcode::tan}, {"exp", opcode::exp},
                                                                        {"ln", opcode::ln},   {"sqrt", opcode::sqrt}};
    if (t.text == "pi") {
      code.push_back({opcode::constant, 0, std::numbers::pi});
      return;
    }
    for (const auto& fn : functions) {
      const std::string_view fname = fn.first;  // a plain variable: clang 14 cannot capture bindings
      if (t.text != fname) continue;
      expect(tok::lparen, [&] { return "'(' after '" + std::string(fname) + "'"; });
      check_depth(depth + 1);
      parse_additive(code, scope, depth + 1);
      expect(tok::rparen, [&] { return "')' to close the argument of '" + std::string(fname) + "'"; });
      code.push_back({fn.second, 0, 0.0});
      return;
    }
    if (!scope) fail(t, "unknown identifier '" + std::string(t.text) + "': only gate definitions have parameters");
    const auto it = scope->param_index.find(t.text);
    if (it == scope->param_index.end()) {
      if (scope->qubit_index.count(t.text))
        fail(t, "'" + std::string(t.text) + "' is a qubit argument of gate '" + std::string(scope->gate) +
                    "', not a parameter");
      fail(t, "unknown parameter '" + std::string(t.text) + "' in gate '" + std::string(scope->gate) + "'");
    }
    code.push_back({opcode::param, it->second, 0.0});
  }

  const qasm_parse_options& options_;
  std::string file_;
  lexer lexer_;  // after file_, which it refers to
  token cur_;
  token prev_;
  std::map<std::string, symbol, std::less<>> symbols_;
  std::vector<reg> regs_;
  std::vector<std::string> reg_declared_at_;
  const std::vector<gate_def>* library_;
  std::vector<gate_def> gates_;  // this file's own
  std::vector<operation> ops_;
  std::vector<double> stack_;
  std::size_t num_qubits_ = 0;
  std::size_t num_clbits_ = 0;
  bool qelib1_included_ = false;
};

}  // namespace detail::qasm
}  // namespace hqml
