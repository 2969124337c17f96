#pragma once
// cuBLAS, loaded on first use rather than at program start. A process linked to libcublas maps and relocates
// it and cuBLASLt when it starts, about 215 MB of resident memory (measured: an empty main linked to cublas,
// 218 MB; to cudart alone, 3 MB), so every CPU-only run of a CUDA-enabled program would pay for it. hqml's GPU
// code calls the few functions it uses through this table instead, which dlopen fills the first time a
// cuBLAS handle is made.

#include <cublas_v2.h>
#include <dlfcn.h>

#include <stdexcept>
#include <string>
#include <type_traits>

namespace hqml::cuda_detail {

/// The cuBLAS functions hqml calls (the _v2 entry points that <cublas_v2.h> maps the plain names to).
struct cublas_functions {
  decltype(&::cublasCreate_v2) create;
  decltype(&::cublasDestroy_v2) destroy;
  decltype(&::cublasSetStream_v2) set_stream;
  decltype(&::cublasSetMathMode) set_math_mode;
  decltype(&::cublasGetStatusName) status_name;
  decltype(&::cublasGetStatusString) status_string;
  decltype(&::cublasSgemm_v2) sgemm;
  decltype(&::cublasDgemm_v2) dgemm;
  decltype(&::cublasCgemm_v2) cgemm;
  decltype(&::cublasZgemm_v2) zgemm;
  decltype(&::cublasCherk_v2) cherk;
  decltype(&::cublasZherk_v2) zherk;
};

/// The cuBLAS of the toolkit hqml was compiled with (libcublas.so.MAJOR), loaded once per process; a library
/// that cannot be loaded or lacks a function is a std::runtime_error naming it (and the next call tries again).
inline const cublas_functions& cublas() {
  static const cublas_functions f = [] {
    const std::string lib = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
    void* h = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      const char* why = dlerror();
      throw std::runtime_error("hqml: cannot load cuBLAS (" + lib + "): " + (why ? why : "unknown error") +
                               "; put the CUDA toolkit's library folder on the loader's path (LD_LIBRARY_PATH)");
    }
    const auto load = [&](auto& fn, const char* name) {
      void* p = dlsym(h, name);
      if (p == nullptr) throw std::runtime_error("hqml: " + lib + " has no function " + name);
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(p);
    };
    cublas_functions t{};
    load(t.create, "cublasCreate_v2");
    load(t.destroy, "cublasDestroy_v2");
    load(t.set_stream, "cublasSetStream_v2");
    load(t.set_math_mode, "cublasSetMathMode");
    load(t.status_name, "cublasGetStatusName");
    load(t.status_string, "cublasGetStatusString");
    load(t.sgemm, "cublasSgemm_v2");
    load(t.dgemm, "cublasDgemm_v2");
    load(t.cgemm, "cublasCgemm_v2");
    load(t.zgemm, "cublasZgemm_v2");
    load(t.cherk, "cublasCherk_v2");
    load(t.zherk, "cublasZherk_v2");
    return t;  // the library stays loaded for the life of the process
  }();
  return f;
}

}  // namespace hqml::cuda_detail
