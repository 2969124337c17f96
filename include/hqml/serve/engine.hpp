#pragma once
// hqml serve's scoring engine, free of HTTP: rows in, answers out. Per row it looks in the result cache, then
// follows the route policy; the quantum path goes through the dynamic batcher (one feature-map run and one Gram
// product per batch), under a latency budget and a circuit breaker, and falls back to the classical model when
// it fails. Models are swapped atomically: a request keeps the model it started with until it is answered.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include <hqml/serve/batcher.hpp>
#include <hqml/serve/cache.hpp>
#include <hqml/serve/circuit_breaker.hpp>
#include <hqml/serve/metrics.hpp>
#include <hqml/serve/model.hpp>
#include <hqml/serve/request.hpp>
#include <hqml/serve/route.hpp>

namespace hqml::serve {

/// The engine cannot answer (no classical model to fall back on, or none loaded): the server answers 503.
class unavailable_error : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A fault put into the quantum path on purpose (drills, tests): it throws, gives NaN, or is slow, while
/// active() says so (empty: always).
struct fault_injection {
  enum class kind { none, error, nan, slow };
  kind k = kind::none;
  std::chrono::milliseconds delay{0};
  std::function<bool()> active;

  /// "error", "nan" or "slow:MS"; std::invalid_argument otherwise.
  static fault_injection parse(std::string_view text) {
    fault_injection f;
    if (text == "error") {
      f.k = kind::error;
    } else if (text == "nan") {
      f.k = kind::nan;
    } else if (text.starts_with("slow:")) {
      const std::string ms(text.substr(5));
      std::size_t used = 0;
      long long v = -1;
      try {
        v = std::stoll(ms, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (ms.empty() || used != ms.size() || v < 0 || v > 3'600'000)
        throw std::invalid_argument("'" + std::string(text) + "': slow:MS needs milliseconds from 0 to 3600000");
      f.k = kind::slow;
      f.delay = std::chrono::milliseconds(v);
    } else {
      throw std::invalid_argument("'" + std::string(text) + "' is not a fault; use error, nan or slow:MS");
    }
    return f;
  }
};

struct engine_options {
  route_policy route;
  std::chrono::milliseconds quantum_budget{0};  // per request; 0: wait as long as the quantum path takes
  batch_options batching;
  unsigned breaker_failures = 5;
  std::chrono::milliseconds breaker_open_for{5000};
  std::size_t drift_window = 1024;  // recent rows the drift gauges look at
  fault_injection fault;
};

/// The answers to one request's rows and the model version that gave them.
struct engine_answer {
  scored_rows rows;
  std::string model_version;
};

class engine {
 public:
  /// A loaded model with its own batcher: requests that started on it finish on it after a reload.
  struct runtime {
    std::shared_ptr<const served_model> model;
    std::unique_ptr<dynamic_batcher<class_scores>> batcher;
  };

  /// `cache` may be null (no caching); it must outlive the engine, as must `registry`.
  engine(engine_options options, metrics::registry& registry, result_cache* cache = nullptr)
      : opt_(std::move(options)),
        cache_(cache),
        breaker_(opt_.breaker_failures, opt_.breaker_open_for),
        rows_(registry.counter_family("hqml_rows_total", "Rows answered, by who answered them", {"served_by"})),
        failures_(registry.counter_family("hqml_quantum_failures_total",
                                          "Quantum-path failures (answered by the classical model where it exists)",
                                          {"reason"})),
        fallbacks_(registry.counter_metric("hqml_fallback_rows_total",
                                           "Rows the classical model answered because the quantum path failed")),
        cache_hits_(registry.counter_metric("hqml_cache_hits_total", "Rows answered from the result cache")),
        cache_misses_(registry.counter_metric("hqml_cache_misses_total", "Rows not found in the result cache")),
        reloads_(registry.counter_family("hqml_model_reloads_total", "Model loads after the first", {"result"})),
        batch_rows_(registry.histogram_metric("hqml_batch_rows", "Rows per quantum batch",
                                              metrics::exponential_buckets(1, 2, 17))),
        batch_requests_(registry.histogram_metric("hqml_batch_requests", "Requests per quantum batch",
                                                  metrics::exponential_buckets(1, 2, 8))) {
    registry.gauge_callback("hqml_circuit_breaker_state",
                            "State of the quantum path's circuit breaker (1 for the current state)", {"state"}, [this] {
                              const auto s = breaker_.state();
                              std::vector<std::pair<std::vector<std::string>, double>> out;
                              for (auto st : {breaker_state::closed, breaker_state::open, breaker_state::half_open})
                                out.push_back({{std::string(to_string(st))}, st == s ? 1.0 : 0.0});
                              return out;
                            });
    registry.gauge_callback("hqml_circuit_breaker_opened", "Times the circuit breaker has opened", {}, [this] {
      return std::vector<std::pair<std::vector<std::string>, double>>{
          {{}, static_cast<double>(breaker_.times_opened())}};
    });
    registry.gauge_callback("hqml_model_info", "The model being served (value 1)", {"version", "route"}, [this] {
      std::vector<std::pair<std::vector<std::string>, double>> out;
      if (const auto rt = current()) out.push_back({{rt->model->version(), opt_.route.to_string()}, 1.0});
      return out;
    });
    const auto per_feature = [this](auto value) {
      return [this, value] {
        std::vector<std::pair<std::vector<std::string>, double>> out;
        const auto rt = current();
        if (!rt) return out;
        const auto stats = drift_stats();
        const auto& names = rt->model->feature_names();
        const feature_stat none;  // no request yet: the training gauges are there, the recent ones not
        for (std::size_t j = 0; j < names.size(); ++j)
          if (const double v = value(*rt->model, j < stats.size() ? stats[j] : none, j); !std::isnan(v))
            out.push_back({{names[j]}, v});
        return out;
      };
    };
    registry.gauge_callback(
        "hqml_input_feature_mean", "Mean of each feature over the recent requests' rows", {"feature"},
        per_feature([](const served_model&, const feature_stat& s, std::size_t) { return s.mean; }));
    registry.gauge_callback("hqml_input_feature_std", "Standard deviation of each feature over the recent rows",
                            {"feature"},
                            per_feature([](const served_model&, const feature_stat& s, std::size_t) { return s.sd; }));
    registry.gauge_callback("hqml_training_feature_mean", "Mean of each feature over the training rows", {"feature"},
                            per_feature([](const served_model& m, const feature_stat&, std::size_t j) {
                              return j < static_cast<std::size_t>(m.train_mean().size())
                                         ? m.train_mean()(static_cast<Eigen::Index>(j))
                                         : std::nan("");
                            }));
    registry.gauge_callback(
        "hqml_input_feature_drift",
        "|recent mean - training mean| / training standard deviation, per feature (drift when large)", {"feature"},
        per_feature([](const served_model& m, const feature_stat& s, std::size_t j) {
          if (j >= static_cast<std::size_t>(m.train_mean().size()) || s.n == 0) return std::nan("");
          const double sd = m.train_std()(static_cast<Eigen::Index>(j));
          return sd > 0 ? std::abs(s.mean - m.train_mean()(static_cast<Eigen::Index>(j))) / sd : std::nan("");
        }));
  }

  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;
  ~engine() { shutdown(); }

  /// Serves `model` from now on (the first load, or a reload); requests already running finish on the model
  /// they started with. Throws std::invalid_argument when the route needs a classical model it lacks.
  void install(std::shared_ptr<const served_model> model) {
    if (opt_.route.needs_classical() && !model->has_classical())
      throw std::invalid_argument("--route " + opt_.route.to_string() +
                                  " needs a classical model: serve a model folder of hqml run, or add --classical DIR");
    auto rt = std::make_shared<runtime>();
    rt->model = model;
    auto fault = opt_.fault;
    rt->batcher = std::make_unique<dynamic_batcher<class_scores>>(
        [model, fault](const Eigen::MatrixXd& rows) {
          const bool on = fault.k != fault_injection::kind::none && (!fault.active || fault.active());
          if (on && fault.k == fault_injection::kind::error) throw std::runtime_error("injected quantum-path fault");
          if (on && fault.k == fault_injection::kind::slow) std::this_thread::sleep_for(fault.delay);
          class_scores all = model->quantum_scaled(rows);  // rows prepared once, in score()
          if (on && fault.k == fault_injection::kind::nan) all.proba.setConstant(std::nan(""));
          // One result per batch row: the batcher hands each request its own rows back.
          std::vector<class_scores> out(static_cast<std::size_t>(rows.rows()));
          for (Eigen::Index i = 0; i < rows.rows(); ++i) {
            auto& o = out[static_cast<std::size_t>(i)];
            o.proba = all.proba.row(i);
            o.label = {all.label[static_cast<std::size_t>(i)]};
          }
          return out;
        },
        opt_.batching);
    rt->batcher->close_early_when([this] { return arriving_.load(std::memory_order_acquire) == 0; });
    rt->batcher->on_batch([this](std::size_t rows, std::size_t requests) {
      batch_rows_.observe(static_cast<double>(rows));
      batch_requests_.observe(static_cast<double>(requests));
    });
    std::shared_ptr<runtime> retired;
    {
      std::lock_guard lock(mu_);
      if (current_) reloads_.with({"ok"}).inc();
      // The one before is kept one generation more: a request that gave up on it at its budget has let go, and
      // its batcher then drains here, at the next reload, not in a request thread.
      retired = std::move(previous_);
      previous_ = std::move(current_);
      current_ = std::move(rt);
    }
    // `retired` drains its batcher as it goes (here, or in the last request still holding it): a request that
    // took its model before two quick reloads still finishes on it.
    std::lock_guard lock(drift_mu_);
    drift_.clear();
    drift_next_ = 0;
  }
  /// Counts a reload that failed (the model in use stays).
  void reload_failed() { reloads_.with({"failed"}).inc(); }

  /// The model now served (null before the first install).
  [[nodiscard]] std::shared_ptr<const runtime> current() const {
    std::lock_guard lock(mu_);
    return current_;
  }

  /// Answers rows decoded for `rt`'s model (the snapshot the caller decoded with). The rows are preprocessed
  /// once, here, for both models; the route (route_answers) decides which model answers each.
  [[nodiscard]] engine_answer score(const std::shared_ptr<const runtime>& rt, const Eigen::MatrixXd& x) {
    if (!rt) throw unavailable_error("no model is loaded yet");
    // This request is on its way to the batcher until it submits or knows it will not: an open batch waits
    // for it (up to max_delay) and closes at once when no request is on its way.
    arriving_token arriving(*this);
    if (!opt_.route.uses_quantum()) arriving.leave();
    const served_model& m = *rt->model;
    const auto n = static_cast<std::size_t>(x.rows());
    const auto k = static_cast<Eigen::Index>(m.n_classes());
    // Values the preprocessing cannot scale are the client's error (400), not a model failure.
    const served_model::prepared_rows prepared = m.prepare(x);
    observe_drift(x);

    engine_answer a;
    a.model_version = m.version();
    a.rows.labels.resize(n);
    a.rows.served_by.resize(n);
    a.rows.probabilities.resize(x.rows(), k);
    std::vector<int> label(n, -1);
    const std::string key_prefix = m.version() + "|" + opt_.route.to_string();
    std::vector<std::string> keys(cache_ ? n : 0);
    std::vector<Eigen::Index> todo;
    if (cache_) {
      std::vector<double> row(static_cast<std::size_t>(x.cols()));
      for (std::size_t i = 0; i < n; ++i) {
        for (Eigen::Index c = 0; c < x.cols(); ++c)
          row[static_cast<std::size_t>(c)] = x(static_cast<Eigen::Index>(i), c);
        keys[i] = row_key(key_prefix, row);
      }
      const auto found = cache_->get_many(keys);  // one round trip for the request's rows
      for (std::size_t i = 0; i < n; ++i) {
        const auto r = static_cast<Eigen::Index>(i);
        if (i < found.size() && found[i] && decode_cached(*found[i], k, label[i], a.rows.probabilities, r)) {
          a.rows.served_by[i] = "cache";
          cache_hits_.inc();
        } else {
          cache_misses_.inc();
          todo.push_back(r);
        }
      }
    } else {
      for (std::size_t i = 0; i < n; ++i) todo.push_back(static_cast<Eigen::Index>(i));
    }

    if (!todo.empty()) {
      // The prepared rows of the rows to score (all of them, unless the cache answered some).
      const bool every = todo.size() == n;
      Eigen::MatrixXd xq_some, xc_some;
      if (!every) {
        const std::vector<std::ptrdiff_t> rows(todo.begin(), todo.end());
        xq_some = learn::take_rows(prepared.quantum, rows);
        if (m.has_classical()) xc_some = learn::take_rows(prepared.classical, rows);
      }
      const Eigen::MatrixXd& xq = every ? prepared.quantum : xq_some;
      const Eigen::MatrixXd& xc = every ? prepared.classical : xc_some;
      std::vector<bool> cacheable(todo.size(), true);
      const auto put = [&](std::size_t t, const Eigen::Ref<const Eigen::RowVectorXd>& p, int lab, const char* who) {
        const auto r = todo[t];
        a.rows.probabilities.row(r) = p;
        label[static_cast<std::size_t>(r)] = lab;
        a.rows.served_by[static_cast<std::size_t>(r)] = who;
      };
      const auto fallback = [&](const std::vector<std::size_t>& which, const class_scores* classical) {
        if (!m.has_classical())
          throw unavailable_error("the quantum path failed and no classical model is loaded to answer instead");
        class_scores own;
        if (!classical) {
          own = m.classical_scaled(learn::take_rows(xc, as_rows(which)));
        }
        for (std::size_t j = 0; j < which.size(); ++j) {
          const auto src = classical ? static_cast<Eigen::Index>(which[j]) : static_cast<Eigen::Index>(j);
          const class_scores& s = classical ? *classical : own;
          put(which[j], s.proba.row(src), s.label[static_cast<std::size_t>(src)], "classical");
          cacheable[which[j]] = false;  // a fallback answer is not what the route gives: not kept
        }
        fallbacks_.inc(static_cast<double>(which.size()));
      };

      // The route's semantics are route.hpp's: which rows go to the quantum model, and how the answers combine.
      class_scores c;
      if (opt_.route.needs_classical()) c = m.classical_scaled(xc);
      const std::vector<std::size_t> to_quantum = opt_.route.quantum_rows(todo.size(), c.proba);
      std::optional<class_scores> q;
      if (to_quantum.size() == todo.size())
        q = quantum(*rt, xq, arriving);
      else if (!to_quantum.empty())
        q = quantum(*rt, learn::take_rows(xq, as_rows(to_quantum)), arriving);
      const routed_scores routed =
          route_answers(opt_.route, todo.size(), m.n_classes(), c, to_quantum, q ? &*q : nullptr);
      std::vector<std::size_t> failed;  // the quantum path gave no answer: the classical model's instead
      for (std::size_t t = 0; t < todo.size(); ++t) {
        if (routed.served_by[t])
          put(t, routed.proba.row(static_cast<Eigen::Index>(t)), routed.label[t], routed.served_by[t]);
        else
          failed.push_back(t);
      }
      if (!failed.empty()) fallback(failed, opt_.route.needs_classical() ? &c : nullptr);
      if (cache_) {
        std::vector<std::pair<std::string, std::string>> entries;
        for (std::size_t t = 0; t < todo.size(); ++t)
          if (cacheable[t]) {
            const auto r = todo[t];
            entries.emplace_back(keys[static_cast<std::size_t>(r)],
                                 encode_cached(label[static_cast<std::size_t>(r)], a.rows.probabilities.row(r)));
          }
        cache_->put_many(entries);
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      a.rows.labels[i] = m.class_names()[static_cast<std::size_t>(label[i])];
      rows_.with({a.rows.served_by[i]}).inc();
    }
    return a;
  }

  [[nodiscard]] breaker_state breaker() const { return breaker_.state(); }
  [[nodiscard]] const engine_options& options() const noexcept { return opt_; }

  /// Stops the batchers after their queued work (SIGTERM's drain); idempotent.
  void shutdown() {
    std::shared_ptr<runtime> a, b;
    {
      std::lock_guard lock(mu_);
      a = current_;
      b = previous_;
    }
    for (const auto& rt : {a, b})
      if (rt) rt->batcher->shutdown();
  }

 private:
  // Counts one request in arriving_ from score()'s start until it submits to the batcher or returns; the last
  // to leave wakes the batchers, whose open batch may now close early.
  class arriving_token {
   public:
    explicit arriving_token(engine& e) : e_(e) { e_.arriving_.fetch_add(1, std::memory_order_acq_rel); }
    arriving_token(const arriving_token&) = delete;
    arriving_token& operator=(const arriving_token&) = delete;
    ~arriving_token() { leave(); }
    void leave() {
      if (left_) return;
      left_ = true;
      if (e_.arriving_.fetch_sub(1, std::memory_order_acq_rel) == 1) e_.poke_batchers();
    }

   private:
    engine& e_;
    bool left_ = false;
  };

  void poke_batchers() {
    std::shared_ptr<runtime> a, b;
    {
      std::lock_guard lock(mu_);
      a = current_;
      b = previous_;
    }
    for (const auto& rt : {a, b})
      if (rt) rt->batcher->poke();
  }

  struct feature_stat {
    double mean = std::nan(""), sd = std::nan("");
    std::size_t n = 0;
  };

  static std::vector<std::ptrdiff_t> as_rows(const std::vector<std::size_t>& v) { return {v.begin(), v.end()}; }
  /// The quantum path for some rows: nullopt when it fails (error, non-finite, over budget, breaker open).
  std::optional<class_scores> quantum(const runtime& rt, const Eigen::MatrixXd& xs, arriving_token& arriving) {
    if (!breaker_.allow()) {
      arriving.leave();
      failures_.with({"breaker_open"}).inc();
      return std::nullopt;
    }
    const auto fail = [&](const char* reason) -> std::optional<class_scores> {
      failures_.with({reason}).inc();
      breaker_.failure();
      return std::nullopt;
    };
    std::vector<class_scores> rows;
    try {
      arriving.leave();
      auto fut = rt.batcher->submit(xs);
      if (opt_.quantum_budget.count() > 0 && fut.wait_for(opt_.quantum_budget) != std::future_status::ready)
        return fail("budget");
      rows = fut.get();
    } catch (const overloaded_error&) {
      return fail("overloaded");
    } catch (const std::exception&) {
      return fail("error");
    }
    class_scores s;
    s.proba.resize(xs.rows(), static_cast<Eigen::Index>(rt.model->n_classes()));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].proba.size() != s.proba.cols() || rows[i].label.size() != 1) return fail("error");
      s.proba.row(static_cast<Eigen::Index>(i)) = rows[i].proba.row(0);
      s.label.push_back(rows[i].label[0]);
    }
    if (!s.proba.allFinite()) return fail("nan");
    breaker_.success();
    return s;
  }

