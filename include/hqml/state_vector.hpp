#pragma once
// state_vector<Real, Backend>: an exact n-qubit state, owned in the backend's memory. The same
// member functions exist on every backend; the gate maths is in <hqml/kernels/...>, the loops that
// drive it in the backend's ops.

#include <hqml/backends/cpu.hpp>
#include <hqml/circuit.hpp>
#define HQML_INTERNAL_INCLUDE
#include <hqml/backends/cpu/state_ops.hpp>
#include <hqml/detail/state_ops.hpp>
#undef HQML_INTERNAL_INCLUDE
#include <hqml/error.hpp>
#include <hqml/fusion.hpp>
#include <hqml/kernels/gate_kernels.hpp>
#include <hqml/pauli.hpp>
#include <hqml/rng.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <numbers>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace hqml {

namespace detail {

/// The hqml::out_of_memory of a state whose size in bytes does not fit in std::size_t: bytes() saturates at
/// SIZE_MAX, and the message gives the size as a power of two instead of a byte count that would have wrapped.
class state_size_error : public out_of_memory {
 public:
  explicit state_size_error(const std::string& message)
      : out_of_memory("a state vector", std::numeric_limits<std::size_t>::max(), 0), message_(message) {}
  [[nodiscard]] const char* what() const noexcept override { return message_.what(); }

 private:
  std::runtime_error message_;  // copied without throwing, as exceptions must be
};

/// "16 EiB": 2^e bytes in the largest binary unit that keeps the count a whole number below 1024.
inline std::string power_of_two_bytes(std::size_t e) {
  static constexpr const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (e >= 70) return "over 512 EiB";
  return std::to_string(std::size_t{1} << (e % 10)) + " " + units[e / 10];
}

}  // namespace detail

/// How state_vector::apply runs a circuit.
struct apply_options {
  /// Fuse gates into dense blocks before running (only for circuits of at least fusion_min_qubits qubits).
  bool fusion = true;
  unsigned fusion_max_qubits = 4;
  unsigned fusion_min_qubits = 12;
};

template <class Real = double, class Backend = cpu>
class state_vector {
  static_assert(std::is_same_v<Real, float> || std::is_same_v<Real, double>, "Real must be float or double");
  static_assert(backend<Backend>, "Backend must be a backend tag (hqml::cpu, hqml::cuda; backends/traits.hpp)");
  static_assert(state_backend<Backend, Real>,
                "Backend does not provide every state operation (backends/traits.hpp, state_backend): for "
                "hqml::cuda include <hqml/cuda.cuh> and compile with nvcc");
  using ops = detail::state_ops<Backend, Real>;

 public:
  using real_type = Real;
  using complex_type = std::complex<Real>;
  using backend_type = Backend;
  using index_type = std::uint64_t;

  /// The most qubits whose 2^n amplitudes std::size_t can count in bytes (59 in double, 60 in float on a 64-bit
  /// machine; circuit::max_qubits on a wider one). Memory runs out sooner: the constructor checks that too.
  static constexpr std::size_t max_qubits =
      std::min<std::size_t>(circuit::max_qubits, std::numeric_limits<std::size_t>::digits - 1 -
                                                     static_cast<std::size_t>(std::countr_zero(sizeof(complex_type))));

  /// The state |0…0⟩ on n qubits. Throws hqml::out_of_memory, before allocating, when 2^n amplitudes cannot be
  /// held: beyond max_qubits, or more bytes than the backend's memory.
  explicit state_vector(std::size_t num_qubits) : n_(checked(num_qubits)), data_(ops::allocate(n_)) {
    set_basis_state(0);
  }
  state_vector(const state_vector& other)
      : n_(other.n_), data_(ops::allocate(n_)), threads_(other.threads_), rng_(other.rng_), clbits_(other.clbits_) {
    ops::copy(data_, other.data_, size());
  }
  state_vector& operator=(const state_vector& other) {
    if (this != &other) {
      state_vector t(other);
      swap(t);
    }
    return *this;
  }
  state_vector(state_vector&& o) noexcept
      : n_(o.n_),
        data_(std::exchange(o.data_, nullptr)),
        threads_(o.threads_),
        rng_(o.rng_),
        clbits_(std::move(o.clbits_)) {}
  state_vector& operator=(state_vector&& o) noexcept {
    swap(o);
    return *this;
  }
  ~state_vector() { ops::deallocate(data_, n_); }
  void swap(state_vector& o) noexcept {
    std::swap(n_, o.n_);
    std::swap(data_, o.data_);
    std::swap(threads_, o.threads_);
    std::swap(rng_, o.rng_);
    std::swap(clbits_, o.clbits_);
  }

