#pragma once
// hqml serve's Prometheus metrics: counters, gauges and histograms in labelled families, and gauges computed
// when scraped, rendered in the text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). No HTTP here: the server answers its
// /metrics route with registry::render() and registry::content_type.
// Threads: updating a metric is lock-free (atomics), so a request thread keeps the Metric& that
// family::with() returns and updates it without contention; creating a family or a child takes a mutex.

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace hqml::serve::metrics {

namespace detail {

// fetch_add on atomic<double> is a compare-exchange loop; it must not fall back to a lock.
static_assert(std::atomic<double>::is_always_lock_free, "hqml metrics need lock-free atomic<double>");
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "hqml metrics need lock-free atomic<uint64_t>");

/// A number as Prometheus (Go's ParseFloat) reads it: +Inf, -Inf, NaN; the shortest digits that round-trip;
/// plain notation from 1e-4 up to 1e16 (so integers carry no exponent), scientific outside (Python's repr).
inline void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  const double a = std::abs(v);
  const auto format = a == 0 || (a >= 1e-4 && a < 1e16) ? std::chars_format::fixed : std::chars_format::scientific;
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, format);
  out.append(buf, r.ptr);
}

inline void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

inline std::string number_text(double v) {
  std::string s;
  append_number(s, v);
  return s;
}

/// Label values escape backslash, double quote and newline; help text escapes backslash and newline.
inline void append_escaped(std::string& out, std::string_view text, bool label_value) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && label_value) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

inline bool is_name_char(char c, bool first, bool colon) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
  return letter || (!first && c >= '0' && c <= '9');
}

/// [a-zA-Z_:][a-zA-Z0-9_:]*
inline bool valid_metric_name(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!is_name_char(s[i], i == 0, true)) return false;
  }
  return true;
}

/// [a-zA-Z_][a-zA-Z0-9_]* (Prometheus allows no colon in label names), without the reserved leading "__".
inline bool valid_label_name(std::string_view s) {
  if (s.empty() || s.starts_with("__")) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!is_name_char(s[i], i == 0, false)) return false;
  }
  return true;
}

/// Prometheus refuses a whole scrape over one label value or help text that is not UTF-8, so such text is
/// refused where it enters instead. Overlong forms, surrogates and code points above U+10FFFF are invalid.
inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

[[noreturn]] inline void fail(const std::string& why) { throw std::invalid_argument("hqml metrics: " + why); }

inline void check_label_values(std::string_view metric, const std::vector<std::string>& names,
                               const std::vector<std::string>& values) {
  if (values.size() != names.size()) {
    fail("metric " + std::string(metric) + " has " + std::to_string(names.size()) + " label name(s), given " +
         std::to_string(values.size()) + " label value(s)");
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!valid_utf8(values[i])) fail("metric " + std::string(metric) + ": label " + names[i] + "'s value is not UTF-8");
  }
}

/// Sorted, +Inf removed (every histogram has that bucket), NaN and repeated bounds refused.
inline std::vector<double> checked_bounds(std::vector<double> bounds) {
  if (!bounds.empty() && bounds.back() == std::numeric_limits<double>::infinity()) bounds.pop_back();
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (std::isnan(bounds[i])) fail("histogram bucket bound " + std::to_string(i) + " is NaN");
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      fail("histogram bucket bounds must increase strictly: " + number_text(bounds[i - 1]) + " then " +
           number_text(bounds[i]));
    }
  }
  return bounds;
}

}  // namespace detail

/// A value that only goes up (requests served, errors). Starts at 0.
class counter {
 public:
  counter() = default;
  counter(const counter&) = delete;
  counter& operator=(const counter&) = delete;

