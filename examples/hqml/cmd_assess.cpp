// hqml assess: would a quantum kernel beat a classical one on these data (Huang et al. 2021)?
#include "commands.hpp"
#include "pipeline_options.hpp"
#include "remote_paths.hpp"

#include <hqml/app/pipeline.hpp>

#include <iostream>
#include <memory>

namespace hqml::cli {
namespace {

struct assess_cli {
  std::string train, label = "label";
  map_options map;
  csv_cli csv;
  double gamma = 0, lambda = 1e-3, scale = 1.0;
  bool json = false;
  int threads = 0;
};

// --train may be a storage URI (remote_paths.hpp): the data is downloaded to a private temporary file.
int assess_main(const assess_cli& o) {
  const remote::input_file train("--train", o.train);
  const io::labeled_dataset d = io::read_csv_dataset(train.path(), parse_label(o.label), o.csv.options());
  if (d.class_names.size() < 2)
    throw usage_error(train.shown() + ": the label column '" + printable(d.label_name) +
                      "' holds one class only; nothing to assess");
  for (const auto& w : d.warnings) std::cerr << "hqml: warning: " << w << "\n";
  if (o.map.qubits > static_cast<std::size_t>(d.features.cols()) && !is_angle_map(o.map.value()))
    std::cerr << "hqml: warning: --qubits " << o.map.qubits << " is more than the " << d.features.cols()
              << " feature columns: using " << d.features.cols() << " qubits, one per feature\n";
  feature_map_spec spec = o.map.spec(static_cast<std::size_t>(d.features.cols()));
  const preprocessing pre = fit_preprocessing(spec, d.features);
  const Eigen::MatrixXd x = pre.transform(d.features);
  const double gamma = o.gamma > 0 ? o.gamma : 1.0 / static_cast<double>(x.cols());
  const Eigen::MatrixXd kq = fidelity_kernel<double>(spec.build(), o.scale * x, {}, kernel_options{o.threads, 256});
  const Eigen::MatrixXd kc = rbf_kernel(x, x, gamma);
  learn::assessment_options opt;
  opt.lambda = o.lambda;
  const auto a = learn::assess_kernels(kc, kq, d.labels, opt);
  const nlohmann::json j = assessment_json(a);
  if (o.json)
    std::cout << j.dump() << "\n";
  else
    std::cout << j.dump(2) << "\n";
  return 0;
}

}  // namespace

void register_assess(CLI::App& app, action& act) {
  auto o = std::make_shared<assess_cli>();
  auto* sub = app.add_subcommand("assess", "Geometric difference and model complexities: quantum vs RBF kernel");
  sub->add_option("--train", o->train, "Data (CSV with header)")->required();
  sub->add_option("--label", o->label, "Label column (name or 0-based index)")->capture_default_str();
  o->csv.add_to(sub);
  o->map.add_to(sub);
  sub->add_option("--gamma", o->gamma, "RBF gamma (default 1 / features)")->check(finite_positive);
  sub->add_option("--lambda", o->lambda, "Regularization of g and s")->check(finite_positive);
  sub->add_option("--feature-scale", o->scale, "Features are multiplied by this before the map")
      ->check(finite_positive);
  sub->add_option("--threads", o->threads, "Threads (0: all)")->check(CLI::Range(0, 4096));
  sub->add_flag("--json", o->json, "One-line JSON");
  sub->callback([o, &act] { act = [o] { return assess_main(*o); }; });
}

}  // namespace hqml::cli
