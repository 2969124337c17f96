// Atomic writes, .npy files (whole and streamed) and CSV loading.

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <cmath>
#include <complex>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <hqml/io/atomic_file.hpp>
#include <hqml/io/csv.hpp>
#include <hqml/io/npy.hpp>

#include "common/files.hpp"

namespace fs = std::filesystem;

using hqml::test::slurp;
using hqml::test::spit;
using hqml::test::temp_dir;

TEST_CASE("atomic_file replaces whole or not at all", "[io][atomic]") {
  temp_dir d;
  const auto target = d.path / "out.txt";
  hqml::io::write_file_atomically(target, "first");
  CHECK(slurp(target) == "first");
  {
    hqml::io::atomic_file f(target);
    f.write("second, but abandoned");
    CHECK(fs::exists(f.temporary()));
    CHECK(slurp(target) == "first");  // nothing visible before commit
  }
  CHECK(slurp(target) == "first");
  CHECK(d.entries() == 1);  // the temporary is gone
  {
    hqml::io::atomic_file f(target, 16);  // small buffer: exercise the unbuffered path too
    f.write(std::string(100, 'x'));
    f.write("y");
    CHECK(f.bytes_written() == 101);
    f.commit();
  }
  CHECK(slurp(target) == std::string(100, 'x') + "y");
  CHECK(d.entries() == 1);
  CHECK_THROWS_AS(hqml::io::write_file_atomically(d.path / "missing_dir" / "x", "z"), fs::filesystem_error);
  // A directory, replaced atomically.
  const auto dir = d.path / "model";
  {
    hqml::io::atomic_directory a(dir);
    a.write_file("a.txt", "1");
    a.commit();
  }
  {
    hqml::io::atomic_directory a(dir);
    a.write_file("b.txt", "2");
    // destroyed without commit: the old directory stays as it was
  }
  CHECK(fs::exists(dir / "a.txt"));
  CHECK(!fs::exists(dir / "b.txt"));
  {
    hqml::io::atomic_directory a(dir);
    a.write_file("b.txt", "2");
    a.commit();
  }
  CHECK(!fs::exists(dir / "a.txt"));
  CHECK(slurp(dir / "b.txt") == "2");
  CHECK(d.entries() == 2);  // out.txt and model: no temporaries or old copies left
}

TEST_CASE("atomic_file writes device nodes and FIFOs in place, never replaces them", "[io][atomic]") {
  temp_dir d;
  // /dev/null stays a character device and takes the data.
  if (fs::exists("/dev/null")) {
    hqml::io::write_file_atomically("/dev/null", "discarded");
    CHECK(fs::is_character_file("/dev/null"));
  }
  // /dev/full refuses the data: an error naming it, nothing else touched.
  if (fs::exists("/dev/full")) {
    CHECK_THROWS_WITH(hqml::io::write_file_atomically("/dev/full", "x"),
                      Catch::Contains("write failed") && Catch::Contains("/dev/full"));
    CHECK(fs::is_character_file("/dev/full"));
  }
  // A FIFO with a reader receives the bytes and stays a FIFO; no temporary appears beside it.
  const auto fifo = d.path / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string received;
  std::thread reader([&] {
    std::ifstream in(fifo);
    std::getline(in, received);
  });
  hqml::io::write_file_atomically(fifo, "through the pipe\n");
  reader.join();
  CHECK(received == "through the pipe");
  CHECK(fs::is_fifo(fifo));
  CHECK(d.entries() == 1);
  // A directory as the target is refused.
  fs::create_directories(d.path / "dir");
  CHECK_THROWS_WITH(hqml::io::write_file_atomically(d.path / "dir", "x"), Catch::Contains("is a directory"));
}

