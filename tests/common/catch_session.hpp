#pragma once
// Runs Catch2's session, which tests/common/catch_session.cpp compiles once for every test program: the
// CPU tests' main and the GPU twins' main are small units that call this.

namespace hqml::test {

/// Called after the command line is parsed, with whether the run only lists (tests, tags, reporters,
/// help): a nonzero return ends the program with that code before any test runs.
using before_tests = int (*)(bool listing_only);

/// Catch::Session's applyCommandLine, then `before` (when given), then run.
int run_catch_session(int argc, char* argv[], before_tests before = nullptr);

}  // namespace hqml::test
