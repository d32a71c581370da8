#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "framework/core/error.hpp"

namespace reglab {
namespace {

TEST_CASE("exit codes: the README's table lists exactly reglab::Exit's codes") {
  std::ifstream readme(std::string(REGLAB_SOURCE_DIR) + "/README.md");
  REQUIRE(readme.good());
  std::set<int> documented;
  const std::regex row(R"(^\| (\d+) \| .+ \|$)");
  bool in_table = false;
  for (std::string line; std::getline(readme, line);) {
    if (line.rfind("Exit codes", 0) == 0) in_table = true;
    std::smatch m;
    if (in_table && std::regex_match(line, m, row)) documented.insert(std::stoi(m[1]));
    if (in_table && !documented.empty() && line.empty()) break;
  }
  const std::set<int> codes = {code(Exit::kSuccess),     code(Exit::kInternal),
                               code(Exit::kBadInput),    code(Exit::kDiverged),
                               code(Exit::kCellsFailed), code(Exit::kMismatch),
                               code(Exit::kInterrupted)};
  CHECK(documented == codes);
}

}  // namespace
}  // namespace reglab
