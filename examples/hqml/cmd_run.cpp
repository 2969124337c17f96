// hqml run: the main job. The whole hybrid pipeline on a dataset (the built-in ad hoc dataset when none is
// given), writing DIR/model/, DIR/metrics.json and DIR/report.html.
#include "commands.hpp"
#include "pipeline_options.hpp"

#include <hqml/pipeline.hpp>
#include <hqml/report.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace hqml::cli {
namespace {

struct run_options {
  std::string data, label = "label", out = "hqml-run";
  map_options map;
  double test_fraction = 0.3;
  std::uint64_t seed = 0;
  int folds = 5, threads = 0;
  std::vector<double> c_grid = {0.1, 1.0, 10.0, 100.0};
  std::vector<double> scale_grid = {0.5, 1.0};
  device_option device;
  bool json = false;
};

int run_main(const run_options& o) {
  pipeline_config cfg;
  cfg.data = o.data;
  cfg.label = parse_label(o.label);
  cfg.map = o.map.spec(o.map.qubits ? o.map.qubits : 0);
  cfg.map.num_qubits = o.map.qubits;  // 0: decided from the data
  cfg.test_fraction = o.test_fraction;
  cfg.seed = o.seed;
  cfg.folds = o.folds;
  cfg.threads = o.threads;
  cfg.c_grid = o.c_grid;
  cfg.scale_grid = o.scale_grid;
  cfg.device = o.device.check();
  if (o.device.gpu())
    cfg.quantum_kernel = [](const circuit& fm, const Eigen::MatrixXd& a, const Eigen::MatrixXd* b) {
      return gpu_kernel_matrix(fm, a, b);
    };
  const bool tty = isatty(STDERR_FILENO) != 0;
  cfg.progress = [tty](const std::string& stage, int i, int n) {
    if (!tty) return;
    const int width = 30, filled = width * i / n;
    std::fprintf(stderr, "\r[%.*s%*s] %d/%d %-50s", filled, "##############################", width - filled, "", i, n,
                 stage.c_str());
    std::fflush(stderr);
  };
  const pipeline_result r = run_pipeline(cfg);
  if (tty) std::fprintf(stderr, "\r%*s\r", 100, "");

  const std::filesystem::path out = o.out;
  std::filesystem::create_directories(out);
  save_pipeline_model(out / "model", r.map, r.quantum.best_hyperparameter, r.pre, r.quantum_model, r.x_train,
                      r.class_names);
  const nlohmann::json metrics = metrics_json(r);
  io::write_file_atomically(out / "metrics.json", metrics.dump(2) + "\n");
  write_report(out / "report.html", metrics, r.k_quantum_train, r.k_classical_train, r.y_train);

  if (o.json) {
    std::cout << metrics.dump() << "\n";
    return 0;
  }
  std::printf("dataset: %s (%zu train, %zu test)\n", r.dataset_name.c_str(), r.y_train.size(), r.y_test.size());
  std::printf("feature map: %s, %zu qubits, reps %zu, %s entanglement; quantum kernels on %s\n", r.map.kind.c_str(),
              r.map.num_qubits, r.map.reps, r.map.entanglement.c_str(), r.device.c_str());
  std::printf("quantum kernel SVM:   test accuracy %.4f (scale %.3g, C %.3g, CV %.4f)\n", r.quantum.test_accuracy,
              r.quantum.best_hyperparameter, r.quantum.best_c, r.quantum.grid.best().scores.mean);
  std::printf("classical RBF SVM:    test accuracy %.4f (gamma %.3g, C %.3g, CV %.4f)\n", r.classical.test_accuracy,
              r.classical.best_hyperparameter, r.classical.best_c, r.classical.grid.best().scores.mean);
  std::printf("assessment: %s (g = %.3g, s_C = %.3g, s_Q = %.3g)\n  %s\n", learn::to_string(r.assessment.verdict),
              r.assessment.geometric_difference, r.assessment.complexity_classical, r.assessment.complexity_quantum,
              r.assessment.explanation.c_str());
  double total = 0;
  for (const auto& t : r.timings) total += t.second;
  std::printf("time: %.3f s\nwrote %s/model/, %s/metrics.json, %s/report.html\n", total, o.out.c_str(),
              o.out.c_str(), o.out.c_str());
  return 0;
}

}  // namespace

void register_run(CLI::App& app, action& act) {
  auto o = std::make_shared<run_options>();
  auto* sub = app.add_subcommand("run", "The main job: data -> quantum kernel -> SVM, against a classical baseline");
  sub->add_option("--data", o->data, "CSV file with a header row (default: the built-in ad hoc dataset)");
  sub->add_option("--label", o->label, "Label column: header name or 0-based index")->capture_default_str();
  sub->add_option("--out", o->out, "Output directory")->capture_default_str();
  o->map.add_to(sub);
  sub->add_option("--test-fraction", o->test_fraction, "Held-out fraction of the data")->capture_default_str();
  sub->add_option("--seed", o->seed, "Seed for splits, folds and the built-in dataset")->capture_default_str();
  sub->add_option("--folds", o->folds, "Cross-validation folds")->check(CLI::Range(2, 100))->capture_default_str();
  sub->add_option("--threads", o->threads, "Threads (0: all)")->check(CLI::Range(0, 4096));
  sub->add_option("--C", o->c_grid, "SVM C values to search");
  sub->add_option("--feature-scales", o->scale_grid, "Quantum feature scales to search");
  o->device.add_to(sub, kernels_device_help);
  sub->add_flag("--json", o->json, "Print metrics.json to stdout");
  sub->callback([o, &act] { act = [o] { return run_main(*o); }; });
}

}  // namespace hqml::cli
