#include "framework/core/number_text.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace reglab {

std::string shortest_decimal(double v) {
  if (std::isnan(v)) return "nan";
  char buffer[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, v);
    if (std::strtod(buffer, nullptr) == v) break;
  }
  return buffer;
}

}  // namespace reglab
