# hqml serve end to end (test_server.py): the real program on loopback ports, talked to with tritonclient,
# requests and prometheus_client's parser from build/serve-venv, a real redis-server; one ctest per case.
if(HQML_BUILD_EXAMPLES AND TARGET PkgConfig::HQML_HTTPLIB)
  foreach(case protocols faults lifecycle redis)
    add_test(NAME serve_${case}
             COMMAND bash ${PROJECT_SOURCE_DIR}/tests/python/setup-venv.sh serve ${CMAKE_BINARY_DIR}/serve-venv --
                     ${CMAKE_CURRENT_SOURCE_DIR}/test_server.py $<TARGET_FILE:hqml_cli>
                     ${CMAKE_CURRENT_BINARY_DIR}/server-${case} ${case})
    set_tests_properties(serve_${case} PROPERTIES PASS_REGULAR_EXPRESSION "ok: ${case}"
                                                  SKIP_REGULAR_EXPRESSION "HQML_TEST_SKIPPED" FIXTURES_REQUIRED serve_venv
                                                  ENVIRONMENT "OMP_NUM_THREADS=2" TIMEOUT 1500)
  endforeach()
endif()
