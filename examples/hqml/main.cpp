// The hqml program: one subcommand per pipeline stage.
#include "commands.hpp"

#include <hqml/error.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <system_error>

int main(int argc, char** argv) {
  CLI::App app{"hqml: hybrid quantum-classical machine learning and optimization"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "hqml 0.1.0");
  hqml::cli::action run;
  hqml::cli::register_run(app, run);
  hqml::cli::register_simulate(app, run);
  hqml::cli::register_kernel(app, run);
  hqml::cli::register_train(app, run);
  hqml::cli::register_predict(app, run);
  hqml::cli::register_assess(app, run);
  hqml::cli::register_tune(app, run);
  hqml::cli::register_anneal(app, run);
  hqml::cli::register_vqe(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version print and exit 0; a bad option is bad input: one line and exit 2, as for bad files.
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "hqml: " << e.what() << " (see hqml --help)\n";
    return 2;
  }
  try {
    const int rc = run ? run() : 0;
    // Output that could not be written (a full disk, /dev/full) is a failure, not a success.
    std::cout.flush();
    if (std::fflush(stdout) != 0 || std::ferror(stdout) || !std::cout) {
      std::cerr << "hqml: cannot write the output to standard output (disk full or closed?)\n";
      return 1;
    }
    return rc;
  } catch (const hqml::parse_error& e) {
    std::cerr << "hqml: " << e.what() << "\n";
    return 2;
  } catch (const std::system_error& e) {  // unreadable input file
    std::cerr << "hqml: " << e.what() << "\n";
    return 2;
  } catch (const hqml::cli::usage_error& e) {
    std::cerr << "hqml: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "hqml: error: " << e.what() << "\n";
    return 1;
  }
}