  /// Adds v; a negative or NaN v throws std::invalid_argument (a value that goes down is a gauge).
  void inc(double v = 1) {
    if (!(v >= 0)) detail::fail("counter.inc(" + detail::number_text(v) + "): a counter only goes up; use a gauge");
    value_.fetch_add(v, std::memory_order_relaxed);
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

/// A value that goes up and down (requests in flight, queue length). Starts at 0.
class gauge {
 public:
  gauge() = default;
  gauge(const gauge&) = delete;
  gauge& operator=(const gauge&) = delete;

  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1) { value_.fetch_add(v, std::memory_order_relaxed); }
  void dec(double v = 1) { value_.fetch_sub(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

/// Observations counted in buckets (v <= upper bound) plus their sum. Each observation increments one
/// bucket, so observe() is two atomic adds; the cumulative counts Prometheus expects are summed when read.
class histogram {
 public:
  /// upper_bounds: strictly increasing, no NaN; a last +Inf is implied (and dropped if given).
  explicit histogram(std::vector<double> upper_bounds)
      : bounds_(detail::checked_bounds(std::move(upper_bounds))),
        counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}
  histogram(const histogram&) = delete;
  histogram& operator=(const histogram&) = delete;

  void observe(double v) {
    // NaN compares false with every bound: it belongs in +Inf alone, as the Go client counts it.
    const auto i =
        std::isnan(v) ? bounds_.size()
                      : static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
  }

  const std::vector<double>& upper_bounds() const { return bounds_; }
  /// Cumulative counts: one per upper bound, then the +Inf bucket (== count()).
  std::vector<std::uint64_t> bucket_counts() const {
    std::vector<std::uint64_t> out(bounds_.size() + 1);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = total += counts_[i].load(std::memory_order_relaxed);
    return out;
  }
  std::uint64_t count() const { return bucket_counts().back(); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative; last: above every bound
  std::atomic<double> sum_{0};
};

/// Upper bounds start, start*factor, ... (count of them): start > 0, factor > 1.
inline std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
  if (!(start > 0) || !std::isfinite(start)) detail::fail("exponential_buckets: start must be finite and > 0");
  if (!(factor > 1) || !std::isfinite(factor)) detail::fail("exponential_buckets: factor must be finite and > 1");
  if (count == 0) detail::fail("exponential_buckets: count must be >= 1");
  std::vector<double> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i] = i == 0 ? start : out[i - 1] * factor;
  if (!std::isfinite(out.back())) detail::fail("exponential_buckets: the last bound overflows");
  return out;
}

/// Upper bounds start, start+width, ... (count of them): width > 0.
inline std::vector<double> linear_buckets(double start, double width, std::size_t count) {
  if (!std::isfinite(start)) detail::fail("linear_buckets: start must be finite");
  if (!(width > 0) || !std::isfinite(width)) detail::fail("linear_buckets: width must be finite and > 0");
  if (count == 0) detail::fail("linear_buckets: count must be >= 1");
  std::vector<double> out(count);
  // start + i*width, not repeated addition: 0.1 added ten times is not 1.
  for (std::size_t i = 0; i < count; ++i) out[i] = start + static_cast<double>(i) * width;
  return out;
}

class registry;

namespace detail {

enum class kind { counter, gauge, histogram, callback };

inline std::string_view kind_name(kind k) {
  switch (k) {
    case kind::counter:
      return "counter";
    case kind::gauge:
      return "gauge";
    case kind::histogram:
      return "histogram";
    case kind::callback:
      return "gauge callback";
  }
  return "?";
}

/// What every family shares: its name, help, label names, and how its lines are written.
class family_base {
 public:
  family_base(kind k, std::string name, std::string help, std::vector<std::string> label_names)
      : kind_(k), name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}
  virtual ~family_base() = default;
  family_base(const family_base&) = delete;
  family_base& operator=(const family_base&) = delete;

  kind type() const { return kind_; }
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  /// Appends # HELP, # TYPE and the samples; nothing for a family with no sample yet.
  virtual void render(std::string& out) const = 0;

 protected:
  void append_header(std::string& out) const {
    if (!help_.empty()) {
      out.append("# HELP ").append(name_).append(1, ' ');
      append_escaped(out, help_, false);
      out += '\n';
    }
    out.append("# TYPE ").append(name_).append(1, ' ');
    out.append(kind_ == kind::histogram ? "histogram" : kind_ == kind::counter ? "counter" : "gauge").append(1, '\n');
  }

  /// One line: name+suffix{labels[,le="..."]} value. le is null outside histogram buckets.
  template <class Number>
  void append_sample(std::string& out, std::string_view suffix, const std::vector<std::string>& values,
                     const double* le, Number value) const {
    out.append(name_).append(suffix);
    if (!values.empty() || le != nullptr) {
      out += '{';
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ',';
        out.append(label_names_[i]).append("=\"");
        append_escaped(out, values[i], true);
        out += '"';
      }
      if (le != nullptr) {
        out.append(values.empty() ? "le=\"" : ",le=\"");
        append_number(out, *le);
        out += '"';
      }
      out += '}';
    }
    out += ' ';
    append_number(out, value);
    out += '\n';
  }

 private:
  kind kind_;
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
};

}  // namespace detail

/// The children of one metric name, one per combination of label values, created on first use. A child
/// lives as long as the registry: keep the reference and update it on the hot path.
template <class Metric>
class family final : public detail::family_base {
 public:
  Metric& with(std::initializer_list<std::string_view> label_values) {
    return with(std::vector<std::string>(label_values.begin(), label_values.end()));
  }

