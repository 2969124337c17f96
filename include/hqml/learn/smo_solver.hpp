#pragma once
// SMO for the C-SVC dual, step for step as libsvm's Solver (Fan, Chen & Lin, JMLR 6:1889, 2005):
//
//   min 0.5 a^T Q a + p^T a   subject to   y^T a = 0,  0 <= a_i <= C_i,
//
// with second-order working-set selection (WSS3), shrinking, and gradient reconstruction when the
// shrunk problem looks optimal. The same selections, tie-breaks, clipping and update order as libsvm
// are kept on purpose: given the same Q, both visit the same iterates, so a solution can be checked
// against libsvm to rounding and not merely to the stopping tolerance.
//
// QMatrix provides: const double* get_q(index i, index len) (column i of Q over active positions
// [0, len)); const double* diagonal() (Q_ii, kept in active-set order); void swap_index(i, j).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

namespace hqml::learn {

struct smo_result {
  double objective = 0.0;
  double rho = 0.0;
  long long iterations = 0;
  bool reached_max_iterations = false;
};

template <class QMatrix>
class smo_solver {
 public:
  using index_type = std::ptrdiff_t;

  /// Solves in place: `alpha` holds a feasible start on entry and the solution on exit (original order).
  /// max_iterations <= 0 means libsvm's limit, max(10^7, 100 l).
  smo_result solve(QMatrix& q, std::span<const double> p, std::span<const signed char> y, std::span<double> alpha,
                   double cp, double cn, double eps, bool shrinking, long long max_iterations = 0) {
    l_ = static_cast<index_type>(y.size());
    q_ = &q;
    qd_ = q.diagonal();
    p_.assign(p.begin(), p.end());
    y_.assign(y.begin(), y.end());
    alpha_.assign(alpha.begin(), alpha.end());
    cp_ = cp;
    cn_ = cn;
    eps_ = eps;
    unshrink_ = false;

    status_.resize(static_cast<std::size_t>(l_));
    for (index_type i = 0; i < l_; ++i) update_alpha_status(i);
    active_set_.resize(static_cast<std::size_t>(l_));
    for (index_type i = 0; i < l_; ++i) active_set_[u(i)] = i;
    active_size_ = l_;

    g_.assign(p_.begin(), p_.end());
    g_bar_.assign(static_cast<std::size_t>(l_), 0.0);
    for (index_type i = 0; i < l_; ++i) {
      if (is_lower_bound(i)) continue;
      const double* q_i = q.get_q(i, l_);
      const double alpha_i = alpha_[u(i)];
      for (index_type j = 0; j < l_; ++j) g_[u(j)] += alpha_i * q_i[j];
      if (is_upper_bound(i))
        for (index_type j = 0; j < l_; ++j) g_bar_[u(j)] += get_c(i) * q_i[j];
    }

    long long iter = 0;
    const long long max_iter =
        max_iterations > 0 ? max_iterations : std::max<long long>(10000000, 100 * static_cast<long long>(l_));
    index_type counter = std::min<index_type>(l_, 1000) + 1;
    smo_result result;

    while (iter < max_iter) {
      if (--counter == 0) {
        counter = std::min<index_type>(l_, 1000);
        if (shrinking) do_shrinking();
      }
      index_type i = 0, j = 0;
      if (select_working_set(i, j)) {
        reconstruct_gradient();
        active_size_ = l_;
        if (select_working_set(i, j)) break;
        counter = 1;  // shrink again on the next iteration
      }
      ++iter;
      take_step(i, j);
    }

    if (iter >= max_iter) {
      if (active_size_ < l_) {
        reconstruct_gradient();
        active_size_ = l_;
      }
      result.reached_max_iterations = true;
    }

    result.rho = calculate_rho();
    double v = 0;
    for (index_type i = 0; i < l_; ++i) v += alpha_[u(i)] * (g_[u(i)] + p_[u(i)]);
    result.objective = v / 2;
    result.iterations = iter;
    for (index_type i = 0; i < l_; ++i) alpha[u(active_set_[u(i)])] = alpha_[u(i)];
    return result;
  }

 private:
  enum : char { lower_bound = 0, upper_bound = 1, free_var = 2 };
  static constexpr double tau = 1e-12;
  static constexpr double inf = std::numeric_limits<double>::infinity();

  static std::size_t u(index_type k) { return static_cast<std::size_t>(k); }
  double get_c(index_type i) const { return y_[u(i)] > 0 ? cp_ : cn_; }
  void update_alpha_status(index_type i) {
    if (alpha_[u(i)] >= get_c(i)) status_[u(i)] = upper_bound;
    else if (alpha_[u(i)] <= 0) status_[u(i)] = lower_bound;
    else status_[u(i)] = free_var;
  }
  bool is_upper_bound(index_type i) const { return status_[u(i)] == upper_bound; }
  bool is_lower_bound(index_type i) const { return status_[u(i)] == lower_bound; }
  bool is_free(index_type i) const { return status_[u(i)] == free_var; }