  [[nodiscard]] std::size_t num_qubits() const noexcept { return n_; }
  [[nodiscard]] index_type size() const noexcept { return index_type{1} << n_; }
  /// Threads used by this state's operations (0: the backend's default).
  void set_threads(int t) noexcept { threads_ = t; }
  [[nodiscard]] int threads() const noexcept { return threads_; }
  /// Seeds the generator used by measure() and reset().
  void seed(std::uint64_t s) noexcept { rng_ = xoshiro256(s); }
  /// Classical bits written by measurements in apply(circuit).
  [[nodiscard]] const std::vector<int>& clbits() const noexcept { return clbits_; }

  void set_basis_state(index_type i) {
    if (i >= size())
      throw std::out_of_range("hqml::state_vector: basis state " + std::to_string(i) + " out of range for " +
                              std::to_string(n_) + " qubits");
    ops::fill_basis(data_, n_, i, threads_);
  }
  /// Sets every amplitude; the span must hold 2^n values (not renormalized).
  void set_amplitudes(std::span<const complex_type> amps) {
    if (amps.size() != size())
      throw std::invalid_argument("hqml::state_vector::set_amplitudes: " + std::to_string(amps.size()) +
                                  " amplitudes given for " + std::to_string(n_) + " qubits (needs " +
                                  std::to_string(size()) + ")");
    ops::upload(data_, amps.data(), size());
  }
  [[nodiscard]] std::vector<complex_type> to_vector() const {
    std::vector<complex_type> v(size());
    ops::download(v.data(), data_, size());
    return v;
  }
  [[nodiscard]] complex_type amplitude(index_type i) const {
    if (i >= size()) throw std::out_of_range("hqml::state_vector::amplitude: index out of range");
    complex_type v;
    ops::download(&v, data_ + i, 1);
    return v;
  }
  /// Host view of the amplitudes (host-memory backends only).
  [[nodiscard]] std::span<complex_type> data() noexcept requires backend_traits<Backend>::host_accessible {
    return {data_, size()};
  }
  [[nodiscard]] std::span<const complex_type> data() const noexcept requires backend_traits<Backend>::host_accessible {
    return {data_, size()};
  }
  /// Raw pointer in the backend's memory space, for kernels written against hqml's views.
  [[nodiscard]] complex_type* raw() noexcept { return data_; }
  [[nodiscard]] const complex_type* raw() const noexcept { return data_; }

  // ---- gates --------------------------------------------------------------------------------------

  /// Runs a circuit with parameters θ and features x. Measurements collapse the state and write clbits().
  state_vector& apply(const circuit& c, std::span<const double> theta = {}, std::span<const double> x = {},
                      const apply_options& opt = {}) {
    if (c.num_qubits() > n_)
      throw std::invalid_argument("hqml::state_vector::apply: circuit has " + std::to_string(c.num_qubits()) +
                                  " qubits, state has " + std::to_string(n_));
    clbits_.assign(c.num_clbits(), 0);
    const bool bound_needed = c.is_parameterized();
    if (opt.fusion && n_ >= opt.fusion_min_qubits) {
      const circuit fused =
          fuse(bound_needed ? c.bind(theta, x) : c, fusion_options{opt.fusion_max_qubits, ops::fusion_costs_for(n_)});
      for (const auto& op : fused.operations()) apply_constant(op);
    } else if (bound_needed) {
      for (const auto& op : c.operations()) apply_bound(op, theta, x);
    } else {
      for (const auto& op : c.operations()) apply_constant(op);
    }
    return *this;
  }

  /// Applies one operation (angles evaluated at θ, x).
  state_vector& apply(const operation& op, std::span<const double> theta = {}, std::span<const double> x = {}) {
    for (auto q : op.qubits) check_qubit(q, "apply");
    apply_bound(op, theta, x);
    return *this;
  }

