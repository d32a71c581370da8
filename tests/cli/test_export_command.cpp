// Tests of framework/cli/export_command.hpp: `reglab export`'s command line into
// storage::ExportOptions, its help and its usage errors (export_results' own checks are in
// tests/storage/test_export.cpp).
#include <doctest/doctest.h>

#include <boost/program_options/errors.hpp>
#include <string>
#include <vector>

#include "framework/cli/export_command.hpp"
#include "framework/core/error.hpp"

namespace reglab::cli {
namespace {

using Args = std::vector<std::string>;

TEST_CASE("parse_export_args: the command line as typed options") {
  const auto all = parse_export_args(
      Args{"r.h5", "--keras", "k.h5", "--cell", "abc", "--csv", "d", "--overwrite"});
  REQUIRE(all.has_value());
  CHECK(all->results_path == "r.h5");
  CHECK(all->keras_path == "k.h5");
  CHECK(all->cell == "abc");
  CHECK(all->csv_dir == "d");
  CHECK(all->overwrite);

  const auto csv_only = parse_export_args(Args{"--csv=out", "r.h5"});
  REQUIRE(csv_only.has_value());
  CHECK(csv_only->results_path == "r.h5");
  CHECK(csv_only->keras_path.empty());
  CHECK(csv_only->csv_dir == "out");
  CHECK_FALSE(csv_only->overwrite);

  // Nothing requested parses; export_results refuses it with "nothing to export".
  CHECK(parse_export_args(Args{"r.h5"}).has_value());
  CHECK_FALSE(parse_export_args(Args{"--help"}).has_value());
  CHECK_FALSE(parse_export_args(Args{"-h"}).has_value());  // no RESULTS.h5 needed
}

TEST_CASE("parse_export_args: usage errors") {
  CHECK_THROWS_WITH_AS(parse_export_args(Args{}), doctest::Contains("missing RESULTS.h5"),
                       UsageError);
  CHECK_THROWS_WITH_AS(parse_export_args(Args{"r.h5", "--keras", "", "--csv", "d"}),
                       doctest::Contains("--keras needs a path"), UsageError);
  CHECK_THROWS_WITH_AS(parse_export_args(Args{"r.h5", "--keras", "k.h5", "--csv", ""}),
                       doctest::Contains("--csv needs a directory"), UsageError);
  CHECK_THROWS_AS(parse_export_args(Args{"r.h5", "--csv", "d", "--frobnicate"}),
                  boost::program_options::error);
  CHECK_THROWS_AS(parse_export_args(Args{"r.h5", "other.h5", "--csv", "d"}),
                  boost::program_options::error);
}

TEST_CASE("export_help: the options and the examples") {
  const std::string help = export_help();
  CHECK(help.find("reglab export RESULTS.h5 [--keras OUT.h5 [--cell ID]]") != std::string::npos);
  for (const char* option : {"--keras", "--cell", "--csv", "--overwrite", "Examples:"}) {
    CHECK(help.find(option) != std::string::npos);
  }
}

}  // namespace
}  // namespace reglab::cli
