// Prints the exposition of a registry holding every kind of metric, hostile label values (quotes,
// backslashes, newlines, non-ASCII) and the numbers Prometheus spells specially; check_metrics.py reads it
// with the Prometheus Python client and holds the list of samples it must find. Change both together.
#include <hqml/serve/metrics.hpp>

#include <cstdio>
#include <limits>
#include <string>
#include <utility>
#include <vector>

int main() {
  namespace m = hqml::serve::metrics;
  m::registry r;

  auto& requests =
      r.counter_family("hqml_requests_total", "Requests answered, by model and status code.", {"model", "code"});
  requests.with({"iris", "200"}).inc(41);
  requests.with({"iris", "200"}).inc();
  requests.with({"quote\"back\\slash\nnewline", "500"}).inc(2.5);
  requests.with({"unicode \xc3\xa9 \xe9\x9b\xaa \xf0\x9f\x9a\x80", "200"}).inc();
  r.counter_metric("hqml_errors_total", "Errors; none yet.");
  r.counter_metric("hqml_read_bytes_total", "Bytes read: a backslash \\ and\na second line.").inc(12345678901234.0);

  auto& in_flight = r.gauge_family("hqml_in_flight", "Requests in flight, by pool.", {"pool"});
  in_flight.with({"a"}).inc(5);
  in_flight.with({"a"}).dec(2);
  in_flight.with({"b"}).set(-0.25);
  r.gauge_metric("hqml_tiny", "A small value.").set(1.5e-7);
  r.gauge_metric("hqml_huge", "A large value.").set(6.02e23);
  auto& special = r.gauge_family("hqml_special", "Values spelled as words.", {"kind"});
  special.with({"nan"}).set(std::numeric_limits<double>::quiet_NaN());
  special.with({"pos"}).set(std::numeric_limits<double>::infinity());
  special.with({"neg"}).set(-std::numeric_limits<double>::infinity());

  auto& latency =
      r.histogram_family("hqml_latency_seconds", "Request latency.", {"route"}, m::exponential_buckets(0.001, 10, 4));
  for (const double v : {0.0005, 0.001, 0.05, 0.05, 2.0, 1e9}) latency.with({"/v2/models/x/infer"}).observe(v);
  latency.with({"le\"} 1\n# TYPE"}).observe(0.01);
  auto& batch = r.histogram_metric("hqml_batch_size", "Rows per batch.", m::linear_buckets(1, 1, 4));
  for (const double v : {1.0, 2.0, 2.0, 8.0}) batch.observe(v);

  r.gauge_callback("hqml_model_info", "The loaded model; its value is 1.", {"model", "version"}, [] {
    return std::vector<std::pair<std::vector<std::string>, double>>{{{"iris", "3"}, 1}, {{"w\\e\"i\nrd", "0"}, 0}};
  });

  const std::string text = r.render();
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}
