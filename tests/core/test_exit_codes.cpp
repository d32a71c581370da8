#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <string>

#include "framework/core/error.hpp"

namespace reglab {
namespace {

TEST_CASE("exit codes: the README's table lists exactly reglab::Exit's codes") {
  std::ifstream readme(std::string(REGLAB_SOURCE_DIR) + "/README.md");
  REQUIRE(readme.good());
  std::set<int> documented;
  bool in_table = false;
  for (std::string line; std::getline(readme, line);) {
    if (line.rfind("Exit codes", 0) == 0) in_table = true;
    // A table row "| 4 | meaning |": a number between the first two bars.
    const std::size_t bar = line.find(" | ", 2);
    if (in_table && line.rfind("| ", 0) == 0 && bar != std::string::npos &&
        line.find_first_not_of("0123456789", 2) == bar) {
      documented.insert(std::stoi(line.substr(2, bar - 2)));
    }
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
