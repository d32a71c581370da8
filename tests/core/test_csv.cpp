/// The CSV writer (core/csv.hpp): RFC 4180 quoting, doubles that read back bitwise, NaN and
/// infinities spelt NaN, Inf and -Inf.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "framework/core/csv.hpp"

namespace reglab {
namespace {

/// The fields of one RFC 4180 record (without its "\n"), quotes removed and doubled quotes undone.
std::vector<std::string> parse_record(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST_CASE("csv::text: always quoted, embedded quotes doubled") {
  CHECK(csv::text("") == "\"\"");
  CHECK(csv::text("arm") == "\"arm\"");
  CHECK(csv::text("a,b") == "\"a,b\"");
  CHECK(csv::text("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv::text("two\nlines\r") == "\"two\nlines\r\"");
}

TEST_CASE("csv::Row: fields joined by commas, one record per line") {
  CHECK(csv::Row().line() == "\n");
  CHECK(csv::Row().text("a").number(0.5).integer(-3).integer(std::size_t{7}).line() ==
        "\"a\",0.5,-3,7\n");
  CHECK(csv::Row().boolean(true).boolean(false).line() == "true,false\n");
  CHECK(csv::Row().empty().text("x").empty(2).line() == ",\"x\",,\n");
  const std::string tricky = "regularizers=dropout, \"rate\"=0.5\nnext";
  const std::string line = csv::Row().text(tricky).text("b").line();
  CHECK(parse_record(line.substr(0, line.size() - 1)) == std::vector<std::string>{tricky, "b"});
}

TEST_CASE("csv::number: the shortest text that reads back bitwise") {
  const double values[] = {0.0,
                           -0.0,
                           0.1,
                           1.0 / 3.0,
                           0.30000000000000004,
                           -2.5e-300,
                           1e300,
                           std::numeric_limits<double>::min(),
                           std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::max(),
                           std::nextafter(1.0, 2.0),
                           50000.0,
                           123456789012345.0};
  for (double v : values) {
    const std::string s = csv::number(v);
    CAPTURE(s);
    CHECK(same_bits(std::strtod(s.c_str(), nullptr), v));
  }
  CHECK(csv::number(0.5) == "0.5");
  CHECK(csv::number(0.1) == "0.1");
  CHECK(csv::number(0.30000000000000004) == "0.30000000000000004");  // 0.3 is another double
  CHECK(csv::number(1e-5) == "1e-05");
  CHECK(csv::number(-0.0) == "-0");
  CHECK(csv::number(12345.0) == "12345");
  // Integers in plain digits where %g would switch to an exponent at the shortest precision.
  CHECK(csv::number(10.0) == "10");
  CHECK(csv::number(500.0) == "500");
  CHECK(csv::number(-50000.0) == "-50000");
  CHECK(csv::number(123456789012345.0) == "123456789012345");
  CHECK(csv::number(1e15) == "1e+15");
  CHECK(csv::number(1e300) == "1e+300");
  CHECK(csv::number(2.5e3) == "2500");
  CHECK(csv::number(2.5e-3) == "0.0025");
}

TEST_CASE("csv::number: NaN, Inf and -Inf") {
  CHECK(csv::number(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(csv::number(-std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(csv::number(std::numeric_limits<double>::infinity()) == "Inf");
  CHECK(csv::number(-std::numeric_limits<double>::infinity()) == "-Inf");
  // strtod, as every reader above it, reads the three spellings back.
  CHECK(std::isnan(std::strtod("NaN", nullptr)));
  CHECK(std::strtod("Inf", nullptr) == std::numeric_limits<double>::infinity());
  CHECK(std::strtod("-Inf", nullptr) == -std::numeric_limits<double>::infinity());
}

}  // namespace
}  // namespace reglab