  static std::string encode_cached(int label, const Eigen::Ref<const Eigen::RowVectorXd>& p) {
    std::string v(sizeof(std::int32_t) + sizeof(double) * static_cast<std::size_t>(p.size()), '\0');
    const auto l = static_cast<std::int32_t>(label);
    std::memcpy(v.data(), &l, sizeof l);
    for (Eigen::Index j = 0; j < p.size(); ++j) {
      const double d = p(j);
      std::memcpy(v.data() + sizeof l + sizeof(double) * static_cast<std::size_t>(j), &d, sizeof d);
    }
    return v;
  }
  /// False for a value of another shape (a shared cache written by another build): treated as a miss.
  static bool decode_cached(const std::string& v, Eigen::Index k, int& label, Eigen::MatrixXd& proba, Eigen::Index r) {
    if (v.size() != sizeof(std::int32_t) + sizeof(double) * static_cast<std::size_t>(k)) return false;
    std::int32_t l = 0;
    std::memcpy(&l, v.data(), sizeof l);
    if (l < 0 || l >= k) return false;
    for (Eigen::Index j = 0; j < k; ++j) {
      double d = 0;
      std::memcpy(&d, v.data() + sizeof l + sizeof(double) * static_cast<std::size_t>(j), sizeof d);
      if (!std::isfinite(d)) return false;
      proba(r, j) = d;
    }
    label = l;
    return true;
  }

