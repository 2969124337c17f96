#pragma once
// Versioned model directories:
//
//   model/
//     model.json        {"format_version": 1, "kind": "...", "arrays": {name: {file, dtype, shape, crc32}}, ...}
//     <name>.npy        one file per array (NumPy format, readable by numpy.load)
//
// model.json carries whatever blocks the writer adds (an "svc" block, later "feature_map" and "kernel"
// blocks of a pipeline); arrays are referenced by name and checked by CRC-32 on load, so a truncated or
// corrupted file is reported by name instead of being read as wrong numbers. The directory is written
// atomically (atomic_directory): a good model is never replaced by a half-written one.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <hqml/config.hpp>
#include <hqml/error.hpp>
#include <hqml/io/atomic_file.hpp>
#include <hqml/io/npy.hpp>
#include <hqml/io/read_file.hpp>

namespace hqml::learn {

/// The model.json format this build writes and the newest it reads.
inline constexpr int model_format_version = 1;

/// A model directory that cannot be used; file() names the offending file.
class model_error : public std::runtime_error {
 public:
  model_error(std::filesystem::path file, const std::string& message)
      : std::runtime_error("hqml: " + printable(file.string()) + ": " + message), file_(std::move(file)) {}
  [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }

 private:
  std::filesystem::path file_;
};

namespace detail {

// CRC-32 (zlib's, polynomial 0xEDB88320): the same value as Python's zlib.crc32 of the file bytes.
inline std::uint32_t crc32(const void* data, std::size_t n, std::uint32_t crc = 0) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
  return ~crc;
}

inline std::string read_bytes(const std::filesystem::path& p) {
  try {
    return io::read_input_file(p);
  } catch (const std::system_error& e) {
    throw model_error(p, e.code() == std::errc::file_too_large ? "larger than the input limit (HQML_MAX_INPUT_BYTES)"
                                                               : "cannot open: " + e.code().message());
  }
}

inline void check_array_name(const std::string& name) {
  const bool ok =
      !name.empty() && name.front() != '.' &&
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == std::string::npos;
  if (!ok) throw std::invalid_argument("hqml: model array name '" + name + "' must be [A-Za-z0-9_.-]+");
}

}  // namespace detail

/// Collects JSON blocks and arrays in memory, then writes the directory in one atomic step.
class model_writer {
 public:
  explicit model_writer(std::string kind) {
    root_["format_version"] = model_format_version;
    root_["kind"] = std::move(kind);
    root_["created_by"] = "hqml " + std::to_string(HQML_VERSION_MAJOR) + "." + std::to_string(HQML_VERSION_MINOR) +
                          "." + std::to_string(HQML_VERSION_PATCH);
  }

  /// The model.json root object; add your own blocks. "format_version", "kind" and "arrays" are managed here.
  [[nodiscard]] nlohmann::json& json() noexcept { return root_; }