  Metric& with(const std::vector<std::string>& label_values) {
    detail::check_label_values(name(), label_names(), label_values);
    const std::lock_guard lock(mutex_);
    auto it = children_.find(label_values);
    if (it == children_.end()) {
      std::unique_ptr<Metric> child;
      if constexpr (std::is_same_v<Metric, histogram>) {
        child = std::make_unique<histogram>(upper_bounds_);
      } else {
        child = std::make_unique<Metric>();
      }
      it = children_.emplace(label_values, std::move(child)).first;
    }
    return *it->second;
  }

  void render(std::string& out) const override {
    // Pointers copied under the lock: a child is never removed, and its atomics are read without it.
    std::vector<std::pair<const std::vector<std::string>*, const Metric*>> children;
    {
      const std::lock_guard lock(mutex_);
      children.reserve(children_.size());
      for (const auto& [values, child] : children_) children.emplace_back(&values, child.get());
    }
    if (children.empty()) return;
    append_header(out);
    for (const auto& [values, child] : children) {
      if constexpr (std::is_same_v<Metric, histogram>) {
        const auto counts = child->bucket_counts();
        for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
          append_sample(out, "_bucket", *values, &upper_bounds_[i], counts[i]);
        }
        const double inf = std::numeric_limits<double>::infinity();
        append_sample(out, "_bucket", *values, &inf, counts.back());
        append_sample(out, "_sum", *values, nullptr, child->sum());
        append_sample(out, "_count", *values, nullptr, counts.back());
      } else {
        append_sample(out, "", *values, nullptr, child->value());
      }
    }
  }

 private:
  friend class registry;
  family(detail::kind k, std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> upper_bounds)
      : family_base(k, std::move(name), std::move(help), std::move(label_names)),
        upper_bounds_(std::move(upper_bounds)) {}

  std::vector<double> upper_bounds_;  // histograms only
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;  // sorted: a stable render order
};

namespace detail {

/// A gauge family whose samples a function returns at each scrape.
class callback_family final : public family_base {
 public:
  using function = std::function<std::vector<std::pair<std::vector<std::string>, double>>()>;
  callback_family(std::string name, std::string help, std::vector<std::string> label_names, function fn)
      : family_base(kind::callback, std::move(name), std::move(help), std::move(label_names)), fn_(std::move(fn)) {}

  void render(std::string& out) const override {
    auto samples = fn_();
    for (const auto& sample : samples) check_label_values(name(), label_names(), sample.first);
    std::sort(samples.begin(), samples.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    // Two samples with the same labels make Prometheus refuse the whole scrape.
    const auto same = std::adjacent_find(samples.begin(), samples.end(),
                                         [](const auto& a, const auto& b) { return a.first == b.first; });
    if (same != samples.end()) fail("gauge callback " + name() + " returned the same label values twice");
    if (samples.empty()) return;
    append_header(out);
    for (const auto& [values, value] : samples) append_sample(out, "", values, nullptr, value);
  }

 private:
  function fn_;
};

}  // namespace detail

/// Every metric of one server, rendered together. Families are never removed; render() writes them in
/// registration order, each family's children sorted by label values.
class registry {
 public:
  static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// Registering a name again with the same type and label names (and bucket bounds) returns the family
  /// registered first; with another type, labels or bounds, or a name one of another family's series uses
  /// (a histogram's name_bucket, name_sum, name_count), throws std::invalid_argument, as invalid names do.
  family<counter>& counter_family(std::string name, std::string help, std::vector<std::string> label_names = {}) {
    return add<counter>(detail::kind::counter, std::move(name), std::move(help), std::move(label_names), {});
  }
  family<gauge>& gauge_family(std::string name, std::string help, std::vector<std::string> label_names = {}) {
    return add<gauge>(detail::kind::gauge, std::move(name), std::move(help), std::move(label_names), {});
  }
  family<histogram>& histogram_family(std::string name, std::string help, std::vector<std::string> label_names,
                                      std::vector<double> upper_bounds) {
    return add<histogram>(detail::kind::histogram, std::move(name), std::move(help), std::move(label_names),
                          detail::checked_bounds(std::move(upper_bounds)));
  }

  counter& counter_metric(std::string name, std::string help) {
    return counter_family(std::move(name), std::move(help)).with({});
  }
  gauge& gauge_metric(std::string name, std::string help) {
    return gauge_family(std::move(name), std::move(help)).with({});
  }
  histogram& histogram_metric(std::string name, std::string help, std::vector<double> upper_bounds) {
    return histogram_family(std::move(name), std::move(help), {}, std::move(upper_bounds)).with({});
  }