TEST_CASE("npy round trips and NumPy's header layout", "[io][npy]") {
  temp_dir d;
  Eigen::MatrixXd m(3, 4);
  for (int i = 0; i < 12; ++i) m.data()[i] = 0.1 * i - 0.35;
  hqml::io::write_npy(d.path / "m.npy", m);
  const std::string bytes = slurp(d.path / "m.npy");
  CHECK(bytes.substr(0, 6) == "\x93NUMPY");
  const auto h = hqml::io::read_npy_header(d.path / "m.npy");
  CHECK(h.data_offset % 64 == 0);
  CHECK(bytes.find("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }") != std::string::npos);
  CHECK(bytes[h.data_offset - 1] == '\n');
  CHECK(hqml::io::read_npy_matrix(d.path / "m.npy") == m);
  CHECK(hqml::io::read_npy_rows(d.path / "m.npy", 1, 2) == m.middleRows(1, 2));

  const std::vector<std::int32_t> iv = {1, -2, 3};
  hqml::io::write_npy(d.path / "i.npy", iv);
  CHECK(bytes.size() > 0);
  CHECK(slurp(d.path / "i.npy").find("'shape': (3,)") != std::string::npos);
  CHECK(hqml::io::read_npy<std::int32_t>(d.path / "i.npy").data == iv);
  CHECK(hqml::io::read_npy<std::int64_t>(d.path / "i.npy").data == std::vector<std::int64_t>{1, -2, 3});
  CHECK_THROWS(hqml::io::read_npy<float>(d.path / "m.npy"));  // f8 -> f4 would lose precision

  Eigen::MatrixXcd c(2, 2);
  c << std::complex<double>(1, 2), std::complex<double>(-3, 0.5), std::complex<double>(0, -1),
      std::complex<double>(7, 7);
  hqml::io::write_npy(d.path / "c.npy", c);
  CHECK(hqml::io::read_npy_matrix<std::complex<double>>(d.path / "c.npy") == c);
  Eigen::MatrixXf f = m.cast<float>();
  hqml::io::write_npy(d.path / "f.npy", f);
  CHECK(hqml::io::read_npy_matrix<float>(d.path / "f.npy") == f);
  CHECK(hqml::io::read_npy_matrix<double>(d.path / "f.npy") == f.cast<double>());
  Eigen::MatrixXcf cf = c.cast<std::complex<float>>();
  hqml::io::write_npy(d.path / "cf.npy", cf);
  CHECK(hqml::io::read_npy_matrix<std::complex<double>>(d.path / "cf.npy") == cf.cast<std::complex<double>>());

  // Files NumPy may write that we did not: Fortran order, big-endian, version 2.0.
  const auto raw_file = [&](const std::string& name, const std::string& dict, const std::string& data, int version) {
    std::string header = dict;
    const std::size_t prefix = version == 1 ? 10 : 12;
    while ((prefix + header.size() + 1) % 64) header += ' ';
    header += '\n';
    std::string out = "\x93NUMPY";
    out += static_cast<char>(version);
    out += '\0';
    const std::size_t len = header.size();
    out += static_cast<char>(len & 0xff);
    out += static_cast<char>(len >> 8);
    if (version != 1) out += std::string(2, '\0');
    spit(d.path / name, out + header + data);
  };
  std::string fortran;
  for (double v : {1.0, 4.0, 2.0, 5.0, 3.0, 6.0})
    fortran.append(reinterpret_cast<const char*>(&v), 8);  // [[1,2,3],[4,5,6]]
  raw_file("fortran.npy", "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", fortran, 1);
  Eigen::MatrixXd expect(2, 3);
  expect << 1, 2, 3, 4, 5, 6;
  CHECK(hqml::io::read_npy_matrix(d.path / "fortran.npy") == expect);
  std::string big;
  for (double v : {1.5, -2.0}) {
    char b[8];
    std::memcpy(b, &v, 8);
    for (int k = 7; k >= 0; --k) big += b[k];
  }
  raw_file("big.npy", "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", big, 2);
  CHECK(hqml::io::read_npy_vector(d.path / "big.npy") == Eigen::Vector2d(1.5, -2.0));

  // Damaged files name themselves.
  const std::string good = slurp(d.path / "m.npy");
  spit(d.path / "short.npy", good.substr(0, good.size() - 8));
  try {
    (void)hqml::io::read_npy_matrix(d.path / "short.npy");
    FAIL("a truncated file was read");
  } catch (const hqml::parse_error& e) {
    CHECK(e.file() == (d.path / "short.npy").string());
    CHECK(std::string(e.what()).find("truncated") != std::string::npos);
  }
  spit(d.path / "bad.npy", "NOTNUMPY" + good.substr(8));
  CHECK_THROWS_AS(hqml::io::read_npy_matrix(d.path / "bad.npy"), hqml::parse_error);
  raw_file("odd.npy", "{'descr': '<U8', 'fortran_order': False, 'shape': (1,), }", std::string(32, 'a'), 1);
  CHECK_THROWS_AS(hqml::io::read_npy_matrix(d.path / "odd.npy"), hqml::parse_error);
}

