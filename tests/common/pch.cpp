// Compiles the precompiled header the test executables share (see tests/CMakeLists.txt).