  /// Applies a dense unitary on the given qubits (bit j of the matrix index is qubits[j]).
  state_vector& apply_matrix(std::span<const std::uint32_t> qubits, const matrix& m) {
    operation op{gate_kind::unitary, {qubits.begin(), qubits.end()}, {}, m, -1};
    validate_qubits(op.qubits, "apply_matrix");
    check_unitary(m, std::size_t{1} << qubits.size(), 1e-8, "hqml::state_vector::apply_matrix");
    apply_constant(op);
    return *this;
  }
  /// Applies a diagonal unitary given by its 2^k diagonal entries.
  state_vector& apply_diagonal(std::span<const std::uint32_t> qubits, const matrix& d) {
    circuit c(n_);
    c.diagonal({qubits.begin(), qubits.end()}, d);  // validates
    apply_constant(c.operations()[0]);
    return *this;
  }

  // ---- measurement ----------------------------------------------------------------------------------

  /// Probability that qubit q reads 1.
  [[nodiscard]] double probability_one(std::uint32_t q) const {
    check_qubit(q, "probability_one");
    return ops::probability_one(data_, n_, q, threads_);
  }
  /// Measures qubit q, collapses the state and returns 0 or 1.
  int measure(std::uint32_t q) {
    const double p1 = probability_one(q);
    const int outcome = rng_.uniform() < p1 ? 1 : 0;
    const double p = outcome ? p1 : 1.0 - p1;
    ops::collapse(data_, n_, q, outcome, 1.0 / std::sqrt(p), threads_);
    return outcome;
  }
  /// Resets qubit q to |0⟩ (measure, then flip if 1).
  void reset(std::uint32_t q) {
    if (measure(q)) apply_swap(index_type{0}, index_type{1} << q, {q});
  }

  /// All 2^n probabilities |a_i|².
  [[nodiscard]] std::vector<double> probabilities() const {
    std::vector<double> p(size());
    ops::probabilities(p.data(), data_, n_, threads_);
    return p;
  }
  /// Draws `shots` basis states i with probability |a_i|²; reproducible for a seed whatever the thread count.
  [[nodiscard]] std::vector<index_type> sample(std::size_t shots, std::uint64_t seed) const {
    return ops::sample(data_, n_, shots, seed, threads_);
  }

  // ---- observables ----------------------------------------------------------------------------------

  [[nodiscard]] double norm_squared() const { return ops::norm_squared(data_, n_, threads_); }
  /// ⟨ψ|P|ψ⟩ for a Pauli string.
  [[nodiscard]] double expectation(const pauli_string& p) const {
    check_pauli(p, "expectation");
    return ops::expectation(data_, n_, p.x_mask, p.z_mask, p.num_y(), threads_);
  }
  [[nodiscard]] double expectation(const pauli_sum& h) const {
    double s = 0;
    for (const auto& [c, p] : h.terms) s += c * expectation(p);
    return s;
  }
  /// ρ_q = Tr_{others} |ψ⟩⟨ψ| as row-major 2×2 (ρ00, ρ01, ρ10, ρ11).
  [[nodiscard]] std::array<std::complex<double>, 4> reduced_density_matrix(std::uint32_t q) const {
    check_qubit(q, "reduced_density_matrix");
    return ops::reduced_density_matrix(data_, n_, q, threads_);
  }

  /// ⟨a|b⟩.
  friend std::complex<double> overlap(const state_vector& a, const state_vector& b) {
    a.check_same_size(b, "overlap");
    return ops::overlap(a.data_, b.data_, a.n_, a.threads_);
  }

  /// ⟨a|P|b⟩ for a Pauli string P.
  friend std::complex<double> matrix_element(const state_vector& a, const pauli_string& p, const state_vector& b) {
    a.check_same_size(b, "matrix_element");
    a.check_pauli(p, "matrix_element");
    return ops::pauli_matrix_element(a.data_, b.data_, a.n_, p.x_mask, p.z_mask, p.num_y(), a.threads_);
  }
  /// ⟨a|H|b⟩.
  friend std::complex<double> matrix_element(const state_vector& a, const pauli_sum& h, const state_vector& b) {
    a.check_same_size(b, "matrix_element");
    std::complex<double> s = 0;
    for (const auto& [c, p] : h.terms) s += c * matrix_element(a, p, b);
    return s;
  }

