# The dynamic batcher and the circuit breaker (include/hqml/serve/batcher.hpp, circuit_breaker.hpp).
find_package(Threads REQUIRED)
hqml_add_test(test_batcher test_batcher.cpp LIBS Threads::Threads)
