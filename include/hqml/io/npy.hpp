#pragma once
// NumPy .npy files: reading format versions 1.0, 2.0 and 3.0 (either byte order, C or Fortran order) and
// writing C-order little-endian arrays, whole (write_npy) or streamed by row tiles (npy_stream_writer),
// the latter so that a kernel matrix larger than memory (50,000 x 50,000 float64 is 20 GB) can go to disk
// as it is computed. Every write is atomic (see atomic_file.hpp): a reader never sees a half-written array.
// Supported element types: double, float, std::complex<double>, std::complex<float>, int64, int32, uint8.

#include <algorithm>
#include <bit>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include <hqml/error.hpp>
#include <hqml/io/atomic_file.hpp>
#include <hqml/io/read_file.hpp>

namespace hqml::io {

enum class npy_dtype { float64, float32, complex128, complex64, int64, int32, uint8 };

/// Element sizes and descr codes of the supported dtypes.
[[nodiscard]] constexpr std::size_t npy_item_size(npy_dtype d) noexcept {
  switch (d) {
    case npy_dtype::float64: return 8;
    case npy_dtype::float32: return 4;
    case npy_dtype::complex128: return 16;
    case npy_dtype::complex64: return 8;
    case npy_dtype::int64: return 8;
    case npy_dtype::int32: return 4;
    case npy_dtype::uint8: return 1;
  }
  return 0;
}

[[nodiscard]] constexpr std::string_view npy_type_code(npy_dtype d) noexcept {
  switch (d) {
    case npy_dtype::float64: return "f8";
    case npy_dtype::float32: return "f4";
    case npy_dtype::complex128: return "c16";
    case npy_dtype::complex64: return "c8";
    case npy_dtype::int64: return "i8";
    case npy_dtype::int32: return "i4";
    case npy_dtype::uint8: return "u1";
  }
  return "";
}

template <class T>
struct npy_dtype_of;
template <> struct npy_dtype_of<double> { static constexpr npy_dtype value = npy_dtype::float64; };
template <> struct npy_dtype_of<float> { static constexpr npy_dtype value = npy_dtype::float32; };
template <> struct npy_dtype_of<std::complex<double>> { static constexpr npy_dtype value = npy_dtype::complex128; };
template <> struct npy_dtype_of<std::complex<float>> { static constexpr npy_dtype value = npy_dtype::complex64; };
template <> struct npy_dtype_of<std::int64_t> { static constexpr npy_dtype value = npy_dtype::int64; };
template <> struct npy_dtype_of<std::int32_t> { static constexpr npy_dtype value = npy_dtype::int32; };
template <> struct npy_dtype_of<std::uint8_t> { static constexpr npy_dtype value = npy_dtype::uint8; };

/// What an .npy header says.
struct npy_header {
  npy_dtype dtype = npy_dtype::float64;
  bool big_endian = false;
  bool fortran_order = false;
  std::vector<std::size_t> shape;
  std::size_t data_offset = 0;  // bytes before the first element

  [[nodiscard]] std::size_t count() const noexcept {
    std::size_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
  [[nodiscard]] std::size_t data_bytes() const noexcept { return count() * npy_item_size(dtype); }
};

namespace detail {

inline constexpr char npy_magic[] = "\x93NUMPY";

// A tiny reader for the Python dict literal NumPy writes: {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
class npy_dict_parser {
 public:
  npy_dict_parser(std::string_view text, std::string file, std::size_t base)
      : s_(text), file_(std::move(file)), base_(base) {}