TEST_CASE("npy streaming writer", "[io][npy]") {
  temp_dir d;
  const auto file = d.path / "k.npy";
  Eigen::MatrixXd full(10, 7);
  for (Eigen::Index i = 0; i < full.size(); ++i) full.data()[i] = static_cast<double>(i) * 0.5;
  {
    hqml::io::npy_stream_writer<double> w(file, 10, 7);
    w.append_rows(full.topRows(3));
    CHECK(!fs::exists(file));  // invisible until finalized
    w.append_rows(full.middleRows(3, 4));
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> tail = full.bottomRows(3);
    w.append_rows(tail);
    CHECK(w.rows_written() == 10);
    CHECK_THROWS_AS(w.append_rows(full.topRows(1)), std::length_error);
    w.finalize();
  }
  CHECK(hqml::io::read_npy_matrix(file) == full);
  CHECK(d.entries() == 1);
  {
    hqml::io::npy_stream_writer<double> w(d.path / "partial.npy", 10, 7);
    w.append_rows(full.topRows(4));
    CHECK_THROWS_AS(w.finalize(), std::length_error);
  }
  {
    hqml::io::npy_stream_writer<double> w(d.path / "abandoned.npy", 10, 7);
    w.append_rows(full.topRows(4));
  }
  CHECK(d.entries() == 1);  // neither the short nor the abandoned array left anything behind
  hqml::io::npy_stream_writer<double> w(d.path / "x.npy", 2, 7);
  CHECK_THROWS_AS(w.append_rows(Eigen::MatrixXd::Zero(1, 6)), std::invalid_argument);
}

TEST_CASE("CSV data sets load strictly", "[io][csv]") {
  const std::string text =
      "\xEF\xBB\xBF"
      "x1,\"label\",x 2\r\n"
      "1.5,cat,-2\r\n"
      "\r\n"
      "  3 ,\"dog, big\",4e-1\n"
      "+0.25,cat,\"5\"\n";
  const auto d = hqml::io::parse_csv_dataset(text, "mem.csv", hqml::io::label_column::named("label"));
  CHECK(d.feature_names == std::vector<std::string>{"x1", "x 2"});
  CHECK(d.label_name == "label");
  CHECK(d.class_names == std::vector<std::string>{"cat", "dog, big"});
  CHECK(d.labels == std::vector<int>{0, 1, 0});
  Eigen::MatrixXd expect(3, 2);
  expect << 1.5, -2, 3, 0.4, 0.25, 5;
  CHECK(d.features == expect);
  // The same by column index; numeric labels order by value, not text.
  const auto n = hqml::io::parse_csv_dataset("a,b\n1,10\n2,-1\n3,9\n4,10.0\n", "n.csv", hqml::io::label_column::at(1));
  CHECK(n.class_names == std::vector<std::string>{"-1", "9", "10"});
  CHECK(n.labels == std::vector<int>{2, 0, 1, 2});
  // Quotes inside quotes, and a quoted field across lines.
  const auto q =
      hqml::io::parse_csv_dataset("v,y\n1,\"say \"\"hi\"\"\nthere\"\n", "q.csv", hqml::io::label_column::named("y"));
  CHECK(q.class_names == std::vector<std::string>{"say \"hi\"\nthere"});

  const auto error_at = [](const std::string& csv, std::size_t line, std::size_t column, const std::string& words) {
    try {
      (void)hqml::io::parse_csv_dataset(csv, "bad.csv", hqml::io::label_column::named("y"));
      FAIL("no error for:\n" << csv);
    } catch (const hqml::parse_error& e) {
      INFO(e.what());
      CHECK(e.file() == "bad.csv");
      CHECK(e.line() == line);
      CHECK(e.column() == column);
      CHECK(std::string(e.what()).find(words) != std::string::npos);
    }
  };
  error_at("a,y\n1,0\n,1\n", 3, 1, "missing value");
  error_at("a,y\n1,0\n2,1\nabc,1\n", 4, 1, "'abc' is not a finite number");
  error_at("a,y\n1,0\nnan,1\n", 3, 1, "not a finite number");
  error_at("a,b,y\n1,2,0\n1,2x,1\n", 3, 3, "'2x'");
  error_at("a,y\n1,0\n1,0,5\n", 3, 5, "expected 2 fields, found 3");
  error_at("a,y\n1,0\n1\n", 3, 1, "expected 2 fields, found 1");
  error_at("a,y\n1,\n", 2, 3, "missing label");
  error_at("a,y\n1,\"open\n", 2, 3, "unterminated");
  error_at("a,y\n1,\"x\"z\n", 2, 6, "after a closing quote");
  error_at("a,z\n1,2\n", 1, 1, "no column named 'y'");
  error_at("", 1, 1, "empty file");
  error_at("a,y\n", 2, 1, "no data rows");
}

