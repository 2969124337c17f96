#pragma once
// Readers and writers of optimization problems:
//   gset      Gset / rudy Max-Cut graphs: "N M", then M lines "i j w" (1-based vertices)
//   bqp       OR-Library unconstrained binary quadratic programs (Beasley): a problem count, then
//             per problem "n nnz" and nnz entries "i j q" of a symmetric Q; the problem is to
//             MAXIMIZE x^T Q x. hqml reads it as the QUBO minimizing -x^T Q x.
//   coo       "i j value" lines, 0-based, i == j for linear terms, '#' comments
//   qio-json  the Azure Quantum optimization problem format:
//             {"cost_function": {"version": "1.0"|"1.1", "type": "ising"|"pubo",
//              "terms": [{"c": 2.5, "ids": [0, 1]}, ...], "terms_slc": [{"c": 2, "terms": [...]}]}}
//             ids [] is a constant, terms_slc entries mean c * (sum of their terms)^2. Terms of
//             degree above two (after x^2 = x or s^2 = 1) are refused: hqml's models are quadratic.
// Every reader throws hqml::parse_error naming the file, line and column and what was expected.
// Every writer replaces its output atomically (temporary file in the same folder, fsync, rename).

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hqml/anneal/model.hpp>
#include <hqml/error.hpp>
#include <hqml/io/text_scanner.hpp>
#include <hqml/name_table.hpp>