  npy_header parse() {
    npy_header h;
    bool have_descr = false, have_order = false, have_shape = false;
    skip_ws();
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') {
        ++i_;
        break;
      }
      const std::string key = string_literal();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        const auto at = i_;
        parse_descr(string_literal(), h, at);
        have_descr = true;
      } else if (key == "fortran_order") {
        if (s_.substr(i_, 4) == "True") {
          h.fortran_order = true;
          i_ += 4;
        } else if (s_.substr(i_, 5) == "False") {
          h.fortran_order = false;
          i_ += 5;
        } else {
          fail("fortran_order must be True or False");
        }
        have_order = true;
      } else if (key == "shape") {
        h.shape = tuple();
        have_shape = true;
      } else {
        fail("unexpected key '" + key + "' in the .npy header");
      }
      skip_ws();
      if (peek() == ',') {
        ++i_;
      } else if (peek() != '}') {
        fail("expected ',' or '}' in the .npy header");
      }
    }
    if (!have_descr || !have_order || !have_shape) fail("the .npy header lacks descr, fortran_order or shape");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const { throw hqml::parse_error(file_, 1, base_ + i_ + 1, msg); }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "' in the .npy header");
    ++i_;
  }
  std::string string_literal() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string in the .npy header");
    ++i_;
    const auto end = s_.find(q, i_);
    if (end == std::string_view::npos) fail("unterminated string in the .npy header");
    std::string out(s_.substr(i_, end - i_));
    i_ = end + 1;
    return out;
  }
  std::vector<std::size_t> tuple() {
    std::vector<std::size_t> dims;
    expect('(');
    for (;;) {
      skip_ws();
      if (peek() == ')') {
        ++i_;
        return dims;
      }
      if (peek() < '0' || peek() > '9') fail("expected a dimension in the .npy shape");
      std::size_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        const auto digit = static_cast<std::size_t>(peek() - '0');
        if (v > (std::numeric_limits<std::size_t>::max() - digit) / 10) fail("dimension too large in the .npy shape");
        v = v * 10 + digit;
        ++i_;
      }
      if (peek() == 'L') ++i_;  // Python 2 longs
      dims.push_back(v);
      skip_ws();
      if (peek() == ',') ++i_;
      else if (peek() != ')') fail("expected ',' or ')' in the .npy shape");
    }
  }
  void parse_descr(const std::string& d, npy_header& h, std::size_t at) {
    if (d.size() < 2) {
      i_ = at;
      fail("unsupported dtype '" + d + "'");
    }
    std::string_view code(d);
    const char order = code.front();
    if (order == '<' || order == '>' || order == '|' || order == '=') {
      code.remove_prefix(1);
      h.big_endian = order == '>' || (order == '=' && std::endian::native == std::endian::big);
    } else {
      h.big_endian = std::endian::native == std::endian::big;
    }
    for (auto t : {npy_dtype::float64, npy_dtype::float32, npy_dtype::complex128, npy_dtype::complex64,
                   npy_dtype::int64, npy_dtype::int32, npy_dtype::uint8}) {
      if (code == npy_type_code(t)) {
        h.dtype = t;
        return;
      }
    }
    i_ = at;
    fail("unsupported dtype '" + d + "' (hqml reads f8, f4, c16, c8, i8, i4, u1)");
  }

  std::string_view s_;
  std::string file_;
  std::size_t base_;
  std::size_t i_ = 0;
};

inline void byteswap_elements(char* data, std::size_t count, std::size_t item, bool complex_pair) {
  // Complex numbers are two floats, each swapped on its own.
  const std::size_t word = complex_pair ? item / 2 : item;
  if (word <= 1) return;
  for (std::size_t k = 0; k < count * item; k += word) std::reverse(data + k, data + k + word);
}

inline bool is_complex(npy_dtype d) { return d == npy_dtype::complex128 || d == npy_dtype::complex64; }

template <class From, class To>
inline constexpr bool lossless = std::is_same_v<From, To> ||
                                 (std::is_same_v<From, float> && std::is_same_v<To, double>) ||
                                 (std::is_same_v<From, std::complex<float>> && std::is_same_v<To, std::complex<double>>) ||
                                 (std::is_floating_point_v<From> && std::is_same_v<To, std::complex<double>>) ||
                                 (std::is_same_v<From, float> && std::is_same_v<To, std::complex<float>>) ||
                                 (std::is_same_v<From, std::int32_t> && std::is_same_v<To, std::int64_t>) ||
                                 (std::is_same_v<From, std::int32_t> && std::is_same_v<To, double>) ||
                                 (std::is_same_v<From, std::uint8_t> && std::is_integral_v<To>) ||
                                 (std::is_same_v<From, std::uint8_t> && std::is_floating_point_v<To>);

