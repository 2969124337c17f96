// hqml run: the main job. The whole hybrid pipeline on a dataset (the built-in ad hoc dataset when none is
// given), writing DIR/model/, DIR/metrics.json, DIR/timings.json and DIR/report.html.
#include "commands.hpp"
#include "pipeline_options.hpp"
#include "progress.hpp"
#include "remote_paths.hpp"

#include <hqml/app/pipeline.hpp>
#include <hqml/app/report.hpp>
#include <hqml/io/atomic_file.hpp>
#include <hqml/io/output_lock.hpp>

#include <unistd.h>
#include <algorithm>
#include <array>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string_view>

namespace hqml::cli {
namespace {

struct run_options {
  std::string data, label = "label", out = "hqml-run", pos_label;
  map_options map;
  csv_cli csv;
  double test_fraction = 0.3;
  std::uint64_t seed = 0;
  int folds = 5, threads = 0;
  std::vector<double> c_grid = {0.1, 1.0, 10.0, 100.0};
  std::vector<double> scale_grid = pipeline_config{}.scale_grid;
  bool no_assess = false;
  int extensions = 4;
  device_option device;
  bool json = false;
};

// What `hqml run` writes into its output directory: an earlier run's directory holds these and nothing else.
constexpr std::array<std::string_view, 4> run_files = {"model", "metrics.json", "timings.json", "report.html"};

/// The output directory may be replaced only where nothing but an earlier run would be lost: a missing path,
/// an empty directory, or exactly what an earlier hqml run wrote. Anything else is refused before any work.
void check_run_dir_replaceable(const std::filesystem::path& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto st = fs::symlink_status(out, ec);
  if (ec || !fs::exists(st)) return;
  const std::string name = "--out " + printable(out.string());
  if (!fs::is_directory(st)) throw usage_error(name + ": exists and is not a directory; choose another --out");
  for (const auto& e : fs::directory_iterator(out, ec)) {
    const std::string f = e.path().filename().string();
    if (std::find(run_files.begin(), run_files.end(), f) == run_files.end())
      throw usage_error(name + ": refusing to replace a directory that holds '" + printable(f) +
                        "', which hqml run did not write; choose another --out");
  }
  if (ec) throw usage_error(name + ": cannot list the directory (" + ec.message() + ")");
  if (fs::exists(out / "model")) {
    try {
      learn::model_writer::check_replaceable(out / "model");
    } catch (const fs::filesystem_error&) {
      throw usage_error(name + ": its model/ folder holds files hqml did not write; choose another --out");
    }
  }
}

int run_main(const run_options& o) {
  // The output first: a path that cannot be written is refused before minutes of computation, another run
  // writing the same directory is refused at once, and the results are built in a temporary sibling that
  // replaces the directory in one step when everything is written (readers see the old run or the new one,
  // never a mix; a kill leaves the old one and a temporary that the next run into it removes).
  // --data and --out may be storage URIs (remote_paths.hpp): the data is downloaded to a private temporary file,
  // the results are written to a temporary folder and published whole at the end.
  remote::output_dir remote_out("--out", o.out);
  const remote::input_file data("--data", o.data);
  std::filesystem::path out = remote_out.path();
  if (out.filename().empty()) out = out.parent_path();
  if (out.empty()) throw usage_error("--out: an output directory is needed");
  if (!out.parent_path().empty()) std::filesystem::create_directories(out.parent_path());
  check_run_dir_replaceable(out);
  const io::output_lock lock(out);
  lock.remove_stale_temporaries();
  io::atomic_directory staged(out);

  pipeline_config cfg;
  cfg.data = data.path();
  cfg.label = parse_label(o.label);
  cfg.csv = o.csv.options();
  cfg.positive_label = o.pos_label;
  cfg.map = o.map.spec(o.map.qubits ? o.map.qubits : 0);
  cfg.map.num_qubits = o.map.qubits;  // 0: decided from the data
  cfg.test_fraction = o.test_fraction;
  cfg.seed = o.seed;
  cfg.folds = o.folds;
  cfg.threads = o.threads;
  cfg.c_grid = o.c_grid;
  cfg.scale_grid = o.scale_grid;
  cfg.assess = !o.no_assess;
  cfg.max_extensions = o.extensions;
  cfg.device = o.device.check();
  if (o.device.gpu())
    cfg.quantum_kernel = [d = o.device.value()](const circuit& fm, const Eigen::MatrixXd& a, const Eigen::MatrixXd* b) {
      return kernel_matrix(d, fm, a, b);
    };
  progress_bar bar;
  cfg.progress = [&bar](const std::string& stage, int i, int n) { bar(stage, i, n); };
  pipeline_result r = run_pipeline(cfg);
  if (data.remote()) r.dataset_source = data.display();  // the URI (redacted), not the temporary copy
  bar.clear();
  for (const auto& w : r.warnings) std::fprintf(stderr, "hqml: warning: %s\n", w.c_str());

  const std::filesystem::path& dir = staged.path();
  model_inputs inputs{r.input_columns, r.feature_names, r.categories, r.label_name,
                      r.positive_class >= 0 ? r.class_names[static_cast<std::size_t>(r.positive_class)] : ""};
  // The classical model and the training statistics too: the run's model folder is all `hqml serve` needs.
  serving_parts serving;
  serving.classical = &r.classical_model;
  std::tie(serving.train_mean, serving.train_std) = column_mean_std(r.raw_train);
  save_pipeline_model(dir / "model", r.map, r.quantum.best_hyperparameter, r.pre, r.quantum_model, r.x_train,
                      r.class_names, {}, &inputs, false, &serving);
  const nlohmann::json metrics = metrics_json(r);
  const nlohmann::json timings = timings_json(r);
  staged.write_file("metrics.json", metrics.dump(2) + "\n");
  staged.write_file("timings.json", timings.dump(2) + "\n");
  nlohmann::json shown = metrics;
  shown["timings"] = timings["timings"];
  for (std::size_t i = 0; i < shown["serving_routes"].size() && i < timings["serving_routes"].size(); ++i)
    shown["serving_routes"][i]["ms_per_row"] = timings["serving_routes"][i]["ms_per_row"];
  write_report(dir / "report.html", shown, r.k_quantum_train, r.k_classical_train, r.y_train);
  check_run_dir_replaceable(out);  // again: a file put there while this run computed is not ours to remove
  staged.commit();
  remote_out.publish();

  if (o.json) {
    std::cout << metrics.dump() << "\n";
    return 0;
  }
  // The summary fits an 80-column terminal: fixed columns, and the verdict wrapped.
  const auto& a = r.assessment;
  std::printf("dataset   %s\n          %zu train / %zu test rows, %zu features, %zu classes\n",
              r.dataset_name.size() > 70 ? (r.dataset_name.substr(0, 67) + "...").c_str() : r.dataset_name.c_str(),
              r.y_train.size(), r.y_test.size(), r.raw_features, r.class_names.size());
  if (r.positive_class >= 0)
    std::printf("positive  %s (binary precision, recall and F1 are this class's)\n",
                r.class_names[static_cast<std::size_t>(r.positive_class)].c_str());
  std::printf("quantum   %s map, %zu qubits, reps %zu, %s entanglement\nkernels   on %s, %d threads\n",
              std::string(to_string(r.map.kind)).c_str(), r.map.num_qubits, r.map.reps, r.map.entanglement.c_str(),
              r.device.c_str(), r.threads);
  std::printf("\n%-20s %8s %9s %7s %16s\n", "model", "features", "test acc", "F1", "CV mean +- sd");
  const auto row = [](const model_report& m) {
    char cv[32] = "-";
    if (m.search) std::snprintf(cv, sizeof cv, "%.3f +- %.3f", m.grid.best().scores.mean, m.grid.best().scores.stddev);
    std::printf("%-20s %8zu %9.4f %7.4f %16s\n", m.name.c_str(), m.n_features_seen, m.test_accuracy, m.scores.f1, cv);
  };
  row(r.quantum);
  row(r.classical);
  row(r.logistic);
  row(r.majority);
  std::printf("chosen    quantum: scale %.3g, C %.3g%s; RBF: gamma %.3g, C %.3g; logistic: C %.3g\n",
              r.quantum.best_hyperparameter, r.quantum.best_c,
              r.quantum.search && r.quantum.search->at_edge ? " (edge)" : "", r.classical.best_hyperparameter,
              r.classical.best_c, r.logistic.best_c);
  std::printf("\n%-20s %10s  %-20s %9s\n", "quantum against", "difference", "95% CI", "McNemar p");
  for (const auto& c : r.comparisons) {
    const auto& x = c.result;
    const std::string other = c.b == "classical"             ? "RBF SVM"
                              : c.b == "logistic_regression" ? "logistic regression"
                                                             : "majority class";
    char ci[48], p[16];
    std::snprintf(ci, sizeof ci, "[%+.4f, %+.4f]", x.ci_low, x.ci_high);
    if (x.p_value < 0.001)
      std::snprintf(p, sizeof p, "<0.001");
    else
      std::snprintf(p, sizeof p, "%.3f", x.p_value);
    std::printf("%-20s %+10.4f  %-20s %9s%s\n", other.c_str(), x.difference, ci, p, x.significant() ? "  *" : "");
  }
  std::printf("(* significant at 5%%)\n\n");
  // What each route of `hqml serve` would have given on the test rows (time: the rows as one batch).
  std::printf("%-20s %8s %13s %9s\n", "serving route", "test acc", "quantum rows", "ms/row");
  for (const auto& rr : r.routes)
    std::printf("%-20s %8.4f %13zu %9.3g\n", rr.route.c_str(), rr.test_accuracy, rr.quantum_rows, rr.ms_per_row);
  std::printf("\n");
  if (r.assessed)
    std::printf("assessed  %s: g %.3g, s_C %.3g, s_Q %.3g\n", learn::to_string(a.verdict), a.geometric_difference,
                a.complexity_classical, a.complexity_quantum);
  // The verdict, wrapped at 80 columns (or the terminal's width when it is narrower).
  {
    const int width = std::min(80, isatty(STDOUT_FILENO) ? terminal_columns() : 80) - 10;
    std::string line, word;
    bool first = true;
    const auto flush = [&] {
      std::printf("%-10s%s\n", first ? "verdict" : "", line.c_str());
      first = false;
      line.clear();
    };
    std::istringstream words(r.verdict_summary);
    while (words >> word) {
      if (!line.empty() && static_cast<int>(line.size() + 1 + word.size()) > width) flush();
      line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty()) flush();
  }
  double total = 0;
  for (const auto& t : r.timings) total += t.second;
  std::printf("time      %.3f s\nwrote     %s/: model/, metrics.json, timings.json, report.html\n", total,
              remote_out.display().c_str());
  return 0;
}

}  // namespace

void register_run(CLI::App& app, action& act) {
  auto o = std::make_shared<run_options>();
  auto* sub = app.add_subcommand("run", "The main job: data -> quantum kernel -> SVM, against a classical baseline");
  sub->add_option("--data", o->data, "CSV file with a header row (default: the built-in ad hoc dataset)");
  sub->add_option("--label", o->label, "Label column: header name or 0-based index")->capture_default_str();
  sub->add_option("--out", o->out, "Output directory")->capture_default_str();
  o->csv.add_to(sub);
  sub->add_option("--pos-label", o->pos_label,
                  "Positive class of binary precision/recall/F1/ROC (default: the greater label in sorted order)");
  o->map.add_to(sub);
  sub->add_option("--test-fraction", o->test_fraction, "Held-out fraction of the data, in (0, 1)")
      ->check(finite_positive & CLI::Range(0.0, 1.0))
      ->capture_default_str();
  sub->add_option("--seed", o->seed, "Seed for splits, folds and the built-in dataset")
      ->check(unsigned_integer)
      ->capture_default_str();
  sub->add_option("--folds", o->folds, "Cross-validation folds")->check(CLI::Range(2, 100))->capture_default_str();
  sub->add_option("--threads", o->threads, "Threads (0: all)")->check(CLI::Range(0, 4096));
  sub->add_option("--C", o->c_grid, "SVM C values to search")->check(finite_positive);
  sub->add_option("--feature-scales", o->scale_grid,
                  "Quantum feature scales to search (extended by factors of 2 past an edge where the best one sits)")
      ->check(finite_positive);
  sub->add_option("--grid-extensions", o->extensions,
                  "How often the feature-scale and gamma grids may grow past each edge (0: search the grids as given)")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();
  sub->add_flag("--no-assess", o->no_assess, "Skip the kernel assessment (a few N x N eigendecompositions)");
  o->device.add_to(sub, kernels_device_help);
  sub->add_flag("--json", o->json, "Print metrics.json to stdout");
  sub->callback([o, &act] { act = [o] { return run_main(*o); }; });
}

}  // namespace hqml::cli