namespace hqml::anneal {

enum class file_format : std::uint8_t { gset, bqp, coo, qio_json };

/// Largest variable count a reader accepts: a typo such as "0 4000000000 1" must give an error
/// message, not an attempt to allocate tens of gigabytes.
inline constexpr std::uint32_t max_file_variables = std::uint32_t{1} << 26;

/// Every file format by name, aliases included (rudy is gset's other name; qio_json and json are qio-json's), in
/// the order a program lists them; each format's own name comes first, so to_string gives it.
inline constexpr name_table<file_format, 7> file_format_names{{
    {file_format::gset, "gset"},
    {file_format::gset, "rudy"},
    {file_format::bqp, "bqp"},
    {file_format::coo, "coo"},
    {file_format::qio_json, "qio-json"},
    {file_format::qio_json, "qio_json"},
    {file_format::qio_json, "json"},
}};

[[nodiscard]] constexpr std::string_view to_string(file_format f) {
  return name_in(file_format_names, f, "hqml::anneal::to_string", "file format");
}

/// The format called `name` (or one of its aliases); an unknown name is refused with the list of valid ones.
[[nodiscard]] inline file_format parse_file_format(std::string_view name) {
  return parse_in(file_format_names, name, "hqml::anneal::parse_file_format", "file format");
}

/// Guess from the file name: *.json is qio-json, *.coo coo, bqp* bqp, anything else gset.
[[nodiscard]] inline file_format guess_file_format(std::string_view path) {
  const auto slash = path.find_last_of('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  auto ends = [&](std::string_view e) { return base.size() >= e.size() && base.substr(base.size() - e.size()) == e; };
  if (ends(".json")) return file_format::qio_json;
  if (ends(".coo")) return file_format::coo;
  if (base.starts_with("bqp")) return file_format::bqp;
  return file_format::gset;
}

/// A problem as read from a file: an Ising or a QUBO model, the Max-Cut view for Gset input,
/// and the file's own names of the variables (1-based vertices, or QIO ids).
struct problem {
  vartype type = vartype::spin;
  ising_model ising;  // when type == spin
  qubo_model qubo;    // when type == binary
  std::optional<maxcut_problem> maxcut;
  std::vector<std::int64_t> labels;

  [[nodiscard]] std::size_t num_variables() const noexcept {
    return type == vartype::spin ? ising.num_variables() : qubo.num_variables();
  }
};

// ---------------------------------------------------------------------------------------------
// Atomic output

/// Writes `content` to `path` so that readers see either the old file or the whole new one.
inline void write_file_atomically(const std::string& path, std::string_view content) {
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = dir + "/." + base + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot create a temporary file in " + dir);
  auto fail = [&](const char* what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw std::system_error(err, std::generic_category(), std::string("cannot ") + what + " " + path);
  };
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t w = ::write(fd, content.data() + done, content.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    done += static_cast<std::size_t>(w);
  }
  ::fchmod(fd, 0644);  // mkstemp makes 0600; outputs are ordinary files
  if (::fsync(fd) != 0) fail("sync");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw std::system_error(err, std::generic_category(), "cannot close " + path);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw std::system_error(err, std::generic_category(), "cannot rename onto " + path);
  }
  // Make the rename itself durable.
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

namespace detail {
/// Shortest text that reads back as the same double.
inline std::string format_number(double v) {
  char buf[32];
  for (int prec = 6; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}
}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Gset / rudy

[[nodiscard]] inline maxcut_problem parse_gset(std::string_view text, const std::string& name) {
  io::detail::text_scanner sc(text, name);
  if (!sc.next_line()) sc.fail({{}, sc.line(), sc.column()}, "expected 'N M' (vertices and edges), found an empty file");
  const auto nt = sc.next_in_line();
  const auto n = sc.integer<std::uint32_t>(nt, "the number of vertices N", 1, max_file_variables);
  const auto mt = sc.next_in_line();
  const auto m = sc.integer<std::uint64_t>(mt, "the number of edges M", 0, std::uint64_t{1} << 40);
  sc.end_line("'N M'");
  std::vector<coupling> edges;
  edges.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(m, 1u << 24)));
  for (std::uint64_t k = 0; k < m; ++k) {
    if (!sc.next_line())
      sc.fail({{}, sc.line(), sc.column()},
              "expected " + std::to_string(m) + " edges after 'N M', found " + std::to_string(k));
    const auto it = sc.next_in_line();
    const auto i = sc.integer<std::uint32_t>(it, "vertex i", 1, n);
    const auto jt = sc.next_in_line();
    const auto j = sc.integer<std::uint32_t>(jt, "vertex j", 1, n);
    if (i == j) sc.fail(jt, "self-loop on vertex " + std::to_string(i) + ": an edge needs two distinct vertices");
    const auto wt = sc.next_in_line();
    const double w = sc.real(wt, "edge weight w");
    sc.end_line("'i j w'");
    edges.push_back({i - 1, j - 1, w});
  }
  if (sc.next_line()) {
    const auto extra = sc.next_in_line();
    sc.fail(extra, "more edge lines than the M = " + std::to_string(m) + " announced on line 1");
  }
  return maxcut_to_ising(n, std::move(edges));
}

[[nodiscard]] inline maxcut_problem read_gset(const std::string& path) {
  return parse_gset(io::detail::read_text_file(path), path);
}

/// Writes a Max-Cut graph; weights are the Ising couplings of `m`, which must have no fields.
[[nodiscard]] inline std::string format_gset(const ising_model& m) {
  for (double h : m.linear())
    if (h != 0.0) throw std::invalid_argument("hqml::anneal: Gset holds graphs only; this model has fields h");
  if (m.offset() != 0.0) throw std::invalid_argument("hqml::anneal: Gset holds graphs only; this model has an offset");
  std::string out = std::to_string(m.num_variables()) + " " + std::to_string(m.num_couplings()) + "\n";
  for (const auto& c : m.couplings())
    out += std::to_string(c.i + 1) + " " + std::to_string(c.j + 1) + " " + detail::format_number(c.value) + "\n";
  return out;
}
inline void write_gset(const std::string& path, const ising_model& m) { write_file_atomically(path, format_gset(m)); }

// ---------------------------------------------------------------------------------------------
// OR-Library bqp

/// Problem `index` (0-based) of a bqp file, as the QUBO minimizing -x^T Q x.
[[nodiscard]] inline qubo_model parse_bqp(std::string_view text, const std::string& name, std::size_t index = 0) {
  io::detail::text_scanner sc(text, name);
  const auto ct = sc.next_any();
  const auto count = sc.integer<std::uint64_t>(ct, "the number of problems", 1, std::uint64_t{1} << 32);
  if (index >= count)
    sc.fail(ct, "problem " + std::to_string(index + 1) + " asked for, but the file holds " + std::to_string(count));
  for (std::uint64_t p = 0;; ++p) {
    const auto nt = sc.next_any();
    const auto n = sc.integer<std::uint32_t>(nt, "the number of variables n of problem " + std::to_string(p + 1), 1,
                                             max_file_variables);
    const auto zt = sc.next_any();
    const auto nnz = sc.integer<std::uint64_t>(zt, "the number of non-zero entries", 0, std::uint64_t{1} << 40);
    // (i, j) with i <= j -> value and where it was given, to accept a mirrored pair once.
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::pair<double, io::detail::token>> entries;
    for (std::uint64_t k = 0; k < nnz; ++k) {
      const auto it = sc.next_any();
      if (it.text.empty())
        sc.fail(it, "expected " + std::to_string(nnz) + " entries 'i j q' for problem " + std::to_string(p + 1) +
                        ", found " + std::to_string(k));
      const auto i = sc.integer<std::uint32_t>(it, "row i", 1, n);
      const auto j = sc.integer<std::uint32_t>(sc.next_any(), "column j", 1, n);
      const auto vt = sc.next_any();
      const double v = sc.real(vt, "entry q(i,j)");
      if (p != index) continue;
      // (std::minmax would return references to the temporaries i - 1 and j - 1.)
      const std::pair<std::uint32_t, std::uint32_t> key{std::min(i, j) - 1, std::max(i, j) - 1};
      auto [pos, fresh] = entries.try_emplace(key, v, it);
      if (!fresh && pos->second.first != v)
        sc.fail(it, "q(" + std::to_string(i) + "," + std::to_string(j) + ") = " + std::string(vt.text) +
                        " contradicts q(" + std::to_string(j) + "," + std::to_string(i) + ") given at line " +
                        std::to_string(pos->second.second.line) + ": Q must be symmetric");
    }
    if (p == index) {
      std::vector<double> linear(n, 0.0);
      std::vector<coupling> quad;
      for (const auto& [key, val] : entries) {
        if (key.first == key.second)
          linear[key.first] -= val.first;
        else
          quad.push_back({key.first, key.second, -2.0 * val.first});  // q_ij x_i x_j + q_ji x_j x_i
      }
      return qubo_model(n, std::move(linear), std::move(quad));
    }
  }
}

[[nodiscard]] inline qubo_model read_bqp(const std::string& path, std::size_t index = 0) {
  return parse_bqp(io::detail::read_text_file(path), path, index);
}

/// One bqp problem whose maximization of x^T Q x is the minimization of `q` (so Q = -q).
[[nodiscard]] inline std::string format_bqp(const qubo_model& q) {
  if (q.offset() != 0.0) throw std::invalid_argument("hqml::anneal: bqp has no constant term; this QUBO has an offset");
  std::size_t nnz = q.num_couplings();
  for (double v : q.linear()) nnz += v != 0.0;
  std::string out = "1\n" + std::to_string(q.num_variables()) + " " + std::to_string(nnz) + "\n";
  for (std::size_t i = 0; i < q.num_variables(); ++i)
    if (q.linear()[i] != 0.0)
      out += std::to_string(i + 1) + " " + std::to_string(i + 1) + " " + detail::format_number(-q.linear()[i]) + "\n";
  for (const auto& c : q.couplings())
    out += std::to_string(c.i + 1) + " " + std::to_string(c.j + 1) + " " + detail::format_number(-0.5 * c.value) + "\n";
  return out;
}
inline void write_bqp(const std::string& path, const qubo_model& q) { write_file_atomically(path, format_bqp(q)); }

// ---------------------------------------------------------------------------------------------
// COO: "i j value" lines

namespace detail {
struct coo_terms {
  std::size_t n = 0;
  std::vector<double> linear;
  std::vector<coupling> quad;
};
inline coo_terms parse_coo_terms(std::string_view text, const std::string& name) {
  io::detail::text_scanner sc(text, name);
  coo_terms t;
  while (sc.next_line()) {
    const auto it = sc.next_in_line();
    const auto i = sc.integer<std::uint32_t>(it, "index i", 0, max_file_variables - 1);
    const auto j = sc.integer<std::uint32_t>(sc.next_in_line(), "index j", 0, max_file_variables - 1);
    const double v = sc.real(sc.next_in_line(), "value");
    sc.end_line("'i j value'");
    t.n = std::max<std::size_t>(t.n, std::size_t{std::max(i, j)} + 1);
    if (i == j) {
      if (t.linear.size() <= i) t.linear.resize(std::size_t{i} + 1, 0.0);
      t.linear[i] += v;
    } else {
      t.quad.push_back({i, j, v});
    }
  }
  t.linear.resize(t.n, 0.0);
  return t;
}
}  // namespace detail

/// COO text as a QUBO (i == j lines are q_i) or, with vartype::spin, as an Ising model (h_i).
[[nodiscard]] inline problem parse_coo(std::string_view text, const std::string& name, vartype type = vartype::binary) {
  auto t = detail::parse_coo_terms(text, name);
  problem p;
  p.type = type;
  if (type == vartype::spin)
    p.ising = ising_model(t.n, std::move(t.linear), std::move(t.quad));
  else
    p.qubo = qubo_model(t.n, std::move(t.linear), std::move(t.quad));
  p.labels.resize(t.n);
  for (std::size_t i = 0; i < t.n; ++i) p.labels[i] = static_cast<std::int64_t>(i);
  return p;
}
[[nodiscard]] inline problem read_coo(const std::string& path, vartype type = vartype::binary) {
  return parse_coo(io::detail::read_text_file(path), path, type);
}

/// COO text of a model. The offset has no place in "i j value" lines and is written as a
/// comment ("# offset: c"), which the reader ignores.
template <vartype Type>
[[nodiscard]] std::string format_coo(const quadratic_model<Type>& m) {
  std::string out = std::string("# hqml ") + (Type == vartype::spin ? "ising" : "qubo") + " model, " +
                    std::to_string(m.num_variables()) + " variables\n";
  if (m.offset() != 0.0) out += "# offset: " + detail::format_number(m.offset()) + "\n";
  for (std::size_t i = 0; i < m.num_variables(); ++i)
    if (m.linear()[i] != 0.0)
      out += std::to_string(i) + " " + std::to_string(i) + " " + detail::format_number(m.linear()[i]) + "\n";
  for (const auto& c : m.couplings())
    out += std::to_string(c.i) + " " + std::to_string(c.j) + " " + detail::format_number(c.value) + "\n";
  return out;
}
template <vartype Type>
void write_coo(const std::string& path, const quadratic_model<Type>& m) {
  write_file_atomically(path, format_coo(m));
}

// ---------------------------------------------------------------------------------------------
// Azure Quantum optimization JSON

namespace detail {

using io::detail::json_reader;
using io::detail::json_value;

struct qio_builder {
  const json_reader& reader;
  vartype type;
  std::map<std::int64_t, std::uint32_t> index;  // filled in a first pass, sorted by id
  double offset = 0.0;
  std::vector<double> linear;
  std::vector<coupling> quad;