template <class From, class To>
void convert_into(const char* raw, std::size_t count, To* out) {
  for (std::size_t k = 0; k < count; ++k) {
    From v;
    std::memcpy(&v, raw + k * sizeof(From), sizeof(From));
    out[k] = static_cast<To>(v);
  }
}

template <class Fn>
decltype(auto) visit_dtype(npy_dtype d, Fn&& fn) {
  switch (d) {
    case npy_dtype::float64: return fn(double{});
    case npy_dtype::float32: return fn(float{});
    case npy_dtype::complex128: return fn(std::complex<double>{});
    case npy_dtype::complex64: return fn(std::complex<float>{});
    case npy_dtype::int64: return fn(std::int64_t{});
    case npy_dtype::int32: return fn(std::int32_t{});
    case npy_dtype::uint8: return fn(std::uint8_t{});
  }
  return fn(double{});
}

template <class T>
void convert_raw(const npy_header& h, char* raw, std::size_t count, T* out, const std::filesystem::path& file) {
  if (h.big_endian != (std::endian::native == std::endian::big))
    byteswap_elements(raw, count, npy_item_size(h.dtype), is_complex(h.dtype));
  visit_dtype(h.dtype, [&](auto tag) {
    using From = decltype(tag);
    if constexpr (lossless<From, T>) {
      convert_into<From, T>(raw, count, out);
    } else {
      throw std::runtime_error("hqml: " + file.string() + ": stored dtype " + std::string(npy_type_code(h.dtype)) +
                               " cannot be read as " + std::string(npy_type_code(npy_dtype_of<T>::value)) +
                               " without loss");
    }
  });
}

inline std::string npy_shape_text(std::span<const std::size_t> shape) {
  std::string s = "(";
  for (std::size_t k = 0; k < shape.size(); ++k) {
    s += std::to_string(shape[k]);
    if (shape.size() == 1 || k + 1 < shape.size()) s += shape.size() == 1 ? "," : ", ";
  }
  return s + ")";
}

inline std::ifstream open_for_reading(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::filesystem::filesystem_error("hqml: cannot open .npy file", p,
                                                   std::make_error_code(std::errc::no_such_file_or_directory));
  return in;
}

}  // namespace detail

