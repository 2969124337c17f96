// Readers and writers: contents, round trips, and error messages that point at the bad line.
#include <catch2/catch.hpp>

#include <hqml/anneal/formats.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace hqml::anneal;
using Catch::Matchers::Contains;

namespace {

// Runs f and returns the parse_error it throws (fails the test if none).
template <class F>
hqml::parse_error parse_failure(F&& f) {
  try {
    f();
  } catch (const hqml::parse_error& e) {
    return e;
  }
  FAIL("no parse_error thrown");
  throw std::logic_error("unreachable");
}

std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("hqml_anneal_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("Gset: reads vertices, edges and weights", "[anneal][formats]") {
  const auto p = parse_gset("4 3\n1 2 1\n2 3 -1\n\n4 1 2.5\n", "g.txt");
  CHECK(p.num_vertices == 4);
  REQUIRE(p.edges.size() == 3);
  CHECK(p.edges[2] == coupling{3, 0, 2.5});
  CHECK(p.total_weight == 2.5);
  CHECK(p.model.num_couplings() == 3);
}

TEST_CASE("Gset: malformed input names file, line and what was expected", "[anneal][formats]") {
  auto e = parse_failure([] { (void)parse_gset("4 2\n1 2 1\n2 x 1\n", "g.txt"); });
  CHECK(e.file() == "g.txt");
  CHECK(e.line() == 3);
  CHECK(e.column() == 3);
  CHECK_THAT(e.what(), Contains("g.txt:3:3:") && Contains("vertex j"));
  e = parse_failure([] { (void)parse_gset("4 3\n1 2 1\n2 3 1\n", "g.txt"); });
  CHECK_THAT(e.message(), Contains("expected 3 edges") && Contains("found 2"));
  e = parse_failure([] { (void)parse_gset("4 1\n1 5 1\n", "g.txt"); });
  CHECK(e.line() == 2);
  CHECK_THAT(e.message(), Contains("out of range [1, 4]"));
  e = parse_failure([] { (void)parse_gset("4 1\n1 2 1 7\n", "g.txt"); });
  CHECK(e.line() == 2);
  CHECK_THAT(e.message(), Contains("expected end of line"));
  e = parse_failure([] { (void)parse_gset("4 1\n1 2 1\n3 4 1\n", "g.txt"); });
  CHECK(e.line() == 3);
  CHECK_THAT(e.message(), Contains("more edge lines"));
  e = parse_failure([] { (void)parse_gset("4 1\n2 2 1\n", "g.txt"); });
  CHECK_THAT(e.message(), Contains("self-loop"));
  e = parse_failure([] { (void)parse_gset("", "g.txt"); });
  CHECK_THAT(e.message(), Contains("empty file"));
  e = parse_failure([] { (void)parse_gset("4 1\n1 2 abc\n", "g.txt"); });
  CHECK(e.column() == 5);
  CHECK_THAT(e.message(), Contains("edge weight"));
  CHECK_THROWS_AS(read_gset("/nonexistent/dir/G0.txt"), std::system_error);
}

TEST_CASE("bqp: symmetric Q to maximize becomes a QUBO to minimize", "[anneal][formats]") {
  // Two problems; the second has Q = [[2, -3], [-3, 1]] given once per pair plus a mirrored copy.
  const std::string text = "2\n2 1\n1 1 5\n2 3\n1 1 2\n1 2 -3\n2 1 -3\n";
  const auto q = parse_bqp(text, "bqp.txt", 1);
  // x^T Q x for x = (1, 1) = 2 + 1 - 6 = -3; the QUBO's energy is its negation.
  // (2, 2) is absent, so Q_22 = 0: x^T Q x = 2 - 6 = -4.
  CHECK(q.energy(std::vector<std::int8_t>{1, 1}) == 4.0);
  CHECK(q.energy(std::vector<std::int8_t>{1, 0}) == -2.0);
  CHECK(parse_bqp(text, "bqp.txt", 0).energy(std::vector<std::int8_t>{1, 0}) == -5.0);
  auto e = parse_failure([] { (void)parse_bqp("1\n2 2\n1 2 1\n2 1 4\n", "b.txt"); });
  CHECK(e.line() == 4);
  CHECK_THAT(e.message(), Contains("symmetric") && Contains("line 3"));
  e = parse_failure([] { (void)parse_bqp("1\n2 3\n1 2 1\n", "b.txt"); });
  CHECK_THAT(e.message(), Contains("expected 3 entries") && Contains("found 1"));
  e = parse_failure([] { (void)parse_bqp("1\n2 1\n1 3 1\n", "b.txt"); });
  CHECK(e.line() == 3);
  CHECK_THAT(e.message(), Contains("column j"));
  e = parse_failure([] { (void)parse_bqp("1\n2 1\n1 1 1\n", "b.txt", 4); });
  CHECK_THAT(e.message(), Contains("holds 1"));
}

TEST_CASE("COO: i j value lines", "[anneal][formats]") {
  const auto p = parse_coo("# comment\n0 0 1.5\n0 2 -2\n2 0 1  # same pair again\n", "m.coo");
  REQUIRE(p.type == vartype::binary);
  CHECK(p.qubo.num_variables() == 3);
  CHECK(p.qubo.linear()[0] == 1.5);
  REQUIRE(p.qubo.num_couplings() == 1);
  CHECK(p.qubo.couplings()[0].value == -1.0);
  const auto s = parse_coo("0 1 1\n", "m.coo", vartype::spin);
  CHECK(s.ising.num_couplings() == 1);
  auto e = parse_failure([] { (void)parse_coo("0 1 1\n0 -1 2\n", "m.coo"); });
  CHECK(e.line() == 2);
  CHECK_THAT(e.message(), Contains("index j"));
  e = parse_failure([] { (void)parse_coo("0 4000000000 1\n", "m.coo"); });  // no 32 GB allocation
  CHECK_THAT(e.message(), Contains("out of range"));
  e = parse_failure([] { (void)parse_coo("0 1\n", "m.coo"); });
  CHECK_THAT(e.message(), Contains("expected value") && Contains("end of line"));
}

TEST_CASE("QIO JSON: ising and pubo terms, constants, squared linear combinations", "[anneal][formats]") {
  const auto p = parse_qio_json(R"({"cost_function": {"version": "1.1", "type": "pubo",
      "terms": [{"c": 3, "ids": [1, 0]}, {"c": -1, "ids": [5]}, {"c": 0.5, "ids": []}, {"c": 2, "ids": [5, 5]}],
      "terms_slc": [{"c": 2, "terms": [{"c": 1, "ids": [0]}, {"c": 1, "ids": [5]}, {"c": -1, "ids": []}]}]}})",
                                "p.json");
  REQUIRE(p.type == vartype::binary);
  REQUIRE(p.labels == std::vector<std::int64_t>{0, 1, 5});
  // Brute force against the definition: 3 x0 x1 - x5 + 0.5 + 2 x5 + 2 (x0 + x5 - 1)^2.
  for (int b = 0; b < 8; ++b) {
    const std::vector<std::int8_t> x{static_cast<std::int8_t>(b & 1), static_cast<std::int8_t>((b >> 1) & 1),
                                     static_cast<std::int8_t>((b >> 2) & 1)};
    const double x0 = x[0], x1 = x[1], x5 = x[2];
    const double want = 3 * x0 * x1 - x5 + 0.5 + 2 * x5 + 2 * (x0 + x5 - 1) * (x0 + x5 - 1);
    CHECK(p.qubo.energy(x) == want);
  }
  const auto s = parse_qio_json(R"({"cost_function": {"version": "1.1", "type": "ising",
      "terms": [{"c": 1, "ids": [2, 3]}, {"c": -2, "ids": [3, 3, 2]}],
      "terms_slc": [{"c": 1, "terms": [{"c": 2, "ids": [2]}, {"c": 1, "ids": [3]}]}]}})",
                                "s.json");
  REQUIRE(s.type == vartype::spin);
  for (int b = 0; b < 4; ++b) {
    const std::vector<std::int8_t> v{static_cast<std::int8_t>(b & 1 ? 1 : -1), static_cast<std::int8_t>(b & 2 ? 1 : -1)};
    const double s2 = v[0], s3 = v[1];
    CHECK(s.ising.energy(v) == s2 * s3 - 2 * s2 + (2 * s2 + s3) * (2 * s2 + s3));
  }
}

