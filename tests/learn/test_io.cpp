// Atomic writes, .npy files (whole and streamed) and CSV loading.

#include <catch2/catch.hpp>

#include <complex>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
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
  c << std::complex<double>(1, 2), std::complex<double>(-3, 0.5), std::complex<double>(0, -1), std::complex<double>(7, 7);
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
  for (double v : {1.0, 4.0, 2.0, 5.0, 3.0, 6.0}) fortran.append(reinterpret_cast<const char*>(&v), 8);  // [[1,2,3],[4,5,6]]
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
  const auto q = hqml::io::parse_csv_dataset("v,y\n1,\"say \"\"hi\"\"\nthere\"\n", "q.csv", hqml::io::label_column::named("y"));
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
  CHECK_THROWS_AS(hqml::io::read_csv_dataset(d.path / "nope.csv", hqml::io::label_column::named("c")), fs::filesystem_error);
}