  /// Sets this state to H|ψ⟩ (not normalized), reusing its memory when it has ψ's size; ψ may be this state.
  state_vector& assign_product(const pauli_sum& h, const state_vector& psi) {
    for (const auto& [c, p] : h.terms) psi.check_pauli(p, "assign_product");
    if (&psi == this || n_ != psi.n_) {
      state_vector t(psi.n_);
      t.threads_ = threads_;
      t.assign_product(h, psi);
      swap(t);
      return *this;
    }
    if (h.terms.empty()) ops::add_pauli(data_, psi.data_, n_, 0, 0, 0, 0.0, false, threads_);
    for (std::size_t t = 0; t < h.terms.size(); ++t) {
      const auto& [c, p] = h.terms[t];
      ops::add_pauli(data_, psi.data_, n_, p.x_mask, p.z_mask, p.num_y(), c, t > 0, threads_);
    }
    return *this;
  }
  /// this += c·b: with scale() and overlap(), the vector-space operations iterative solvers need
  /// (Lanczos, imaginary-time steps) without leaving the backend's memory.
  state_vector& add_scaled(std::complex<double> c, const state_vector& b) {
    check_same_size(b, "add_scaled");
    ops::add_pauli(data_, b.data_, n_, 0, 0, 0, c, true, threads_);
    return *this;
  }
  /// this = c·this (not renormalized).
  state_vector& scale(std::complex<double> c) {
    ops::add_pauli(data_, data_, n_, 0, 0, 0, c, false, threads_);  // the identity reads and writes one index
    return *this;
  }
  /// H|ψ⟩ as a new state (not normalized).
  friend state_vector operator*(const pauli_sum& h, const state_vector& psi) {
    state_vector r(psi.n_);
    r.threads_ = psi.threads_;
    r.assign_product(h, psi);
    return r;
  }

  /// T = Tr_others |b⟩⟨a| on one or two qubits, row-major into `out` (2^2k entries), bit j of a row or
  /// column index being qubits[j]. ⟨a|G ⊗ 1|b⟩ = Tr(G T) for any G on those qubits, and a = b gives the
  /// reduced density matrix: one pass over both states serves every operator on the qubits.
  friend void reduced_transition_matrix(const state_vector& a, const state_vector& b,
                                        std::span<const std::uint32_t> qubits, std::span<std::complex<double>> out) {
    static constexpr const char* where = "reduced_transition_matrix";
    a.check_same_size(b, where);
    if (qubits.empty() || qubits.size() > 2)
      throw std::invalid_argument("hqml::reduced_transition_matrix: " + std::to_string(qubits.size()) +
                                  " qubits; 1 or 2 supported");
    a.validate_qubits(qubits, where);
    const std::size_t entries = std::size_t{1} << (2 * qubits.size());
    if (out.size() != entries)
      throw std::invalid_argument("hqml::reduced_transition_matrix: output holds " + std::to_string(out.size()) +
                                  " entries, " + std::to_string(entries) + " needed");
    if (qubits.size() == 1) {
      const auto m = ops::template transition_matrix<1>(a.data_, b.data_, a.n_, qubits.data(), a.threads_);
      std::copy(m.begin(), m.end(), out.begin());
    } else {
      const auto m = ops::template transition_matrix<2>(a.data_, b.data_, a.n_, qubits.data(), a.threads_);
      std::copy(m.begin(), m.end(), out.begin());
    }
  }
  [[nodiscard]] friend matrix reduced_transition_matrix(const state_vector& a, const state_vector& b,
                                                        std::span<const std::uint32_t> qubits) {
    matrix m(qubits.size() <= 2 ? std::size_t{1} << (2 * qubits.size()) : 0);
    reduced_transition_matrix(a, b, qubits, m);
    return m;
  }

