#include "framework/core/number_text.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace reglab {

std::string shortest_decimal(double v) {
  if (std::isnan(v)) return "nan";
  char buffer[40];
  // An integer below 10^15 (exact in a double) in plain digits: 50000, not the equally short 5e+04.
  if (std::fabs(v) < 1e15 && v == std::trunc(v) && !(v == 0.0 && std::signbit(v))) {
    std::snprintf(buffer, sizeof buffer, "%.0f", v);
    return buffer;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, v);
    if (std::strtod(buffer, nullptr) == v) break;
  }
  return buffer;
}

}  // namespace reglab
