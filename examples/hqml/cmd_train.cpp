// hqml train / hqml predict: fit a quantum-kernel SVM on CSV data and save it; predict with a saved model.
#include "commands.hpp"
#include "pipeline_options.hpp"
#include "remote_paths.hpp"

#include <hqml/app/pipeline.hpp>
#include <hqml/app/transform.hpp>
#include <hqml/io/atomic_file.hpp>
#include <hqml/io/npy.hpp>
#include <hqml/io/output_lock.hpp>
#include <hqml/kernel_training.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hqml::cli {
namespace {

struct train_cli {
  std::string train, label, out, transform, gram;
  std::string train_name, out_name, transform_name;  // for messages: the values as given (URIs redacted)
  map_options map;
  csv_cli csv;
  kernel_training_cli training;
  double c = 1.0, scale = 1.0;
  bool force = false;
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

// --gram: the training rows' kernel computed elsewhere (hqml kernel, on a GPU node of a pipeline). It must be the
// kernel of exactly these rows under this map and scale: its shape, symmetry and a few of its rows, recomputed
// here, are checked before the SVM is fitted on it (hqml kernel --precision float agrees to about 1e-7).
Eigen::MatrixXd checked_gram(const train_cli& o, const feature_map_spec& spec, const Eigen::MatrixXd& xs,
                             const kernel_options& kopt) {
  Eigen::MatrixXd k;
  try {
    k = io::read_npy_matrix<double>(o.gram);
  } catch (const hqml::parse_error&) {
    throw;
  } catch (const std::filesystem::filesystem_error&) {  // a missing or unreadable file: main names it
    throw;
  } catch (const std::runtime_error& e) {
    std::string why = e.what();
    if (why.starts_with("hqml: ")) why.erase(0, 6);
    throw usage_error("--gram: " + why);
  }
  const auto n = xs.rows();
  const std::string where = "--gram " + printable(o.gram);
  if (k.rows() != n || k.cols() != n)
    throw usage_error(where + ": a " + std::to_string(k.rows()) + " x " + std::to_string(k.cols()) +
                      " matrix; the training data has " + std::to_string(n) + " rows, so its kernel is " +
                      std::to_string(n) + " x " + std::to_string(n));
  if (!k.allFinite()) throw usage_error(where + ": holds NaN or infinite values");
  if ((k - k.transpose()).cwiseAbs().maxCoeff() > 1e-6) throw usage_error(where + ": not symmetric");
  std::vector<std::ptrdiff_t> probe = {0, n / 3, (2 * n) / 3, n - 1};
  probe.erase(std::unique(probe.begin(), probe.end()), probe.end());
  const Eigen::MatrixXd rows = learn::take_rows(xs, probe);
  const Eigen::MatrixXd expected = fidelity_kernel<double>(spec.build(), rows, xs, {}, kopt);
  for (std::size_t i = 0; i < probe.size(); ++i)
    for (Eigen::Index j = 0; j < n; ++j)
      if (std::abs(expected(static_cast<Eigen::Index>(i), j) - k(probe[i], j)) > 1e-5)
        throw usage_error(where + ": entry (" + std::to_string(probe[i]) + ", " + std::to_string(j) + ") is " +
                          std::to_string(k(probe[i], j)) + ", but these rows under this feature map give " +
                          std::to_string(expected(static_cast<Eigen::Index>(i), j)) +
                          ": compute it from the same rows with the same --transform, --feature-scale and "
                          "feature-map options (hqml kernel)");
  return k;
}

int train_local(const train_cli& o) {
  const std::string where = o.device.check();
  if (o.training.method != "none" && !o.training.trainable)
    throw usage_error("--train-kernel " + o.training.method + " needs a trainable feature map: add --trainable");
  // The output before the work: a folder that is not a model is refused, another writer is refused at once.
  // --force: a folder holding other files gets the model's files added beside them; nothing is removed.
  if (o.force && !learn::model_writer::replaceable(o.out))
    learn::model_writer::check_beside_others(o.out);
  else
    learn::model_writer::check_replaceable(o.out);
  std::filesystem::path out = o.out;
  if (out.filename().empty()) out = out.parent_path();
  const io::output_lock lock(out);  // creating its file beside the model checks that the folder is writable
  lock.remove_stale_temporaries();
  if (!o.gram.empty()) {
    if (o.training.trainable)
      throw usage_error("--gram is a fixed kernel: a trainable map (--trainable) needs its own");
  }
  // --transform (hqml prep's): the raw rows are read by its columns and turned into angles by it, instead of
  // fitting a preprocessing here; the model keeps it, so hqml predict and hqml serve score raw rows.
  std::optional<data_transform> transform;
  if (!o.transform.empty()) {
    if (!o.csv.features.empty() || !o.csv.drop.empty() || o.csv.na != to_string(missing_values::refuse) ||
        !o.csv.na_values.empty() || o.csv.text != to_string(io::text_columns::refuse))
      throw usage_error(
          "--transform reads the columns it was fitted on: leave out --features, --drop, --na, "
          "--na-values and --text");
    transform = data_transform::load(o.transform);
    if (o.map.qubits && o.map.qubits != transform->qubits)
      throw usage_error("--qubits " + std::to_string(o.map.qubits) + ": the transform " + o.transform_name + " gives " +
                        std::to_string(transform->qubits) + " angles per row (one per qubit)");
  }
  const io::labeled_dataset d =
      transform ? transform->read(o.train, true, o.label)
                : io::read_csv_dataset(o.train, parse_label(o.label.empty() ? "label" : o.label), o.csv.options());
  if (d.class_names.size() < 2)
    throw usage_error(o.train_name + ": the label column holds one class only; a classifier needs two or more");
  for (const auto& w : d.warnings) std::cerr << "hqml: warning: " << w << "\n";
  if (!transform && o.map.qubits > static_cast<std::size_t>(d.features.cols()) && !is_angle_map(o.map.value()))
    std::cerr << "hqml: warning: --qubits " << o.map.qubits << " is more than the " << d.features.cols()
              << " feature columns: using " << d.features.cols() << " qubits, one per feature\n";
  feature_map_spec spec;
  preprocessing pre;
  if (transform) {
    spec = o.map.spec(transform->qubits);
    spec.num_qubits = transform->qubits;
    pre = transform->pre;
  } else {
    spec = o.map.spec(static_cast<std::size_t>(d.features.cols()));
    pre = fit_preprocessing(spec, d.features);
  }
  const Eigen::MatrixXd x = pre.transform(d.features);
  spec.trainable = o.training.trainable;
  std::vector<double> theta(spec.num_params(), 0.0);  // θ = 0: RY(0) = I, the map without the trainable layer
  const kernel_options kopt{o.threads};
  if (o.training.method != "none") {
    if (d.class_names.size() != 2)
      throw usage_error("--train-kernel needs two classes; the label column of " + o.train_name + " has " +
                        std::to_string(d.class_names.size()));
    theta = train_theta(o, spec, o.scale * x, d.labels, kopt);
  }
  learn::svc_params sp;
  sp.C = o.c;
  sp.threads = o.threads;
  sp.probability = true;  // predict writes class probabilities
  // Kernel training (above) runs on the CPU; the final kernel where --device says.
  const Eigen::MatrixXd k =
      o.gram.empty() ? kernel_matrix(o.device.value(), spec.build(), o.scale * x, nullptr, theta, false, kopt)
                     : checked_gram(o, spec, o.scale * x, kopt);
  const learn::svc m = learn::svc::fit(k, d.labels, sp);
  model_inputs inputs;
  if (transform) {
    inputs = transform->inputs;
    inputs.label_name = d.label_name;
  } else {
    inputs.feature_names = d.feature_names;
    inputs.categories = d.categories;
    inputs.label_name = d.label_name;
    inputs.input_columns = input_columns(d);
  }
  save_pipeline_model(o.out, spec, o.scale, pre, m, x, d.class_names, theta, &inputs, o.force);
  const double acc = learn::accuracy(d.labels, m.predict(k));
  std::cout << "trained on " << d.labels.size() << " samples (kernel on " << where << "): " << m.support().size()
            << " support vectors, training accuracy " << acc << "\nmodel written to " << o.out_name << "\n";
  return 0;
}

// --train, --transform, --gram and --out may be storage URIs (remote_paths.hpp): the inputs are downloaded to
// private temporary files, the model is written to a temporary folder and published whole when it is saved.
int train_main(const train_cli& o) {
  remote::output_dir out("--out", o.out);
  const remote::input_file train("--train", o.train);
  const remote::input_dir transform("--transform", o.transform);
  const remote::input_file gram("--gram", o.gram);
  train_cli lo = o;
  lo.train = train.path();
  lo.out = out.path();
  lo.transform = transform.path();
  lo.gram = gram.path();
  lo.train_name = train.shown();
  lo.out_name = out.remote() ? out.shown() : o.out;
  lo.transform_name = transform.remote() ? transform.shown() : o.transform;
  const int rc = train_local(lo);
  out.publish();
  return rc;
}

struct predict_cli {
  std::string model, data, label, out, metrics;
  std::string model_name, data_name;  // for messages and records: the values as given (URIs redacted)
  int threads = 0;
};

// Shortest text that reads back as the same double.
std::string exact(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

int predict_local(const predict_cli& o) {
  if (!o.out.empty()) io::check_output_path(o.out);
  if (!o.metrics.empty()) io::check_output_path(o.metrics);
  if (!o.out.empty() && !o.metrics.empty() && std::filesystem::absolute(o.out) == std::filesystem::absolute(o.metrics))
    throw usage_error("--out and --metrics name the same file");
  const pipeline_model m = pipeline_model::load(o.model);
  io::csv_options opt = m.csv_options();
  if (!m.inputs)
    std::cerr << "hqml: warning: " << o.model_name << " was written before models stored their column names: "
              << "columns are matched by position\n";
  io::labeled_dataset d;
  if (m.inputs) {
    // Columns by name: first say which of the model's columns the file lacks, all of them at once.
    const std::string text = io::detail::read_whole_file(o.data);
    std::vector<std::string> header;
    struct header_read {};
    try {
      io::for_each_csv_record(text, o.data, io::detail::detect_separator(text),
                              [&](std::vector<io::csv_field>& rec, std::size_t) {
                                for (const auto& f : rec) header.emplace_back(io::detail::trim(f.text));
                                throw header_read{};
                              });
    } catch (const header_read&) {
    }
    std::vector<std::string> missing;
    for (const auto& c : m.inputs->input_columns)
      if (std::find(header.begin(), header.end(), c) == header.end()) missing.push_back(c);
    if (!missing.empty()) {
      std::string list;
      for (std::size_t i = 0; i < missing.size() && i < 8; ++i)
        list += (i ? ", '" : "'") + missing[i].substr(0, 40) + "'";
      if (missing.size() > 8) list += " and " + std::to_string(missing.size() - 8) + " more";
      throw usage_error(o.data_name + ": the model was trained on column" + (missing.size() > 1 ? "s " : " ") + list +
                        ", which the header lacks; predict matches columns by name and needs every one");
    }
    // The label column is read when present (or named by --label) to report accuracy.
    d = io::parse_csv_dataset(text, o.data, io::label_column::named(o.label.empty() ? m.inputs->label_name : o.label),
                              opt);
    if (d.feature_names != m.inputs->feature_names)
      throw usage_error(o.data_name + ": the columns give features [" + std::to_string(d.feature_names.size()) +
                        "] that differ from the model's [" + std::to_string(m.inputs->feature_names.size()) + "]");
  } else {
    d = read_features(o.data, o.label);
  }
  // The file's class names mapped onto the model's ids, before any work: labels none of which the model
  // knows are a wrong column or a wrong model, not an accuracy of 0.
  std::vector<int> truth(d.labels.size(), -1);
  std::size_t unknown = 0;
  if (!d.labels.empty()) {
    for (std::size_t i = 0; i < d.labels.size(); ++i) {
      const auto& name = d.class_names[static_cast<std::size_t>(d.labels[i])];
      const auto it = std::find(m.class_names.begin(), m.class_names.end(), name);
      if (it != m.class_names.end())
        truth[i] = static_cast<int>(it - m.class_names.begin());
      else
        ++unknown;
    }
    if (unknown == truth.size())
      throw usage_error(o.data_name + ": no label in column '" + printable(d.label_name) + "' is a class of the model");
  }
  const Eigen::MatrixXd k = m.support_kernel(d.features, o.threads);
  const std::vector<int> pred = m.model.predict_sv(k);
  const Eigen::MatrixXd decision = m.model.decision_function_sv(k);
  Eigen::MatrixXd prob;
  if (m.model.has_probability()) prob = m.model.predict_proba_sv(k);
  const auto name_of = [&](int c) {
    const auto i = static_cast<std::size_t>(c);
    return i < m.class_names.size() ? m.class_names[i] : std::to_string(c);
  };
  // Header: one decision column per class pair (the binary one is positive for the first class of the pair), then
  // one probability column per class in the model's class order.
  std::string text = "row,prediction";
  const auto& classes = m.model.classes();
  if (decision.cols() == 1) {
    text.append(",").append(io::csv_escape("decision(" + name_of(classes[0]) + ")"));
  } else {
    for (std::size_t i = 0; i < classes.size(); ++i)
      for (std::size_t j = i + 1; j < classes.size(); ++j)
        text.append(",").append(io::csv_escape("decision(" + name_of(classes[i]) + "|" + name_of(classes[j]) + ")"));
  }
  std::vector<Eigen::Index> prob_col(m.class_names.size(), -1);
  for (std::size_t c = 0; c < classes.size(); ++c)
    prob_col[static_cast<std::size_t>(classes[c])] = static_cast<Eigen::Index>(c);
  if (prob.size())
    for (std::size_t c = 0; c < m.class_names.size(); ++c)
      if (prob_col[c] >= 0) text.append(",").append(io::csv_escape("p(" + m.class_names[c] + ")"));
  text += "\n";
  for (std::size_t i = 0; i < pred.size(); ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    text.append(std::to_string(i)).append(",").append(io::csv_escape(name_of(pred[i])));
    for (Eigen::Index c = 0; c < decision.cols(); ++c) text.append(",").append(exact(decision(r, c)));
    if (prob.size())
      for (std::size_t c = 0; c < m.class_names.size(); ++c)
        if (prob_col[c] >= 0) text.append(",").append(exact(prob(r, prob_col[c])));
    text += "\n";
  }
  if (!o.out.empty())
    io::write_file_atomically(o.out, text);
  else
    std::cout << text;
  if (!o.metrics.empty()) {
    // The scores of the labelled rows (an evaluation stage's output): accuracy over every row, as printed
    // below, and the confusion matrix of the rows whose label the model knows (rows x predicted, model order).
    const auto nc = m.class_names.size();
    std::vector<std::vector<std::int64_t>> confusion(nc, std::vector<std::int64_t>(nc, 0));
    for (std::size_t i = 0; i < truth.size(); ++i)
      if (truth[i] >= 0 && static_cast<std::size_t>(pred[i]) < nc)
        ++confusion[static_cast<std::size_t>(truth[i])][static_cast<std::size_t>(pred[i])];
    std::vector<std::int64_t> predicted(nc, 0);
    for (const int p : pred)
      if (static_cast<std::size_t>(p) < nc) ++predicted[static_cast<std::size_t>(p)];
    nlohmann::json j = {{"format_version", 1}, {"model", o.model_name},        {"data", o.data_name},
                        {"rows", pred.size()}, {"class_names", m.class_names}, {"predicted_counts", predicted}};
    if (d.labels.empty()) {
      j["label"] = nullptr;
      j["accuracy"] = nullptr;
    } else {
      j["label"] = d.label_name;
      j["accuracy"] = learn::accuracy(truth, pred);
      j["unknown_label_rows"] = unknown;
      j["confusion_matrix"] = {{"labels", m.class_names}, {"matrix", confusion}};
    }
    io::write_file_atomically(o.metrics, j.dump(2) + "\n");
  }
  if (!d.labels.empty()) {
    std::cerr << "accuracy: " << learn::accuracy(truth, pred) << " on " << pred.size() << " samples";
    if (unknown) std::cerr << " (" << unknown << " rows have labels the model does not know and count as wrong)";
    std::cerr << "\n";
  }
  return 0;
}

// --model, --data, --out and --metrics may be storage URIs (remote_paths.hpp): the model folder and the data are
// downloaded to private temporary files, the outputs written locally and uploaded when complete.
int predict_main(const predict_cli& o) {
  if (!o.out.empty() && o.out == o.metrics) throw usage_error("--out and --metrics name the same file");
  remote::output_file out("--out", o.out);
  remote::output_file metrics("--metrics", o.metrics);
  const remote::input_dir model("--model", o.model);
  const remote::input_file data("--data", o.data);
  predict_cli lo = o;
  lo.model = model.path();
  lo.data = data.path();
  lo.out = out.path();
  lo.metrics = metrics.path();
  lo.model_name = model.display();
  lo.data_name = data.display();
  const int rc = predict_local(lo);
  out.publish();
  metrics.publish();
  return rc;
}

}  // namespace

void register_train(CLI::App& app, action& act) {
  auto o = std::make_shared<train_cli>();
  auto* sub = app.add_subcommand("train", "Fit a quantum-kernel SVM on CSV data and save the model");
  sub->add_option("--train", o->train, "Training data (CSV with header)")->required();
  sub->add_option("--label", o->label,
                  "Label column (name or 0-based index; default: label, with --transform the transform's)");
  sub->add_option("--out", o->out, "Model directory")->required();
  sub->add_option("--transform", o->transform,
                  "hqml prep's transform folder: --train holds raw rows, turned into angles by it (kept in the model)");
  sub->add_option("--gram", o->gram,
                  "The training rows' kernel as .npy (hqml kernel with the same options): fit on it, not recompute");
  sub->add_flag("--force", o->force,
                "Write the model into a folder that holds other files, beside them (never removing any)");
  o->csv.add_to(sub);
  o->map.add_to(sub);
  o->training.add_to(sub);
  sub->add_option("--C", o->c, "SVM C")->check(finite_positive)->capture_default_str();
  sub->add_option("--feature-scale", o->scale, "Features are multiplied by this before the map")
      ->check(finite_positive)
      ->capture_default_str();
  sub->add_option("--threads", o->threads, "Threads (0: all)")->check(CLI::Range(0, 4096));
  o->device.add_to(sub, kernels_device_help);
  sub->callback([o, &act] { act = [o] { return train_main(*o); }; });
}

void register_predict(CLI::App& app, action& act) {
  auto o = std::make_shared<predict_cli>();
  auto* sub = app.add_subcommand("predict", "Predict classes of CSV data with a saved model");
  sub->add_option("--model", o->model, "Model directory (from hqml train or hqml run)")->required();
  sub->add_option("--data", o->data, "Samples (CSV with header)")->required();
  sub->add_option("--label", o->label,
                  "Label column, used to report accuracy (default: the model's label column, when present)");
  sub->add_option("--out", o->out, "Write predictions to this CSV (default: stdout)");
  sub->add_option("--metrics", o->metrics,
                  "Write the scores as JSON (rows, accuracy and confusion matrix when the data has labels)");
  sub->add_option("--threads", o->threads, "Threads (0: all)")->check(CLI::Range(0, 4096));
  sub->callback([o, &act] { act = [o] { return predict_main(*o); }; });
}

}  // namespace hqml::cli