  /// Stores a matrix as a 2-D C-order array (a compile-time vector as 1-D).
  template <class Derived>
  void add_array(const std::string& name, const Eigen::DenseBase<Derived>& m) {
    using T = typename Derived::Scalar;
    const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm = m;
    std::vector<std::size_t> shape;
    if constexpr (Derived::ColsAtCompileTime == 1) {
      shape = {static_cast<std::size_t>(m.rows())};
    } else {
      shape = {static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols())};
    }
    put(name, rm.data(), shape);
  }
  template <class T>
  void add_array(const std::string& name, const std::vector<T>& v) {
    put(name, v.data(), {v.size()});
  }

  /// Writes (or atomically replaces) the model directory. With `beside_others`, a directory holding files
  /// the model did not write (a project folder) gets the model's files added, each written atomically and
  /// model.json last, and keeps everything else; a file of the same name as one of the model's is refused.
  void save(const std::filesystem::path& dir, bool beside_others = false) const {
    if (beside_others && !replaceable(dir)) {
      save_beside(dir);
      return;
    }
    check_replaceable(dir);
    io::atomic_directory out(dir);
    nlohmann::json root = root_;
    root["arrays"] = nlohmann::json::object();
    for (const auto& [name, a] : arrays_) {
      out.write_file(a.file, a.bytes);
      root["arrays"][name] = {{"file", a.file},
                              {"dtype", a.dtype},
                              {"shape", a.shape},
                              {"crc32", detail::crc32(a.bytes.data(), a.bytes.size())}};
    }
    out.write_file("model.json", root.dump(2) + "\n");
    out.commit();
  }

  /// Whether save() may replace `dir` (check_replaceable would not throw).
  [[nodiscard]] static bool replaceable(const std::filesystem::path& dir) {
    try {
      check_replaceable(dir);
      return true;
    } catch (const std::filesystem::filesystem_error&) {
      return false;
    }
  }

  /// What save(dir, true) refuses before any work: `dir` is not a directory, or already holds a file named
  /// as one the model writes (model.json, or an array file when `array_files` lists them).
  static void check_beside_others(std::filesystem::path dir, const std::vector<std::string>& array_files = {}) {
    namespace fs = std::filesystem;
    if (dir.filename().empty()) dir = dir.parent_path();
    std::error_code ec;
    const auto refuse = [&](const std::string& why) {
      throw fs::filesystem_error("refusing to add a model to " + why, dir,
                                 std::make_error_code(std::errc::file_exists));
    };
    if (!fs::is_directory(fs::symlink_status(dir, ec))) refuse("something that is not a directory");
    // The files of an hqml model saved there earlier (with --force) are the program's own to replace.
    std::vector<std::string> ours;
    if (fs::exists(fs::symlink_status(dir / "model.json", ec))) {
      try {
        const auto root = nlohmann::json::parse(detail::read_bytes(dir / "model.json"));
        if (!root.contains("kind") || !root.contains("arrays")) throw std::runtime_error("not a model");
        for (const auto& [name, a] : root.at("arrays").items()) ours.push_back(a.at("file").get<std::string>());
      } catch (const std::exception&) {
        refuse("a directory that already holds a 'model.json' that is not an hqml model's");
      }
    }
    for (const auto& name : array_files)
      if (std::find(ours.begin(), ours.end(), name) == ours.end() && fs::exists(fs::symlink_status(dir / name, ec)))
        refuse("a directory that already holds '" + name + "', which the model would replace");
  }

  /// Saving replaces `dir` only where nothing but an earlier model would be lost: a missing path, an empty
  /// directory, or a directory holding exactly an hqml model's files (model.json and the arrays it lists).
  /// Anything else (a project folder, a file, a device node) is refused before any work, never deleted.
  static void check_replaceable(std::filesystem::path dir) {
    namespace fs = std::filesystem;
    if (dir.filename().empty()) dir = dir.parent_path();
    std::error_code ec;
    const auto st = fs::symlink_status(dir, ec);
    if (ec || !fs::exists(st)) return;
    const auto refuse = [&](const std::string& why, std::errc code) {
      throw fs::filesystem_error("refusing to write a model over " + why + "; choose another path", dir,
                                 std::make_error_code(code));
    };
    if (!fs::is_directory(st)) refuse("something that is not a directory", std::errc::file_exists);
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir, ec)) names.push_back(e.path().filename().string());
    if (ec) refuse("a directory it cannot list", std::errc::permission_denied);
    if (names.empty()) return;
    std::vector<std::string> expected = {"model.json"};
    try {
      const auto root = nlohmann::json::parse(detail::read_bytes(dir / "model.json"));
      if (!root.contains("kind") || !root.contains("arrays")) throw std::runtime_error("not a model");
      for (const auto& [name, a] : root.at("arrays").items()) expected.push_back(a.at("file").get<std::string>());
    } catch (const std::exception&) {
      refuse("a non-empty directory that is not an hqml model (it holds '" + names.front() + "'" +
                 (names.size() > 1 ? " and " + std::to_string(names.size() - 1) + " more" : std::string{}) +
                 "; --force adds the model's files beside them)",
             std::errc::directory_not_empty);
    }
    for (const auto& n : names)
      if (std::find(expected.begin(), expected.end(), n) == expected.end())
        refuse("an hqml model directory that also holds '" + n + "', which the model did not write",
               std::errc::directory_not_empty);
  }

 private:
  void save_beside(const std::filesystem::path& dir) const {
    std::vector<std::string> files;
    for (const auto& [name, a] : arrays_) files.push_back(a.file);
    check_beside_others(dir, files);
    nlohmann::json root = root_;
    root["arrays"] = nlohmann::json::object();
    for (const auto& [name, a] : arrays_) {
      io::write_file_atomically(dir / a.file, a.bytes);
      root["arrays"][name] = {{"file", a.file},
                              {"dtype", a.dtype},
                              {"shape", a.shape},
                              {"crc32", detail::crc32(a.bytes.data(), a.bytes.size())}};
    }
    io::write_file_atomically(dir / "model.json", root.dump(2) + "\n");  // last: it names the arrays
  }

  struct stored {
    std::string file, dtype, bytes;
    std::vector<std::size_t> shape;
  };
  template <class T>
  void put(const std::string& name, const T* data, std::vector<std::size_t> shape) {
    detail::check_array_name(name);
    constexpr auto dt = io::npy_dtype_of<T>::value;
    std::size_t n = 1;
    for (auto s : shape) n *= s;
    stored s;
    s.file = name + ".npy";
    s.dtype = std::string(dt == io::npy_dtype::uint8 ? "|" : "<") + std::string(io::npy_type_code(dt));
    s.bytes = io::npy_header_bytes(dt, shape);
    s.bytes.append(reinterpret_cast<const char*>(data), n * sizeof(T));
    s.shape = std::move(shape);
    arrays_[name] = std::move(s);
  }

  nlohmann::json root_;
  std::map<std::string, stored> arrays_;
};