  void observe_drift(const Eigen::MatrixXd& x) {
    if (opt_.drift_window == 0) return;
    std::lock_guard lock(drift_mu_);
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      std::vector<double> row(static_cast<std::size_t>(x.cols()));
      for (Eigen::Index c = 0; c < x.cols(); ++c) row[static_cast<std::size_t>(c)] = x(r, c);
      if (drift_.size() < opt_.drift_window) {
        drift_.push_back(std::move(row));
      } else {
        drift_[drift_next_] = std::move(row);
        drift_next_ = (drift_next_ + 1) % opt_.drift_window;
      }
    }
  }
  std::vector<feature_stat> drift_stats() const {
    std::lock_guard lock(drift_mu_);
    std::vector<feature_stat> out(drift_.empty() ? 0 : drift_.front().size());
    for (std::size_t j = 0; j < out.size(); ++j) {
      double n = 0, mean = 0, m2 = 0;
      for (const auto& row : drift_)
        if (j < row.size() && std::isfinite(row[j])) {
          n += 1;
          const double d = row[j] - mean;
          mean += d / n;
          m2 += d * (row[j] - mean);
        }
      if (n > 0) out[j] = {mean, std::sqrt(m2 / n), static_cast<std::size_t>(n)};
    }
    return out;
  }

  std::atomic<std::size_t> arriving_{0};
  engine_options opt_;
  result_cache* cache_;
  circuit_breaker breaker_;
  mutable std::mutex mu_;
  std::shared_ptr<runtime> current_, previous_;
  metrics::family<metrics::counter>& rows_;
  metrics::family<metrics::counter>& failures_;
  metrics::counter& fallbacks_;
  metrics::counter& cache_hits_;
  metrics::counter& cache_misses_;
  metrics::family<metrics::counter>& reloads_;
  metrics::histogram& batch_rows_;
  metrics::histogram& batch_requests_;
  mutable std::mutex drift_mu_;
  std::vector<std::vector<double>> drift_;
  std::size_t drift_next_ = 0;
};

}  // namespace hqml::serve