  /// A gauge computed when scraped (model version info, breaker state, cache size): fn returns (label
  /// values, value) pairs. fn runs on the scraping thread with no lock of the registry held, so it may be
  /// called by two scrapes at once. render() throws std::invalid_argument when it returns a wrong number of
  /// label values, a value that is not UTF-8, or the same label values twice. A name is registered once.
  void gauge_callback(std::string name, std::string help, std::vector<std::string> label_names,
                      std::function<std::vector<std::pair<std::vector<std::string>, double>>()> fn) {
    check_names(name, help, label_names, detail::kind::callback);
    if (!fn) detail::fail("gauge callback " + name + " has no function");
    const std::lock_guard lock(mutex_);
    if (const auto it = series_.find(name); it != series_.end()) {
      detail::fail("gauge callback " + name + ": the name is taken by " +
                   std::string(detail::kind_name(it->second->type())) + " " + it->second->name());
    }
    auto f = std::make_unique<detail::callback_family>(std::move(name), std::move(help), std::move(label_names),
                                                       std::move(fn));
    series_.emplace(f->name(), f.get());
    families_.push_back(std::move(f));
  }

  /// The text exposition format 0.0.4 of every family with samples, each line ending in '\n'.
  std::string render() const {
    std::vector<const detail::family_base*> families;
    {
      const std::lock_guard lock(mutex_);
      families.reserve(families_.size());
      for (const auto& f : families_) families.push_back(f.get());
    }
    std::string out;
    for (const auto* f : families) f->render(out);
    return out;
  }

 private:
  static void check_names(const std::string& name, const std::string& help, const std::vector<std::string>& label_names,
                          detail::kind k) {
    if (!detail::valid_metric_name(name)) {
      detail::fail("metric name \"" + name + "\" is invalid: a name matches [a-zA-Z_:][a-zA-Z0-9_:]*");
    }
    if (!detail::valid_utf8(help)) detail::fail("metric " + name + ": help text is not UTF-8");
    for (std::size_t i = 0; i < label_names.size(); ++i) {
      const auto& label = label_names[i];
      if (!detail::valid_label_name(label)) {
        detail::fail("metric " + name + ": label name \"" + label +
                     "\" is invalid: a label name matches [a-zA-Z_][a-zA-Z0-9_]* and does not start with __");
      }
      if (k == detail::kind::histogram && label == "le") {
        detail::fail("histogram " + name + ": label name le is reserved for the buckets");
      }
      if (std::find(label_names.begin(), label_names.begin() + static_cast<std::ptrdiff_t>(i), label) !=
          label_names.begin() + static_cast<std::ptrdiff_t>(i)) {
        detail::fail("metric " + name + ": label name " + label + " is given twice");
      }
    }
  }

  static std::vector<std::string> series_names(const std::string& name, detail::kind k) {
    if (k != detail::kind::histogram) return {name};
    return {name, name + "_bucket", name + "_sum", name + "_count"};
  }

  template <class Metric>
  family<Metric>& add(detail::kind k, std::string name, std::string help, std::vector<std::string> label_names,
                      std::vector<double> upper_bounds) {
    check_names(name, help, label_names, k);
    const std::lock_guard lock(mutex_);
    if (const auto it = series_.find(name); it != series_.end() && it->second->name() == name) {
      auto* existing = it->second;
      if (existing->type() != k) {
        detail::fail("metric " + name + " is registered as a " + std::string(detail::kind_name(existing->type())) +
                     ", not a " + std::string(detail::kind_name(k)));
      }
      auto& f = static_cast<family<Metric>&>(*existing);
      if (f.label_names() != label_names) detail::fail("metric " + name + " is registered with other label names");
      if (f.upper_bounds_ != upper_bounds) detail::fail("histogram " + name + " is registered with other buckets");
      return f;
    }
    const auto names = series_names(name, k);
    for (const auto& s : names) {
      if (const auto it = series_.find(s); it != series_.end()) {
        detail::fail("metric " + name + ": its series " + s + " collides with " +
                     std::string(detail::kind_name(it->second->type())) + " " + it->second->name());
      }
    }
    const bool unlabelled = label_names.empty();
    auto f = std::unique_ptr<family<Metric>>(
        new family<Metric>(k, std::move(name), std::move(help), std::move(label_names), std::move(upper_bounds)));
    auto& ref = *f;
    for (const auto& s : names) series_.emplace(s, f.get());
    families_.push_back(std::move(f));
    // A metric without labels exists, at 0, from registration on: a scrape shows it before its first update.
    if (unlabelled) ref.with({});
    return ref;
  }

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<detail::family_base>> families_;       // registration order
  std::map<std::string, detail::family_base*, std::less<>> series_;  // every series name -> its family
};

}  // namespace hqml::serve::metrics
