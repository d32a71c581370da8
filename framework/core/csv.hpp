/// The one CSV writer of reglab: `reglab export --csv` (storage/export.hpp) and
/// `reglab report --format csv` (experiment/report.hpp) both write their records with it.
///
/// Rules (RFC 4180 quoting; records end in "\n"): a text field is always in double quotes, with
/// embedded quotes doubled, so commas, quotes and line breaks inside it are safe; numbers are
/// unquoted, doubles in the shortest text that reads back bitwise (core/number_text.hpp), NaN as
/// `NaN` and infinities as `Inf` and `-Inf`, the spellings pandas, R's read.csv and MATLAB's
/// readtable all read as numbers; integers and booleans (`true`, `false`) are unquoted; a missing
/// value is an empty field.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>

namespace reglab::csv {

/// `s` as a text field: in double quotes, embedded double quotes doubled.
std::string text(const std::string& s);

/// `v` as a number field: shortest_decimal(v), or NaN, Inf, -Inf.
std::string number(double v);

/// One record, built field by field: `csv::Row().text("a").number(0.5).line()` is `"a",0.5\n`.
class Row {
 public:
  Row& text(const std::string& s) { return field(csv::text(s)); }
  Row& number(double v) { return field(csv::number(v)); }
  template <typename Int, typename = std::enable_if_t<std::is_integral_v<Int>>>
  Row& integer(Int v) {
    return field(std::to_string(v));
  }
  Row& boolean(bool v) { return field(v ? "true" : "false"); }
  /// `count` empty fields (missing values).
  Row& empty(std::size_t count = 1);
  /// The record: the fields separated by ',' and ended by '\n'.
  std::string line() const { return fields_ + "\n"; }

 private:
  Row& field(const std::string& f);

  std::string fields_;
  bool first_ = true;
};

}  // namespace reglab::csv
