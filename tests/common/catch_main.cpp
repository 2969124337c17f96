// The CPU tests' main; Catch2 itself is compiled once in catch_session.cpp.
#include "catch_session.hpp"

int main(int argc, char* argv[]) { return hqml::test::run_catch_session(argc, argv); }
