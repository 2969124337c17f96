// The hqml program's command line: every subcommand registered on one CLI11 app (main.cpp runs it; the
// option-parsing fuzzer parses with it).
#include "commands.hpp"

namespace hqml::cli {

std::unique_ptr<CLI::App> make_app(action& run) {
  auto app = std::make_unique<CLI::App>("hqml: hybrid quantum-classical machine learning and optimization");
  app->require_subcommand(1);
  app->set_version_flag("--version", "hqml 0.1.0");
  register_run(*app, run);
  register_prep(*app, run);
  register_simulate(*app, run);
  register_kernel(*app, run);
  register_train(*app, run);
  register_predict(*app, run);
  register_assess(*app, run);
  register_tune(*app, run);
  register_anneal(*app, run);
  register_vqe(*app, run);
  register_serve(*app, run);
  return app;
}

}  // namespace hqml::cli
