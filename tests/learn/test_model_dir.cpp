// Model directories: round trips of the SVC, scalers and PCA, extra blocks and arrays for later
// pipelines, and clear errors for unknown versions and damaged or missing files.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include <hqml/app/persistence.hpp>

#include "common/files.hpp"
#include "test_data.hpp"

namespace fs = std::filesystem;
namespace hl = hqml::learn;

using hqml::test::slurp;
using hqml::test::spit;
using hqml::test::temp_dir;

namespace {

template <class Fn>
std::string model_error_file(Fn&& fn) {
  try {
    fn();
  } catch (const hl::model_error& e) {
    return e.file().filename().string();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("an SVC survives saving and loading", "[model]") {
  temp_dir d;
  const auto data = hqml_test::make_blobs(150, 3, {2, 4, 6}, 2.0, 91);
  const Eigen::MatrixXd k = hqml_test::rbf_kernel(data.x, data.x, 0.4);
  hl::svc_params p;
  p.probability = true;
  p.C = 3;
  p.class_weight = {{4, 2.0}};
  const auto m = hl::svc::fit(k, data.labels, p);
  const auto dir = d.path / "svc_model";
  hl::save_svc(dir, m);
  CHECK(fs::exists(dir / "model.json"));
  CHECK(fs::exists(dir / "svc.dual_coef.npy"));
  const auto back = hl::load_svc(dir);
  CHECK(back.classes() == m.classes());
  CHECK(back.support() == m.support());
  CHECK(back.dual_coef() == m.dual_coef());
  CHECK(back.rho() == m.rho());
  CHECK(back.prob_a() == m.prob_a());
  CHECK(back.prob_b() == m.prob_b());
  CHECK(back.params().class_weight == m.params().class_weight);
  const Eigen::MatrixXd kt = hqml_test::rbf_kernel(data.x.topRows(20), data.x, 0.4);
  CHECK(back.decision_function(kt) == m.decision_function(kt));
  CHECK(back.predict_proba(kt) == m.predict_proba(kt));
}

TEST_CASE("a pipeline directory holds several models and extra blocks", "[model]") {
  temp_dir d;
  const auto data = hqml_test::make_blobs(60, 4, {0, 1}, 2.0, 92);
  hl::min_max_scaler mm(0, 3.14159);
  mm.fit(data.x);
  hl::standard_scaler ss;
  ss.fit(data.x);
  hl::pca pc(2);
  pc.fit(data.x);
  const auto m = hl::svc::fit(hqml_test::rbf_kernel(data.x, data.x, 0.5), data.labels);

  hl::model_writer w("pipeline");
  hl::save(w, mm, "minmax");
  hl::save(w, ss, "standard");
  hl::save(w, pc, "pca");
  hl::save(w, m, "svc");
  w.json()["feature_map"] = {{"name", "zz"}, {"reps", 2}, {"entanglement", "linear"}};
  w.json()["kernel"] = {{"type", "fidelity"}};
  w.add_array("train_x", data.x);
  w.save(d.path / "pipe");

  const hl::model_reader r(d.path / "pipe");
  CHECK(r.kind() == "pipeline");
  CHECK(r.json()["format_version"] == hl::model_format_version);
  CHECK(r.block("feature_map")["reps"] == 2);
  CHECK(r.matrix("train_x") == data.x);
  CHECK(hl::load_min_max_scaler(r, "minmax").transform(data.x) == mm.transform(data.x));
  CHECK(hl::load_standard_scaler(r, "standard").transform(data.x) == ss.transform(data.x));
  CHECK(hl::load_pca(r, "pca").transform(data.x) == pc.transform(data.x));
  CHECK(hl::load_svc(r, "svc").dual_coef() == m.dual_coef());
  CHECK_THROWS_AS(hl::load_pca(r, "svc"), hl::model_error);  // wrong block type
  CHECK_THROWS_AS(r.block("nothing"), hl::model_error);
  CHECK_THROWS_AS(w.add_array("../escape", data.x), std::invalid_argument);

  // Saving again replaces the directory as a whole.
  hl::model_writer w2("pipeline");
  hl::save(w2, ss, "standard");
  w2.save(d.path / "pipe");
  CHECK(!fs::exists(d.path / "pipe" / "train_x.npy"));
  CHECK(hl::model_reader(d.path / "pipe").has_array("standard.mean"));
}

TEST_CASE("damaged model directories give errors naming the file", "[model]") {
  temp_dir d;
  const auto data = hqml_test::make_blobs(50, 2, {0, 1}, 2.0, 93);
  const auto m = hl::svc::fit(hqml_test::rbf_kernel(data.x, data.x, 0.5), data.labels);
  const auto dir = d.path / "m";
  hl::save_svc(dir, m);
  const std::string json = slurp(dir / "model.json");
  const std::string coef = slurp(dir / "svc.dual_coef.npy");

  SECTION("unknown format version") {
    auto j = nlohmann::json::parse(json);
    j["format_version"] = 99;
    spit(dir / "model.json", j.dump(2));
    try {
      (void)hl::load_svc(dir);
      FAIL("loaded");
    } catch (const hl::model_error& e) {
      CHECK(e.file().filename() == "model.json");
      CHECK(std::string(e.what()).find("format_version 99") != std::string::npos);
    }
  }
  SECTION("invalid JSON") {
    spit(dir / "model.json", json.substr(0, json.size() / 2));
    CHECK_THROWS_AS(hl::load_svc(dir), hqml::parse_error);
  }
  SECTION("valid JSON with a number no double holds (found by model_fuzz)") {
    std::string big = json;
    big.insert(big.rfind('}'), ", \"noise\": 408e6026");
    spit(dir / "model.json", big);
    try {
      (void)hl::load_svc(dir);
      FAIL("loaded");
    } catch (const hl::model_error& e) {
      CHECK(e.file().filename() == "model.json");
      CHECK(std::string(e.what()).find("number overflow") != std::string::npos);
    }
  }
  SECTION("missing model.json or directory") {
    fs::remove(dir / "model.json");
    CHECK(model_error_file([&] { (void)hl::load_svc(dir); }) == "model.json");
    CHECK(model_error_file([&] { (void)hl::load_svc(d.path / "none"); }) == "none");
  }
  SECTION("missing array file") {
    fs::remove(dir / "svc.support.npy");
    CHECK(model_error_file([&] { (void)hl::load_svc(dir); }) == "svc.support.npy");
  }
  SECTION("corrupted array") {
    std::string bad = coef;
    bad[bad.size() - 3] ^= 0x10;  // one flipped bit in the data
    spit(dir / "svc.dual_coef.npy", bad);
    try {
      (void)hl::load_svc(dir);
      FAIL("loaded");
    } catch (const hl::model_error& e) {
      CHECK(e.file().filename() == "svc.dual_coef.npy");
      CHECK(std::string(e.what()).find("checksum") != std::string::npos);
    }
  }
  SECTION("truncated array") {
    spit(dir / "svc.dual_coef.npy", coef.substr(0, coef.size() - 16));
    CHECK(model_error_file([&] { (void)hl::load_svc(dir); }) == "svc.dual_coef.npy");
  }
  SECTION("inconsistent parts") {
    auto j = nlohmann::json::parse(json);
    j["svc"]["n_train"] = 3;  // support indices now point outside the training set
    spit(dir / "model.json", j.dump(2));
    CHECK(model_error_file([&] { (void)hl::load_svc(dir); }) == "model.json");
  }
}

TEST_CASE("saving a model never replaces what the program did not write", "[model]") {
  namespace fs = std::filesystem;
  const fs::path base = fs::temp_directory_path() / "hqml_model_dir_no_loss";
  fs::remove_all(base);
  fs::create_directories(base / "project");
  std::ofstream(base / "project" / "train.csv") << "a,b\n1,2\n";
  std::ofstream(base / "project" / "notes.txt") << "mine\n";
  std::ofstream(base / "file.txt") << "a file\n";
  hl::model_writer w("test-kind");
  w.add_array("x", Eigen::MatrixXd::Ones(2, 2).eval());
  // A project folder: refused, untouched.
  REQUIRE_THROWS_WITH(w.save(base / "project"), Catch::Contains("not an hqml model") && Catch::Contains("project"));
  CHECK(fs::exists(base / "project" / "train.csv"));
  CHECK(fs::exists(base / "project" / "notes.txt"));
  // A file: refused, untouched.
  REQUIRE_THROWS_WITH(w.save(base / "file.txt"), Catch::Contains("not a directory"));
  CHECK(fs::is_regular_file(base / "file.txt"));
  // An empty directory or an earlier model: replaced.
  fs::create_directories(base / "empty");
  w.save(base / "empty");
  CHECK(fs::exists(base / "empty" / "model.json"));
  w.save(base / "empty");
  // An earlier model with a file of the user's beside it: refused.
  std::ofstream(base / "empty" / "README") << "keep\n";
  REQUIRE_THROWS_WITH(w.save(base / "empty"), Catch::Contains("'README'"));
  CHECK(fs::exists(base / "empty" / "README"));
  // No temporary directory is left behind by a refusal.
  for (const auto& e : fs::directory_iterator(base)) CHECK(e.path().filename().string().find("tmp") == std::string::npos);
  fs::remove_all(base);
}