 private:
  // Past max_qubits the byte count 2^n · sizeof(complex_type) wraps (to 0 at 60 qubits in double), so the
  // refusal is decided on n and the message spells the size in powers of two.
  static std::size_t checked(std::size_t n) {
    if (n <= max_qubits) return n;
    constexpr auto amp_log2 = static_cast<std::size_t>(std::countr_zero(sizeof(complex_type)));
    const char* precision = std::is_same_v<Real, float> ? " in float precision" : " in double precision";
    std::string limit = std::to_string(max_qubits) + " qubits" + precision;
    if constexpr (requires { ops::memory_bytes(); }) {
      // The backend knows its memory: the real limit is far lower than the address space's.
      if (const std::size_t memory = ops::memory_bytes(); memory >= sizeof(complex_type)) {
        const auto fit = static_cast<std::size_t>(std::bit_width(memory / sizeof(complex_type))) - 1;
        const bool gib = memory >= std::size_t{1} << 30;
        limit = std::to_string(std::min(fit, max_qubits)) + " qubits" + precision + " (" +
                std::to_string(memory >> (gib ? 30 : 20)) + (gib ? " GiB" : " MiB") + " of memory)";
      }
    }
    const std::string count = n < 1000000 ? "2^" + std::to_string(n) : "2^n";
    throw detail::state_size_error("hqml: cannot allocate a state vector of " + std::to_string(n) +
                                   " qubits: " + count + " amplitudes of " + std::to_string(sizeof(complex_type)) +
                                   " bytes (" + detail::power_of_two_bytes(n < 1000000 ? n + amp_log2 : 70) +
                                   "); the limit is " + limit);
  }
  void check_pauli(const pauli_string& p, const char* where) const {
    if (p.support_size() > n_)
      throw std::out_of_range(std::string("hqml::state_vector::") + where + ": Pauli string acts on qubit " +
                              std::to_string(p.support_size() - 1) + " of a " + std::to_string(n_) + "-qubit state");
  }
  void check_same_size(const state_vector& b, const char* where) const {
    if (n_ != b.n_)
      throw std::invalid_argument(std::string("hqml::") + where + ": states have " + std::to_string(n_) + " and " +
                                  std::to_string(b.n_) + " qubits");
  }
  void check_qubit(std::uint32_t q, const char* where) const {
    if (q >= n_)
      throw std::out_of_range(std::string("hqml::state_vector::") + where + ": qubit " + std::to_string(q) +
                              " out of range for " + std::to_string(n_) + " qubits");
  }
  void validate_qubits(std::span<const std::uint32_t> qs, const char* where) const {
    if (qs.empty() || qs.size() > max_unitary_qubits)
      throw std::invalid_argument(std::string("hqml::state_vector::") + where + ": " + std::to_string(qs.size()) +
                                  " qubits; 1 to " + std::to_string(max_unitary_qubits) + " supported");
    for (std::size_t a = 0; a < qs.size(); ++a) {
      check_qubit(qs[a], where);
      for (std::size_t b = 0; b < a; ++b)
        if (qs[a] == qs[b])
          throw std::invalid_argument(std::string("hqml::state_vector::") + where + ": qubit " + std::to_string(qs[a]) +
                                      " repeated");
    }
  }

  void apply_bound(const operation& op, std::span<const double> theta, std::span<const double> x) {
    if (!op.is_parameterized()) return apply_constant(op);
    double prm[3] = {0, 0, 0};
    for (std::size_t j = 0; j < op.params.size(); ++j) prm[j] = op.params[j].evaluate(theta, x);
    apply_gate(op.kind, op.qubits, prm);
  }

  // Sorted copy of positions.
  template <std::size_t N>
  static unsigned sorted_positions(std::array<unsigned, N>& s, std::initializer_list<unsigned> qs) {
    unsigned k = 0;
    for (unsigned q : qs) s[k++] = q;
    std::sort(s.begin(), s.begin() + k);
    return k;
  }

