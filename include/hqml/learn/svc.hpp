#pragma once
// C-SVC on a precomputed kernel matrix, with libsvm's semantics throughout (Chang & Lin, ACM TIST 2:27):
// SMO with WSS3 and shrinking (smo_solver.hpp), an LRU cache of kernel columns (kernel_cache.hpp),
// one-vs-one multiclass with libsvm's class order, pair order and voting, and optional Platt
// probabilities fitted on libsvm's internal 5-fold cross-validation (platt.hpp). The fold shuffle uses
// a glibc-compatible generator seeded by svc_params::probability_seed (libc_rand.hpp), so a model fitted
// here reproduces the libsvm model trained in a process that called srand(seed).
//
// Conventions (libsvm's): classes are ordered by first appearance in the labels, except that a binary
// problem with labels -1 and +1 always puts +1 first. Decision column p belongs to the class pair (i, j),
// i < j, in the order (0,1), (0,2), ..., (1,2), ...; a positive value votes for classes()[i].
// The kernel must be symmetric: column k of K is read as row k, because columns are contiguous in Eigen.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include <hqml/learn/kernel_cache.hpp>
#include <hqml/learn/libc_rand.hpp>
#include <hqml/learn/parallel.hpp>
#include <hqml/learn/platt.hpp>
#include <hqml/learn/smo_solver.hpp>

namespace hqml::learn {

struct svc_params {
  double C = 1.0;
  double eps = 1e-3;      // stopping tolerance on the maximal KKT violation (libsvm -e)
  bool shrinking = true;  // libsvm -h
  double cache_mb = 100;  // kernel-column cache per binary problem, megabytes (libsvm -m)
  bool probability = false;
  std::uint32_t probability_seed = 1;  // 1 is what glibc's rand() starts from without srand
  /// Per-class factors on C (libsvm -wi): {label, factor}.
  std::vector<std::pair<int, double>> class_weight;
  long long max_iterations = 0;  // <= 0: libsvm's max(10^7, 100 l)
  int threads = 0;               // one-vs-one pairs and probability folds in parallel; 0: OpenMP default
};

/// What the solver did for one binary problem.
struct svc_pair_info {
  long long iterations = 0;
  double objective = 0.0;
  bool reached_max_iterations = false;
};

namespace detail {

// Q_ij = y_i y_j K(idx_i, idx_j) over a subset of a precomputed kernel. A cache miss is a gather from one
// contiguous kernel column, so misses cost memory bandwidth only; the cache keeps hot columns compact.
class precomputed_svc_q {
 public:
  using index_type = std::ptrdiff_t;

  precomputed_svc_q(const Eigen::Ref<const Eigen::MatrixXd>& k, std::vector<index_type> idx,
                    std::vector<signed char> y, double cache_mb)
      : k_(k.data()),
        stride_(k.outerStride()),
        idx_(std::move(idx)),
        y_(std::move(y)),
        cache_(static_cast<index_type>(idx_.size()), cache_mb) {
    qd_.resize(idx_.size());
    for (std::size_t i = 0; i < idx_.size(); ++i) qd_[i] = k_[idx_[i] * stride_ + idx_[i]];
  }

  const double* get_q(index_type i, index_type len) {
    auto [data, start] = cache_.get(i, len);
    if (start < len) {
      const double* col = k_ + idx_[static_cast<std::size_t>(i)] * stride_;
      const double yi = y_[static_cast<std::size_t>(i)];
      const index_type* idx = idx_.data();
      const signed char* y = y_.data();
      for (index_type j = start; j < len; ++j) data[j] = yi * y[j] * col[idx[j]];
    }
    return data;
  }
  const double* diagonal() const noexcept { return qd_.data(); }
  void swap_index(index_type i, index_type j) {
    cache_.swap_index(i, j);
    std::swap(idx_[static_cast<std::size_t>(i)], idx_[static_cast<std::size_t>(j)]);
    std::swap(y_[static_cast<std::size_t>(i)], y_[static_cast<std::size_t>(j)]);
    std::swap(qd_[static_cast<std::size_t>(i)], qd_[static_cast<std::size_t>(j)]);
  }

