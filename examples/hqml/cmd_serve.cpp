// hqml serve: an online scoring server for a model folder of hqml run or hqml train. Azure ML's scoring protocol
// (GET /, POST /score), the Open Inference Protocol (KServe v2: /v2/health/*, /v2/models/NAME[/infer]) and
// Prometheus metrics (GET /metrics) on one port; the scoring itself is the library's (hqml::serve::engine):
// dynamic batching, result cache, classical fallback behind a budget and a circuit breaker, routing.
// SIGHUP or a changed model folder reloads the model atomically; SIGTERM and SIGINT drain and exit 0.
#include "commands.hpp"
#include "device_option.hpp"
#include "pipeline_options.hpp"
#include "remote_paths.hpp"

#include <hqml/serve/engine.hpp>
#include <hqml/serve/request.hpp>

#if HQML_HAVE_HTTPLIB
#include <httplib.h>
#endif
#if HQML_HAVE_REDIS
#include <hqml/adapters/redis_cache.hpp>
#endif

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace hqml::cli {
namespace {

struct serve_cli {
  std::string model, classical, host = "127.0.0.1", route = "quantum", cache = "memory", fault, fault_file;
  std::string name = "hqml";
  int port = 0;  // 0: $PORT, else 5001
  unsigned threads = 64, breaker_failures = 5;
  int omp_threads = 0;
  double budget_ms = 0, breaker_open_ms = 5000, cache_mb = 64, max_body_mb = 16, read_timeout_s = 10,
         body_timeout_s = 30, cache_ttl_s = 3600, watch_s = 2, drain_s = 0;
  std::size_t max_batch = 64, max_delay_us = 2000, max_rows = 65536;
  bool log_payloads = false;
  device_option device;
};

#if HQML_HAVE_HTTPLIB

namespace fs = std::filesystem;

/// The model folder: --model, else $AZUREML_MODEL_DIR (Azure ML mounts the registered folder inside it: the folder
/// itself, or its one subfolder holding a model.json, or that subfolder's model/).
fs::path resolve_model_dir(const serve_cli& o) {
  if (!o.model.empty()) return o.model;
  const char* env = std::getenv("AZUREML_MODEL_DIR");
  if (!env || !*env) throw usage_error("--model DIR is required (or set AZUREML_MODEL_DIR)");
  const fs::path root(env);
  std::error_code ec;
  if (fs::is_regular_file(root / "model.json", ec)) return root;
  if (fs::is_regular_file(root / "model" / "model.json", ec)) return root / "model";
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (fs::is_regular_file(e.path() / "model.json", ec)) found.push_back(e.path());
    if (fs::is_regular_file(e.path() / "model" / "model.json", ec)) found.push_back(e.path() / "model");
  }
  if (found.size() != 1)
    throw usage_error("AZUREML_MODEL_DIR=" + root.string() + ": " +
                      (found.empty() ? std::string("no model folder (model.json) inside")
                                     : "several model folders inside; choose one with --model"));
  return found.front();
}

/// A fingerprint of model.json (size and modification time) for noticing a changed folder.
std::string stamp_of(const fs::path& dir) {
  std::error_code ec;
  const auto p = dir / "model.json";
  const auto t = fs::last_write_time(p, ec);
  const auto n = fs::file_size(p, ec);
  return std::to_string(t.time_since_epoch().count()) + "/" + std::to_string(ec ? 0 : n);
}

enum class cache_kind { none, memory, redis };

/// --cache: a name of the table or a Redis URL (redis://HOST:PORT, read by the Redis adapter).
cache_kind parse_cache(const std::string& value) {
  static constexpr std::pair<std::string_view, cache_kind> names[] = {{"memory", cache_kind::memory},
                                                                      {"none", cache_kind::none}};
  for (const auto& [name, kind] : names)
    if (value == name) return kind;
  if (value.starts_with("redis://")) return cache_kind::redis;
  throw usage_error("--cache " + value + ": use memory, none or redis://HOST:PORT");
}

/// "HOST:PORT", an IPv6 address in brackets.
std::string endpoint(const std::string& host, int port) {
  return (host.find(':') == std::string::npos ? host : "[" + host + "]") + ":" + std::to_string(port);
}

/// Why HOST:PORT cannot be bound ("Address already in use"): cpp-httplib reports only that binding failed, so
/// the bind is tried again here, as it binds (the first address of getaddrinfo's that fails).
std::string bind_failure(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    return ::gai_strerror(rc);
  std::string why;
  for (const addrinfo* a = found; a && why.empty(); a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) {
      why = std::generic_category().message(errno);
      continue;
    }
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 1) != 0)
      why = std::generic_category().message(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return why.empty() ? "it was taken, and is free again now (try again)" : why;
}

