// hqml prep: the data_prep stage of a pipeline on its own. Fits hqml run's preprocessing (standardize, PCA to
// the qubit count, scale to angles) on the training rows only, and writes it as a transform directory beside
// the transformed rows:
//
//   OUT/transform/   the transform (data_transform in include/hqml/app/transform.hpp; kind "hqml-transform")
//   OUT/train.csv    x0..x{N-1} (one angle per qubit) and the label column
//   OUT/test.csv     the same for --test, fitted on nothing (label column kept when the file has one)
//   OUT/prep.json    what was written, last: a folder without it is not a finished hqml prep output
//
// OUT is created whole (one rename); an existing empty folder (what Azure ML hands a job as its output) or an
// earlier hqml prep output is written into file by file, each file atomically, prep.json last. Anything else
// at OUT is refused before any work, and nothing the program did not write is ever removed.
#include "commands.hpp"
#include "pipeline_options.hpp"
#include "remote_paths.hpp"

#include <hqml/app/transform.hpp>
#include <hqml/io/atomic_file.hpp>
#include <hqml/io/output_lock.hpp>
#include <hqml/io/read_file.hpp>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace hqml::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* prep_kind = "hqml-prep";
// The names hqml prep writes inside OUT; nothing else there is its own.
const std::vector<std::string> prep_names = {"transform", "train.csv", "test.csv", "prep.json"};

struct prep_cli {
  std::string train, test, label, out;
  int qubits = 0;
  csv_cli csv;
};

// A temporary of one of prep's own files, left by a writer that was killed (atomic_file's ".NAME.tmp.*",
// atomic_directory's ".NAME.tmpdir.*" and ".NAME.old.*").
bool own_temporary(const std::string& name) {
  for (const auto& n : prep_names)
    for (const char* suffix : {".tmp.", ".tmpdir.", ".old."})
      if (name.starts_with("." + n + suffix)) return true;
  return false;
}

// What OUT is: absent (create it whole), or a folder to write into (empty, or an earlier hqml prep output:
// its prep.json says so and it holds nothing else). Anything else is refused before any work.
enum class out_state { absent, writable_folder };

out_state check_out(const fs::path& out) {
  std::error_code ec;
  const auto refuse = [&](const std::string& why, std::errc code) {
    throw fs::filesystem_error("refusing to write hqml prep's output " + why + "; choose another --out", out,
                               std::make_error_code(code));
  };
  const auto st = fs::status(out, ec);
  if (!fs::exists(st)) {
    if (fs::exists(fs::symlink_status(out, ec))) refuse("over a dangling symbolic link", std::errc::file_exists);
    io::check_output_path(out);  // the parent folder exists and is writable
    return out_state::absent;
  }
  if (!fs::is_directory(st)) refuse("over something that is not a directory", std::errc::file_exists);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(out, ec)) names.push_back(e.path().filename().string());
  if (ec) refuse("into a directory it cannot list", std::errc::permission_denied);
  std::vector<std::string> foreign;
  for (const auto& n : names)
    if (std::find(prep_names.begin(), prep_names.end(), n) == prep_names.end() && !own_temporary(n))
      foreign.push_back(n);
  if (names.empty()) return out_state::writable_folder;
  bool earlier_prep = false;
  if (fs::is_regular_file(out / "prep.json", ec)) {
    try {
      const auto j = nlohmann::json::parse(io::read_input_file(out / "prep.json"));
      earlier_prep = j.is_object() && j.value("kind", std::string{}) == prep_kind;
    } catch (const std::exception&) {
    }
  }
  if (!earlier_prep || !foreign.empty()) {
    const std::string& first = foreign.empty() ? names.front() : foreign.front();
    const std::size_t more = (foreign.empty() ? names.size() : foreign.size()) - 1;
    refuse("into a non-empty directory that is not an earlier hqml prep output (it holds '" + printable(first) + "'" +
               (more ? " and " + std::to_string(more) + " more" : std::string{}) + ")",
           std::errc::directory_not_empty);
  }
  return out_state::writable_folder;
}

// Shortest text that reads back as the same double.
std::string shortest(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// The transformed rows as CSV: x0..x{N-1}, then the label column when the data has labels.
std::string rows_csv(const data_transform& t, const Eigen::MatrixXd& x, const io::labeled_dataset& d) {
  std::string text;
  const auto names = t.output_names();
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (c) text += ',';
    text += names[c];
  }
  const bool labelled = !d.labels.empty();
  if (labelled) text += "," + io::csv_escape(d.label_name);
  text += "\n";
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      if (c) text += ',';
      text += shortest(x(r, c));
    }
    if (labelled) text += "," + io::csv_escape(d.class_names[static_cast<std::size_t>(d.labels[r])]);
    text += "\n";
  }
  return text;
}