TEST_CASE("CSV files: read, write, round trip", "[io][csv]") {
  temp_dir d;
  Eigen::MatrixXd m(3, 2);
  m << 0.1, 1e-300, -2.5, 1.0 / 3, 12345678.9, -0.0;
  hqml::io::write_csv(d.path / "m.csv", {"alpha", "beta, quoted"}, m);
  std::vector<std::string> names;
  CHECK(hqml::io::read_csv_matrix(d.path / "m.csv", true, ',', &names) == m);  // shortest round-trip digits
  CHECK(names == std::vector<std::string>{"alpha", "beta, quoted"});
  spit(d.path / "data.csv", "f,class\n0.5,yes\n1.5,no\n");
  const auto ds = hqml::io::read_csv_dataset(d.path / "data.csv", hqml::io::label_column::named("class"));
  CHECK(ds.class_names == std::vector<std::string>{"no", "yes"});
  try {
    spit(d.path / "broken.csv", "f,class\n0.5,yes\noops,no\n");
    (void)hqml::io::read_csv_dataset(d.path / "broken.csv", hqml::io::label_column::named("class"));
    FAIL("no error");
  } catch (const hqml::parse_error& e) {
    CHECK(e.file() == (d.path / "broken.csv").string());
    CHECK(e.line() == 3);
  }
  CHECK_THROWS_AS(hqml::io::read_csv_dataset(d.path / "nope.csv", hqml::io::label_column::named("c")),
                  fs::filesystem_error);
}

namespace {

using hqml::io::csv_options;
using hqml::io::label_column;
using hqml::io::text_columns;

// Parses, expecting a parse_error at line:column whose message holds every one of `words`.
void csv_error_at(const std::string& csv, const csv_options& opt, std::size_t line, std::size_t column,
                  const std::vector<std::string>& words, const label_column& label = label_column::named("y")) {
  try {
    (void)hqml::io::parse_csv_dataset(csv, "bad.csv", label, opt);
    FAIL("no error for:\n" << csv);
  } catch (const hqml::parse_error& e) {
    INFO(e.what());
    CHECK(e.file() == "bad.csv");
    CHECK(e.line() == line);
    CHECK(e.column() == column);
    CHECK(std::string(e.what()).find('\n') == std::string::npos);  // one line
    for (const auto& w : words) CHECK(std::string(e.what()).find(w) != std::string::npos);
  }
}

// Rows of the same value, NaN included (== is false for NaN).
bool csv_same(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index i = 0; i < a.size(); ++i)
    if (!(a.data()[i] == b.data()[i] || (std::isnan(a.data()[i]) && std::isnan(b.data()[i])))) return false;
  return true;
}

}  // namespace