  void apply_swap(index_type off0, index_type off1, std::initializer_list<unsigned> fixed) {
    std::array<unsigned, 3> s{};
    const unsigned k = sorted_positions(s, fixed);
    ops::run(n_, {s.data(), k}, threads_, kernels::swap_kernel<Real>{off0, off1}, data_);
  }
  void apply_phase(index_type mask, std::complex<double> ph, std::initializer_list<unsigned> fixed) {
    std::array<unsigned, 3> s{};
    const unsigned k = sorted_positions(s, fixed);
    ops::run(n_, {s.data(), k}, threads_, kernels::masked_phase_kernel<Real>{Real(ph.real()), Real(ph.imag()), mask},
             data_);
  }
  void apply_1q(unsigned target, index_type control_mask, const std::complex<double>* m,
                std::initializer_list<unsigned> fixed) {
    kernels::dense1_kernel<Real> k{};
    for (int e = 0; e < 4; ++e) {
      k.m[2 * e] = Real(m[e].real());
      k.m[2 * e + 1] = Real(m[e].imag());
    }
    k.offset = index_type{1} << target;
    k.control = control_mask;
    std::array<unsigned, 3> s{};
    const unsigned nk = sorted_positions(s, fixed);
    ops::run(n_, {s.data(), nk}, threads_, k, data_);
  }
  template <unsigned K>
  void apply_diagonal_k(std::span<const std::uint32_t> qs, const std::complex<double>* d) {
    kernels::diagonal_kernel<Real, K> k{};
    for (unsigned l = 0; l < (1u << K); ++l) {
      k.dre[l] = Real(d[l].real());
      k.dim_[l] = Real(d[l].imag());
      k.offsets[l] = group_offset(qs, l);
    }
    run_sorted<K>(qs, k);
  }
  void apply_diagonal_entries(std::span<const std::uint32_t> qs, const std::complex<double>* d) {
    switch (qs.size()) {
      case 1:
        return apply_diagonal_k<1>(qs, d);
      case 2:
        return apply_diagonal_k<2>(qs, d);
      case 3:
        return apply_diagonal_k<3>(qs, d);
      case 4:
        return apply_diagonal_k<4>(qs, d);
      case 5:
        return apply_diagonal_k<5>(qs, d);
      case 6:
        return apply_diagonal_k<6>(qs, d);
      default:
        throw std::invalid_argument("hqml::state_vector: diagonal gate on " + std::to_string(qs.size()) + " qubits");
    }
  }
  // Offset of local index l of a gate on qubits qs (bit j of l is qubit qs[j]).
  static index_type group_offset(std::span<const std::uint32_t> qs, unsigned l) {
    index_type off = 0;
    for (std::size_t j = 0; j < qs.size(); ++j)
      if ((l >> j) & 1u) off |= index_type{1} << qs[j];
    return off;
  }
  template <unsigned K, class F>
  void run_sorted(std::span<const std::uint32_t> qs, const F& f) {
    std::array<unsigned, K> s{};
    for (unsigned j = 0; j < K; ++j) s[j] = qs[j];
    std::sort(s.begin(), s.end());
    ops::run(n_, {s.data(), K}, threads_, f, data_);
  }
  template <unsigned K>
  void apply_dense_k(std::span<const std::uint32_t> qs, const std::complex<double>* m) {
    constexpr unsigned dim = 1u << K;
    kernels::dense_kernel<Real, K> k{};
    for (unsigned r = 0; r < dim; ++r)
      for (unsigned c = 0; c < dim; ++c) {
        k.mre[c * dim + r] = Real(m[r * dim + c].real());
        k.mim[c * dim + r] = Real(m[r * dim + c].imag());
      }
    for (unsigned l = 0; l < dim; ++l) k.offsets[l] = group_offset(qs, l);
    run_sorted<K>(qs, k);
  }
  void apply_dense(std::span<const std::uint32_t> qs, const std::complex<double>* m) {
    switch (qs.size()) {
      case 1:
        return apply_1q(qs[0], 0, m, {qs[0]});
      case 2:
        return apply_dense_k<2>(qs, m);
      case 3:
        return apply_dense_k<3>(qs, m);
      case 4:
        return apply_dense_k<4>(qs, m);
      case 5:
        return apply_dense_k<5>(qs, m);
      case 6:
        return apply_dense_k<6>(qs, m);
      default:
        throw std::invalid_argument("hqml::state_vector: dense gate on " + std::to_string(qs.size()) + " qubits");
    }
  }