/// The header bytes (magic, version, length, padded dict) for a C-order little-endian array.
[[nodiscard]] inline std::string npy_header_bytes(npy_dtype dtype, std::span<const std::size_t> shape) {
  std::string dict = "{'descr': '";
  dict += dtype == npy_dtype::uint8 ? '|' : '<';
  dict += std::string(npy_type_code(dtype)) + "', 'fortran_order': False, 'shape': " + detail::npy_shape_text(shape) + ", }";
  // NumPy aligns the data to 64 bytes; version 2.0 only when the dict does not fit a 16-bit length.
  std::size_t prefix = 10;
  if (dict.size() + 1 + 64 > 65535) prefix = 12;
  std::size_t total = prefix + dict.size() + 1;
  total = (total + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  std::string out(detail::npy_magic, 6);
  const std::size_t len = dict.size();
  if (prefix == 10) {
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(len & 0xff);
    out += static_cast<char>((len >> 8) & 0xff);
  } else {
    out += '\x02';
    out += '\x00';
    for (int b = 0; b < 4; ++b) out += static_cast<char>((len >> (8 * b)) & 0xff);
  }
  return out + dict;
}

/// Reads and checks the header; the file must hold exactly the bytes the header promises.
[[nodiscard]] inline npy_header read_npy_header(std::istream& in, const std::filesystem::path& file) {
  const std::string name = file.string();
  char pre[10];
  in.read(pre, 10);
  if (in.gcount() != 10 || std::memcmp(pre, detail::npy_magic, 6) != 0)
    throw hqml::parse_error(name, 1, 1, "not a .npy file (bad magic string)");
  const auto major = static_cast<unsigned char>(pre[6]);
  std::size_t len = 0, prefix = 10;
  if (major == 1) {
    len = static_cast<unsigned char>(pre[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(pre[9])) << 8);
  } else if (major == 2 || major == 3) {
    char more[2];
    in.read(more, 2);
    if (in.gcount() != 2) throw hqml::parse_error(name, 1, 9, "truncated .npy header");
    const unsigned char b[4] = {static_cast<unsigned char>(pre[8]), static_cast<unsigned char>(pre[9]),
                                static_cast<unsigned char>(more[0]), static_cast<unsigned char>(more[1])};
    len = b[0] | (std::size_t{b[1]} << 8) | (std::size_t{b[2]} << 16) | (std::size_t{b[3]} << 24);
    prefix = 12;
  } else {
    throw hqml::parse_error(name, 1, 7, "unsupported .npy format version " + std::to_string(major));
  }
  // NumPy writes headers of a few dozen bytes (np.load refuses more than 10000 by default); a stated length in
  // the gigabytes is a broken file, not a reason to allocate.
  constexpr std::size_t max_header = std::size_t{1} << 20;
  if (len > max_header)
    throw hqml::parse_error(name, 1, 9,
                            "the header claims " + std::to_string(len) + " bytes; .npy headers are at most 1 MiB");
  std::string dict(len, '\0');
  in.read(dict.data(), static_cast<std::streamsize>(len));
  if (static_cast<std::size_t>(in.gcount()) != len) throw hqml::parse_error(name, 1, prefix + 1, "truncated .npy header");
  auto h = detail::npy_dict_parser(dict, name, prefix).parse();
  h.data_offset = prefix + len;
  // count() and data_bytes() must not wrap: a shape whose byte count exceeds any address space is refused here.
  std::size_t bytes = npy_item_size(h.dtype);
  for (const auto d : h.shape)
    if (__builtin_mul_overflow(bytes, d, &bytes) || bytes > (std::numeric_limits<std::size_t>::max() >> 1)) {
      std::string shape;
      for (const auto e : h.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(e);
      throw hqml::parse_error(name, 1, prefix + 1, "shape (" + shape + ") holds more bytes than any memory");
    }
  return h;
}

[[nodiscard]] inline npy_header read_npy_header(const std::filesystem::path& file) {
  auto in = detail::open_for_reading(file);
  return read_npy_header(in, file);
}

/// An array in C (row-major) order.
template <class T>
struct npy_array {
  std::vector<std::size_t> shape;
  std::vector<T> data;
};

/// Reads a whole array as T (stored dtype T or one that converts to T exactly, such as f4 to f8).
/// Fortran-order files are returned in C order. Throws parse_error or runtime_error naming the file.
template <class T>
[[nodiscard]] npy_array<T> read_npy(const std::filesystem::path& file) {
  auto in = detail::open_for_reading(file);
  const auto h = read_npy_header(in, file);
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec && size != h.data_offset + h.data_bytes())
    throw hqml::parse_error(file.string(), 1, h.data_offset + 1,
                            "file holds " + std::to_string(size - std::min<std::uintmax_t>(size, h.data_offset)) +
                                " data bytes but its header promises " + std::to_string(h.data_bytes()) +
                                (size < h.data_offset + h.data_bytes() ? " (truncated)" : " (trailing bytes)"));
  // A stream has no size to check against: it may not promise more than an input file may hold.
  if (ec && h.data_bytes() > max_input_bytes())
    throw hqml::parse_error(file.string(), 1, h.data_offset + 1,
                            "the header promises " + std::to_string(h.data_bytes()) +
                                " data bytes, more than the input limit (HQML_MAX_INPUT_BYTES)");
  const std::size_t n = h.count();
  std::vector<char> raw(h.data_bytes());
  in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
  if (static_cast<std::size_t>(in.gcount()) != raw.size())
    throw hqml::parse_error(file.string(), 1, h.data_offset + 1, "truncated .npy data");
  npy_array<T> out;
  out.shape = h.shape;
  out.data.resize(n);
  detail::convert_raw(h, raw.data(), n, out.data.data(), file);
  if (h.fortran_order && h.shape.size() > 1) {
    // Reverse the index order: element (i0..ik) sits at the Fortran offset.
    std::vector<T> c(n);
    const auto& s = h.shape;
    std::vector<std::size_t> idx(s.size(), 0);
    for (std::size_t lin = 0; lin < n; ++lin) {
      std::size_t f = 0, stride = 1;
      for (std::size_t d = 0; d < s.size(); ++d) {
        f += idx[d] * stride;
        stride *= s[d];
      }
      c[lin] = out.data[f];
      for (std::size_t d = s.size(); d-- > 0;) {
        if (++idx[d] < s[d]) break;
        idx[d] = 0;
      }
    }
    out.data.swap(c);
  }
  return out;
}

/// Reads rows [first, first + count) of a C-order 2-D (or 1-D) array without loading the rest.
template <class Scalar = double>
[[nodiscard]] Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> read_npy_rows(const std::filesystem::path& file,
                                                                                  std::size_t first, std::size_t count) {
  auto in = detail::open_for_reading(file);
  const auto h = read_npy_header(in, file);
  if (h.shape.empty() || h.shape.size() > 2 || (h.fortran_order && h.shape.size() > 1))
    throw std::runtime_error("hqml: " + file.string() + ": read_npy_rows needs a C-order 1-D or 2-D array");
  const std::size_t rows = h.shape[0], cols = h.shape.size() == 2 ? h.shape[1] : 1;
  if (first > rows || count > rows - first)
    throw std::out_of_range("hqml: " + file.string() + ": rows [" + std::to_string(first) + ", " +
                            std::to_string(first + count) + ") outside the " + std::to_string(rows) + " stored rows");
  const std::size_t item = npy_item_size(h.dtype);
  // The rows asked for must be in the file before memory is set aside for them.
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec && size < h.data_offset + (first + count) * cols * item)
    throw hqml::parse_error(file.string(), 1, h.data_offset + 1, "truncated .npy data");
  in.seekg(static_cast<std::streamoff>(h.data_offset + first * cols * item));
  std::vector<char> raw(count * cols * item);
  in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
  if (static_cast<std::size_t>(in.gcount()) != raw.size())
    throw hqml::parse_error(file.string(), 1, h.data_offset + 1, "truncated .npy data");
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> m(static_cast<Eigen::Index>(count),
                                                                          static_cast<Eigen::Index>(cols));
  detail::convert_raw(h, raw.data(), count * cols, m.data(), file);
  return m;
}