 private:
  const double* k_;
  index_type stride_;
  std::vector<index_type> idx_;
  std::vector<signed char> y_;
  std::vector<double> qd_;
  kernel_column_cache<double> cache_;
};

struct binary_solution {
  std::vector<double> coef;  // y_i alpha_i in problem order
  double rho = 0.0;
  svc_pair_info info;
};

// One C-SVC problem over kernel indices idx with labels y (+1 / -1), as libsvm's solve_c_svc.
template <class = void>  // instantiated only where called (README, "Compile times")
inline binary_solution train_binary(const Eigen::Ref<const Eigen::MatrixXd>& k, std::span<const std::ptrdiff_t> idx,
                                    std::span<const signed char> y, double cp, double cn, const svc_params& prm) {
  const std::size_t l = idx.size();
  std::vector<double> alpha(l, 0.0), minus_ones(l, -1.0);
  precomputed_svc_q q(k, std::vector<std::ptrdiff_t>(idx.begin(), idx.end()),
                      std::vector<signed char>(y.begin(), y.end()), prm.cache_mb);
  smo_solver<precomputed_svc_q> solver;
  const auto r = solver.solve(q, minus_ones, y, alpha, cp, cn, prm.eps, prm.shrinking, prm.max_iterations);
  binary_solution s;
  s.coef.resize(l);
  for (std::size_t i = 0; i < l; ++i) s.coef[i] = alpha[i] * y[i];
  s.rho = r.rho;
  s.info = {r.iterations, r.objective, r.reached_max_iterations};
  return s;
}

// libsvm's svm_binary_svc_probability: decision values from 5-fold CV on a shuffled order, then Platt.
// `perm` is the shuffle, drawn by the caller so that the draws happen in libsvm's order.
template <class = void>  // instantiated only where called (README, "Compile times")
inline platt_sigmoid binary_probability(const Eigen::Ref<const Eigen::MatrixXd>& k, std::span<const std::ptrdiff_t> idx,
                                        std::span<const signed char> y, double cp, double cn, const svc_params& prm,
                                        std::span<const std::ptrdiff_t> perm) {
  constexpr std::ptrdiff_t nr_fold = 5;
  const auto l = static_cast<std::ptrdiff_t>(idx.size());
  std::vector<double> dec(static_cast<std::size_t>(l), 0.0);
  const auto at = [](auto& v, std::ptrdiff_t i) -> decltype(auto) { return v[static_cast<std::size_t>(i)]; };
  parallel_for(nr_fold, prm.threads, [&](std::ptrdiff_t fold) {
    const std::ptrdiff_t begin = fold * l / nr_fold, end = (fold + 1) * l / nr_fold;
    // libsvm retrains through svm_train, which regroups the fold's data: +1 samples first, each group in
    // shuffled order. The order matters because SMO's tie-breaks depend on it.
    std::vector<std::ptrdiff_t> sub_idx;
    std::vector<signed char> sub_y;
    sub_idx.reserve(static_cast<std::size_t>(l - (end - begin)));
    for (const signed char want : {static_cast<signed char>(+1), static_cast<signed char>(-1)})
      for (std::ptrdiff_t j = 0; j < l; ++j) {
        if (j >= begin && j < end) continue;
        const auto pj = at(perm, j);
        if (at(y, pj) != want) continue;
        sub_idx.push_back(at(idx, pj));
        sub_y.push_back(want);
      }
    const auto p_count = std::count(sub_y.begin(), sub_y.end(), static_cast<signed char>(+1));
    const auto n_count = static_cast<std::ptrdiff_t>(sub_y.size()) - p_count;
    if (p_count == 0 || n_count == 0) {
      const double v = p_count > 0 ? 1.0 : (n_count > 0 ? -1.0 : 0.0);
      for (std::ptrdiff_t j = begin; j < end; ++j) at(dec, at(perm, j)) = v;
      return;
    }
    svc_params inner = prm;
    inner.probability = false;
    const auto sol = train_binary(k, sub_idx, sub_y, cp, cn, inner);
    const double* base = k.data();
    const auto stride = k.outerStride();
    for (std::ptrdiff_t j = begin; j < end; ++j) {
      const auto pj = at(perm, j);
      const double* col = base + at(idx, pj) * stride;
      double sum = 0;
      for (std::size_t s = 0; s < sub_idx.size(); ++s)
        if (sol.coef[s] != 0) sum += sol.coef[s] * col[sub_idx[s]];
      at(dec, pj) = sum - sol.rho;
    }
  });
  std::vector<double> labels(static_cast<std::size_t>(l));
  for (std::ptrdiff_t i = 0; i < l; ++i) at(labels, i) = at(y, i);
  return platt_fit(dec, labels);
}

}  // namespace detail

class svc {
 public:
  using index_type = std::ptrdiff_t;