TEST_CASE("QIO JSON: errors point at the offending value", "[anneal][formats]") {
  auto e = parse_failure([] {
    (void)parse_qio_json("{\"cost_function\": {\"version\": \"1.0\", \"type\": \"pubo\",\n"
                         " \"terms\": [{\"c\": 1, \"ids\": [0, 1, 2]}]}}",
                         "hi.json");
  });
  CHECK(e.line() == 2);
  CHECK(e.column() == 12);
  CHECK_THAT(e.message(), Contains("degree 3") && Contains("higher-order"));
  e = parse_failure([] { (void)parse_qio_json("{\"cost_function\": {\"version\": \"1.0\", \"type\": \"qubo\", \"terms\": []}}", "t.json"); });
  CHECK_THAT(e.message(), Contains("unsupported type \"qubo\""));
  e = parse_failure([] { (void)parse_qio_json("{\"cost_function\": {\"version\": \"1.0\", \"type\": \"ising\"}}", "t.json"); });
  CHECK_THAT(e.message(), Contains("missing \"terms\""));
  e = parse_failure([] {
    (void)parse_qio_json("{\"cost_function\": {\"version\": \"1.0\", \"type\": \"ising\",\n\n \"terms\": [{\"c\": \"x\", \"ids\": []}]}}", "t.json");
  });
  CHECK(e.line() == 3);
  CHECK_THAT(e.message(), Contains("\"c\" must be a number"));
  e = parse_failure([] { (void)parse_qio_json("{\"cost_function\": {\"version\": \"1.0\",\n \"type\": \"ising\" \"terms\": []}}", "t.json"); });
  CHECK(e.line() == 2);
  CHECK_THAT(e.message(), Contains("expected ',' or '}'"));
  e = parse_failure([] { (void)parse_qio_json("{\"cost_function\": {\"version\": \"1.0\", \"type\": \"ising\", \"terms\": [{\"c\": 1, \"ids\": [0.5]}]}}", "t.json"); });
  CHECK_THAT(e.message(), Contains("integers"));
  e = parse_failure([] { (void)parse_qio_json(std::string(2000, '['), "deep.json"); });
  CHECK_THAT(e.message(), Contains("nested deeper"));
  e = parse_failure([] {
    (void)parse_qio_json("{\"cost_function\": {\"version\": \"1.1\", \"type\": \"pubo\", \"terms\": [],"
                         " \"terms_slc\": [{\"c\": 1, \"terms\": [{\"c\": 1, \"ids\": [0, 1]}]}]}}", "t.json");
  });
  CHECK_THAT(e.message(), Contains("single-variable"));
}