/// A 2-D array as a matrix (a 1-D array becomes one column).
template <class Scalar = double>
[[nodiscard]] Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> read_npy_matrix(const std::filesystem::path& file) {
  auto a = read_npy<Scalar>(file);
  if (a.shape.empty() || a.shape.size() > 2)
    throw std::runtime_error("hqml: " + file.string() + ": expected a 1-D or 2-D array, found " +
                             std::to_string(a.shape.size()) + " dimensions");
  const auto rows = static_cast<Eigen::Index>(a.shape[0]);
  const auto cols = static_cast<Eigen::Index>(a.shape.size() == 2 ? a.shape[1] : 1);
  return Eigen::Map<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(a.data.data(), rows,
                                                                                                  cols);
}

/// A 1-D array (or an n x 1 / 1 x n one) as a vector.
template <class Scalar = double>
[[nodiscard]] Eigen::Matrix<Scalar, Eigen::Dynamic, 1> read_npy_vector(const std::filesystem::path& file) {
  auto a = read_npy<Scalar>(file);
  const bool ok = a.shape.size() == 1 || (a.shape.size() == 2 && (a.shape[0] == 1 || a.shape[1] == 1));
  if (!ok) throw std::runtime_error("hqml: " + file.string() + ": expected a 1-D array");
  return Eigen::Map<const Eigen::Matrix<Scalar, Eigen::Dynamic, 1>>(a.data.data(),
                                                                     static_cast<Eigen::Index>(a.data.size()));
}

/// Streams a C-order array to disk by row tiles: the header (with the final shape) is written first,
/// rows follow, and finalize() checks the row count and makes the file appear atomically. Destroyed
/// without finalize() (an exception, a crash), it leaves no file behind.
template <class T>
class npy_stream_writer {
 public:
  npy_stream_writer(std::filesystem::path file, std::size_t rows, std::size_t cols)
      : npy_stream_writer(std::move(file), std::vector<std::size_t>{rows, cols}) {}

