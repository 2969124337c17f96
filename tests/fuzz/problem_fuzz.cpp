// libFuzzer target for the Ising/QUBO problem readers (anneal/formats.hpp: Gset, OR-Library bqp, COO, Azure
// Quantum JSON). The first byte picks the reader (and the bqp problem or the COO variable type), the rest is
// the file. Any input must either load or raise hqml::parse_error naming the file, line and column, as the
// readers promise; what loads must be consistent (labels per variable, couplings i < j < n, the Max-Cut view
// of a Gset graph) and must write out in its own format and read back to the very same model. Anything else
// (another exception, a crash, a hang, a leak) is a bug.

#include <hqml/anneal/formats.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace hqml::anneal;

[[noreturn]] void bug(const char* what, const std::string& detail) {
  std::fprintf(stderr, "problem_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

// An error names the file, line and column it read. (Its message may quote a raw byte of the input, even a
// line break: the hqml program prints messages through hqml::printable, which keeps them to one line.)
void check_message(const hqml::parse_error& e) {
  if (!e.file().starts_with("fuzz") || e.line() == 0 || e.column() == 0) bug("an error without its position", e.what());
}

// Runs a reader; false on a parse_error (checking that it names the position).
template <class Read>
bool load(Read&& read) {
  try {
    read();
    return true;
  } catch (const hqml::parse_error& e) {
    check_message(e);
    return false;
  } catch (const std::exception& e) {
    bug("a reader threw something other than hqml::parse_error", e.what());
  }
}

// The readers accept up to max_file_variables (2^26) variables, and a Gset file announcing up to 2^40 edges
// reserves room for 2^24 of them, by design; that much memory costs seconds under AddressSanitizer, and the
// fuzzer would spend its time allocating instead of parsing. Inputs with a number in (2^20, 2^40] are skipped:
// smaller ones and larger ones (refused by the same range checks) are still read.
bool asks_for_a_huge_model(std::string_view text) {
  constexpr std::uint64_t low = std::uint64_t{1} << 20, high = std::uint64_t{1} << 40;
  std::uint64_t v = 0;
  bool in_number = false;
  for (std::size_t k = 0; k <= text.size(); ++k) {
    if (k < text.size() && text[k] >= '0' && text[k] <= '9') {
      const auto digit = static_cast<std::uint64_t>(text[k] - '0');
      v = in_number ? std::min(v * 10 + digit, 2 * high) : digit;
      in_number = true;
    } else {
      if (in_number && v > low && v <= high) return true;
      in_number = false;
    }
  }
  return false;
}

template <vartype Type>
bool finite(const quadratic_model<Type>& m) {
  if (!std::isfinite(m.offset())) return false;
  for (double v : m.linear())
    if (!std::isfinite(v)) return false;
  for (const auto& c : m.couplings())
    if (!std::isfinite(c.value)) return false;
  return true;
}

template <vartype Type>
void check_model(const quadratic_model<Type>& m) {
  const std::size_t n = m.num_variables();
  if (m.linear().size() != n) bug("linear terms and variables differ", std::to_string(n));
  for (std::size_t k = 0; k < m.num_couplings(); ++k) {
    const auto& c = m.couplings()[k];
    if (c.i >= c.j || c.j >= n) bug("a coupling outside i < j < n", std::to_string(c.i) + " " + std::to_string(c.j));
    if (c.value == 0.0) bug("a zero coupling kept", std::to_string(k));
    if (k > 0 && !(m.couplings()[k - 1].i < c.i || (m.couplings()[k - 1].i == c.i && m.couplings()[k - 1].j < c.j)))
      bug("couplings not sorted or repeated", std::to_string(k));
  }
}

// The same terms: linear terms equal where both have them and zero past the shorter model (a writer leaves out
// variables without terms), couplings equal.
template <vartype Type>
bool same_terms(const quadratic_model<Type>& a, const quadratic_model<Type>& b) {
  const auto la = a.linear(), lb = b.linear();
  for (std::size_t i = 0; i < std::max(la.size(), lb.size()); ++i)
    if ((i < la.size() ? la[i] : 0.0) != (i < lb.size() ? lb[i] : 0.0)) return false;
  return std::equal(a.couplings().begin(), a.couplings().end(), b.couplings().begin(), b.couplings().end());
}

// A QIO model keyed by the file's own ids, as variables without terms are not written.
template <vartype Type>
std::map<std::pair<std::int64_t, std::int64_t>, double> by_label(const quadratic_model<Type>& m,
                                                                 const std::vector<std::int64_t>& labels) {
  std::map<std::pair<std::int64_t, std::int64_t>, double> terms;
  for (std::size_t i = 0; i < m.num_variables(); ++i)
    if (m.linear()[i] != 0.0) terms[{labels.at(i), labels.at(i)}] = m.linear()[i];
  for (const auto& c : m.couplings()) terms[{labels.at(c.i), labels.at(c.j)}] = c.value;
  return terms;
}

void check_problem(const problem& p) {
  if (p.labels.size() != p.num_variables()) bug("labels and variables differ", std::to_string(p.labels.size()));
  for (std::size_t i = 1; i < p.labels.size(); ++i)
    if (p.labels[i] <= p.labels[i - 1]) bug("labels not strictly increasing", std::to_string(i));
  if (p.type == vartype::spin)
    check_model(p.ising);
  else
    check_model(p.qubo);
}

void gset(std::string_view text) {
  problem p;
  if (!load([&] { p = parse_problem(text, "fuzz.gset", file_format::gset); })) return;
  check_problem(p);
  if (!p.maxcut || p.type != vartype::spin || p.maxcut->num_vertices != p.num_variables() || p.num_variables() == 0)
    bug("a Gset graph without its Max-Cut view", "");
  for (const auto& e : p.maxcut->edges)
    if (e.i == e.j || e.i >= p.num_variables() || e.j >= p.num_variables()) bug("an edge outside the graph", "");
  if (p.labels.front() != 1) bug("Gset vertices are not numbered from 1", "");
  // parse_problem (what the hqml program reads with) refuses weights whose sums overflow.
  if (!finite(p.ising)) bug("parse_problem returned a graph whose energies are not finite", "");
  std::string out;
  maxcut_problem back;
  try {
    out = format_gset(p.ising);
  } catch (const std::exception& e) {
    bug("a Gset model did not write out", e.what());
  }
  if (!load([&] { back = parse_gset(out, "fuzz-roundtrip.gset"); })) bug("the written graph did not load again", out);
  if (back.num_vertices != p.maxcut->num_vertices || !same_terms(back.model, p.ising))
    bug("the round trip changed the graph", out);
}

// Problem `index` of a bqp file; the first one through parse_problem, as the hqml program reads it.
void bqp(std::string_view text, std::size_t index) {
  qubo_model q;
  if (index == 0) {
    problem p;
    if (!load([&] { p = parse_problem(text, "fuzz.bqp", file_format::bqp); })) return;
    check_problem(p);
    if (p.type != vartype::binary || p.labels.empty() || p.labels.front() != 1)
      bug("a bqp problem not read as a QUBO over variables 1..n", "");
    q = p.qubo;
  } else if (!load([&] { q = parse_bqp(text, "fuzz.bqp", index); })) {
    return;
  }
  check_model(q);
  if (q.num_variables() == 0 || q.offset() != 0.0) bug("a bqp problem without variables or with an offset", "");
  if (!finite(q)) return;  // -2 q_ij overflows for |q_ij| near the largest double: nothing to compare
  std::string out;
  qubo_model back;
  try {
    out = format_bqp(q);
  } catch (const std::exception& e) {
    bug("a bqp model did not write out", e.what());
  }
  if (!load([&] { back = parse_bqp(out, "fuzz-roundtrip.bqp"); })) bug("the written problem did not load again", out);
  if (back.num_variables() != q.num_variables() || !same_terms(back, q)) bug("the round trip changed the problem", out);
}

void coo(std::string_view text, vartype type) {
  problem p;
  if (!load([&] { p = parse_coo(text, "fuzz.coo", type); })) return;
  check_problem(p);
  if (p.type != type) bug("COO read as the other variable type", "");
  std::string out;
  problem back;
  if (type == vartype::spin) {
    if (!finite(p.ising)) return;  // terms that overflow when summed: nothing to compare
    out = format_coo(p.ising);
  } else {
    if (!finite(p.qubo)) return;
    out = format_coo(p.qubo);
  }
  if (!load([&] { back = parse_coo(out, "fuzz-roundtrip.coo", type); }))
    bug("the written model did not load again", out);
  if (type == vartype::spin ? !same_terms(back.ising, p.ising) : !same_terms(back.qubo, p.qubo))
    bug("the round trip changed the model", out);
}

void qio_json(std::string_view text) {
  problem p;
  if (!load([&] { p = parse_qio_json(text, "fuzz.json"); })) return;
  check_problem(p);
  std::string out;
  problem back;
  if (p.type == vartype::spin) {
    if (!finite(p.ising)) return;  // terms that overflow when summed or squared: nothing to compare
    out = format_qio_json(p.ising, p.labels);
  } else {
    if (!finite(p.qubo)) return;
    out = format_qio_json(p.qubo, p.labels);
  }
  if (!load([&] { back = parse_qio_json(out, "fuzz-roundtrip.json"); }))
    bug("the written model did not load again", out);
  check_problem(back);
  const bool same =
      p.type == back.type &&
      (p.type == vartype::spin
           ? back.ising.offset() == p.ising.offset() && by_label(back.ising, back.labels) == by_label(p.ising, p.labels)
           : back.qubo.offset() == p.qubo.offset() && by_label(back.qubo, back.labels) == by_label(p.qubo, p.labels));
  if (!same) bug("the round trip changed the model", out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned flags = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (asks_for_a_huge_model(text)) return 0;
  switch (flags % 6) {
    case 0:
      gset(text);
      break;
    case 1:
      bqp(text, 0);
      break;
    case 2:  // a later problem: the earlier ones are skipped
      bqp(text, 1 + ((flags >> 3) & 3));
      break;
    case 3:
      coo(text, vartype::binary);
      break;
    case 4:
      coo(text, vartype::spin);
      break;
    default:
      qio_json(text);
      break;
  }
  return 0;
}