TEST_CASE("writers round-trip through the readers, atomically", "[anneal][formats]") {
  const auto dir = temp_dir();
  const ising_model m(4, {0.5, 0.0, -1.25, 0.0}, {{0, 1, 1.0}, {1, 3, -0.1}, {2, 3, 3.0}}, 0.75);
  const qubo_model q = to_qubo(m);
  const auto json = (dir / "m.json").string();
  write_qio_json(json, m, std::vector<std::int64_t>{10, 11, 12, 13});
  const auto back = read_qio_json(json);
  CHECK(back.labels == std::vector<std::int64_t>{10, 11, 12, 13});
  const auto coo = (dir / "q.coo").string();
  write_coo(coo, q);
  const auto q_back = read_coo(coo).qubo;
  const qubo_model q_no_offset(4, {q.linear().begin(), q.linear().end()}, {q.couplings().begin(), q.couplings().end()});
  const auto bqp = (dir / "bqp_1.txt").string();
  write_bqp(bqp, q_no_offset);
  const auto bqp_back = read_bqp(bqp);
  for (int b = 0; b < 16; ++b) {
    std::vector<std::int8_t> s(4), x(4);
    for (int i = 0; i < 4; ++i) {
      x[i] = static_cast<std::int8_t>((b >> i) & 1);
      s[i] = static_cast<std::int8_t>(x[i] ? 1 : -1);
    }
    CHECK(back.ising.energy(s) == m.energy(s));
    CHECK(q_back.energy(x) + q.offset() == Approx(q.energy(x)));  // COO keeps the offset only as a comment
    CHECK(bqp_back.energy(x) == q_no_offset.energy(x));
  }
  const auto g = maxcut_to_ising(3, {{0, 1, 1.0}, {1, 2, -1.0}});
  const auto gpath = (dir / "g.txt").string();
  write_gset(gpath, g.model);
  CHECK(read_gset(gpath).model.couplings().size() == 2);
  CHECK_THROWS_AS(format_gset(m), std::invalid_argument);  // fields have no place in a graph
  CHECK_THROWS_AS(format_bqp(q), std::invalid_argument);   // nor an offset in bqp
  // No temporary files are left behind.
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);
    ++files;
  }
  CHECK(files == 4);
  CHECK_THROWS_AS(write_file_atomically((dir / "missing" / "x.txt").string(), "x"), std::system_error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("format names and guesses", "[anneal][formats]") {
  CHECK(parse_file_format("qio-json") == file_format::qio_json);
  CHECK(parse_file_format("gset") == file_format::gset);
  CHECK(parse_file_format("bqp") == file_format::bqp);
  CHECK(parse_file_format("coo") == file_format::coo);
  // Aliases parse to their format, which prints by its own name.
  CHECK(parse_file_format("rudy") == file_format::gset);
  CHECK(parse_file_format("qio_json") == file_format::qio_json);
  CHECK(parse_file_format("json") == file_format::qio_json);
  CHECK(to_string(file_format::gset) == "gset");
  CHECK(to_string(file_format::qio_json) == "qio-json");
  CHECK(hqml::names_in(file_format_names) ==
        std::vector<std::string>{"gset", "rudy", "bqp", "coo", "qio-json", "qio_json", "json"});
  CHECK_THROWS_WITH(parse_file_format("mps"),
                    Contains("unknown file format 'mps'; valid names: gset, rudy, bqp, coo, qio-json, qio_json, json"));
  CHECK_THROWS_AS(parse_file_format("GSET"), std::invalid_argument);
  CHECK(guess_file_format("/a/b/problem.json") == file_format::qio_json);
  CHECK(guess_file_format("bqp50.txt") == file_format::bqp);
  CHECK(guess_file_format("G14.txt") == file_format::gset);
}
