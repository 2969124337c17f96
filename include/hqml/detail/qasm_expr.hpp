#pragma once
// Parameter expressions of OpenQASM 2.0 compiled to postfix code. Internal: include <hqml/qasm.hpp>.
// Postfix code is evaluated with an explicit stack, so neither evaluation nor destruction recurses:
// a long chain like 1+1+...+1 costs time, never stack.
#if !defined(HQML_QASM_INTERNAL_INCLUDE)
#error "hqml/detail/qasm_expr.hpp is internal; include <hqml/qasm.hpp> instead"
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hqml::detail::qasm {

enum class opcode : std::uint8_t { constant, param, neg, add, sub, mul, div, pow, sin, cos, tan, exp, ln, sqrt };

struct instruction {
  opcode op = opcode::constant;
  std::uint32_t index = 0;  // opcode::param: which gate parameter
  double value = 0.0;       // opcode::constant
};

struct expression {
  std::vector<instruction> code;
  std::size_t line = 0;
  std::size_t column = 0;
};

/// Value of e for the given gate parameters, or nan as soon as any step is not finite: 1/(1/0) is an error
/// too, not 0 (the caller reports it with a location).
[[nodiscard]] inline double evaluate(const expression& e, std::span<const double> params, std::vector<double>& stack) {
  stack.clear();
  for (const instruction& in : e.code) {
    switch (in.op) {
      case opcode::constant:
        stack.push_back(in.value);
        continue;
      case opcode::param:
        stack.push_back(params[in.index]);
        continue;
      default:
        break;
    }
    if (in.op >= opcode::add && in.op <= opcode::pow) {
      const double b = stack.back();
      stack.pop_back();
      double& a = stack.back();
      switch (in.op) {
        case opcode::add:
          a = a + b;
          break;
        case opcode::sub:
          a = a - b;
          break;
        case opcode::mul:
          a = a * b;
          break;
        case opcode::div:
          a = a / b;
          break;
        default:
          a = std::pow(a, b);
          break;
      }
      if (!std::isfinite(a)) return std::nan("");
      continue;
    }
    double& a = stack.back();
    switch (in.op) {
      case opcode::neg:
        a = -a;
        break;
      case opcode::sin:
        a = std::sin(a);
        break;
      case opcode::cos:
        a = std::cos(a);
        break;
      case opcode::tan:
        a = std::tan(a);
        break;
      case opcode::exp:
        a = std::exp(a);
        break;
      case opcode::ln:
        a = std::log(a);
        break;
      default:
        a = std::sqrt(a);
        break;
    }
    if (!std::isfinite(a)) return std::nan("");
  }
  return stack.back();
}

}  // namespace hqml::detail::qasm