  /// shape[0] is the streamed dimension; a row is the product of the others.
  npy_stream_writer(std::filesystem::path file, std::vector<std::size_t> shape)
      : shape_(std::move(shape)), out_(std::move(file)) {
    if (shape_.empty()) throw std::invalid_argument("hqml: npy_stream_writer needs at least one dimension");
    row_elems_ = 1;
    for (std::size_t d = 1; d < shape_.size(); ++d) row_elems_ *= shape_[d];
    out_.write(npy_header_bytes(npy_dtype_of<T>::value, shape_));
  }

  /// Appends `n_rows` rows stored contiguously in C order.
  void append_rows(const T* data, std::size_t n_rows) {
    if (n_rows > shape_[0] - rows_)
      throw std::length_error("hqml: " + out_.target().string() + ": more rows appended than the declared " +
                              std::to_string(shape_[0]));
    out_.write(data, n_rows * row_elems_ * sizeof(T));
    rows_ += n_rows;
  }

  /// Appends the rows of a matrix tile (any storage order) with shape[1] columns.
  template <class Derived>
  void append_rows(const Eigen::DenseBase<Derived>& tile) {
    static_assert(std::is_same_v<typename Derived::Scalar, T>, "tile scalar must match the stream's element type");
    if (static_cast<std::size_t>(tile.cols()) != row_elems_)
      throw std::invalid_argument("hqml: " + out_.target().string() + ": tile has " + std::to_string(tile.cols()) +
                                  " columns, the array " + std::to_string(row_elems_));
    if constexpr (Derived::IsRowMajor && Derived::InnerStrideAtCompileTime == 1) {
      if (tile.derived().outerStride() == tile.cols()) {
        append_rows(tile.derived().data(), static_cast<std::size_t>(tile.rows()));
        return;
      }
    }
    const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row_major = tile;
    append_rows(row_major.data(), static_cast<std::size_t>(row_major.rows()));
  }

  [[nodiscard]] std::size_t rows_written() const noexcept { return rows_; }
  [[nodiscard]] std::size_t rows_expected() const noexcept { return shape_[0]; }

  void finalize() {
    if (rows_ != shape_[0]) {
      out_.abort();
      throw std::length_error("hqml: " + out_.target().string() + ": " + std::to_string(rows_) + " of " +
                              std::to_string(shape_[0]) + " rows written; file not created");
    }
    out_.commit();
  }

 private:
  std::vector<std::size_t> shape_;
  std::size_t row_elems_ = 1;
  std::size_t rows_ = 0;
  atomic_file out_;
};

/// Writes a C-order array atomically.
template <class T>
void write_npy(const std::filesystem::path& file, const T* data, std::span<const std::size_t> shape) {
  atomic_file out(file);
  out.write(npy_header_bytes(npy_dtype_of<T>::value, shape));
  std::size_t n = 1;
  for (auto s : shape) n *= s;
  out.write(data, n * sizeof(T));
  out.commit();
}

/// Writes a 1-D array.
template <class T>
void write_npy(const std::filesystem::path& file, std::span<const T> values) {
  const std::size_t shape[1] = {values.size()};
  write_npy(file, values.data(), std::span<const std::size_t>(shape, 1));
}
template <class T>
void write_npy(const std::filesystem::path& file, const std::vector<T>& values) {
  write_npy(file, std::span<const T>(values));
}

/// Writes a matrix as a 2-D C-order array (a compile-time vector as 1-D).
template <class Derived>
void write_npy(const std::filesystem::path& file, const Eigen::DenseBase<Derived>& m) {
  using T = typename Derived::Scalar;
  const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row_major = m;
  if constexpr (Derived::ColsAtCompileTime == 1) {
    const std::size_t shape[1] = {static_cast<std::size_t>(m.rows())};
    write_npy(file, row_major.data(), std::span<const std::size_t>(shape, 1));
  } else {
    const std::size_t shape[2] = {static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols())};
    write_npy(file, row_major.data(), std::span<const std::size_t>(shape, 2));
  }
}

}  // namespace hqml::io
