// libFuzzer target for the model directory reader (app/model_dir.hpp, app/persistence.hpp, the pipeline's
// pipeline_model::load that hqml predict calls) and the .npy reader under it (io/npy.hpp).
//
// The first byte picks what is read; the rest is
//   mode 0: one .npy file, read from memory (header) and from a file (whole, as a matrix or vector, by rows);
//   mode 1: a model directory, loaded as hqml predict loads it (pipeline_model::load);
//   mode 2: a model directory, loaded as one SVC (learn::load_svc);
//   mode 3: a model directory, every array it lists read through model_reader.
// A model directory is written from the input into a temporary folder of this process: model.json is the
// text up to the first "\n@@ NAME\n" line, and each such line starts the file NAME (an array file, usually).
//
// An .npy file must load or raise hqml::parse_error or std::runtime_error (what read_npy documents;
// std::out_of_range for rows outside the array); what loads must hold exactly the elements its shape
// announces. A model directory must load or raise an exception that the hqml program reports as bad input
// (exit 2: model_error, parse_error, a file error, invalid_argument...), never one it reports as a failure of
// the work or as running out of memory (exit 1). Anything else (a crash, a hang, a leak) is a bug.
//
// With HQML_MODEL_FUZZ_SEEDS=DIR the program writes seed inputs (models saved by the real writers, and their
// .npy files) into DIR and exits; tests/fuzz/run.sh starts the corpus from them.

#include <hqml/app/model_dir.hpp>
#include <hqml/app/persistence.hpp>
#include <hqml/app/pipeline.hpp>
#include <hqml/io/npy.hpp>

#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr std::string_view file_marker = "\n@@ ";

fs::path work_dir;  // this process's temporary folder: the model directory and the .npy file go here