/// Opens a model directory: parses model.json, checks the format version; arrays load on request.
class model_reader {
 public:
  explicit model_reader(std::filesystem::path dir) : dir_(std::move(dir)) {
    const auto file = dir_ / "model.json";
    std::error_code ec;
    if (!std::filesystem::is_directory(dir_, ec))
      throw model_error(dir_, "not a model directory (missing or not a folder)");
    if (!std::filesystem::is_regular_file(file, ec)) throw model_error(file, "missing model.json");
    const std::string text = detail::read_bytes(file);
    try {
      root_ = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      std::size_t line = 1, col = 1;
      for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
          ++line;
          col = 1;
        } else {
          ++col;
        }
      }
      throw hqml::parse_error(file.string(), line, col, "model.json is not valid JSON");
    } catch (const nlohmann::json::exception& e) {  // valid syntax the reader cannot hold: 1e400 (out_of_range 406)
      throw model_error(file, std::string("model.json: ") + e.what());
    }
    if (!root_.is_object() || !root_.contains("format_version") || !root_["format_version"].is_number_integer())
      throw model_error(file, "no integer \"format_version\"; not an hqml model");
    const int v = root_["format_version"].get<int>();
    if (v < 1 || v > model_format_version)
      throw model_error(file, "format_version " + std::to_string(v) + " is not supported (this hqml reads 1 to " +
                                  std::to_string(model_format_version) + ")");
    if (!root_.contains("kind") || !root_["kind"].is_string()) throw model_error(file, "no \"kind\" string");
    if (!root_.contains("arrays") || !root_["arrays"].is_object()) throw model_error(file, "no \"arrays\" object");
  }

  [[nodiscard]] const nlohmann::json& json() const noexcept { return root_; }
  [[nodiscard]] std::string kind() const { return root_["kind"].get<std::string>(); }
  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }

  /// A JSON block by key, or a model_error naming model.json.
  [[nodiscard]] const nlohmann::json& block(const std::string& key) const {
    if (!root_.contains(key)) throw model_error(dir_ / "model.json", "missing \"" + key + "\" block");
    return root_[key];
  }

  [[nodiscard]] bool has_array(const std::string& name) const { return root_["arrays"].contains(name); }

  /// An array as stored (after its checksum has been verified).
  template <class T>
  [[nodiscard]] io::npy_array<T> array(const std::string& name) const {
    const auto path = verified(name);
    io::npy_array<T> a;
    try {
      a = io::read_npy<T>(path);
    } catch (const hqml::parse_error&) {
      throw;
    } catch (const std::runtime_error& e) {  // a stored type that does not convert (f8 where i8 belongs)
      std::string why = e.what();
      if (const auto at = why.find(path.string() + ": "); at != std::string::npos)
        why.erase(0, at + path.string().size() + 2);
      throw model_error(path, why);
    }
    const auto& entry = root_["arrays"][name];
    if (entry.contains("shape")) {
      const auto& shape = entry["shape"];
      const bool ok = shape.is_array() && std::all_of(shape.begin(), shape.end(),
                                                      [](const nlohmann::json& d) { return d.is_number_unsigned(); });
      if (!ok) throw model_error(dir_ / "model.json", "array \"" + name + "\" has a shape that is not a list of sizes");
      if (shape.get<std::vector<std::size_t>>() != a.shape)
        throw model_error(path, "shape differs from the one recorded in model.json");
    }
    return a;
  }
  template <class Scalar = double>
  [[nodiscard]] Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> matrix(const std::string& name) const {
    auto a = array<Scalar>(name);
    if (a.shape.size() != 2) throw model_error(dir_ / (name + ".npy"), "expected a 2-D array");
    return Eigen::Map<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        a.data.data(), static_cast<Eigen::Index>(a.shape[0]), static_cast<Eigen::Index>(a.shape[1]));
  }
  template <class Scalar = double>
  [[nodiscard]] Eigen::Matrix<Scalar, Eigen::Dynamic, 1> vector(const std::string& name) const {
    auto a = array<Scalar>(name);
    if (a.shape.size() != 1) throw model_error(dir_ / (name + ".npy"), "expected a 1-D array");
    return Eigen::Map<const Eigen::Matrix<Scalar, Eigen::Dynamic, 1>>(a.data.data(),
                                                                      static_cast<Eigen::Index>(a.data.size()));
  }

 private:
  std::filesystem::path verified(const std::string& name) const {
    const auto& arrays = root_["arrays"];
    if (!arrays.contains(name)) throw model_error(dir_ / "model.json", "no array named \"" + name + "\"");
    const auto& e = arrays[name];
    if (!e.contains("file") || !e["file"].is_string())
      throw model_error(dir_ / "model.json", "array \"" + name + "\" has no file");
    const auto file = e["file"].get<std::string>();
    detail::check_array_name(file);
    const auto path = dir_ / file;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw model_error(path, "missing array file");
    const std::string bytes = detail::read_bytes(path);
    if (e.contains("crc32") && (!e["crc32"].is_number_unsigned() || e["crc32"].get<std::uint64_t>() > 0xffffffffu))
      throw model_error(dir_ / "model.json", "array \"" + name + "\" has a crc32 that is not a 32-bit checksum");
    if (e.contains("crc32") && detail::crc32(bytes.data(), bytes.size()) != e["crc32"].get<std::uint32_t>())
      throw model_error(path, "checksum mismatch: the file is corrupted or was changed after the model was saved");
    return path;
  }

  std::filesystem::path dir_;
  nlohmann::json root_;
};

}  // namespace hqml::learn