  [[noreturn]] void fail(const json_value& at, const std::string& m) const { reader.fail_at(at.line, at.column, m); }

  const json_value& member(const json_value& obj, std::string_view key, json_value::kind kind, const char* what) const {
    const json_value* v = obj.find(key);
    if (!v) fail(obj, "missing \"" + std::string(key) + "\" (" + what + ")");
    if (v->type != kind) fail(*v, "\"" + std::string(key) + "\" must be " + what + ", found " + v->type_name());
    return *v;
  }
  double coefficient(const json_value& term) const {
    if (term.type != json_value::kind::object)
      fail(term, std::string("expected a term {\"c\": number, \"ids\": [...]}, found ") + term.type_name());
    return member(term, "c", json_value::kind::number, "a number").number;
  }
  std::int64_t id(const json_value& v) const {
    if (v.type != json_value::kind::number || v.number != std::floor(v.number) || std::abs(v.number) > 0x1p53)
      fail(v, std::string("variable ids must be integers, found ") + (v.type == json_value::kind::number ? v.text : v.type_name()));
    return static_cast<std::int64_t>(v.number);
  }
  /// The ids of a term with x^2 = x (pubo) or s^2 = 1 (ising) applied, sorted.
  std::vector<std::int64_t> reduced_ids(const json_value& term) const {
    const json_value& ids = member(term, "ids", json_value::kind::array, "an array of variable ids");
    std::vector<std::int64_t> v;
    for (const auto& x : ids.items) v.push_back(id(x));
    std::sort(v.begin(), v.end());
    std::vector<std::int64_t> r;
    for (std::size_t k = 0; k < v.size();) {
      std::size_t e = k;
      while (e < v.size() && v[e] == v[k]) ++e;
      const std::size_t mult = e - k;
      if (type == vartype::binary || mult % 2 == 1) r.push_back(v[k]);
      k = e;
    }
    return r;
  }
  void collect(const json_value& term) {
    for (const auto& x : member(term, "ids", json_value::kind::array, "an array of variable ids").items)
      index.emplace(id(x), 0);
  }
  void add(std::span<const std::int64_t> ids, double c, const json_value& at) {
    if (ids.size() > 2)
      fail(at, "term of degree " + std::to_string(ids.size()) +
                   " (ids " + ids_text(ids) + "): higher-order terms are not supported, hqml solves quadratic "
                   "models only; reduce the problem to degree 2 first");
    if (ids.empty())
      offset += c;
    else if (ids.size() == 1)
      linear[index.at(ids[0])] += c;
    else
      quad.push_back({index.at(ids[0]), index.at(ids[1]), c});
  }
  static std::string ids_text(std::span<const std::int64_t> ids) {
    std::string s = "[";
    for (std::size_t k = 0; k < ids.size(); ++k) s += (k ? ", " : "") + std::to_string(ids[k]);
    return s + "]";
  }
};

}  // namespace detail

[[nodiscard]] inline problem parse_qio_json(std::string_view text, const std::string& name) {
  io::detail::json_reader reader(text, name);
  const io::detail::json_value root = reader.parse();
  if (root.type != io::detail::json_value::kind::object)
    reader.fail_at(root.line, root.column, std::string("expected an object with \"cost_function\", found ") + root.type_name());
  detail::qio_builder b{reader, vartype::spin, {}, 0.0, {}, {}};
  using kind = io::detail::json_value::kind;
  const auto& cf = b.member(root, "cost_function", kind::object, "an object");
  const auto& version = b.member(cf, "version", kind::string, "a string such as \"1.0\"");
  if (version.text != "1.0" && version.text != "1.1")
    b.fail(version, "unsupported version \"" + version.text + "\", expected \"1.0\" or \"1.1\"");
  const auto& type = b.member(cf, "type", kind::string, "\"ising\" or \"pubo\"");
  if (type.text == "ising")
    b.type = vartype::spin;
  else if (type.text == "pubo")
    b.type = vartype::binary;
  else
    b.fail(type, "unsupported type \"" + type.text + "\", expected \"ising\" or \"pubo\"");
  const auto& terms = b.member(cf, "terms", kind::array, "an array of terms");
  const io::detail::json_value* slc = cf.find("terms_slc");
  if (slc && slc->type != kind::array) b.fail(*slc, std::string("\"terms_slc\" must be an array, found ") + slc->type_name());
  if (slc && version.text == "1.0") b.fail(*slc, "\"terms_slc\" needs version \"1.1\"");

  // Pass 1: the variables, so that indices follow sorted ids whatever order terms come in.
  for (const auto& t : terms.items) {
    b.coefficient(t);
    b.collect(t);
  }
  if (slc)
    for (const auto& group : slc->items) {
      b.coefficient(group);
      for (const auto& t : b.member(group, "terms", kind::array, "an array of terms").items) {
        b.coefficient(t);
        b.collect(t);
      }
    }
  problem p;
  p.type = b.type;
  std::uint32_t next = 0;
  for (auto& [id, idx] : b.index) {
    idx = next++;
    p.labels.push_back(id);
  }
  b.linear.assign(next, 0.0);

  // Pass 2: the terms.
  for (const auto& t : terms.items) {
    const auto ids = b.reduced_ids(t);
    b.add(ids, b.coefficient(t), t);
  }
  if (slc)
    for (const auto& group : slc->items) {
      // c (sum_k a_k v_k + a_0)^2 with v_k single variables: expand, using v^2 = v (bits) or 1 (spins).
      const double c = b.coefficient(group);
      std::map<std::int64_t, double> lin;  // merged coefficient per variable
      double constant = 0.0;
      for (const auto& t : b.member(group, "terms", kind::array, "an array of terms").items) {
        const auto ids = b.reduced_ids(t);
        if (ids.size() > 1)
          b.fail(t, "a squared linear combination may hold only constant and single-variable terms, found ids " +
                        detail::qio_builder::ids_text(ids));
        if (ids.empty())
          constant += b.coefficient(t);
        else
          lin[ids[0]] += b.coefficient(t);
      }
      b.offset += c * constant * constant;
      for (auto it = lin.begin(); it != lin.end(); ++it) {
        const std::uint32_t i = b.index.at(it->first);
        const double a = it->second;
        if (b.type == vartype::binary)
          b.linear[i] += c * (a * a + 2.0 * a * constant);
        else {
          b.offset += c * a * a;
          b.linear[i] += c * 2.0 * a * constant;
        }
        for (auto jt = std::next(it); jt != lin.end(); ++jt)
          b.quad.push_back({i, b.index.at(jt->first), c * 2.0 * a * jt->second});
      }
    }
  if (b.type == vartype::spin)
    p.ising = ising_model(next, std::move(b.linear), std::move(b.quad), b.offset);
  else
    p.qubo = qubo_model(next, std::move(b.linear), std::move(b.quad), b.offset);
  return p;
}

[[nodiscard]] inline problem read_qio_json(const std::string& path) {
  return parse_qio_json(io::detail::read_text_file(path), path);
}

/// QIO JSON ("version": "1.0") of a model; ids are `labels` when given, else 0..n-1.
template <vartype Type>
[[nodiscard]] std::string format_qio_json(const quadratic_model<Type>& m, std::span<const std::int64_t> labels = {}) {
  if (!labels.empty() && labels.size() != m.num_variables())
    throw std::invalid_argument("hqml::anneal: " + std::to_string(labels.size()) + " labels for " +
                                std::to_string(m.num_variables()) + " variables");
  auto id = [&](std::size_t i) { return std::to_string(labels.empty() ? static_cast<std::int64_t>(i) : labels[i]); };
  std::string out = std::string("{\"cost_function\": {\"version\": \"1.0\", \"type\": \"") +
                    (Type == vartype::spin ? "ising" : "pubo") + "\", \"terms\": [";
  bool first = true;
  auto term = [&](double c, const std::string& ids) {
    out += (first ? "\n  " : ",\n  ");
    first = false;
    out += "{\"c\": " + detail::format_number(c) + ", \"ids\": [" + ids + "]}";
  };
  if (m.offset() != 0.0) term(m.offset(), "");
  for (std::size_t i = 0; i < m.num_variables(); ++i)
    if (m.linear()[i] != 0.0) term(m.linear()[i], id(i));
  for (const auto& c : m.couplings()) term(c.value, id(c.i) + ", " + id(c.j));
  out += "\n]}}\n";
  return out;
}
template <vartype Type>
void write_qio_json(const std::string& path, const quadratic_model<Type>& m, std::span<const std::int64_t> labels = {}) {
  write_file_atomically(path, format_qio_json(m, labels));
}

// ---------------------------------------------------------------------------------------------
// Any format

namespace detail {
// Each coefficient may be a finite double while their sums (repeated terms, QUBO to Ising) overflow: an energy of
// inf or NaN would then be reported as a result. Refused instead, naming the file.
template <class Model>
void require_finite_model(const Model& m, const std::string& name) {
  bool ok = std::isfinite(m.offset());
  for (const double v : m.linear()) ok = ok && std::isfinite(v);
  for (const auto& c : m.couplings()) ok = ok && std::isfinite(c.value);
  if (!ok)
    throw hqml::parse_error(
        name, 1, 1, "the coefficients add up beyond the largest double (infinite energies); rescale the problem");
}
inline problem checked(problem p, const std::string& name) {
  if (p.type == vartype::spin)
    require_finite_model(p.ising, name);
  else
    require_finite_model(p.qubo, name);
  if (p.maxcut && !std::isfinite(p.maxcut->total_weight))
    throw hqml::parse_error(name, 1, 1, "the edge weights add up beyond the largest double; rescale them");
  return p;
}
}  // namespace detail

[[nodiscard]] inline problem parse_problem(std::string_view text, const std::string& name, file_format format) {
  problem p;
  switch (format) {
    case file_format::gset: {
      p.maxcut = parse_gset(text, name);
      p.type = vartype::spin;
      p.ising = p.maxcut->model;
      p.labels.resize(p.ising.num_variables());
      for (std::size_t i = 0; i < p.labels.size(); ++i) p.labels[i] = static_cast<std::int64_t>(i + 1);
      return detail::checked(std::move(p), name);
    }
    case file_format::bqp: {
      p.type = vartype::binary;
      p.qubo = parse_bqp(text, name);
      p.labels.resize(p.qubo.num_variables());
      for (std::size_t i = 0; i < p.labels.size(); ++i) p.labels[i] = static_cast<std::int64_t>(i + 1);
      return detail::checked(std::move(p), name);
    }
    case file_format::coo:
      return detail::checked(parse_coo(text, name), name);
    case file_format::qio_json:
      return detail::checked(parse_qio_json(text, name), name);
  }
  throw std::invalid_argument("hqml::anneal: unknown file format");
}

[[nodiscard]] inline problem read_problem(const std::string& path, file_format format) {
  return parse_problem(io::detail::read_text_file(path), path, format);
}

}  // namespace hqml::anneal
