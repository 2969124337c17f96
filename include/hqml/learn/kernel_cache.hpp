#pragma once
// LRU cache of kernel (Q-matrix) columns for the SMO solver, with libsvm's semantics: a column holds a
// prefix [0, len) of the active set, growing on demand; when the solver moves an index out of the active
// set (shrinking) the cached columns swap the two entries too, or are dropped when they are too short.
// The budget is in megabytes like libsvm's -m; it always admits two full columns, since one SMO step
// needs the columns of both working-set indices at once.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace hqml::learn {

template <class T>
class kernel_column_cache {
 public:
  using index_type = std::ptrdiff_t;

  kernel_column_cache(index_type columns, double size_mb) : heads_(static_cast<std::size_t>(columns) + 1), l_(columns) {
    const double elements = size_mb * 1048576.0 / static_cast<double>(sizeof(T));
    const auto overhead = static_cast<long long>(columns) * static_cast<long long>(sizeof(head)) /
                          static_cast<long long>(sizeof(T));
    const long long budget = elements > 9.0e18 ? static_cast<long long>(9.0e18) : static_cast<long long>(elements);
    free_ = std::max(budget - overhead, 2 * static_cast<long long>(columns));
    capacity_ = free_;
    sentinel().prev = sentinel().next = l_;
  }

  /// Storage for column `index` holding at least `len` entries, and the first position the caller
  /// still has to fill (>= len when the cached prefix already covers [0, len)).
  std::pair<T*, index_type> get(index_type index, index_type len) {
    head& h = at(index);
    if (len <= 0) return {h.data.get(), len};
    if (h.len > 0) lru_delete(index);
    const index_type more = len - h.len;
    index_type filled = len;
    if (more > 0) {
      while (free_ < more) {
        const index_type victim = sentinel().next;
        lru_delete(victim);
        free_ += at(victim).len;
        at(victim).data.reset();
        at(victim).len = 0;
      }
      std::unique_ptr<T[]> grown(new T[static_cast<std::size_t>(len)]);
      if (h.len > 0) std::copy(h.data.get(), h.data.get() + h.len, grown.get());
      h.data = std::move(grown);
      free_ -= more;
      filled = h.len;
      h.len = len;
    }
    lru_insert(index);
    return {h.data.get(), filled};
  }

  /// Mirrors a swap of active-set positions i and j.
  void swap_index(index_type i, index_type j) {
    if (i == j) return;
    if (at(i).len > 0) lru_delete(i);
    if (at(j).len > 0) lru_delete(j);
    std::swap(at(i).data, at(j).data);
    std::swap(at(i).len, at(j).len);
    if (at(i).len > 0) lru_insert(i);
    if (at(j).len > 0) lru_insert(j);
    if (i > j) std::swap(i, j);
    for (index_type h = sentinel().next; h != l_;) {
      const index_type next = at(h).next;
      head& e = at(h);
      if (e.len > i) {
        if (e.len > j) {
          std::swap(e.data[static_cast<std::size_t>(i)], e.data[static_cast<std::size_t>(j)]);
        } else {
          // The column covers i but not j: it cannot hold the swapped value, so it goes.
          lru_delete(h);
          free_ += e.len;
          e.data.reset();
          e.len = 0;
        }
      }
      h = next;
    }
  }

  /// Elements the budget admits in all.
  [[nodiscard]] long long capacity() const noexcept { return capacity_; }

 private:
  struct head {
    index_type prev = -1;
    index_type next = -1;
    std::unique_ptr<T[]> data;
    index_type len = 0;
  };
  head& at(index_type k) { return heads_[static_cast<std::size_t>(k)]; }
  head& sentinel() { return heads_.back(); }
  void lru_delete(index_type k) {
    head& h = at(k);
    at(h.prev).next = h.next;
    at(h.next).prev = h.prev;
  }
  void lru_insert(index_type k) {
    head& h = at(k);
    h.next = l_;
    h.prev = sentinel().prev;
    at(h.prev).next = k;
    sentinel().prev = k;
  }

  std::vector<head> heads_;
  index_type l_;
  long long free_ = 0;
  long long capacity_ = 0;
};

}  // namespace hqml::learn