  void swap_index(index_type i, index_type j) {
    q_->swap_index(i, j);
    std::swap(y_[u(i)], y_[u(j)]);
    std::swap(g_[u(i)], g_[u(j)]);
    std::swap(status_[u(i)], status_[u(j)]);
    std::swap(alpha_[u(i)], alpha_[u(j)]);
    std::swap(p_[u(i)], p_[u(j)]);
    std::swap(active_set_[u(i)], active_set_[u(j)]);
    std::swap(g_bar_[u(i)], g_bar_[u(j)]);
  }

  void take_step(index_type i, index_type j) {
    const double* q_i = q_->get_q(i, active_size_);
    const double* q_j = q_->get_q(j, active_size_);
    const double c_i = get_c(i), c_j = get_c(j);
    double& a_i = alpha_[u(i)];
    double& a_j = alpha_[u(j)];
    const double old_alpha_i = a_i, old_alpha_j = a_j;

    if (y_[u(i)] != y_[u(j)]) {
      double quad_coef = qd_[i] + qd_[j] + 2 * q_i[j];
      if (quad_coef <= 0) quad_coef = tau;
      const double delta = (-g_[u(i)] - g_[u(j)]) / quad_coef;
      const double diff = a_i - a_j;
      a_i += delta;
      a_j += delta;
      if (diff > 0) {
        if (a_j < 0) {
          a_j = 0;
          a_i = diff;
        }
      } else {
        if (a_i < 0) {
          a_i = 0;
          a_j = -diff;
        }
      }
      if (diff > c_i - c_j) {
        if (a_i > c_i) {
          a_i = c_i;
          a_j = c_i - diff;
        }
      } else {
        if (a_j > c_j) {
          a_j = c_j;
          a_i = c_j + diff;
        }
      }
    } else {
      double quad_coef = qd_[i] + qd_[j] - 2 * q_i[j];
      if (quad_coef <= 0) quad_coef = tau;
      const double delta = (g_[u(i)] - g_[u(j)]) / quad_coef;
      const double sum = a_i + a_j;
      a_i -= delta;
      a_j += delta;
      if (sum > c_i) {
        if (a_i > c_i) {
          a_i = c_i;
          a_j = sum - c_i;
        }
      } else {
        if (a_j < 0) {
          a_j = 0;
          a_i = sum;
        }
      }
      if (sum > c_j) {
        if (a_j > c_j) {
          a_j = c_j;
          a_i = sum - c_j;
        }
      } else {
        if (a_i < 0) {
          a_i = 0;
          a_j = sum;
        }
      }
    }

    const double delta_alpha_i = a_i - old_alpha_i;
    const double delta_alpha_j = a_j - old_alpha_j;
    double* g = g_.data();
    for (index_type k = 0; k < active_size_; ++k) g[k] += q_i[k] * delta_alpha_i + q_j[k] * delta_alpha_j;

    const bool ui = is_upper_bound(i), uj = is_upper_bound(j);
    update_alpha_status(i);
    update_alpha_status(j);
    double* g_bar = g_bar_.data();
    if (ui != is_upper_bound(i)) {
      q_i = q_->get_q(i, l_);
      if (ui)
        for (index_type k = 0; k < l_; ++k) g_bar[k] -= c_i * q_i[k];
      else
        for (index_type k = 0; k < l_; ++k) g_bar[k] += c_i * q_i[k];
    }
    if (uj != is_upper_bound(j)) {
      q_j = q_->get_q(j, l_);
      if (uj)
        for (index_type k = 0; k < l_; ++k) g_bar[k] -= c_j * q_j[k];
      else
        for (index_type k = 0; k < l_; ++k) g_bar[k] += c_j * q_j[k];
    }
  }

  // True when optimal within eps (libsvm returns 1).
  bool select_working_set(index_type& out_i, index_type& out_j) {
    double gmax = -inf, gmax2 = -inf;
    index_type gmax_idx = -1, gmin_idx = -1;
    double obj_diff_min = inf;
    const double* g = g_.data();
    for (index_type t = 0; t < active_size_; ++t) {
      if (y_[u(t)] == +1) {
        if (!is_upper_bound(t) && -g[t] >= gmax) {
          gmax = -g[t];
          gmax_idx = t;
        }
      } else {
        if (!is_lower_bound(t) && g[t] >= gmax) {
          gmax = g[t];
          gmax_idx = t;
        }
      }
    }
    const index_type i = gmax_idx;
    const double* q_i = i != -1 ? q_->get_q(i, active_size_) : nullptr;
    const double qd_i = i != -1 ? qd_[i] : 0.0;
    const double y_i = i != -1 ? static_cast<double>(y_[u(i)]) : 0.0;
    for (index_type j = 0; j < active_size_; ++j) {
      if (y_[u(j)] == +1) {
        if (!is_lower_bound(j)) {
          const double grad_diff = gmax + g[j];
          if (g[j] >= gmax2) gmax2 = g[j];
          if (grad_diff > 0) {
            const double quad_coef = qd_i + qd_[j] - 2.0 * y_i * q_i[j];
            const double obj_diff = quad_coef > 0 ? -(grad_diff * grad_diff) / quad_coef : -(grad_diff * grad_diff) / tau;
            if (obj_diff <= obj_diff_min) {
              gmin_idx = j;
              obj_diff_min = obj_diff;
            }
          }
        }
      } else {
        if (!is_upper_bound(j)) {
          const double grad_diff = gmax - g[j];
          if (-g[j] >= gmax2) gmax2 = -g[j];
          if (grad_diff > 0) {
            const double quad_coef = qd_i + qd_[j] + 2.0 * y_i * q_i[j];
            const double obj_diff = quad_coef > 0 ? -(grad_diff * grad_diff) / quad_coef : -(grad_diff * grad_diff) / tau;
            if (obj_diff <= obj_diff_min) {
              gmin_idx = j;
              obj_diff_min = obj_diff;
            }
          }
        }
      }
    }
    if (gmax + gmax2 < eps_ || gmin_idx == -1) return true;
    out_i = gmax_idx;
    out_j = gmin_idx;
    return false;
  }