/// A number of seconds as an option's value reads: "30", "0.5".
std::string seconds_text(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", s);
  return text;
}

// cpp-httplib 0.11 listens with a backlog of 5 (compiled into Debian's library): a burst of connecting clients
// overflows it and their SYNs are dropped, each costing a 1-3 s retransmission. Linux lets listen() be called
// again on a listening socket to change its backlog; the library does not expose the socket, so it is found
// among the process's descriptors by its state and port.
void widen_backlog(int port) {
  for (int fd = 0; fd < 1024; ++fd) {
    int accepting = 0;
    socklen_t len = sizeof accepting;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) != 0 || !accepting) continue;
    sockaddr_storage addr{};
    socklen_t alen = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) continue;
    int p = -1;
    if (addr.ss_family == AF_INET) p = ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6) p = ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
    if (p == port) ::listen(fd, SOMAXCONN);
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int serve_main(const serve_cli& o) {
  using namespace hqml::serve;
  // Signals go to one thread, the control thread below: blocked here, before any other thread exists (the
  // batcher's, OpenMP's, the HTTP pool's inherit the mask), or the default action would end the process.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // --model and --classical may be storage URIs (remote_paths.hpp): each folder is downloaded once, at start, to a
  // private temporary folder that lives as long as the server (a reload reads that copy).
  const remote::input_dir remote_model("--model", o.model);
  const remote::input_dir remote_classical("--classical", o.classical);
  const fs::path model_dir = remote_model.remote() ? fs::path(remote_model.path()) : resolve_model_dir(o);
  int port = o.port;
  if (port == 0) {
    port = 5001;
    if (const char* p = std::getenv("PORT"); p && *p) {
      char* end = nullptr;
      const long v = std::strtol(p, &end, 10);
      if (*end || v < 1 || v > 65535) throw usage_error(std::string("PORT=") + p + ": not a port number (1-65535)");
      port = static_cast<int>(v);
    }
  }
  if (o.name.empty() || o.name.size() > 128 ||
      o.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
          std::string::npos)
    throw usage_error("--name '" + o.name.substr(0, 40) +
                      "': use 1 to 128 of A-Z a-z 0-9 _ . - (it is a URL path part)");
  engine_options eo;
  try {
    eo.route = route_policy::parse(o.route);
  } catch (const std::invalid_argument& e) {
    throw usage_error(std::string("--route ") + e.what());
  }
  if (!o.fault.empty()) {
    try {
      eo.fault = fault_injection::parse(o.fault);
    } catch (const std::invalid_argument& e) {
      throw usage_error(std::string("--inject-fault ") + e.what());
    }
    if (!o.fault_file.empty())
      eo.fault.active = [f = o.fault_file] {
        std::error_code ec;
        return fs::exists(f, ec);
      };
  }
  // Whole milliseconds, rounded up: 0.5 is a budget, not "no limit".
  eo.quantum_budget = std::chrono::milliseconds(static_cast<long long>(std::ceil(o.budget_ms)));
  eo.batching.max_batch_rows = o.max_batch;
  eo.batching.max_delay = std::chrono::microseconds(o.max_delay_us);
  // The batcher refuses a request larger than its queue: room for four of the largest requests.
  eo.batching.max_queue_rows = std::max<std::size_t>(o.max_rows * 4, 65536);
  eo.breaker_failures = o.breaker_failures;
  eo.breaker_open_for = std::chrono::milliseconds(static_cast<long long>(std::ceil(o.breaker_open_ms)));

  // Every check of the options and the model before the port is bound: bad input exits 2 without serving.
  const std::string device = o.device.check();
  served_model::kernel_fn device_kernel;
  if (o.device.gpu())
    device_kernel = [d = o.device.value()](const circuit& fm, const Eigen::MatrixXd& x, const Eigen::MatrixXd& s,
                                           std::span<const double> theta) {
      return kernel_matrix(d, fm, x, &s, theta);
    };
  const auto load = [&] {
    return served_model::load(model_dir, remote_classical.path(), o.omp_threads, device_kernel);
  };

  metrics::registry reg;
  std::unique_ptr<result_cache> near, far, tiered;
  result_cache* cache = nullptr;
  std::function<cache_stats()> far_stats;
  const auto cache_bytes = static_cast<std::size_t>(o.cache_mb * 1024 * 1024);
  const cache_kind cache_choice = parse_cache(o.cache);
  if (cache_choice == cache_kind::memory) {
    near = std::make_unique<lru_cache>(cache_bytes);
    cache = near.get();
  } else if (cache_choice == cache_kind::redis) {
#if HQML_HAVE_REDIS
    adapters::redis_options ro;
    try {
      ro = adapters::parse_redis_url(o.cache);
    } catch (const std::invalid_argument& e) {
      throw usage_error(std::string("--cache ") + e.what());
    }
    ro.ttl = std::chrono::seconds(static_cast<long long>(std::ceil(o.cache_ttl_s)));
    auto redis = std::make_unique<adapters::redis_cache>(ro);
    far_stats = [r = redis.get()] { return r->stats(); };
    far = std::move(redis);
    near = std::make_unique<lru_cache>(cache_bytes);
    tiered = std::make_unique<tiered_cache>(*near, *far);
    cache = tiered.get();
#else
    throw usage_error("--cache " + o.cache + ": this hqml was built without hiredis (libhiredis-dev)");
#endif
  }
  if (auto* lru = dynamic_cast<lru_cache*>(near.get()))
    reg.gauge_callback("hqml_cache_entries", "Entries in the embedded result cache", {}, [lru] {
      return std::vector<std::pair<std::vector<std::string>, double>>{{{}, static_cast<double>(lru->stats().entries)}};
    });
  if (far_stats)
    reg.gauge_callback("hqml_shared_cache_errors", "Errors of the shared (Redis) cache: requests went on uncached", {},
                       [far_stats] {
                         return std::vector<std::pair<std::vector<std::string>, double>>{
                             {{}, static_cast<double>(far_stats().errors)}};
                       });

  engine eng(eo, reg, cache);
  eng.install(load());
  const auto first = eng.current();
  std::string stamp = stamp_of(model_dir);

  auto& requests = reg.counter_family("hqml_requests_total", "HTTP requests by route, status and who answered",
                                      {"route", "status", "served_by"});
  auto& latency = reg.histogram_family("hqml_request_duration_seconds", "Time to answer a request, by route", {"route"},
                                       metrics::exponential_buckets(0.0001, 2, 18));
  std::atomic<bool> ready{false};

  httplib::Server svr;
  const unsigned http_threads = std::max(1u, o.threads);
  svr.new_task_queue = [http_threads] { return new httplib::ThreadPool(http_threads); };
  const auto max_body = static_cast<std::size_t>(o.max_body_mb * 1024 * 1024);
  svr.set_payload_max_length(max_body);
  const auto body_timeout =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(o.body_timeout_s));
  // cpp-httplib's default socket options set SO_REUSEPORT on the listening socket, so a second server on this
  // port would bind as well and take half the connections. SO_REUSEADDR alone still lets a restarted server bind
  // past connections in TIME_WAIT, and makes a second one fail.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  svr.set_read_timeout(std::chrono::milliseconds(static_cast<long long>(o.read_timeout_s * 1000)));
  svr.set_write_timeout(std::chrono::milliseconds(static_cast<long long>(o.read_timeout_s * 1000)));
  // An open connection holds an HTTP thread between its requests: closing it after 100 lets waiting clients in.
  svr.set_keep_alive_max_count(100);
  svr.set_keep_alive_timeout(2);  // an idle connection gives its thread back after 2 s
  // Answers go out at once: without TCP_NODELAY a small response waits for the client's delayed ACK (40 ms).
  svr.set_tcp_nodelay(true);

  const auto log_line = [&](const std::string& route, int status, double secs, std::size_t rows,
                            const std::string& served, const std::string& version, const std::string& error,
                            const std::string& payload) {
    std::string line = "{\"ts\":" + std::to_string(std::time(nullptr)) + ",\"route\":" + json_string(route) +
                       ",\"status\":" + std::to_string(status) + ",\"ms\":" + std::to_string(secs * 1000) +
                       ",\"rows\":" + std::to_string(rows) + ",\"served_by\":" + json_string(served) +
                       ",\"model_version\":" + json_string(version);
    if (!error.empty()) line += ",\"error\":" + json_string(error);
    if (o.log_payloads && !payload.empty()) line += ",\"payload\":" + json_string(payload);
    line += "}\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
  // A request refused before it was scored, by a POST route or the HTTP layer: counted and logged alike.
  const auto count_refused = [&](const std::string& route, int status, const std::string& why) {
    requests.with({route, std::to_string(status), "none"}).inc();
    log_line(route, status, 0, 0, "none", "", why, "");
  };
  const auto summary = [](const std::vector<std::string>& who) {
    if (who.empty()) return std::string("none");
    for (const auto& w : who)
      if (w != who.front()) return std::string("mixed");
    return who.front();
  };

  // One scoring handler for both protocols: decode for the model now served, score, encode.
  const auto score_route = [&](const httplib::Request& req, const std::string& body, httplib::Response& res, bool v2,
                               const std::string& route) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto rt = eng.current();
    std::string served = "none", version = rt ? rt->model->version() : "", error;
    std::size_t rows = 0;
    int status = 200;
    try {
      if (v2 && req.matches.size() > 1 && req.matches[1].str() != o.name)
        throw request_error(404, "model '" + req.matches[1].str() + "' is not served here; this is '" + o.name + "'");
      if (!rt) throw unavailable_error("no model is loaded yet");
      if (v2 && req.matches.size() > 2 && req.matches[2].str() != rt->model->version())
        throw request_error(
            404, "model version '" + req.matches[2].str() + "' is not served; this is '" + rt->model->version() + "'");
      decode_limits lim;
      lim.max_body_bytes = max_body;
      lim.max_rows = o.max_rows;
      lim.allow_missing = rt->model->imputes();
      if (v2) {
        // The binary tensor data extension: the header gives the length of the JSON that binary tensors follow.
        std::optional<std::size_t> json_size;
        const char* const header = "Inference-Header-Content-Length";
        if (const std::size_t given = req.get_header_value_count(header); given > 1)
          throw request_error(400, std::string(header) + ": given " + std::to_string(given) + " times; send it once");
        else if (given == 1)
          json_size = parse_inference_header_length(req.get_header_value(header));
        const infer_request ir = decode_infer_request(body, rt->model->n_features(), lim, json_size);
        check_outputs(ir);
        rows = static_cast<std::size_t>(ir.x.rows());
        const engine_answer a = eng.score(rt, ir.x);
        served = summary(a.rows.served_by);
        infer_response out = encode_infer_response_as_asked(ir, a.rows, o.name, a.model_version);
        const bool binary = out.binary();
        if (binary) res.set_header(header, std::to_string(out.json_size));
        res.set_content(std::move(out.body), binary ? "application/octet-stream" : "application/json");
      } else {
        const decoded_rows d = decode_score_request(body, rt->model->n_features(), rt->model->feature_names(), lim);
        rows = static_cast<std::size_t>(d.x.rows());
        const engine_answer a = eng.score(rt, d.x);
        served = summary(a.rows.served_by);
        res.set_content(encode_score_response(a.rows, a.model_version), "application/json");
      }
    } catch (const request_error& e) {
      status = e.status();
      error = e.what();
    } catch (const unavailable_error& e) {
      status = 503;
      error = e.what();
    } catch (const std::bad_alloc&) {
      status = 503;
      error = "out of memory while answering; send fewer rows";
    } catch (const std::exception& e) {
      status = 500;
      error = e.what();
    }
    if (status != 200) res.set_content(encode_error(error, v2), "application/json");
    res.status = status;
    if (rt) res.set_header("x-hqml-model-version", rt->model->version());
    const double secs = seconds_since(t0);
    requests.with({route, std::to_string(status), served}).inc();
    latency.with({route}).observe(secs);
    log_line(route, status, secs, rows, served, version, error, body);
  };
  // The POST routes read their body themselves: the limit holds for chunked bodies and bodies without a length
  // too, whatever the Content-Type (httplib caps form-encoded bodies, curl -d's default, at 8 KiB), and a body
  // that stops arriving is told apart from a bad one.
  const auto post = [&](bool v2, const char* route) {
    return [&, v2, route](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
      const auto refuse = [&](int status, const std::string& why) {
        res.status = status;
        res.set_header("Connection", "close");  // the rest of the body is not read
        res.set_content(encode_error(why, v2), "application/json");
        count_refused(route, status, why);
      };
      if (req.get_header_value("Content-Type").starts_with("multipart/"))
        return refuse(415,
                      "multipart bodies are not accepted; send the JSON as the body (Content-Type: application/json)");
      std::string body;
      bool too_large = false, too_slow = false;
      // --read-timeout-s bounds each read only: a client trickling a byte at a time would hold this thread
      // for as long as it liked. The whole body has --body-timeout-s from here, after the headers.
      const auto deadline = std::chrono::steady_clock::now() + body_timeout;
      const bool complete = reader([&](const char* data, std::size_t n) {
        if (body.size() + n > max_body) {
          too_large = true;
          return false;
        }
        if (std::chrono::steady_clock::now() > deadline) {
          too_slow = true;
          return false;
        }
        body.append(data, n);
        return true;
      });
      if (too_large || res.status == 413)
        return refuse(413, "the body is over the limit of " + std::to_string(max_body) + " bytes (--max-body-mb)");
      if (too_slow)
        return refuse(408,
                      "the body did not arrive within --body-timeout-s (" + seconds_text(o.body_timeout_s) + " s)");
      if (!complete) return refuse(408, "the body stopped arriving (--read-timeout-s between reads)");
      score_route(req, body, res, v2, route);
    };
  };

  svr.Get("/", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content("Healthy", "text/plain");
    requests.with({"/", "200", "none"}).inc();
  });
  svr.Post("/score", post(false, "/score"));
  svr.Get("/v2/health/live", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"live\":true}", "application/json");
  });
  svr.Get("/v2/health/ready", [&](const httplib::Request&, httplib::Response& res) {
    const bool r = ready.load() && eng.current();
    res.status = r ? 200 : 503;
    res.set_content(r ? "{\"ready\":true}" : "{\"ready\":false}", "application/json");
  });
  svr.Get("/v2", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        nlohmann::json{
            {"name", "hqml"}, {"version", "0.1.0"}, {"extensions", nlohmann::json::array({"binary_tensor_data"})}}
            .dump(),
        "application/json");
  });
  const auto metadata = [&](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1].str();
    const auto rt = eng.current();
    if (name != o.name || !rt) {
      res.status = 404;
      res.set_content(encode_error("model '" + name + "' is not served here; this is '" + o.name + "'", true),
                      "application/json");
      return;
    }
    const auto& m = *rt->model;
    nlohmann::json j = {
        {"name", o.name},
        {"versions", {m.version()}},
        {"platform", "hqml"},
        {"inputs",
         {{{"name", "input"}, {"datatype", "FP64"}, {"shape", {-1, static_cast<long long>(m.n_features())}}}}},
        {"outputs",
         {{{"name", "predictions"}, {"datatype", "BYTES"}, {"shape", {-1}}},
          {{"name", "probabilities"}, {"datatype", "FP64"}, {"shape", {-1, static_cast<long long>(m.n_classes())}}},
          {{"name", "served_by"}, {"datatype", "BYTES"}, {"shape", {-1}}}}},
        {"parameters",
         {{"feature_names", m.feature_names()}, {"class_names", m.class_names()}, {"route", eo.route.to_string()}}}};
    res.set_content(j.dump(), "application/json");
  };
  svr.Get(R"(/v2/models/([^/]+))", metadata);
  svr.Get(R"(/v2/models/([^/]+)/versions/([^/]+))", metadata);
  svr.Get(R"(/v2/models/([^/]+)/ready)", [&](const httplib::Request& req, httplib::Response& res) {
    const bool r = req.matches[1].str() == o.name && eng.current();
    res.status = r ? 200 : 404;
    res.set_content(r ? "{\"ready\":true}" : "{\"ready\":false}", "application/json");
  });
  svr.Post(R"(/v2/models/([^/]+)/infer)", post(true, "/v2/infer"));
  svr.Post(R"(/v2/models/([^/]+)/versions/([^/]+)/infer)", post(true, "/v2/infer"));
  // Range requests would make httplib answer with as many copies of the body as ranges asked for.
  svr.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_header("Range")) return httplib::Server::HandlerResponse::Unhandled;
    res.status = 416;
    res.set_content(encode_error("Range requests are not supported", req.path.starts_with("/v2")), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  });
  svr.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(reg.render(), std::string(metrics::registry::content_type));
  });
  // Errors the HTTP layer produces before a handler runs (unknown path, body over the limit, unreadable request)
  // get a one-line JSON message too.
  svr.set_error_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    // A body shorter than its Content-Length after the read timeout: a client too slow (or gone), not a bad one.
    if (res.status == 400 && req.has_header("Content-Length")) {
      const std::string n = req.get_header_value("Content-Length");
      char* end = nullptr;
      const unsigned long long declared = std::strtoull(n.c_str(), &end, 10);
      if (!n.empty() && *end == '\0' && req.body.size() < declared) res.status = 408;
    }
    std::string why;
    if (res.status == 404)
      why = "no such route: " + req.method + " " + req.path;
    else if (res.status == 413)
      why = "the body is over the limit of " + std::to_string(max_body) + " bytes (--max-body-mb)";
    else if (res.status == 408)
      why = "the body stopped arriving (--read-timeout-s between reads)";
    else if (res.status == 405)
      why = "method not allowed";
    else
      why = "malformed or incomplete request (not HTTP/1.1, or its headers stopped arriving: --read-timeout-s)";
    const bool v2 = req.path.starts_with("/v2");
    res.set_content(encode_error(why, v2), "application/json");
    const std::string route = req.path.starts_with("/v2/models") ? "/v2/infer"
                              : req.path == "/score"             ? "/score"
                                                                 : "other";
    count_refused(route, res.status, why);
  });
  svr.set_exception_handler([&](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(encode_error("internal error"), "application/json");
  });

  // A port in use (another server, without SO_REUSEPORT now) or an address not this machine's: the environment's
  // failure, not the command line's (exit 1, as when listening stops).
  if (!svr.bind_to_port(o.host, port)) {
    std::fprintf(stderr, "hqml serve: cannot listen on %s: %s\n", endpoint(o.host, port).c_str(),
                 bind_failure(o.host, port).c_str());
    return 1;
  }
  widen_backlog(port);

  // SIGHUP reloads, SIGTERM/SIGINT stop; the same thread polls the model folder for a change.
  std::atomic<bool> stopping{false}, listen_returned{false};
  std::thread control([&] {
    auto last_poll = std::chrono::steady_clock::now();
    bool retry = false;  // the last load failed: try again at each poll (a folder being copied completes later)
    std::string last_error;
    while (!stopping.load()) {
      timespec ts{0, 200'000'000};
      const int sig = sigtimedwait(&set, nullptr, &ts);
      bool reload = sig == SIGHUP;
      if (sig == SIGTERM || sig == SIGINT) {
        std::fprintf(stderr, "{\"event\":\"stopping\",\"signal\":%d}\n", sig);
        ready = false;  // readiness fails first, so a load balancer stops sending here
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long long>(o.drain_s * 1000)));
        // stop() does nothing before listen has started: a signal during start-up waits for it.
        while (!svr.is_running() && !listen_returned.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        stopping = true;
        svr.stop();  // stops accepting; the pool finishes the requests it holds
        break;
      }
      if (o.watch_s > 0 && seconds_since(last_poll) >= o.watch_s) {
        last_poll = std::chrono::steady_clock::now();
        if (stamp_of(model_dir) != stamp || retry) reload = true;
      }
      if (!reload) continue;
      const std::string now = stamp_of(model_dir);
      try {
        eng.install(load());
        stamp = now;
        retry = false;
        last_error.clear();
        std::fprintf(stderr, "{\"event\":\"reloaded\",\"model_version\":%s}\n",
                     json_string(eng.current()->model->version()).c_str());
      } catch (const std::exception& e) {  // the model in use stays
        stamp = now;
        retry = true;
        if (e.what() != last_error) {  // counted and logged once per distinct failure, retried at each poll
          last_error = e.what();
          eng.reload_failed();
          std::fprintf(stderr, "{\"event\":\"reload_failed\",\"error\":%s}\n", json_string(e.what()).c_str());
        }
      }
    }
  });
  // Joined on every way out of here.
  struct joiner {
    std::thread& t;
    std::atomic<bool>& stop;
    ~joiner() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } join_control{control, stopping};

  ready = true;
  std::fprintf(stderr,
               "{\"event\":\"listening\",\"host\":%s,\"port\":%d,\"model\":%s,\"model_version\":%s,\"route\":%s,"
               "\"device\":%s,\"classical\":%s}\n",
               json_string(o.host).c_str(), port,
               json_string(remote_model.remote() ? remote_model.display() : model_dir.string()).c_str(),
               json_string(first->model->version()).c_str(), json_string(eo.route.to_string()).c_str(),
               json_string(device).c_str(), first->model->has_classical() ? "true" : "false");
  const bool ok = svr.listen_after_bind();
  listen_returned = true;
  // listen_after_bind returns false after stop() too: only a return without a stop is a failure.
  const bool failed = !ok && !stopping.load();
  stopping = true;
  control.join();
  eng.shutdown();
  if (failed) {
    std::fprintf(stderr, "hqml: serve: the server stopped listening on %s:%d\n", o.host.c_str(), port);
    return 1;
  }
  std::fprintf(stderr, "{\"event\":\"stopped\"}\n");
  return 0;
}