int prep_main(const prep_cli& o) {
  // --train, --test and --out may be storage URIs (remote_paths.hpp): the inputs are downloaded to private
  // temporary files; the output is written to a temporary folder and published whole at the end.
  remote::output_dir remote_out("--out", o.out);
  const remote::input_file train_in("--train", o.train);
  const remote::input_file test_in("--test", o.test);
  fs::path out = remote_out.path();
  if (out.filename().empty()) out = out.parent_path();
  if (out.empty()) throw usage_error("--out: not a folder name");
  // The output before the work: a path that can never be written is refused first.
  const out_state state = check_out(out);
  const io::output_lock lock(out);
  lock.remove_stale_temporaries();

  if (o.label.empty())
    throw usage_error("--label: the label column must be named (the transform is fitted without it)");
  io::csv_options opt = o.csv.options();
  const io::labeled_dataset train = io::read_csv_dataset(train_in.path(), parse_label(o.label), opt);
  for (const auto& w : train.warnings) std::cerr << "hqml: warning: " << train_in.shown() << ": " << w << "\n";
  io::labeled_dataset test;
  if (!o.test.empty()) {
    // The test rows are read with the training file's columns (by name) and one-hot levels; their label is
    // optional (rows to score).
    io::csv_options topt = opt;
    topt.features = input_columns(train);
    topt.drop.clear();
    topt.categories = train.categories;
    if (!train.categories.empty()) topt.text = io::text_columns::one_hot;
    topt.require_label = false;
    test = io::read_csv_dataset(test_in.path(), io::label_column::named(train.label_name), topt);
    if (test.feature_names != train.feature_names)
      throw usage_error(test_in.shown() + ": its feature columns differ from " + train_in.shown() + "'s");
  }
  // As hqml run: a median imputer (fitted on the training rows) whenever a cell of the data is missing.
  const bool impute = !train.features.allFinite() || (test.features.size() && !test.features.allFinite());
  const data_transform t =
      data_transform::fit(train, static_cast<std::size_t>(o.qubits), pi, impute, train_in.display());
  const Eigen::MatrixXd x_train = t.apply(train.features);
  const Eigen::MatrixXd x_test = o.test.empty() ? Eigen::MatrixXd{} : t.apply(test.features);
  if (!x_train.allFinite() || !x_test.allFinite())
    throw std::runtime_error("the transformed rows hold non-finite values; nothing written");

  const auto source = [](const std::string& file, const io::labeled_dataset& d, const Eigen::MatrixXd& x) {
    return nlohmann::json{{"file", file}, {"rows", x.rows()}, {"labelled", !d.labels.empty()}};
  };
  nlohmann::json manifest = {
      {"format_version", 1},
      {"kind", prep_kind},
      {"created_by", "hqml 0.1.0"},
      {"transform", "transform"},
      {"qubits", t.qubits},
      {"label", train.label_name},
      {"class_names", train.class_names},
      {"columns", t.output_names()},
      {"preprocessing", t.pre.describe()},
      {"raw_features", train.feature_names.size()},
      {"train", {{"csv", "train.csv"}, {"source", source(train_in.display(), train, x_train)}}},
      {"test", o.test.empty()
                   ? nlohmann::json(nullptr)
                   : nlohmann::json{{"csv", "test.csv"}, {"source", source(test_in.display(), test, x_test)}}}};
  const std::string train_text = rows_csv(t, x_train, train);
  const std::string test_text = o.test.empty() ? std::string{} : rows_csv(t, x_test, test);
  const std::string manifest_text = manifest.dump(2) + "\n";

  if (state == out_state::absent) {
    io::atomic_directory dir(out);
    t.save(dir.path() / "transform");
    dir.write_file("train.csv", train_text);
    if (!o.test.empty()) dir.write_file("test.csv", test_text);
    dir.write_file("prep.json", manifest_text);
    dir.commit();
    remote_out.publish();
  } else {
    // Into the folder: first the old manifest goes (the folder is unfinished until the new one is written),
    // then leftovers of killed writers of these same names, then each file atomically, prep.json last.
    std::error_code ec;
    fs::remove(out / "prep.json", ec);
    for (const auto& e : fs::directory_iterator(out, ec))
      if (own_temporary(e.path().filename().string())) fs::remove_all(e.path(), ec);
    t.save(out / "transform");
    io::write_file_atomically(out / "train.csv", train_text);
    if (!o.test.empty())
      io::write_file_atomically(out / "test.csv", test_text);
    else
      fs::remove(out / "test.csv", ec);  // an earlier run's, which this one does not replace
    io::write_file_atomically(out / "prep.json", manifest_text);
  }
  std::cout << "hqml prep: transform fitted on " << x_train.rows() << " training rows of " << train.feature_names.size()
            << " features -> " << t.qubits << " angles in [0, pi] (" << t.pre.describe()["steps"].dump() << ")"
            << (o.test.empty() ? std::string{} : "; " + std::to_string(x_test.rows()) + " test rows transformed")
            << "; written to " << (remote_out.remote() ? remote_out.shown() : printable(out.string())) << "\n";
  return 0;
}

}  // namespace

void register_prep(CLI::App& app, action& act) {
  auto o = std::make_shared<prep_cli>();
  auto* sub = app.add_subcommand(
      "prep",
      "Fit the preprocessing (standardize, PCA to the qubit count, angles) on training rows; write it and "
      "the transformed rows");
  sub->add_option("--train", o->train, "Raw training rows (CSV with header); the transform is fitted on these only")
      ->required();
  sub->add_option("--test", o->test, "Raw rows to transform with it (CSV with header; the label column optional)");
  sub->add_option("--label", o->label, "Label column (name or 0-based index)")->required();
  sub->add_option("--qubits", o->qubits, "Angles per row: PCA components when there are more features")
      ->required()
      ->check(CLI::Range(1, 24));
  sub->add_option("--out", o->out,
                  "Output folder: created, or an empty folder, or an earlier hqml prep output (replaced)")
      ->required();
  o->csv.add_to(sub);
  sub->callback([o, &act] { act = [o] { return prep_main(*o); }; });
}

}  // namespace hqml::cli
