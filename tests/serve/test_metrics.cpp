// hqml serve's Prometheus registry: the exact text it renders (order, escaping, cumulative buckets, the
// spelling of numbers), what it refuses at registration, and exact totals under concurrent updates.
#include <catch2/catch.hpp>

#include <hqml/serve/metrics.hpp>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace m = hqml::serve::metrics;
using Catch::Contains;

namespace {

using samples = std::vector<std::pair<std::vector<std::string>, double>>;

/// The rendered text of one unlabelled gauge set to v, without its # lines.
std::string gauge_line(double v) {
  m::registry r;
  r.gauge_metric("g", "").set(v);
  return r.render().substr(std::string("# TYPE g gauge\n").size());
}

}  // namespace

TEST_CASE("a small registry renders exactly", "[serve][metrics]") {
  m::registry r;
  auto& requests = r.counter_family("hqml_requests_total", "Requests answered.", {"model", "code"});
  r.gauge_family("hqml_unused", "A labelled family with no child yet is not rendered.", {"x"});
  auto& in_flight = r.gauge_metric("hqml_in_flight", "");
  auto& latency = r.histogram_metric("hqml_latency_seconds", "Latency.", {0.1, 0.5});
  r.gauge_callback("hqml_model_info", "Loaded models.", {"model", "version"}, [] {
    return samples{{{"wine", "2"}, 1}, {{"iris", "7"}, 1}};
  });

  requests.with({"wine", "200"}).inc();
  requests.with({"iris", "200"}).inc(2);
  requests.with({"iris", "500"}).inc(0.5);
  in_flight.inc(3);
  in_flight.dec();
  latency.observe(0.1);
  latency.observe(0.3);
  latency.observe(7);

  CHECK(r.render() ==
        "# HELP hqml_requests_total Requests answered.\n"
        "# TYPE hqml_requests_total counter\n"
        "hqml_requests_total{model=\"iris\",code=\"200\"} 2\n"
        "hqml_requests_total{model=\"iris\",code=\"500\"} 0.5\n"
        "hqml_requests_total{model=\"wine\",code=\"200\"} 1\n"
        "# TYPE hqml_in_flight gauge\n"
        "hqml_in_flight 2\n"
        "# HELP hqml_latency_seconds Latency.\n"
        "# TYPE hqml_latency_seconds histogram\n"
        "hqml_latency_seconds_bucket{le=\"0.1\"} 1\n"
        "hqml_latency_seconds_bucket{le=\"0.5\"} 2\n"
        "hqml_latency_seconds_bucket{le=\"+Inf\"} 3\n"
        "hqml_latency_seconds_sum 7.4\n"
        "hqml_latency_seconds_count 3\n"
        "# HELP hqml_model_info Loaded models.\n"
        "# TYPE hqml_model_info gauge\n"
        "hqml_model_info{model=\"iris\",version=\"7\"} 1\n"
        "hqml_model_info{model=\"wine\",version=\"2\"} 1\n");
  CHECK(m::registry::content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(m::registry().render().empty());
}

TEST_CASE("label values and help text are escaped", "[serve][metrics]") {
  m::registry r;
  auto& f = r.counter_family("c_total", "back\\slash \"quoted\"\nsecond line", {"v"});
  f.with({"a\\b"}).inc();
  f.with({"say \"hi\""}).inc();
  f.with({"two\nlines"}).inc();
  f.with({"x\"} 9\n# TYPE c_total gauge"}).inc();  // an injection attempt stays inside its quotes
  f.with({"caf\xc3\xa9 \xe2\x9c\x93"}).inc();      // UTF-8 passes through as it is
  CHECK(r.render() ==
        "# HELP c_total back\\\\slash \"quoted\"\\nsecond line\n"
        "# TYPE c_total counter\n"
        "c_total{v=\"a\\\\b\"} 1\n"
        "c_total{v=\"caf\xc3\xa9 \xe2\x9c\x93\"} 1\n"
        "c_total{v=\"say \\\"hi\\\"\"} 1\n"
        "c_total{v=\"two\\nlines\"} 1\n"
        "c_total{v=\"x\\\"} 9\\n# TYPE c_total gauge\"} 1\n");

  // Prometheus drops a whole scrape over one value that is not UTF-8: refused where it enters.
  for (const char* bad : {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok\xe2\x9c"}) {
    CAPTURE(std::string(bad));
    CHECK_THROWS_WITH(f.with({bad}), Contains("not UTF-8"));
  }
  CHECK_THROWS_WITH(r.gauge_metric("g", "bad \xff help"), Contains("help text is not UTF-8"));
  r.gauge_callback("cb", "", {"v"}, [] { return samples{{{"\xff"}, 1}}; });
  CHECK_THROWS_WITH(r.render(), Contains("not UTF-8"));
}

TEST_CASE("numbers are spelled as Prometheus parses them", "[serve][metrics]") {
  CHECK(gauge_line(0) == "g 0\n");
  CHECK(gauge_line(42) == "g 42\n");
  CHECK(gauge_line(-3) == "g -3\n");
  CHECK(gauge_line(1e6) == "g 1000000\n");  // no exponent on integers
  CHECK(gauge_line(12345678901234567.0) == "g 1.2345678901234568e+16\n");
  CHECK(gauge_line(0.1) == "g 0.1\n");
  CHECK(gauge_line(-0.25) == "g -0.25\n");
  CHECK(gauge_line(0.0001) == "g 0.0001\n");
  CHECK(gauge_line(1.5e-7) == "g 1.5e-07\n");
  CHECK(gauge_line(1.0 / 3) == "g 0.3333333333333333\n");
  CHECK(gauge_line(std::numeric_limits<double>::infinity()) == "g +Inf\n");
  CHECK(gauge_line(-std::numeric_limits<double>::infinity()) == "g -Inf\n");
  CHECK(gauge_line(std::numeric_limits<double>::quiet_NaN()) == "g NaN\n");
  // Shortest digits that still read back as the same double, across magnitudes.
  for (const double v : {0.1 + 0.2, 1e-300, 5e-324, 1.7976931348623157e308, 123456.789, 2.0 / 3 * 1e15, 9.5e-5}) {
    const std::string line = gauge_line(v);
    CAPTURE(line);
    CHECK(std::strtod(line.c_str() + 2, nullptr) == v);
  }
}

TEST_CASE("histogram buckets are cumulative and ascending", "[serve][metrics]") {
  m::histogram h({1, 2, 4});
  for (const double v : {0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, -10.0}) h.observe(v);
  h.observe(std::numeric_limits<double>::infinity());
  CHECK(h.bucket_counts() == std::vector<std::uint64_t>{3, 5, 7, 9});  // v <= bound; +Inf above every bound
  CHECK(h.count() == 9);
  CHECK(h.sum() == std::numeric_limits<double>::infinity());
  m::histogram nan({1});
  nan.observe(std::numeric_limits<double>::quiet_NaN());
  CHECK(nan.bucket_counts() == std::vector<std::uint64_t>{0, 1});  // NaN is in +Inf only
  CHECK(std::isnan(nan.sum()));

  m::registry r;
  auto& f = r.histogram_family("h", "", {"m"}, {0.25, 1, std::numeric_limits<double>::infinity()});
  f.with({"b"}).observe(0.25);
  f.with({"a"}).observe(2);
  CHECK(f.with({"a"}).upper_bounds() == std::vector<double>{0.25, 1});  // the +Inf given is implied
  CHECK(r.render() ==
        "# TYPE h histogram\n"
        "h_bucket{m=\"a\",le=\"0.25\"} 0\n"
        "h_bucket{m=\"a\",le=\"1\"} 0\n"
        "h_bucket{m=\"a\",le=\"+Inf\"} 1\n"
        "h_sum{m=\"a\"} 2\n"
        "h_count{m=\"a\"} 1\n"
        "h_bucket{m=\"b\",le=\"0.25\"} 1\n"
        "h_bucket{m=\"b\",le=\"1\"} 1\n"
        "h_bucket{m=\"b\",le=\"+Inf\"} 1\n"
        "h_sum{m=\"b\"} 0.25\n"
        "h_count{m=\"b\"} 1\n");

  CHECK_THROWS_WITH(m::histogram({1, 3, 2}), Contains("increase strictly: 3 then 2"));
  CHECK_THROWS_WITH(m::histogram({1, 1}), Contains("increase strictly"));
  CHECK_THROWS_WITH(m::histogram({std::numeric_limits<double>::quiet_NaN()}), Contains("NaN"));
  CHECK(m::histogram({}).bucket_counts().size() == 1);

  CHECK(m::exponential_buckets(0.001, 10, 4) == std::vector<double>{0.001, 0.01, 0.1, 1});
  CHECK(m::linear_buckets(0, 0.1, 11).back() == 1.0);  // i*width, not ten additions of 0.1
  CHECK(m::linear_buckets(5, 5, 3) == std::vector<double>{5, 10, 15});
  CHECK_THROWS_AS(m::exponential_buckets(0, 2, 3), std::invalid_argument);
  CHECK_THROWS_AS(m::exponential_buckets(1, 1, 3), std::invalid_argument);
  CHECK_THROWS_AS(m::exponential_buckets(1, 2, 0), std::invalid_argument);
  CHECK_THROWS_WITH(m::exponential_buckets(1e300, 1e10, 3), Contains("overflows"));
  CHECK_THROWS_AS(m::linear_buckets(0, 0, 3), std::invalid_argument);
  CHECK_THROWS_AS(m::linear_buckets(0, 1, 0), std::invalid_argument);
}

TEST_CASE("names are validated and registrations must agree", "[serve][metrics]") {
  m::registry r;
  for (const char* bad : {"", "1abc", "a-b", "a b", "caf\xc3\xa9", "a\n"}) {
    CAPTURE(std::string(bad));
    CHECK_THROWS_WITH(r.counter_family(bad, ""), Contains("metric name \"" + std::string(bad) + "\" is invalid"));
  }
  for (const char* good : {"a", "_a", ":a", "a:b_c9", "hqml_requests_total"}) {
    CHECK_NOTHROW(r.gauge_family(good, "", {"x"}));
  }
  for (const char* bad : {"", "__reserved", "a:b", "1a", "a-b"}) {
    CAPTURE(std::string(bad));
    CHECK_THROWS_WITH(r.counter_family("ok_total", "", {"fine", bad}),
                      Contains("label name \"" + std::string(bad) + "\" is invalid"));
  }
  CHECK_THROWS_WITH(r.counter_family("dup_total", "", {"a", "a"}), Contains("label name a is given twice"));
  CHECK_THROWS_WITH(r.histogram_family("h", "", {"le"}, {1}), Contains("le is reserved"));

  auto& f = r.counter_family("c_total", "help", {"a"});
  CHECK(&r.counter_family("c_total", "help", {"a"}) == &f);
  CHECK_THROWS_WITH(r.gauge_family("c_total", "help", {"a"}), Contains("registered as a counter, not a gauge"));
  CHECK_THROWS_WITH(r.counter_family("c_total", "help", {"b"}), Contains("other label names"));
  CHECK_THROWS_WITH(r.counter_metric("c_total", "help"), Contains("other label names"));
  CHECK_THROWS_WITH(r.gauge_callback("c_total", "", {}, [] { return samples{}; }), Contains("taken by counter"));

  auto& h = r.histogram_metric("lat", "", {1, 2});
  CHECK(&r.histogram_metric("lat", "", {1, 2}) == &h);
  CHECK_THROWS_WITH(r.histogram_metric("lat", "", {1, 3}), Contains("other buckets"));
  // A histogram's series names are taken, and a histogram may not take a name another family has.
  CHECK_THROWS_WITH(r.counter_metric("lat_count", ""), Contains("collides with histogram lat"));
  CHECK_THROWS_WITH(r.gauge_metric("lat_bucket", ""), Contains("collides with histogram lat"));
  r.gauge_metric("q_sum", "");
  CHECK_THROWS_WITH(r.histogram_metric("q", "", {1}), Contains("series q_sum collides with gauge q_sum"));

  CHECK_THROWS_WITH(f.with({}), Contains("1 label name(s), given 0 label value(s)"));
  CHECK_THROWS_WITH(f.with({"x", "y"}), Contains("given 2 label value(s)"));
  CHECK_THROWS_WITH(f.with(std::vector<std::string>{}), Contains("given 0"));

  auto& c = f.with({"x"});
  c.inc(2);
  CHECK_THROWS_WITH(c.inc(-1), Contains("counter only goes up"));
  CHECK_THROWS_AS(c.inc(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  CHECK(c.value() == 2);

  r.gauge_callback("cb", "", {"a", "b"}, [] { return samples{}; });
  CHECK_THROWS_WITH(r.gauge_callback("cb", "", {"a", "b"}, [] { return samples{}; }), Contains("name is taken"));
  CHECK_THROWS_WITH(r.gauge_callback("cb2", "", {}, nullptr), Contains("no function"));
  m::registry arity;
  arity.gauge_callback("cb", "", {"a", "b"}, [] { return samples{{{"only one"}, 1}}; });
  CHECK_THROWS_WITH(arity.render(), Contains("has 2 label name(s), given 1"));
  m::registry twice;
  twice.gauge_callback("cb", "", {"a"}, [] { return samples{{{"x"}, 1}, {{"x"}, 2}}; });
  CHECK_THROWS_WITH(twice.render(), Contains("same label values twice"));
}

TEST_CASE("a child is created once and its reference stays valid", "[serve][metrics]") {
  m::registry r;
  auto& f = r.gauge_family("g", "", {"i"});
  auto& first = f.with({"0"});
  first.set(7);
  for (int i = 1; i < 2000; ++i) f.with({std::to_string(i)}).inc();
  r.gauge_family("g", "", {"i"});  // registering again keeps the children
  CHECK(&f.with(std::vector<std::string>{"0"}) == &first);
  CHECK(first.value() == 7);
  CHECK(f.with({"1999"}).value() == 1);
}

TEST_CASE("concurrent updates give exact totals", "[serve][metrics]") {
  constexpr int threads = 4;
  constexpr int per_thread = 100000;
  m::registry r;
  auto& requests = r.counter_family("requests_total", "", {"model"});
  auto& in_flight = r.gauge_metric("in_flight", "");
  auto& latency = r.histogram_metric("latency", "", {0.5, 1.5});
  std::atomic<bool> done{false};
  std::atomic<int> renders{0};
  // A scraper renders while the updates run: rendering takes no lock a request thread waits on.
  std::thread scraper([&] {
    while (!done.load()) {
      (void)r.render();
      renders.fetch_add(1);
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto& mine = requests.with({"model" + std::to_string(t % 2)});  // two threads share each child
      auto& all = requests.with({"all"});
      for (int i = 0; i < per_thread; ++i) {
        all.inc();
        mine.inc(0.5);
        in_flight.inc();
        latency.observe(i % 2);  // 0 and 1: exact in binary, so the sum is exact too
        in_flight.dec();
      }
    });
  }
  for (auto& w : workers) w.join();
  done.store(true);
  scraper.join();

  CHECK(requests.with({"all"}).value() == threads * per_thread);
  CHECK(requests.with({"model0"}).value() == per_thread);
  CHECK(requests.with({"model1"}).value() == per_thread);
  CHECK(in_flight.value() == 0);
  CHECK(latency.bucket_counts() ==
        std::vector<std::uint64_t>{threads * per_thread / 2, threads * per_thread, threads * per_thread});
  CHECK(latency.sum() == threads * per_thread / 2);
  CHECK(renders.load() > 0);
  CHECK_THAT(r.render(), Contains("requests_total{model=\"all\"} 400000\n") && Contains("latency_count 400000\n"));
}

TEST_CASE("concurrent first use of a label set creates one child", "[serve][metrics]") {
  m::registry r;
  auto& f = r.counter_family("c_total", "", {"k"});
  std::vector<m::counter*> seen(8);
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < seen.size(); ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) f.with({std::to_string(i)}).inc();
      seen[t] = &f.with({"0"});
    });
  }
  for (auto& w : workers) w.join();
  for (auto* p : seen) CHECK(p == seen[0]);
  CHECK(seen[0]->value() == 8);
  CHECK(f.with({"199"}).value() == 8);
}
