/// `reglab export`: Boost.Program_options into storage::ExportOptions (see export_command.hpp).
#include "framework/cli/export_command.hpp"

#include <boost/program_options.hpp>
#include <iostream>
#include <sstream>

#include "framework/core/error.hpp"

namespace reglab::cli {
namespace {

namespace po = boost::program_options;

/// The options `reglab export --help` lists, bound to `options`.
po::options_description visible_options(storage::ExportOptions& options) {
  po::options_description desc(
      "reglab export RESULTS.h5 [--keras OUT.h5 [--cell ID]] [--csv DIR] [--overwrite]");
  desc.add_options()("help,h", "show this help")(
      "keras", po::value<std::string>(&options.keras_path),
      "write one run's weights in the Keras legacy HDF5 layout (model.load_weights)")(
      "cell", po::value<std::string>(&options.cell),
      "the run / cell id for --keras (required if the file holds more than one run)")(
      "csv", po::value<std::string>(&options.csv_dir),
      "write DIR/summary.csv (sweeps) and DIR/curves.csv (one row per run and epoch)")(
      "overwrite", po::bool_switch(&options.overwrite), "replace existing output files");
  return desc;
}

/// The usage errors of a parsed command line that storage::export_results cannot see.
void check_parsed(const storage::ExportOptions& options, const po::variables_map& vm) {
  if (options.results_path.empty()) throw UsageError("export: missing RESULTS.h5");
  // A command line that requests nothing is export_results' "nothing to export".
  if (options.keras_path.empty() && options.csv_dir.empty()) return;
  if (vm.count("keras") != 0U && options.keras_path.empty()) {
    throw UsageError("export: --keras needs a path");
  }
  if (vm.count("csv") != 0U && options.csv_dir.empty()) {
    throw UsageError("export: --csv needs a directory");
  }
}

}  // namespace

std::optional<storage::ExportOptions> parse_export_args(const std::vector<std::string>& args) {
  storage::ExportOptions options;
  po::options_description hidden;
  hidden.add_options()("results", po::value<std::string>(&options.results_path));
  po::options_description all;
  all.add(visible_options(options)).add(hidden);
  po::positional_options_description pos;
  pos.add("results", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help") != 0U) return std::nullopt;
  check_parsed(options, vm);
  return options;
}

std::string export_help() {
  storage::ExportOptions unused;
  std::ostringstream out;
  out << visible_options(unused)
      << "\nExamples:\n  reglab export results/quickstart.h5 --keras w.h5 --cell "
         "35d08431d89e\n  reglab export results/quickstart.h5 --csv results/csv\n";
  return out.str();
}

int export_command(const std::vector<std::string>& args) {
  const std::optional<storage::ExportOptions> options = parse_export_args(args);
  if (!options) {
    std::cout << export_help();
    return 0;
  }
  return storage::export_results(*options);
}

}  // namespace reglab::cli