  bool be_shrunk(index_type i, double gmax1, double gmax2) const {
    if (is_upper_bound(i)) return y_[u(i)] == +1 ? -g_[u(i)] > gmax1 : -g_[u(i)] > gmax2;
    if (is_lower_bound(i)) return y_[u(i)] == +1 ? g_[u(i)] > gmax2 : g_[u(i)] > gmax1;
    return false;
  }

  void do_shrinking() {
    double gmax1 = -inf;  // max { -y_i grad_i | i in I_up }
    double gmax2 = -inf;  // max {  y_i grad_i | i in I_low }
    for (index_type i = 0; i < active_size_; ++i) {
      const double gi = g_[u(i)];
      if (y_[u(i)] == +1) {
        if (!is_upper_bound(i) && -gi >= gmax1) gmax1 = -gi;
        if (!is_lower_bound(i) && gi >= gmax2) gmax2 = gi;
      } else {
        if (!is_upper_bound(i) && -gi >= gmax2) gmax2 = -gi;
        if (!is_lower_bound(i) && gi >= gmax1) gmax1 = gi;
      }
    }
    // Close to the end, undo the shrinking once so that variables shrunk too early get another chance.
    if (!unshrink_ && gmax1 + gmax2 <= eps_ * 10) {
      unshrink_ = true;
      reconstruct_gradient();
      active_size_ = l_;
    }
    for (index_type i = 0; i < active_size_; ++i) {
      if (!be_shrunk(i, gmax1, gmax2)) continue;
      --active_size_;
      while (active_size_ > i) {
        if (!be_shrunk(active_size_, gmax1, gmax2)) {
          swap_index(i, active_size_);
          break;
        }
        --active_size_;
      }
    }
  }

  void reconstruct_gradient() {
    if (active_size_ == l_) return;
    for (index_type j = active_size_; j < l_; ++j) g_[u(j)] = g_bar_[u(j)] + p_[u(j)];
    index_type nr_free = 0;
    for (index_type j = 0; j < active_size_; ++j)
      if (is_free(j)) ++nr_free;
    // Pick the cheaper of the two column orders (libsvm's rule).
    if (nr_free * l_ > 2 * active_size_ * (l_ - active_size_)) {
      for (index_type i = active_size_; i < l_; ++i) {
        const double* q_i = q_->get_q(i, active_size_);
        double acc = g_[u(i)];
        for (index_type j = 0; j < active_size_; ++j)
          if (is_free(j)) acc += alpha_[u(j)] * q_i[j];
        g_[u(i)] = acc;
      }
    } else {
      for (index_type i = 0; i < active_size_; ++i) {
        if (!is_free(i)) continue;
        const double* q_i = q_->get_q(i, l_);
        const double alpha_i = alpha_[u(i)];
        for (index_type j = active_size_; j < l_; ++j) g_[u(j)] += alpha_i * q_i[j];
      }
    }
  }

  double calculate_rho() const {
    index_type nr_free = 0;
    double ub = inf, lb = -inf, sum_free = 0;
    for (index_type i = 0; i < active_size_; ++i) {
      const double yg = y_[u(i)] * g_[u(i)];
      if (is_upper_bound(i)) {
        if (y_[u(i)] == -1) ub = std::min(ub, yg);
        else lb = std::max(lb, yg);
      } else if (is_lower_bound(i)) {
        if (y_[u(i)] == +1) ub = std::min(ub, yg);
        else lb = std::max(lb, yg);
      } else {
        ++nr_free;
        sum_free += yg;
      }
    }
    return nr_free > 0 ? sum_free / static_cast<double>(nr_free) : (ub + lb) / 2;
  }

  QMatrix* q_ = nullptr;
  const double* qd_ = nullptr;
  index_type l_ = 0;
  index_type active_size_ = 0;
  std::vector<double> p_, alpha_, g_, g_bar_;
  std::vector<signed char> y_;
  std::vector<char> status_;
  std::vector<index_type> active_set_;
  double cp_ = 1, cn_ = 1, eps_ = 1e-3;
  bool unshrink_ = false;
};

}  // namespace hqml::learn
