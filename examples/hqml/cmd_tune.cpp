// hqml tune: QUBO-encoded hyperparameter search (factorization-machine surrogate + simulated annealing) of the
// quantum-kernel SVM, next to random search and grid search at the same evaluation budget.
#include "commands.hpp"
#include "pipeline_options.hpp"
#include "remote_paths.hpp"

#include <hqml/app/kernel_tuning.hpp>
#include <hqml/app/pipeline.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <utility>

namespace hqml::cli {
namespace {

struct tune_cli {
  std::string data, label = "label";
  csv_cli csv;
  std::size_t qubits = 2, budget = 20;
  int folds = 4, threads = 0;
  std::uint64_t seed = 0;
  bool json = false;
};

int tune_main(const tune_cli& o) {
  // Training data: the built-in ad hoc set, or a CSV preprocessed as hqml run does. --data may be a storage URI
  // (remote_paths.hpp): the data is downloaded to a private temporary file.
  const remote::input_file data("--data", o.data);
  Eigen::MatrixXd x;
  std::vector<int> y;
  std::size_t qubits = o.qubits;
  if (o.data.empty()) {
    const ad_hoc_dataset d = ad_hoc_data(20, 0, qubits, 0.3, o.seed);
    x = d.train.x;
    y.assign(d.train.y.data(), d.train.y.data() + d.train.y.size());
  } else {
    const io::labeled_dataset d = io::read_csv_dataset(data.path(), parse_label(o.label), o.csv.options());
    preprocessing pre(qubits, pi);
    pre.fit(d.features);
    x = pre.transform(d.features);
    y = d.labels;
    qubits = std::min(qubits, static_cast<std::size_t>(x.cols()));
    // Every class must reach every fold, as hqml run requires.
    if (d.class_names.size() < 2)
      throw usage_error(data.shown() + ": the label column holds one class only; a classifier needs two or more");
    std::vector<std::size_t> count(d.class_names.size(), 0);
    for (const int c : y) ++count[static_cast<std::size_t>(c)];
    for (std::size_t c = 0; c < count.size(); ++c)
      if (count[c] < static_cast<std::size_t>(o.folds))
        throw usage_error("--folds " + std::to_string(o.folds) + ": class '" + printable(d.class_names[c]) + "' of " +
                          data.shown() + " has only " + std::to_string(count[c]) + " rows; lower --folds or add data");
  }
  app::kernel_svm_tuning problem(std::move(x), std::move(y), qubits, o.folds, o.seed, o.threads);
  const auto result = app::tune_kernel_svm(problem, o.budget, o.seed, o.threads);
  const auto& [fmqa, random, grid] = result;

  auto describe = [&](const anneal::search_result& r) {
    const app::kernel_svm_config c = app::kernel_svm_tuning::decode(r.best_config);
    return nlohmann::json{
        {"best_score", r.best_score},
        {"best",
         {{"C", c.C}, {"feature_scale", c.feature_scale}, {"reps", double(c.reps)}, {"entanglement", c.entanglement}}},
        {"best_so_far", r.best_so_far}};
  };
  const nlohmann::json j = {
      {"budget", o.budget},         {"space_size", app::kernel_svm_tuning::space().num_configurations()},
      {"folds", o.folds},           {"fmqa", describe(fmqa)},
      {"random", describe(random)}, {"grid", describe(grid)}};
  if (o.json) {
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::printf("search space: C x feature scale x reps x entanglement = %zu configurations; budget %zu each\n",
              app::kernel_svm_tuning::space().num_configurations(), o.budget);
  std::printf("%-8s %-10s %s\n", "method", "best CV", "best configuration");
  for (const char* m : {"fmqa", "random", "grid"}) {
    const auto& b = j[m]["best"];
    std::printf("%-8s %-10.4f C=%g scale=%g reps=%g entanglement=%s\n", m, j[m]["best_score"].get<double>(),
                b["C"].get<double>(), b["feature_scale"].get<double>(), b["reps"].get<double>(),
                b["entanglement"].get<std::string>().c_str());
  }
  std::printf("best score after each evaluation (fmqa / random / grid):\n");
  for (std::size_t e = 0; e < o.budget; e += std::max<std::size_t>(1, o.budget / 10)) {
    auto at = [&](const anneal::search_result& r) {
      return e < r.best_so_far.size() ? r.best_so_far[e] : r.best_score;
    };
    std::printf("  %3zu  %.4f  %.4f  %.4f\n", e + 1, at(fmqa), at(random), at(grid));
  }
  return 0;
}

}  // namespace

void register_tune(CLI::App& app, action& act) {
  auto o = std::make_shared<tune_cli>();
  auto* sub = app.add_subcommand("tune", "QUBO-encoded hyperparameter search of the quantum-kernel SVM (FMQA)");
  sub->add_option("--data", o->data, "CSV with a header row (default: the built-in ad hoc dataset)");
  sub->add_option("--label", o->label, "Label column (name or 0-based index)")->capture_default_str();
  o->csv.add_to(sub);
  sub->add_option("--qubits", o->qubits, "Qubits")->check(CLI::Range(1, 16))->capture_default_str();
  sub->add_option("--budget", o->budget, "Objective evaluations per method")
      ->check(CLI::Range(1, 144))
      ->capture_default_str();
  sub->add_option("--folds", o->folds, "Cross-validation folds")->check(CLI::Range(2, 20))->capture_default_str();
  sub->add_option("--seed", o->seed, "Seed")->check(unsigned_integer);
  sub->add_option("--threads", o->threads, "Threads (0: all)")->check(CLI::Range(0, 4096));
  sub->add_flag("--json", o->json, "One JSON object");
  sub->callback([o, &act] { act = [o] { return tune_main(*o); }; });
}

}  // namespace hqml::cli
