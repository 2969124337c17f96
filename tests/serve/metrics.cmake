# hqml serve's Prometheus registry (include/hqml/serve/metrics.hpp): its text read back by
# the Prometheus Python client in the serve tests' virtual environment.

add_executable(serve_metrics_sample ${CMAKE_CURRENT_LIST_DIR}/metrics_sample.cpp)
target_link_libraries(serve_metrics_sample PRIVATE hqml::hqml hqml_project_options)

# The serve tests' Python environment (prometheus_client, requests, numpy, tritonclient), made once per build
# folder by the fixture test serve_venv: a serve test that uses it declares FIXTURES_REQUIRED serve_venv and
# runs its script through tests/python/setup-venv.sh serve VENV -- SCRIPT, which prints HQML_TEST_SKIPPED
# (ctest: skipped) where the environment cannot be made (no network to PyPI). The lock keeps two tests from
# making it at once.
set(HQML_SERVE_VENV ${CMAKE_BINARY_DIR}/serve-venv)
if(NOT TEST serve_venv)
  add_test(NAME serve_venv COMMAND bash ${PROJECT_SOURCE_DIR}/tests/python/setup-venv.sh serve ${HQML_SERVE_VENV} --)
  set_tests_properties(serve_venv PROPERTIES FIXTURES_SETUP serve_venv RESOURCE_LOCK serve_venv TIMEOUT 900
                                             SKIP_REGULAR_EXPRESSION "HQML_TEST_SKIPPED")
endif()

add_test(NAME serve_metrics_prometheus_client
         COMMAND bash ${PROJECT_SOURCE_DIR}/tests/python/setup-venv.sh serve ${HQML_SERVE_VENV} --
                 ${CMAKE_CURRENT_LIST_DIR}/check_metrics.py $<TARGET_FILE:serve_metrics_sample>)
set_tests_properties(serve_metrics_prometheus_client PROPERTIES FIXTURES_REQUIRED serve_venv TIMEOUT 900
                                                                SKIP_REGULAR_EXPRESSION "HQML_TEST_SKIPPED")
