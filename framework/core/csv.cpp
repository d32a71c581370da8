/// The CSV writer (see csv.hpp).
#include "framework/core/csv.hpp"

#include <cmath>

#include "framework/core/number_text.hpp"

namespace reglab::csv {

std::string text(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Inf" : "-Inf";
  return shortest_decimal(v);
}

Row& Row::empty(std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) field("");
  return *this;
}

Row& Row::field(const std::string& f) {
  if (!first_) fields_ += ',';
  fields_ += f;
  first_ = false;
  return *this;
}

}  // namespace reglab::csv