TEST_CASE("CSV separators are detected from the header", "[io][csv]") {
  const auto y = label_column::named("y");
  // ';' (with a quoted field holding commas), tab, BOM + CRLF; the separator used is reported.
  const auto semi = hqml::io::parse_csv_dataset("\"a,1\";b;y\n1.5;\"2\";\"x,z\"\n3;4;w\n", "s.csv", y, csv_options{});
  CHECK(semi.separator == ';');
  CHECK(semi.feature_names == std::vector<std::string>{"a,1", "b"});
  CHECK(semi.class_names == std::vector<std::string>{"w", "x,z"});
  Eigen::MatrixXd expect(2, 2);
  expect << 1.5, 2, 3, 4;
  CHECK(semi.features == expect);
  const auto tab = hqml::io::parse_csv_dataset(
      "\xEF\xBB\xBF"
      "a\tb\ty\r\n1.5\t2\t\"p;q,r\"\r\n\r\n3\t4\tw\r\n",
      "t.csv", y, csv_options{});
  CHECK(tab.separator == '\t');
  CHECK(tab.features == expect);
  CHECK(tab.class_names == std::vector<std::string>{"p;q,r", "w"});
  CHECK(tab.row_lines == std::vector<std::size_t>{2, 4});
  // A quoted header name holding two ';' does not outvote the one ',' between fields.
  CHECK(hqml::io::parse_csv_dataset("\"a;b;c\",y\n1,0\n", "c.csv", y, csv_options{}).separator == ',');
  // Ties and a header of one column give ','; a separator given is used as it is.
  CHECK(hqml::io::parse_csv_dataset("a;b,y\n1,0\n", "tie.csv", y, csv_options{}).feature_names ==
        std::vector<std::string>{"a;b"});
  csv_options semicolon;
  semicolon.separator = ';';
  const auto given = hqml::io::parse_csv_dataset("a,b;y\n1;0\n", "g.csv", y, semicolon);
  CHECK(given.feature_names == std::vector<std::string>{"a,b"});
  CHECK(given.separator == ';');
  // Decimal commas in a ';' file are refused with a hint, or (one-hot) encoded with a warning.
  csv_error_at("a;y\n1,5;0\n", csv_options{}, 2, 1, {"'1,5' is not a finite number", "decimal commas"});
  csv_options hot;
  hot.text = text_columns::one_hot;
  const auto commas = hqml::io::parse_csv_dataset("a;y\n1,5;0\n2;1\n", "dc.csv", y, hot);
  REQUIRE(commas.warnings.size() == 1);
  CHECK(commas.warnings[0].find("decimal commas") != std::string::npos);
  // The old signature keeps ',' as its default, and 0 detects.
  CHECK(hqml::io::parse_csv_dataset("a;x;q,y\n1,0\n", "o.csv", y).feature_names == std::vector<std::string>{"a;x;q"});
  CHECK(hqml::io::parse_csv_dataset("a;y\n1;0\n", "o.csv", y, '\0').separator == ';');
}

