# hqml serve's result caches: the embedded LRU and the tiered cache (include/hqml/serve/cache.hpp); the shared
# Redis cache (adapters/hqml/adapters/redis_cache.hpp) where hiredis was found. test_serve_redis starts its
# own redis-server on a free loopback port and reports itself skipped where there is none.
hqml_add_test(test_serve_cache test_cache.cpp)
if(TARGET hqml::redis)
  hqml_add_test(test_serve_redis test_redis.cpp LIBS hqml::redis)
  # hiredis's pkg-config flags define _FILE_OFFSET_BITS=64, which the tests' shared precompiled header was
  # built without: GCC refuses to use it (-Winvalid-pch, an error here), so this program parses its own.
  set_target_properties(test_serve_redis PROPERTIES DISABLE_PRECOMPILE_HEADERS ON)
endif()
