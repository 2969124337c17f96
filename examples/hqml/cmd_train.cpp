// hqml train / hqml predict: fit a quantum-kernel SVM on CSV data and save it; predict with a saved model.
#include "commands.hpp"
#include "pipeline_options.hpp"

#include <hqml/kernel_training.hpp>
#include <hqml/pipeline.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace hqml::cli {
namespace {

struct train_cli {
  std::string train, label = "label", out;
  map_options map;
  kernel_training_cli training;
  double c = 1.0, scale = 1.0;
  int threads = 0;
  device_option device;
};

// Trains θ of the trainable map on the (scaled) training data and reports the loss on stdout.
std::vector<double> train_theta(const train_cli& o, const feature_map_spec& spec, const Eigen::MatrixXd& x,
                                const std::vector<int>& labels, const kernel_options& kopt) {
  kernel_training_options t;
  t.loss = o.training.objective == "svc" ? kernel_loss::svc(o.c) : kernel_loss::alignment();
  t.optimizer = o.training.method == "spsa" ? kernel_optimizer::spsa : kernel_optimizer::adam;
  t.max_iterations = o.training.iterations;
  t.spsa.seed = o.training.seed;
  t.kernel = kopt;
  const std::vector<double> theta0(spec.num_params(), 0.0);
  const kernel_training_result r = train_kernel(spec.build(), x, labels, theta0, t);  // class ids 0 / 1
  std::cout << "kernel training (" << o.training.method << ", " << o.training.objective << "): loss "
            << r.loss_history.front() << " -> " << r.loss << " in " << r.iterations << " iterations, "
            << r.kernel_evaluations << " kernel evaluations\n";
  return r.theta;
}

int train_main(const train_cli& o) {
  const std::string where = o.device.check();
  if (o.training.method != "none" && !o.training.trainable)
    throw usage_error("--train-kernel " + o.training.method + " needs a trainable feature map: add --trainable");
  const io::labeled_dataset d = io::read_csv_dataset(o.train, parse_label(o.label));
  if (d.class_names.size() < 2) throw usage_error(o.train + ": the label column has one class only");
  feature_map_spec spec = o.map.spec(static_cast<std::size_t>(d.features.cols()));
  const preprocessing pre = fit_preprocessing(spec, d.features);
  const Eigen::MatrixXd x = pre.transform(d.features);
  spec.trainable = o.training.trainable;
  std::vector<double> theta(spec.num_params(), 0.0);  // θ = 0: RY(0) = I, the map without the trainable layer
  const kernel_options kopt{o.threads, 256};
  if (o.training.method != "none") {
    if (d.class_names.size() != 2)
      throw usage_error("--train-kernel needs two classes; the label column of " + o.train + " has " +
                        std::to_string(d.class_names.size()));
    theta = train_theta(o, spec, o.scale * x, d.labels, kopt);
  }
  learn::svc_params sp;
  sp.C = o.c;
  sp.threads = o.threads;
  // Kernel training (above) runs on the CPU; the final kernel where --device says.
  const Eigen::MatrixXd k = o.device.gpu() ? gpu_kernel_matrix(spec.build(), o.scale * x, nullptr, theta)
                                           : fidelity_kernel<double>(spec.build(), o.scale * x, theta, kopt);
  const learn::svc m = learn::svc::fit(k, d.labels, sp);
  save_pipeline_model(o.out, spec, o.scale, pre, m, x, d.class_names, theta);
  const double acc = learn::accuracy(d.labels, m.predict(k));
  std::cout << "trained on " << d.labels.size() << " samples (kernel on " << where << "): " << m.support().size()
            << " support vectors, training accuracy " << acc << "\nmodel written to " << o.out << "\n";
  return 0;
}

struct predict_cli {
  std::string model, data, label, out;
  int threads = 0;
};

int predict_main(const predict_cli& o) {
  const pipeline_model m = pipeline_model::load(o.model);
  io::labeled_dataset d;
  if (o.label.empty()) d.features = io::read_csv_matrix(o.data, true);
  else d = io::read_csv_dataset(o.data, parse_label(o.label));
  const auto [pred, decision] = m.predict(d.features, o.threads);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < pred.size(); ++i) {
    const auto c = static_cast<std::size_t>(pred[i]);
    rows.push_back({std::to_string(i), c < m.class_names.size() ? m.class_names[c] : std::to_string(pred[i]),
                    std::to_string(decision(static_cast<Eigen::Index>(i), 0))});
  }
  std::string text = "row,prediction,decision\n";
  for (const auto& r : rows) text += r[0] + "," + io::csv_escape(r[1]) + "," + r[2] + "\n";
  if (!o.out.empty()) io::write_file_atomically(o.out, text);
  else std::cout << text;
  if (!o.label.empty()) {
    // Map the file's class names onto the model's ids before scoring.
    std::vector<int> truth(d.labels.size(), -1);
    for (std::size_t i = 0; i < d.labels.size(); ++i) {
      const auto& name = d.class_names[static_cast<std::size_t>(d.labels[i])];
      const auto it = std::find(m.class_names.begin(), m.class_names.end(), name);
      if (it != m.class_names.end()) truth[i] = static_cast<int>(it - m.class_names.begin());
    }
    std::cerr << "accuracy: " << learn::accuracy(truth, pred) << " on " << pred.size() << " samples\n";
  }
  return 0;
}

}  // namespace

void register_train(CLI::App& app, action& act) {
  auto o = std::make_shared<train_cli>();
  auto* sub = app.add_subcommand("train", "Fit a quantum-kernel SVM on CSV data and save the model");
  sub->add_option("--train", o->train, "Training data (CSV with header)")->required();
  sub->add_option("--label", o->label, "Label column (name or 0-based index)")->capture_default_str();
  sub->add_option("--out", o->out, "Model directory")->required();
  o->map.add_to(sub);
  o->training.add_to(sub);
  sub->add_option("--C", o->c, "SVM C")->check(CLI::PositiveNumber)->capture_default_str();
  sub->add_option("--feature-scale", o->scale, "Features are multiplied by this before the map")->capture_default_str();
  sub->add_option("--threads", o->threads, "Threads (0: all)")->check(CLI::Range(0, 4096));
  o->device.add_to(sub, kernels_device_help);
  sub->callback([o, &act] { act = [o] { return train_main(*o); }; });
}

void register_predict(CLI::App& app, action& act) {
  auto o = std::make_shared<predict_cli>();
  auto* sub = app.add_subcommand("predict", "Predict classes of CSV data with a saved model");
  sub->add_option("--model", o->model, "Model directory (from hqml train or hqml run)")->required();
  sub->add_option("--data", o->data, "Samples (CSV with header)")->required();
  sub->add_option("--label", o->label, "Label column: dropped from the features and used to report accuracy");
  sub->add_option("--out", o->out, "Write predictions to this CSV (default: stdout)");
  sub->add_option("--threads", o->threads, "Threads (0: all)")->check(CLI::Range(0, 4096));
  sub->callback([o, &act] { act = [o] { return predict_main(*o); }; });
}

}  // namespace hqml::cli