TEST_CASE("CSV columns are selected by name", "[io][csv]") {
  const std::string text = "a,b,y,c,d\n1,2,0,3,4\n5,6,1,7,8\n";
  const auto y = label_column::named("y");
  csv_options pick;
  pick.features = {"d", "a", "c"};  // in this order, not the file's
  const auto p = hqml::io::parse_csv_dataset(text, "p.csv", y, pick);
  CHECK(p.feature_names == std::vector<std::string>{"d", "a", "c"});
  CHECK(p.source_columns == std::vector<std::size_t>{4, 0, 3});
  Eigen::MatrixXd expect(2, 3);
  expect << 4, 1, 3, 8, 5, 7;
  CHECK(p.features == expect);
  CHECK(p.labels == std::vector<int>{0, 1});
  csv_options drop;
  drop.drop = {"c", "a"};
  const auto q = hqml::io::parse_csv_dataset(text, "q.csv", y, drop);
  CHECK(q.feature_names == std::vector<std::string>{"b", "d"});
  CHECK(q.source_columns == std::vector<std::size_t>{1, 4});
  // A column dropped is not read at all: text there is no error.
  CHECK(hqml::io::parse_csv_dataset("a,name,y\n1,bob,0\n", "n.csv", y,
                                    [] {
                                      csv_options o;
                                      o.drop = {"name"};
                                      return o;
                                    }())
            .features.cols() == 1);

  const auto with = [](std::vector<std::string> features, std::vector<std::string> dropped) {
    csv_options o;
    o.features = std::move(features);
    o.drop = std::move(dropped);
    return o;
  };
  csv_error_at(text, with({"a", "e"}, {}), 1, 1, {"'e'", "(columns: a, b, y, c, d)"});
  csv_error_at(text, with({"a", "y"}, {}), 1, 1, {"'y' is the label"});
  csv_error_at(text, with({"a", "b", "a"}, {}), 1, 1, {"'a' is selected twice"});
  csv_error_at(text, with({}, {"e"}), 1, 1, {"'e'", "(columns: a, b, y, c, d)"});
  csv_error_at(text, with({}, {"b", "b"}), 1, 1, {"'b' is dropped twice"});
  csv_error_at(text, with({}, {"y"}), 1, 1, {"'y' is the label"});
  csv_error_at(text, with({"a"}, {"a"}), 1, 1, {"'a' is both selected as a feature and dropped"});
  csv_error_at(text, with({}, {"a", "b", "c", "d"}), 1, 1, {"at least one feature column"});
  csv_error_at(text, with({"A"}, {}), 1, 1, {"did you mean 'a'?"});
  csv_error_at("a,b,a,y\n1,2,3,0\n", csv_options{}, 1, 5, {"more than one feature column is named 'a'"});
  // Hundreds of columns: the list is cut short, saying how many it leaves out.
  std::string wide;
  for (int c = 0; c < 300; ++c) wide += "col" + std::to_string(c) + ",";
  wide += "y\n";
  for (int c = 0; c < 300; ++c) wide += "1,";
  wide += "0\n";
  try {
    (void)hqml::io::parse_csv_dataset(wide, "wide.csv", y, with({"nope"}, {}));
    FAIL("no error");
  } catch (const hqml::parse_error& e) {
    const std::string what = e.what();
    CHECK(what.size() < 400);
    CHECK(what.find("col0, col1,") != std::string::npos);
    CHECK(what.find("281 more") != std::string::npos);  // 301 columns, 16 + 4 shown
    CHECK(what.find("col299, y)") != std::string::npos);
  }
}

TEST_CASE("CSV missing values: refused with advice, or NaN", "[io][csv]") {
  const std::string text = "a,b,y\n1,NA,0\n\n?,2,1\n,null,0\n3,4,1\n";
  const auto y = label_column::named("y");
  csv_error_at(text, csv_options{}, 2, 3, {"column 'b': missing value ('NA')", "--na median"});
  csv_error_at("a,b,y\n1,2,0\n\"\",2,1\n", csv_options{}, 3, 1, {"column 'a': missing value;", "--na median"});
  csv_options impute;
  impute.allow_missing = true;
  const auto d = hqml::io::parse_csv_dataset(text, "m.csv", y, impute);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Eigen::MatrixXd expect(4, 2);
  expect << 1, nan, nan, 2, nan, nan, 3, 4;
  CHECK(csv_same(d.features, expect));
  CHECK(d.row_lines == std::vector<std::size_t>{2, 4, 5, 6});
  CHECK(d.labels == std::vector<int>{0, 1, 0, 1});
  // Own spellings of "missing"; "NA" is then a value (and here not a number).
  impute.na_values = {"", "-999"};
  CHECK(csv_same(hqml::io::parse_csv_dataset("a,y\n-999,0\n5,1\n", "m.csv", y, impute).features,
                 Eigen::Vector2d(nan, 5)));
  csv_error_at("a,y\n1,0\nNA,1\n", impute, 3, 1, {"'NA' is not a finite number"});
  // A missing label is an error however missing features are treated.
  impute.na_values = csv_options{}.na_values;
  csv_error_at("a,y\n1,0\n2,NA\n", impute, 3, 3, {"column 'y': missing label ('NA'"});
  csv_error_at("a,y\n1,0\n2, \n", impute, 3, 3, {"column 'y': missing label"});
  // Infinite and out-of-range numbers are errors, never missing values, nor text.
  impute.text = text_columns::one_hot;
  for (const std::string bad : {"inf", "-Infinity", "1e999", "1e-999"})
    csv_error_at("a,y\n1,0\n" + bad + ",1\n", impute, 3, 1, {"'" + bad + "' is not a finite number"});
  csv_error_at("a,y\n1,0\n\"1e999\",1\n", csv_options{}, 3, 1, {"'1e999' is not a finite number"});
  // The strict signature of old: only an empty cell is missing (refused), and "NA" is not a number.
  csv_error_at("a,y\n1,0\nNA,1\n",
               [] {
                 csv_options strict;
                 strict.na_values = {""};
                 return strict;
               }(),
               3, 1, {"'NA' is not a finite number"});
  try {
    (void)hqml::io::parse_csv_dataset("a,y\nNA,0\n", "old.csv", y);
    FAIL("no error");
  } catch (const hqml::parse_error& e) {
    CHECK(std::string(e.what()).find("'NA' is not a finite number") != std::string::npos);
  }
  CHECK(hqml::io::parse_csv_dataset("a,y\n1,NA\n", "old.csv", y).class_names == std::vector<std::string>{"NA"});
}

