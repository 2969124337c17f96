// Uses hqml::app as a downstream project would: every header of the main job with only hqml::app linked;
// saves a fitted scaler to a model folder and reads it back.
#include <hqml/app.hpp>

#include <Eigen/Core>

#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

int main() {
  Eigen::MatrixXd x(3, 2);
  x << 1, 10, 2, 20, 4, 40;
  hqml::learn::standard_scaler scaler;
  scaler.fit(x);
  const auto dir = std::filesystem::temp_directory_path() / ("hqml_consumer_app_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  hqml::learn::model_writer w("consumer");
  save(w, scaler, "scaler");
  w.save(dir);
  const hqml::learn::model_reader r(dir);
  const auto back = hqml::learn::load_standard_scaler(r, "scaler");
  const bool ok = back.transform(x).isApprox(scaler.transform(x));
  std::filesystem::remove_all(dir);
  std::printf("consumer_app: model folder round trip %s\n", ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