#endif  // HQML_HAVE_HTTPLIB

}  // namespace

void register_serve(CLI::App& app, action& run) {
  auto o = std::make_shared<serve_cli>();
  auto* sub =
      app.add_subcommand("serve", "Serve a model over HTTP: Azure ML scoring, KServe v2 and Prometheus metrics");
  sub->add_option("--model", o->model,
                  "Model folder of hqml run (its model/) or hqml train; default $AZUREML_MODEL_DIR");
  sub->add_option("--classical", o->classical,
                  "Model folder whose classical model answers the fallback and routes (default: the model's own)");
  sub->add_option("--host", o->host, "Address to listen on (0.0.0.0 in a container)")->capture_default_str();
  sub->add_option("--port", o->port, "Port (default $PORT, else 5001)")->check(CLI::Range(1, 65535));
  sub->add_option("--threads", o->threads, "HTTP worker threads (an open connection holds one)")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
  sub->add_option("--kernel-threads", o->omp_threads, "OpenMP threads of the quantum kernel (0: all cores)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  o->device.add_to(sub, kernels_device_help);
  sub->add_option("--route", o->route,
                  "quantum, classical, confidence:T (classical unless its margin < T) or ensemble:W")
      ->capture_default_str();
  sub->add_option("--quantum-budget-ms", o->budget_ms,
                  "Per-request time for the quantum path before the classical "
                  "model answers (0: no limit)")
      ->check(finite_non_negative)
      ->check(CLI::Range(0.0, 3'600'000.0))
      ->capture_default_str();
  sub->add_option("--max-batch", o->max_batch, "Rows gathered into one quantum batch")
      ->check(unsigned_integer)
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();
  sub->add_option("--max-delay-us", o->max_delay_us, "How long a batch waits for more requests (microseconds)")
      ->check(unsigned_integer)
      ->check(CLI::Range(std::size_t{0}, std::size_t{10'000'000}))
      ->capture_default_str();
  sub->add_option("--max-rows", o->max_rows, "Rows one request may hold (413 beyond)")
      ->check(unsigned_integer)
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24))
      ->capture_default_str();
  sub->add_option("--max-body-mb", o->max_body_mb, "Largest request body (413 beyond)")
      ->check(finite_positive)
      ->check(CLI::Range(0.0, 4096.0))
      ->capture_default_str();
  sub->add_option("--read-timeout-s", o->read_timeout_s,
                  "Longest wait for each read of a request (408 or 400 beyond) and each write of an answer")
      ->check(finite_positive)
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  sub->add_option("--body-timeout-s", o->body_timeout_s,
                  "Time a client has to send a request's whole body, from the end of its headers (408 beyond)")
      ->check(finite_positive)
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  sub->add_option("--cache", o->cache,
                  "Result cache: memory, none, or redis://HOST:PORT (shared, behind the memory one)")
      ->capture_default_str();
  sub->add_option("--cache-mb", o->cache_mb, "Size of the embedded result cache")
      ->check(finite_non_negative)
      ->check(CLI::Range(0.0, 1'048'576.0))
      ->capture_default_str();
  sub->add_option("--cache-ttl-s", o->cache_ttl_s, "Expiry of the shared cache's entries (0: none)")
      ->check(finite_non_negative)
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  sub->add_option("--breaker-failures", o->breaker_failures, "Consecutive quantum failures that open the breaker")
      ->check(CLI::Range(1u, 1'000'000u))
      ->capture_default_str();
  sub->add_option("--breaker-open-ms", o->breaker_open_ms, "How long the breaker stays open before a probe")
      ->check(finite_non_negative)
      ->check(CLI::Range(0.0, 86'400'000.0))
      ->capture_default_str();
  sub->add_option("--watch-s", o->watch_s, "Poll the model folder for a change this often (0: only SIGHUP reloads)")
      ->check(finite_non_negative)
      ->check(CLI::Range(0.0, 86'400.0))
      ->capture_default_str();
  sub->add_option("--drain-s", o->drain_s,
                  "On SIGTERM: answer not-ready this long before closing the port (in-flight requests always finish)")
      ->check(finite_non_negative)
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  sub->add_option("--name", o->name, "Model name in the KServe v2 routes")->capture_default_str();
  sub->add_flag("--log-payloads", o->log_payloads, "Put request bodies in the per-request log lines");
  sub->add_option("--inject-fault", o->fault, "Drill: make the quantum path fail (error, nan or slow:MS)");
  sub->add_option("--inject-fault-file", o->fault_file, "Drill: inject the fault only while this file exists");
  sub->callback([o, &run] {
#if HQML_HAVE_HTTPLIB
    run = [o] { return serve_main(*o); };
#else
    run = []() -> int { throw usage_error("serve: this hqml was built without cpp-httplib (libcpp-httplib-dev)"); };
#endif
  });
}

}  // namespace hqml::cli
