// Catch2's implementation, compiled once; each test program's main calls run_catch_session().
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "catch_session.hpp"

int hqml::test::run_catch_session(int argc, char* argv[], before_tests before) {
  Catch::Session session;
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  if (before != nullptr) {
    const auto& cfg = session.configData();
    const bool listing = cfg.listTests || cfg.listTestNamesOnly || cfg.listTags || cfg.listReporters || cfg.showHelp;
    if (const int rc = before(listing); rc != 0) return rc;
  }
  return session.run();
}
