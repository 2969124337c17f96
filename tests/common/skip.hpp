#pragma once
// A test whose data is missing reports itself skipped instead of passing silently: HQML_SKIP_TEST prints a
// line that ctest's SKIP_REGULAR_EXPRESSION (hqml_add_test, tests/cuda) turns into "Skipped", warns through
// Catch (so a direct run shows the reason too) and leaves the test case.

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#define HQML_SKIP_TEST(why)                                            \
  do {                                                                 \
    const std::string hqml_skip_reason_ = (why);                       \
    std::printf("HQML_TEST_SKIPPED: %s\n", hqml_skip_reason_.c_str()); \
    std::fflush(stdout);                                               \
    WARN("skipped: " << hqml_skip_reason_);                            \
    return;                                                            \
  } while (false)