  svc() = default;

  /// Trains on the n x n kernel K (symmetric) with one label per row.
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] static svc fit(const Eigen::Ref<const Eigen::MatrixXd>& k, std::span<const int> labels,
                               const svc_params& prm = {}) {
    if (k.rows() != k.cols()) throw std::invalid_argument("hqml: svc::fit: the kernel matrix must be square");
    std::vector<index_type> all(static_cast<std::size_t>(k.rows()));
    std::iota(all.begin(), all.end(), index_type{0});
    return fit(k, labels, prm, all);
  }

  /// Trains on the samples `subset` of K (rows and columns), labels[t] belonging to subset[t]; support()
  /// then holds positions in `subset`. Cross-validation uses this to train on folds without copying K.
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] static svc fit(const Eigen::Ref<const Eigen::MatrixXd>& k, std::span<const int> labels,
                               const svc_params& prm, std::span<const index_type> subset) {
    validate(k, labels, prm, subset);
    const auto l = static_cast<index_type>(subset.size());

    // Group classes as libsvm's svm_group_classes does.
    std::vector<int> label;
    std::vector<index_type> count;
    std::vector<std::size_t> data_label(static_cast<std::size_t>(l));
    for (index_type i = 0; i < l; ++i) {
      const int v = labels[static_cast<std::size_t>(i)];
      std::size_t j = 0;
      while (j < label.size() && label[j] != v) ++j;
      if (j == label.size()) {
        label.push_back(v);
        count.push_back(0);
      }
      ++count[j];
      data_label[static_cast<std::size_t>(i)] = j;
    }
    if (label.size() < 2) throw std::invalid_argument("hqml: svc::fit: the labels hold fewer than two classes");
    if (label.size() == 2 && label[0] == -1 && label[1] == 1) {
      std::swap(label[0], label[1]);
      std::swap(count[0], count[1]);
      for (auto& d : data_label) d = 1 - d;
    }
    const std::size_t nr_class = label.size();
    std::vector<index_type> start(nr_class, 0);
    for (std::size_t c = 1; c < nr_class; ++c) start[c] = start[c - 1] + count[c - 1];
    std::vector<index_type> perm(static_cast<std::size_t>(l));
    {
      auto fill = start;
      for (index_type i = 0; i < l; ++i) perm[static_cast<std::size_t>(fill[data_label[static_cast<std::size_t>(i)]]++)] = i;
    }

    std::vector<double> weighted_c(nr_class, prm.C);
    for (const auto& [lab, w] : prm.class_weight) {
      const auto it = std::find(label.begin(), label.end(), lab);
      if (it == label.end())
        throw std::invalid_argument("hqml: svc::fit: class_weight names label " + std::to_string(lab) +
                                    ", which is not in the training labels");
      weighted_c[static_cast<std::size_t>(it - label.begin())] *= w;
    }

    // Pairs in libsvm's order; shuffles for the probability folds drawn first, in that same order, so
    // that the pairs can then be trained in parallel with the draws libsvm would make.
    struct pair_job {
      std::size_t i, j;
      std::vector<index_type> idx;
      std::vector<signed char> y;
      std::vector<index_type> perm;
      detail::binary_solution sol;
      platt_sigmoid sigmoid;
    };
    std::vector<pair_job> jobs;
    libc_rand rng(prm.probability_seed);
    for (std::size_t i = 0; i < nr_class; ++i)
      for (std::size_t j = i + 1; j < nr_class; ++j) {
        pair_job job{i, j, {}, {}, {}, {}, {}};
        const auto ci = count[i], cj = count[j];
        job.idx.reserve(static_cast<std::size_t>(ci + cj));
        for (index_type t = 0; t < ci; ++t) {
          job.idx.push_back(subset[static_cast<std::size_t>(perm[static_cast<std::size_t>(start[i] + t)])]);
          job.y.push_back(+1);
        }
        for (index_type t = 0; t < cj; ++t) {
          job.idx.push_back(subset[static_cast<std::size_t>(perm[static_cast<std::size_t>(start[j] + t)])]);
          job.y.push_back(-1);
        }
        if (prm.probability) {
          const auto n = static_cast<index_type>(job.idx.size());
          job.perm.resize(static_cast<std::size_t>(n));
          std::iota(job.perm.begin(), job.perm.end(), index_type{0});
          for (index_type t = 0; t < n; ++t) {
            const index_type s = t + static_cast<index_type>(rng()) % (n - t);
            std::swap(job.perm[static_cast<std::size_t>(t)], job.perm[static_cast<std::size_t>(s)]);
          }
        }
        jobs.push_back(std::move(job));
      }

    parallel_for(static_cast<std::ptrdiff_t>(jobs.size()), prm.threads, [&](std::ptrdiff_t p) {
      auto& job = jobs[static_cast<std::size_t>(p)];
      if (prm.probability)
        job.sigmoid = detail::binary_probability(k, job.idx, job.y, weighted_c[job.i], weighted_c[job.j], prm, job.perm);
      job.sol = detail::train_binary(k, job.idx, job.y, weighted_c[job.i], weighted_c[job.j], prm);
    });

    // Support vectors: samples with a nonzero coefficient in any pair, grouped by class.
    std::vector<char> nonzero(static_cast<std::size_t>(l), 0);
    for (const auto& job : jobs) {
      const auto ci = count[job.i];
      for (index_type t = 0; t < static_cast<index_type>(job.sol.coef.size()); ++t) {
        if (std::fabs(job.sol.coef[static_cast<std::size_t>(t)]) > 0) {
          const index_type pos = t < ci ? start[job.i] + t : start[job.j] + (t - ci);
          nonzero[static_cast<std::size_t>(pos)] = 1;
        }
      }
    }
    svc m;
    m.classes_ = label;
    m.n_train_ = l;
    m.n_support_.assign(nr_class, 0);
    std::vector<index_type> nz_start(nr_class, 0);
    for (std::size_t c = 0; c < nr_class; ++c) {
      for (index_type t = 0; t < count[c]; ++t)
        if (nonzero[static_cast<std::size_t>(start[c] + t)]) ++m.n_support_[c];
      if (c > 0) nz_start[c] = nz_start[c - 1] + m.n_support_[c - 1];
    }
    for (index_type i = 0; i < l; ++i)
      if (nonzero[static_cast<std::size_t>(i)]) m.support_.push_back(perm[static_cast<std::size_t>(i)]);
    const auto total_sv = static_cast<Eigen::Index>(m.support_.size());
    m.dual_coef_ = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(nr_class - 1), total_sv);
    m.rho_.resize(static_cast<Eigen::Index>(jobs.size()));
    if (prm.probability) {
      m.prob_a_.resize(static_cast<Eigen::Index>(jobs.size()));
      m.prob_b_.resize(static_cast<Eigen::Index>(jobs.size()));
    }
    for (std::size_t p = 0; p < jobs.size(); ++p) {
      const auto& job = jobs[p];
      const auto ci = count[job.i], cj = count[job.j];
      // libsvm's layout: coefficients of class i's SVs in row j-1, those of class j's SVs in row i.
      auto q = nz_start[job.i];
      for (index_type t = 0; t < ci; ++t)
        if (nonzero[static_cast<std::size_t>(start[job.i] + t)])
          m.dual_coef_(static_cast<Eigen::Index>(job.j - 1), q++) = job.sol.coef[static_cast<std::size_t>(t)];
      q = nz_start[job.j];
      for (index_type t = 0; t < cj; ++t)
        if (nonzero[static_cast<std::size_t>(start[job.j] + t)])
          m.dual_coef_(static_cast<Eigen::Index>(job.i), q++) = job.sol.coef[static_cast<std::size_t>(ci + t)];
      m.rho_(static_cast<Eigen::Index>(p)) = job.sol.rho;
      m.info_.push_back(job.sol.info);
      if (prm.probability) {
        m.prob_a_(static_cast<Eigen::Index>(p)) = job.sigmoid.a;
        m.prob_b_(static_cast<Eigen::Index>(p)) = job.sigmoid.b;
      }
    }
    m.params_ = prm;
    return m;
  }

  /// Rebuilds a model from stored parts (see model persistence); checks that the parts fit together.
  [[nodiscard]] static svc from_parts(std::vector<int> classes, std::vector<index_type> n_support,
                                      std::vector<index_type> support, Eigen::MatrixXd dual_coef, Eigen::VectorXd rho,
                                      Eigen::VectorXd prob_a, Eigen::VectorXd prob_b, index_type n_train,
                                      svc_params params = {}) {
    const auto k = static_cast<Eigen::Index>(classes.size());
    const auto pairs = k * (k - 1) / 2;
    index_type total = 0;
    for (auto c : n_support) total += c;
    const bool ok = k >= 2 && static_cast<Eigen::Index>(n_support.size()) == k &&
                    total == static_cast<index_type>(support.size()) && dual_coef.rows() == k - 1 &&
                    dual_coef.cols() == total && rho.size() == pairs &&
                    ((prob_a.size() == 0 && prob_b.size() == 0) || (prob_a.size() == pairs && prob_b.size() == pairs)) &&
                    std::all_of(support.begin(), support.end(), [&](index_type s) { return s >= 0 && s < n_train; });
    if (!ok) throw std::invalid_argument("hqml: svc::from_parts: inconsistent model parts");
    svc m;
    m.classes_ = std::move(classes);
    m.n_support_ = std::move(n_support);
    m.support_ = std::move(support);
    m.dual_coef_ = std::move(dual_coef);
    m.rho_ = std::move(rho);
    m.prob_a_ = std::move(prob_a);
    m.prob_b_ = std::move(prob_b);
    m.n_train_ = n_train;
    m.params_ = std::move(params);
    m.params_.probability = m.prob_a_.size() > 0;
    return m;
  }

  /// Decision values, one row per test sample and one column per class pair, from the kernel between
  /// test and training samples (n_test x n_train; only the support columns are read).
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] Eigen::MatrixXd decision_function(const Eigen::Ref<const Eigen::MatrixXd>& k_test_train) const {
    check_train_columns(k_test_train.cols());
    return decision_function_sv(support_columns(k_test_train));
  }

  /// The same from the kernel between test samples and the support vectors only (n_test x n_sv, in
  /// support() order), which is all a kernel that is costly to evaluate needs to provide.
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] Eigen::MatrixXd decision_function_sv(const Eigen::Ref<const Eigen::MatrixXd>& k_test_sv) const {
    if (k_test_sv.cols() != dual_coef_.cols())
      throw std::invalid_argument("hqml: svc: kernel has " + std::to_string(k_test_sv.cols()) +
                                  " columns, the model " + std::to_string(dual_coef_.cols()) + " support vectors");
    // All pairs at once as one matrix product: column p of W holds pair p's coefficients (zero elsewhere).
    const auto nr_class = classes_.size();
    Eigen::MatrixXd w = Eigen::MatrixXd::Zero(dual_coef_.cols(), rho_.size());
    const auto starts = sv_starts();
    Eigen::Index p = 0;
    for (std::size_t i = 0; i < nr_class; ++i)
      for (std::size_t j = i + 1; j < nr_class; ++j, ++p) {
        const auto si = static_cast<Eigen::Index>(starts[i]), sj = static_cast<Eigen::Index>(starts[j]);
        const auto ci = static_cast<Eigen::Index>(n_support_[i]), cj = static_cast<Eigen::Index>(n_support_[j]);
        w.col(p).segment(si, ci) = dual_coef_.row(static_cast<Eigen::Index>(j - 1)).segment(si, ci).transpose();
        w.col(p).segment(sj, cj) = dual_coef_.row(static_cast<Eigen::Index>(i)).segment(sj, cj).transpose();
      }
    Eigen::MatrixXd dec = k_test_sv * w;
    dec.rowwise() -= rho_.transpose();
    return dec;
  }

  /// Predicted labels by one-vs-one voting (ties go to the class listed first).
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] std::vector<int> predict(const Eigen::Ref<const Eigen::MatrixXd>& k_test_train) const {
    return vote(decision_function(k_test_train));
  }
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] std::vector<int> predict_sv(const Eigen::Ref<const Eigen::MatrixXd>& k_test_sv) const {
    return vote(decision_function_sv(k_test_sv));
  }

  /// Class probabilities (n_test x n_classes, columns in classes() order); needs probability = true.
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] Eigen::MatrixXd predict_proba(const Eigen::Ref<const Eigen::MatrixXd>& k_test_train) const {
    check_train_columns(k_test_train.cols());
    return predict_proba_sv(support_columns(k_test_train));
  }
  template <class = void>  // instantiated only where called (README, "Compile times")
  [[nodiscard]] Eigen::MatrixXd predict_proba_sv(const Eigen::Ref<const Eigen::MatrixXd>& k_test_sv) const {
    if (!has_probability())
      throw std::logic_error("hqml: svc::predict_proba: the model was trained without probability = true");
    const Eigen::MatrixXd dec = decision_function_sv(k_test_sv);
    const auto k = static_cast<Eigen::Index>(classes_.size());
    Eigen::MatrixXd out(dec.rows(), k);
    constexpr double min_prob = 1e-7;
    Eigen::MatrixXd r(k, k);
    for (Eigen::Index t = 0; t < dec.rows(); ++t) {
      Eigen::Index p = 0;
      for (Eigen::Index i = 0; i < k; ++i)
        for (Eigen::Index j = i + 1; j < k; ++j, ++p) {
          r(i, j) = std::min(std::max(platt_predict(dec(t, p), prob_a_(p), prob_b_(p)), min_prob), 1 - min_prob);
          r(j, i) = 1 - r(i, j);
        }
      if (k == 2) {
        out(t, 0) = r(0, 1);
        out(t, 1) = r(1, 0);
      } else {
        out.row(t) = pairwise_coupling(r).transpose();
      }
    }
    return out;
  }

  [[nodiscard]] const std::vector<int>& classes() const noexcept { return classes_; }
  /// Support vectors per class, in classes() order.
  [[nodiscard]] const std::vector<index_type>& n_support() const noexcept { return n_support_; }
  /// Training positions of the support vectors, grouped by class, ascending within each class.
  [[nodiscard]] const std::vector<index_type>& support() const noexcept { return support_; }
  /// libsvm's sv_coef: (n_classes - 1) x n_sv; see fit() for the layout.
  [[nodiscard]] const Eigen::MatrixXd& dual_coef() const noexcept { return dual_coef_; }
  [[nodiscard]] const Eigen::VectorXd& rho() const noexcept { return rho_; }
  [[nodiscard]] const Eigen::VectorXd& prob_a() const noexcept { return prob_a_; }
  [[nodiscard]] const Eigen::VectorXd& prob_b() const noexcept { return prob_b_; }
  [[nodiscard]] bool has_probability() const noexcept { return prob_a_.size() > 0; }
  [[nodiscard]] index_type n_train() const noexcept { return n_train_; }
  [[nodiscard]] const svc_params& params() const noexcept { return params_; }
  /// Per class pair, what the solver did (empty for a loaded model).
  [[nodiscard]] const std::vector<svc_pair_info>& pair_info() const noexcept { return info_; }

 private:
  static void validate(const Eigen::Ref<const Eigen::MatrixXd>& k, std::span<const int> labels, const svc_params& prm,
                       std::span<const index_type> subset) {
    if (k.rows() != k.cols()) throw std::invalid_argument("hqml: svc::fit: the kernel matrix must be square");
    if (labels.size() != subset.size())
      throw std::invalid_argument("hqml: svc::fit: " + std::to_string(labels.size()) + " labels for " +
                                  std::to_string(subset.size()) + " samples");
    for (auto s : subset)
      if (s < 0 || s >= k.rows()) throw std::out_of_range("hqml: svc::fit: sample index outside the kernel matrix");
    if (!(prm.C > 0) || !(prm.eps > 0) || !(prm.cache_mb > 0))
      throw std::invalid_argument("hqml: svc::fit: C, eps and cache_mb must be positive");
    for (const auto& cw : prm.class_weight)
      if (!(cw.second > 0)) throw std::invalid_argument("hqml: svc::fit: class weights must be positive");
  }
  void check_train_columns(Eigen::Index cols) const {
    if (cols != n_train_)
      throw std::invalid_argument("hqml: svc: kernel has " + std::to_string(cols) + " columns, the model was trained on " +
                                  std::to_string(n_train_) + " samples");
  }
  Eigen::MatrixXd support_columns(const Eigen::Ref<const Eigen::MatrixXd>& k_test_train) const {
    Eigen::MatrixXd ksv(k_test_train.rows(), static_cast<Eigen::Index>(support_.size()));
    for (std::size_t s = 0; s < support_.size(); ++s) ksv.col(static_cast<Eigen::Index>(s)) = k_test_train.col(support_[s]);
    return ksv;
  }
  std::vector<index_type> sv_starts() const {
    std::vector<index_type> s(classes_.size(), 0);
    for (std::size_t c = 1; c < s.size(); ++c) s[c] = s[c - 1] + n_support_[c - 1];
    return s;
  }
  std::vector<int> vote(const Eigen::MatrixXd& dec) const {
    const auto k = classes_.size();
    std::vector<int> out(static_cast<std::size_t>(dec.rows()));
    std::vector<int> votes(k);
    for (Eigen::Index t = 0; t < dec.rows(); ++t) {
      std::fill(votes.begin(), votes.end(), 0);
      Eigen::Index p = 0;
      for (std::size_t i = 0; i < k; ++i)
        for (std::size_t j = i + 1; j < k; ++j, ++p) ++votes[dec(t, p) > 0 ? i : j];
      std::size_t best = 0;
      for (std::size_t c = 1; c < k; ++c)
        if (votes[c] > votes[best]) best = c;
      out[static_cast<std::size_t>(t)] = classes_[best];
    }
    return out;
  }

  std::vector<int> classes_;
  std::vector<index_type> n_support_;
  std::vector<index_type> support_;
  Eigen::MatrixXd dual_coef_;
  Eigen::VectorXd rho_;
  Eigen::VectorXd prob_a_;
  Eigen::VectorXd prob_b_;
  index_type n_train_ = 0;
  svc_params params_;
  std::vector<svc_pair_info> info_;
};

}  // namespace hqml::learn