TEST_CASE("CSV text columns: refused with advice, or one-hot encoded", "[io][csv]") {
  const auto y = label_column::named("y");
  // The first cell that is not a number, after numbers in the same column; its text cut to 40 characters.
  const std::string long_text(60, 'z');
  csv_error_at("a,my col,y\n1,2,0\n3," + long_text + ",1\n", csv_options{}, 3, 3,
               {"column 'my col': '" + std::string(40, 'z') + "...' is not a finite number", "--drop 'my col'",
                "--text one-hot"});
  csv_error_at("a,c,y\n1,2,0\n3,\"x\ny\",1\n", csv_options{}, 3, 3, {"'x\\ny'", "--drop c"});

  csv_options hot;
  hot.text = text_columns::one_hot;
  hot.allow_missing = true;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::string text = "x,color,y,size\n0.5,red,a,1\n1.5,blue,b,S\n2.5,NA,a,1\n3.5, green ,b,2\n4.5,red,a,M\n";
  const auto d = hqml::io::parse_csv_dataset(text, "h.csv", y, hot);
  CHECK(d.feature_names == std::vector<std::string>{"x", "color=blue", "color=green", "color=red", "size=1", "size=2",
                                                    "size=M", "size=S"});
  CHECK(d.source_columns == std::vector<std::size_t>{0, 1, 1, 1, 3, 3, 3, 3});
  Eigen::MatrixXd expect(5, 8);
  expect << 0.5, 0, 0, 1, 1, 0, 0, 0,  //
      1.5, 1, 0, 0, 0, 0, 0, 1,        //
      2.5, nan, nan, nan, 1, 0, 0, 0,  //
      3.5, 0, 1, 0, 0, 1, 0, 0,        //
      4.5, 0, 0, 1, 0, 0, 1, 0;
  CHECK(csv_same(d.features, expect));
  CHECK(d.categories.size() == 2);
  CHECK(d.categories.at("color") == std::vector<std::string>{"blue", "green", "red"});
  CHECK(d.categories.at("size") == std::vector<std::string>{"1", "2", "M", "S"});
  CHECK(d.warnings.empty());
  // Without allow_missing a missing cell of a text column is still an error.
  hot.allow_missing = false;
  csv_error_at(text, hot, 4, 5, {"column 'color': missing value ('NA')"});

  // Fixed levels (a saved model's): their order, a level not in this file still a column, a numeric column
  // encoded by its text, and an unseen level refused with the known ones.
  csv_options fixed;
  fixed.categories = {{"color", {"red", "green", "blue"}}, {"n", {"2", "1"}}};
  const auto f = hqml::io::parse_csv_dataset("color,n,y\nblue,1,0\nred,2,1\n", "f.csv", y, fixed);
  CHECK(f.feature_names == std::vector<std::string>{"color=red", "color=green", "color=blue", "n=2", "n=1"});
  CHECK(f.source_columns == std::vector<std::size_t>{0, 0, 0, 1, 1});
  Eigen::MatrixXd fe(2, 5);
  fe << 0, 0, 1, 0, 1,  //
      1, 0, 0, 1, 0;
  CHECK(f.features == fe);
  CHECK(f.categories == fixed.categories);
  csv_error_at("color,n,y\nblue,1,0\npurple,2,1\n", fixed, 3, 1,
               {"column 'color': 'purple'", "known levels: 'red', 'green', 'blue'"});
  csv_error_at("color,n,y\nblue,1.0,0\n", fixed, 2, 6, {"column 'n': '1.0'", "'2', '1'"});
  fixed.categories["size"] = {"S"};
  csv_error_at("color,n,y\nblue,1,0\n", fixed, 1, 1, {"'size', which is not a feature column"});
}