[[noreturn]] void bug(const char* what, const std::string& detail) {
  std::fprintf(stderr, "model_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

void write_file(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) bug("cannot write a temporary file", p.string());
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// An error names the file, line and column it read. (Its message may quote a raw byte of the input, even a
// line break: the hqml program prints messages through hqml::printable, which keeps them to one line.)
void check_message(const hqml::parse_error& e) {
  if (e.file().empty() || e.line() == 0 || e.column() == 0) bug("an error without its position", e.what());
}

// ---------------------------------------------------------------------------------------------
// .npy

// The element count a shape announces, or false where it does not fit in size_t.
bool element_count(const std::vector<std::size_t>& shape, std::size_t& n) {
  n = 1;
  for (const auto d : shape)
    if (__builtin_mul_overflow(n, d, &n)) return false;
  return true;
}

template <class T>
void check_array(const hqml::io::npy_array<T>& a) {
  std::size_t n = 0;
  if (!element_count(a.shape, n)) bug("an array loaded whose shape overflows the element count", "");
  if (a.data.size() != n) bug("an array loaded with another element count than its shape", std::to_string(n));
}

// Runs a reader of the .npy file; false on the errors read_npy documents.
template <class Read>
bool npy_step(const char* what, Read&& read) {
  try {
    read();
    return true;
  } catch (const hqml::parse_error& e) {
    check_message(e);
    return false;
  } catch (const std::out_of_range&) {
    return false;  // read_npy_rows: rows outside the array (checked before reading)
  } catch (const std::runtime_error&) {
    return false;  // a dtype that does not convert without loss, a wrong number of dimensions
  } catch (const std::exception& e) {
    bug(what, std::string("threw something other than parse_error or runtime_error: ") + e.what());
  }
}

void npy(std::string_view bytes, unsigned flags) {
  hqml::io::npy_header from_memory;
  std::istringstream in{std::string(bytes)};
  const bool header_ok = npy_step("read_npy_header", [&] { from_memory = hqml::io::read_npy_header(in, "fuzz.npy"); });
  const fs::path file = work_dir / "fuzz.npy";
  write_file(file, bytes);
  hqml::io::npy_header from_file;
  if (npy_step("read_npy_header", [&] { from_file = hqml::io::read_npy_header(file); }) != header_ok)
    bug("the header reads differently from memory and from a file", "");
  if (header_ok && (from_file.shape != from_memory.shape || from_file.dtype != from_memory.dtype ||
                    from_file.data_offset != from_memory.data_offset))
    bug("the header reads differently from memory and from a file", "");

  switch (flags & 3) {
    case 0:
      npy_step("read_npy<double>", [&] { check_array(hqml::io::read_npy<double>(file)); });
      break;
    case 1:
      npy_step("read_npy<int64_t>", [&] { check_array(hqml::io::read_npy<std::int64_t>(file)); });
      break;
    case 2:
      npy_step("read_npy<complex<double>>", [&] { check_array(hqml::io::read_npy<std::complex<double>>(file)); });
      break;
    default:
      npy_step("read_npy<uint8_t>", [&] { check_array(hqml::io::read_npy<std::uint8_t>(file)); });
      break;
  }
  Eigen::MatrixXd m;
  if (npy_step("read_npy_matrix", [&] { m = hqml::io::read_npy_matrix<double>(file); }) && !header_ok)
    bug("a matrix loaded from a file whose header does not", "");
  if (header_ok && m.size() > 0) {
    std::size_t n = 0;
    if (!element_count(from_file.shape, n) || static_cast<std::size_t>(m.size()) != n)
      bug("a matrix with another element count than its shape", std::to_string(m.size()));
  }
  npy_step("read_npy_vector", [&] { (void)hqml::io::read_npy_vector<float>(file); });
  const std::size_t first = (flags >> 2) & 3, count = (flags >> 4) & 3;
  if (!header_ok) return;
  npy_step("read_npy_rows", [&] {
    const Eigen::MatrixXd rows = hqml::io::read_npy_rows<double>(file, first, count);
    if (static_cast<std::size_t>(rows.rows()) != count) bug("read_npy_rows returned another row count", "");
  });
}

// ---------------------------------------------------------------------------------------------
// Model directories

bool valid_file_name(std::string_view name) {
  return !name.empty() && name.front() != '.' && name != "model.json" &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
             std::string_view::npos;
}

// Writes model.json and the files the input names into a fresh model directory.
fs::path write_model(std::string_view text) {
  const fs::path dir = work_dir / "model";
  fs::remove_all(dir);
  fs::create_directory(dir);
  std::size_t end = text.find(file_marker);
  write_file(dir / "model.json", text.substr(0, end));
  for (int files = 0; end != std::string_view::npos && files < 16; ++files) {
    const std::size_t name_at = end + file_marker.size();
    const std::size_t eol = text.find('\n', name_at);
    if (eol == std::string_view::npos) break;
    end = text.find(file_marker, eol + 1);
    const std::string_view name = text.substr(name_at, eol - name_at);
    const std::string_view bytes = text.substr(eol + 1, end == std::string_view::npos ? end : end - eol - 1);
    if (valid_file_name(name)) write_file(dir / std::string(name), bytes);
  }
  return dir;
}

// Runs a model loader; false on the exceptions the hqml program reports as bad input (exit 2). With
// `any_type`, the caller asked for an element type of its own choosing, and the std::runtime_error of an array
// stored as another type is expected too.
template <class Load>
bool model_step(const char* what, Load&& load, bool any_type = false) {
  try {
    load();
    return true;
  } catch (const hqml::parse_error& e) {
    check_message(e);
  } catch (const hqml::learn::model_error&) {
  } catch (const std::system_error&) {  // a file error (filesystem_error and io::input_error are ones too)
  } catch (const hqml::out_of_memory&) {
  } catch (const std::invalid_argument&) {
  } catch (const std::domain_error&) {
  } catch (const std::length_error&) {
  } catch (const std::runtime_error& e) {
    // With `any_type` the caller chose the element type: an array stored as another one does not convert.
    if (!any_type)
      bug(what, std::string("threw a std::runtime_error, which the hqml program reports as a failure (exit 1), not "
                            "as a bad model (exit 2): ") +
                    e.what());
  } catch (const std::exception& e) {
    bug(what, std::string("threw what the hqml program reports as a failure or as running out of memory (exit 1), "
                          "not as a bad model (exit 2): ") +
                  e.what());
  }
  return false;
}

// Loads the model directory the input describes; true when it loaded.
bool model(std::string_view text, unsigned mode) {
  const fs::path dir = write_model(text);
  if (mode == 1) {
    return model_step("pipeline_model::load", [&] {
      const auto m = hqml::pipeline_model::load(dir);
      if (m.theta.size() != m.map.num_params()) bug("a model loaded with the wrong number of parameters", "");
    });
  }
  if (mode == 2) return model_step("load_svc", [&] { (void)hqml::learn::load_svc(dir); });
  return model_step("model_reader", [&] {
    const hqml::learn::model_reader r(dir);
    for (const auto& item : r.json()["arrays"].items()) {
      const std::string name = item.key();
      // Each array as the loaders ask for them; an error in one still lets the others be read.
      const auto read = [](const char* what, auto&& step) { model_step(what, step, true); };
      read("model_reader::array", [&] { check_array(r.array<double>(name)); });
      read("model_reader::array", [&] { check_array(r.array<std::int64_t>(name)); });
      read("model_reader::matrix", [&] { (void)r.matrix<double>(name); });
      read("model_reader::vector", [&] { (void)r.vector<double>(name); });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Seeds: models written by the real writers, packed as inputs.

std::string pack(unsigned char mode, const fs::path& dir) {
  std::string input(1, static_cast<char>(mode));
  input += read_file(dir / "model.json");
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name == "model.json") continue;
    input += std::string(file_marker) + name + "\n" + read_file(e.path());
  }
  return input;
}

void write_seeds(const fs::path& out) {
  fs::create_directories(out);
  // Six samples of three features. The binary model imputes the missing one, reduces to two features by PCA
  // and has a trainable map; the three-class model has neither imputation nor PCA.
  Eigen::MatrixXd complete(6, 3);
  complete << 0.1, 1.0, 2.0, 0.4, 0.7, 1.5, 0.9, 0.2, 0.3, 1.3, 0.5, 0.1, 0.2, 0.8, 1.9, 1.1, 0.3, 0.2;
  Eigen::MatrixXd missing = complete;
  missing(1, 1) = std::nan("");
  for (const bool binary : {true, false}) {
    const std::string id = binary ? "0" : "1";
    const Eigen::MatrixXd& x = binary ? missing : complete;
    const std::vector<int> labels = binary ? std::vector<int>{0, 0, 1, 1, 0, 1} : std::vector<int>{0, 1, 2, 0, 1, 2};
    hqml::feature_map_spec spec;
    spec.kind = binary ? hqml::feature_map_kind::angle : hqml::feature_map_kind::zz;
    spec.num_qubits = binary ? 2 : 3;
    spec.trainable = binary;
    hqml::preprocessing pre(binary ? 2 : 0, hqml::pi);
    pre.fit(x);
    const Eigen::MatrixXd z = pre.transform(x);
    // Any positive definite kernel makes a valid SVC; the loader does not recompute it.
    Eigen::MatrixXd k(z.rows(), z.rows());
    for (Eigen::Index i = 0; i < z.rows(); ++i)
      for (Eigen::Index j = 0; j < z.rows(); ++j) k(i, j) = std::exp(-(z.row(i) - z.row(j)).squaredNorm());
    const auto svm = hqml::learn::svc::fit(k, labels);
    const std::vector<std::string> names =
        binary ? std::vector<std::string>{"no", "yes"} : std::vector<std::string>{"a", "b", "c"};
    const std::vector<double> theta(spec.num_params(), 0.25);
    const hqml::model_inputs inputs{{"x1", "x2", "x3"}, {"x1", "x2", "x3"}, {}, "label", binary ? "yes" : ""};
    const fs::path dir = work_dir / ("seed" + id), svc_dir = work_dir / ("seed-svc" + id);
    hqml::save_pipeline_model(dir, spec, 1.0, pre, svm, z, names, theta, binary ? &inputs : nullptr);
    hqml::learn::save_svc(svc_dir, svm);
    for (const auto& input : {pack(1, dir), pack(2, svc_dir), pack(3, dir)}) {
      const auto mode = static_cast<unsigned char>(input[0]);
      // What the library saved must load again.
      if (!model(std::string_view(input).substr(1), mode))
        bug("a model the library saved does not load", "seed " + id + ", mode " + std::to_string(mode));
      write_file(out / ("model" + id + "-mode" + std::to_string(mode)), input);
    }
    // Each .npy file alone, and as NumPy also writes them: big-endian and Fortran order.
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() != ".npy") continue;
      const std::string bytes = read_file(e.path());
      const std::string stem = e.path().stem().string();
      write_file(out / ("npy" + id + "-" + stem), std::string(1, '\0') + bytes);
      std::string other = bytes;
      if (const auto at = other.find("'<f8'"); at != std::string::npos) other[at + 1] = '>';
      if (const auto at = other.find("False"); at != std::string::npos) other.replace(at, 5, "True ");
      write_file(out / ("npy" + id + "-" + stem + "-other"), std::string(1, '\x14') + other);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/hqml-model-fuzz.XXXXXX";
  if (!::mkdtemp(dir.data())) bug("cannot create a temporary folder", dir);
  work_dir = dir;
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(work_dir, ec);
  });
  if (const char* seeds = std::getenv("HQML_MODEL_FUZZ_SEEDS")) {
    write_seeds(seeds);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned flags = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((flags & 3) == 0)
    npy(rest, flags >> 2);
  else
    model(rest, flags & 3);
  return 0;
}