 public:
  /// Applies a standard gate (not unitary/diagonal/measure/reset) with bound angles prm[0..] without
  /// allocating: the hot path of batched and variational simulation.
  void apply_gate(gate_kind kind, std::span<const std::uint32_t> q, const double* prm) {
    if (kind != gate_kind::barrier) {
      if (q.size() != info(kind).num_qubits)
        throw std::invalid_argument("hqml::state_vector::apply_gate: '" + std::string(info(kind).name) + "' takes " +
                                    std::to_string(info(kind).num_qubits) + " qubits, got " + std::to_string(q.size()));
      for (std::size_t a = 0; a < q.size(); ++a) {
        check_qubit(q[a], "apply_gate");
        for (std::size_t b = 0; b < a; ++b)
          if (q[a] == q[b]) throw std::invalid_argument("hqml::state_vector::apply_gate: qubit repeated");
      }
    }
    auto bit = [&](std::size_t j) { return index_type{1} << q[j]; };
    using c = std::complex<double>;
    std::array<c, 64> m;
    switch (kind) {
      case gate_kind::i:
      case gate_kind::barrier:
        return;
      case gate_kind::x:
        return apply_swap(0, bit(0), {q[0]});
      case gate_kind::z:
        return apply_phase(bit(0), -1.0, {q[0]});
      case gate_kind::s:
        return apply_phase(bit(0), c(0, 1), {q[0]});
      case gate_kind::sdg:
        return apply_phase(bit(0), c(0, -1), {q[0]});
      case gate_kind::t:
        return apply_phase(bit(0), std::polar(1.0, std::numbers::pi / 4), {q[0]});
      case gate_kind::tdg:
        return apply_phase(bit(0), std::polar(1.0, -std::numbers::pi / 4), {q[0]});
      case gate_kind::p:
        return apply_phase(bit(0), std::polar(1.0, prm[0]), {q[0]});
      case gate_kind::cx:
        return apply_swap(bit(0), bit(0) | bit(1), {q[0], q[1]});
      case gate_kind::cz:
        return apply_phase(bit(0) | bit(1), -1.0, {q[0], q[1]});
      case gate_kind::cp:
        return apply_phase(bit(0) | bit(1), std::polar(1.0, prm[0]), {q[0], q[1]});
      case gate_kind::swap:
        return apply_swap(bit(0), bit(1), {q[0], q[1]});
      case gate_kind::ccx:
        return apply_swap(bit(0) | bit(1), bit(0) | bit(1) | bit(2), {q[0], q[1], q[2]});
      case gate_kind::cswap:
        return apply_swap(bit(0) | bit(1), bit(0) | bit(2), {q[0], q[1], q[2]});
      case gate_kind::cy:
      case gate_kind::ch:
      case gate_kind::crx:
      case gate_kind::cry: {
        gate_matrix_into(kind, prm, m.data());  // controlled form; take the target block
        const c u[4] = {m[1 * 4 + 1], m[1 * 4 + 3], m[3 * 4 + 1], m[3 * 4 + 3]};
        return apply_1q(q[1], bit(0), u, {q[0], q[1]});
      }
      case gate_kind::rz:
      case gate_kind::crz:
      case gate_kind::rzz: {
        gate_matrix_into(kind, prm, m.data());
        const std::size_t d = std::size_t{1} << q.size();
        c diag[4];
        for (std::size_t i = 0; i < d; ++i) diag[i] = m[i * d + i];
        return apply_diagonal_entries(q, diag);
      }
      default:
        if (!gate_matrix_into(kind, prm, m.data()))
          throw std::invalid_argument("hqml::state_vector::apply_gate: '" + std::string(info(kind).name) +
                                      "' is not a standard gate");
        return apply_dense(q, m.data());
    }
  }

 private:
  void apply_constant(const operation& op) {
    double prm[3] = {0, 0, 0};
    for (std::size_t j = 0; j < op.params.size(); ++j) prm[j] = op.params[j].value();
    switch (op.kind) {
      case gate_kind::diagonal:
        return apply_diagonal_entries(op.qubits, op.data.data());
      case gate_kind::unitary:
        return apply_dense(op.qubits, op.data.data());
      case gate_kind::measure: {
        const int m = measure(op.qubits[0]);
        if (op.clbit >= 0 && static_cast<std::size_t>(op.clbit) < clbits_.size())
          clbits_[static_cast<std::size_t>(op.clbit)] = m;
        return;
      }
      case gate_kind::reset:
        return reset(op.qubits[0]);
      default:
        return apply_gate(op.kind, op.qubits, prm);
    }
  }

  std::size_t n_;
  complex_type* data_;
  int threads_ = 0;
  xoshiro256 rng_{0x5eed};
  std::vector<int> clbits_;
};

}  // namespace hqml