TEST_CASE("CSV id-like columns are kept with a warning", "[io][csv]") {
  const auto y = label_column::named("y");
  const auto warnings = [&](const std::string& text) {
    return hqml::io::parse_csv_dataset(text, "w.csv", y, csv_options{}).warnings;
  };
  for (const std::string name : {"id", "ID", "Id", "index", "Unnamed: 0", "user_id", "customerId"}) {
    const auto w = warnings("\"" + name + "\",x,y\n7,1,0\n7,2,1\n");
    REQUIRE(w.size() == 1);
    CHECK(w[0].find("column '" + name + "'") != std::string::npos);
    CHECK(w[0].find("--drop") != std::string::npos);
  }
  CHECK(warnings("\"\",x,y\n0,1,0\n1,2,1\n").size() == 1);  // pandas' index column, written unnamed
  CHECK(warnings("valid,x,y\n7,1,0\n7,2,1\n").empty());
  // By value: 20 rows of distinct integers rising (or falling) with the row.
  const auto rows = [](int n, const std::function<std::string(int)>& value) {
    std::string t = "n,x,y\n";
    for (int i = 0; i < n; ++i) t += value(i) + "," + std::to_string(i % 3) + "," + std::to_string(i % 2) + "\n";
    return t;
  };
  const auto rising = warnings(rows(20, [](int i) { return std::to_string(1000 + 3 * i); }));
  REQUIRE(rising.size() == 1);
  CHECK(rising[0].find("column 'n' looks like a row id") != std::string::npos);
  CHECK(rising[0].find("--drop n") != std::string::npos);
  CHECK(warnings(rows(25, [](int i) { return std::to_string(50 - i); })).size() == 1);
  CHECK(warnings(rows(19, [](int i) { return std::to_string(i); })).empty());          // too few rows to tell
  CHECK(warnings(rows(30, [](int i) { return std::to_string(i / 2); })).empty());      // repeats: an ordinary feature
  CHECK(warnings(rows(30, [](int i) { return std::to_string(i * i % 7); })).empty());  // integers, unordered
  CHECK(warnings(rows(30, [](int i) { return std::to_string(i) + ".5"; })).empty());   // not integers
  // A warning is no error: the column is still a feature.
  const auto d =
      hqml::io::parse_csv_dataset(rows(20, [](int i) { return std::to_string(i); }), "w.csv", y, csv_options{});
  CHECK(d.feature_names == std::vector<std::string>{"n", "x"});
  CHECK(d.features(19, 0) == 19);
}

TEST_CASE("CSV data to predict may lack the label", "[io][csv]") {
  csv_options predict;
  predict.require_label = false;
  const auto d = hqml::io::parse_csv_dataset("a,b\n1,2\n3,4\n", "p.csv", label_column::named("y"), predict);
  CHECK(d.labels.empty());
  CHECK(d.class_names.empty());
  CHECK(d.label_name == "y");
  CHECK(d.feature_names == std::vector<std::string>{"a", "b"});
  CHECK(d.features.rows() == 2);
  CHECK(hqml::io::parse_csv_dataset("a,b\n1,2\n", "p.csv", label_column::at(5), predict).features.cols() == 2);
  // Present, it is the label as ever.
  const auto e = hqml::io::parse_csv_dataset("a,y\n1,b\n2,a\n", "p.csv", label_column::named("y"), predict);
  CHECK(e.labels == std::vector<int>{1, 0});
  CHECK(e.feature_names == std::vector<std::string>{"a"});
  csv_error_at("a,b\n1,2\n", csv_options{}, 1, 1, {"no column named 'y'"});
  // From a file, with options.
  temp_dir dir;
  spit(dir.path / "p.csv", "a;b\r\n1;x\r\n");
  predict.text = text_columns::one_hot;
  const auto r = hqml::io::read_csv_dataset(dir.path / "p.csv", label_column::named("y"), predict);
  CHECK(r.separator == ';');
  CHECK(r.feature_names == std::vector<std::string>{"a", "b=x"});
}
