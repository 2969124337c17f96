# hqml serve's request decoding and response encoding (include/hqml/serve/request.hpp): the Azure ML and Open
# Inference Protocol bodies, their refusals, hostile bodies and the response bodies.
hqml_add_test(test_serve_request test_request.cpp)
