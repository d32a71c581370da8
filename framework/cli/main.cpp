/// The reglab command line: Boost.Program_options into typed options, then one call into the
/// framework. Exit codes: reglab::Exit (core/error.hpp).
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "framework/cli/export_command.hpp"
#include "framework/core/blas.hpp"
#include "framework/core/build_info.hpp"
#include "framework/core/error.hpp"
#include "framework/experiment/cell_runner.hpp"
#include "framework/experiment/report.hpp"
#include "framework/experiment/runner.hpp"
#include "framework/experiment/slurm.hpp"
#include "framework/experiment/sweep.hpp"
#include "framework/experiment/sweep_runner.hpp"
#include "framework/experiment/sweep_status.hpp"
#include "framework/experiment/verify.hpp"
#include "framework/plugin/loader.hpp"
#include "framework/plugin/registries.hpp"

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: reglab <command> [options]\n"
    "\n"
    "commands:\n"
    "  run CONFIG.yaml [key.path=value ...]   train the configured run or sweep, write its HDF5\n"
    "                                         results (--jobs N cells at once, --cell ID one "
    "cell)\n"
    "  status CONFIG.yaml [key.path=value ...] | RESULTS.h5\n"
    "                                         complete, diverged, failed and missing cells\n"
    "  merge CONFIG.yaml [key.path=value ...] merge finished cells into the sweep file\n"
    "  slurm submit SWEEP.yaml [key.path=value ...] [--partition P] [--account A] [--time T]\n"
    "        [--mem M] [--cpus-per-task C] [--max-parallel K] [--dry-run]\n"
    "                                         run the missing cells as a Slurm job array, then a\n"
    "                                         merge job (docs/cluster.md)\n"
    "  cells CELL.yaml...                     run sweep cells from their cell files (what sweep\n"
    "                                         children and Slurm array tasks run)\n"
    "  verify RESULTS.h5 [--cell ID]          rerun stored runs, check curves and weights bitwise\n"
    "  report RESULTS.h5 [--baseline ARM] [--by F,..] [--metric M] [--format table|markdown|csv]\n"
    "                                         per-arm statistics and paired tests across seeds\n"
    "  export RESULTS.h5 --keras OUT.h5 [--cell ID] | --csv DIR [--overwrite]\n"
    "                                         Keras weights of one run; summary/curves as CSV\n"
    "  list                                   registered regularizers, models, layer types,\n"
    "                                         optimizers, schedules and datasets\n"
    "  version                                version and build information\n"
    "\n"
    "Run 'reglab <command> --help' for a command's options.\n";

template <class Reg>
void print_registry(const char* title, const Reg& registry) {
  std::printf("%s:\n", title);
  for (const auto& e : registry.entries()) {
    std::printf("  %-20s %s\n", e.name.c_str(), e.description.c_str());
    if (e.origin != "built-in") std::printf("  %-20s   from %s\n", "", e.origin.c_str());
  }
}

int cmd_list(const std::vector<std::string>& args) {
  po::options_description desc("reglab list [--plugin PATH ...]");
  std::vector<std::string> plugins;
  desc.add_options()("help,h", "show this help")(
      "plugin", po::value<std::vector<std::string>>(&plugins),
      "load a plugin and list its entries too (marked with the file they come from)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  po::notify(vm);
  if (vm.count("help") != 0U) {
    std::cout << desc << "\nEntries without a 'from' line are built in.\n";
    return 0;
  }
  reglab::plugin::Registries regs = reglab::plugin::builtin_registries();
  for (const auto& p : plugins) reglab::plugin::load_plugin(regs, p);
  print_registry("regularizers", regs.regularizers);
  print_registry("models", regs.models);
  print_registry("layers", regs.layers);
  print_registry("optimizers", regs.optimizers);
  print_registry("schedules", regs.schedules);
  print_registry("datasets", regs.datasets);
  for (const auto& p : regs.plugins) {
    std::printf("plugin %s %s: %s (sha256 %s)\n", p.name.c_str(), p.version.c_str(), p.path.c_str(),
                p.sha256.c_str());
  }
  return 0;
}

int cmd_version() {
  std::printf("reglab %s (commit %s)\n%s\n%s\n", reglab::reglab_version(), reglab::git_commit(),
              reglab::compiler(), reglab::library_versions().c_str());
  return 0;
}

int cmd_run(const std::vector<std::string>& args) {
  reglab::experiment::RunOptions options;
  po::options_description desc("reglab run CONFIG.yaml [key.path=value ...] [options]");
  desc.add_options()("help,h", "show this help")(
      "overwrite", po::bool_switch(&options.overwrite),
      "replace an existing results file at the output path")(
      "quiet,q", po::bool_switch(&options.quiet), "print only the final summary line")(
      "jobs,j", po::value<std::size_t>(&options.jobs),
      "sweep cells to run at once (default: the number of cores)")(
      "cells-per-child", po::value<std::size_t>(&options.cells_per_child),
      "sweep cells one child process runs one after another (default: 1 for small sweeps, up "
      "to 64 for large ones)")("cell", po::value<std::string>(&options.cell),
                               "run only the sweep cell with this id")(
      "plugin", po::value<std::vector<std::string>>(&options.plugins),
      "load a plugin (shared object) after the config's own 'plugins:'; repeatable");
  po::options_description hidden;
  hidden.add_options()("config", po::value<std::string>(&options.config_path))(
      "override", po::value<std::vector<std::string>>(&options.overrides));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("config", 1).add("override", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help") != 0U) {
    std::cout << desc
              << "\nOverrides set configuration keys, e.g. optimizer.learning_rate=0.01 "
                 "or regularizers[0].rate=0.3; values are YAML.\n";
    return 0;
  }
  if (options.config_path.empty()) throw reglab::UsageError("run: missing CONFIG.yaml");
  return reglab::experiment::run_config(options);
}

int cmd_cells(const std::vector<std::string>& args) {
  po::options_description desc("reglab cells CELL.yaml... [-q]");
  std::vector<std::string> files;
  bool quiet = false;
  desc.add_options()("help,h", "show this help")("quiet,q", po::bool_switch(&quiet),
                                                 "print only each cell's final summary line");
  po::options_description hidden;
  hidden.add_options()("file", po::value<std::vector<std::string>>(&files));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("file", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help") != 0U) {
    std::cout << desc
              << "\nRuns sweep cells from their cell files (<cell folder>/<id>.yaml, written by "
                 "'reglab run' and 'reglab slurm submit'), one after another; each cell's output "
                 "goes to its .log, a failure to its .failed and stops the batch.\n";
    return 0;
  }
  if (files.empty()) throw reglab::UsageError("cells: no cell file given");
  return reglab::experiment::run_cell_files(files, quiet);
}

}  // namespace

/// The arguments of commands that take a sweep configuration: CONFIG.yaml [key.path=value ...].
struct ConfigArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::vector<std::string> plugins;  ///< --plugin PATH, as `reglab run` was given them
};

/// Parses CONFIG.yaml [key.path=value ...]; prints `usage` and `help` and returns false on --help.
bool parse_config_args(const std::vector<std::string>& args, const char* usage, const char* help,
                       ConfigArgs& out) {
  po::options_description desc(usage);
  desc.add_options()("help,h", "show this help")(
      "plugin", po::value<std::vector<std::string>>(&out.plugins),
      "a plugin the sweep was run with on the command line; repeatable");
  po::options_description hidden;
  hidden.add_options()("config", po::value<std::string>(&out.config))(
      "override", po::value<std::vector<std::string>>(&out.overrides));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("config", 1).add("override", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help") != 0U) {
    std::cout << desc << "\n" << help << "\n";
    return false;
  }
  if (out.config.empty()) throw reglab::UsageError(std::string(usage) + ": missing CONFIG.yaml");
  return true;
}

int cmd_status(const std::vector<std::string>& args) {
  ConfigArgs a;
  if (!parse_config_args(args, "reglab status CONFIG.yaml [key.path=value ...] | RESULTS.h5",
                         "Lists each cell as complete, diverged, failed or missing.", a)) {
    return 0;
  }
  if (a.config.size() > 3 && a.config.compare(a.config.size() - 3, 3, ".h5") == 0) {
    return reglab::experiment::print_file_status(a.config);
  }
  return reglab::experiment::print_sweep_status(
      reglab::experiment::expand_sweep(a.config, a.overrides, a.plugins));
}

int cmd_merge(const std::vector<std::string>& args) {
  ConfigArgs a;
  if (!parse_config_args(args, "reglab merge CONFIG.yaml [key.path=value ...]",
                         "Merges the cell files present into the sweep file and lists the cells "
                         "that failed or are missing. Exit 0 if every cell completed, 4 if not.",
                         a)) {
    return 0;
  }
  return reglab::experiment::merge_and_report(
      reglab::experiment::expand_sweep(a.config, a.overrides, a.plugins));
}

int cmd_verify(const std::vector<std::string>& args) {
  po::options_description desc("reglab verify RESULTS.h5 [--cell ID] [--plugin PATH ...]");
  std::string results, cell;
  std::vector<std::string> plugins;
  desc.add_options()("help,h", "show this help")("cell", po::value<std::string>(&cell),
                                                 "verify only this run / cell id")(
      "plugin", po::value<std::vector<std::string>>(&plugins),
      "a plugin the stored runs used; its SHA-256 must match the recorded one; repeatable");
  po::options_description hidden;
  hidden.add_options()("results", po::value<std::string>(&results));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("results", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help") != 0U) {
    std::cout << desc
              << "\nReruns each run from its stored configuration and compares curves "
                 "(except seconds) and weights bitwise. Exit 0 identical, 5 mismatch.\n"
                 "A results file never makes reglab load code: runs that used plugins need\n"
                 "them given with --plugin, and each must match the SHA-256 recorded in the "
                 "file.\n";
    return 0;
  }
  if (results.empty()) throw reglab::UsageError("verify: missing RESULTS.h5");
  return reglab::experiment::verify_results(results, cell, plugins);
}

int main(int argc, char** argv) {
  reglab::pin_blas_core(argv);
  try {
    if (argc < 2) {
      std::fputs(kUsage, stderr);
      return reglab::code(reglab::Exit::kBadInput);
    }
    const std::string command = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    if (command == "run") return cmd_run(args);
    if (command == "cells") return cmd_cells(args);
    if (command == "status") return cmd_status(args);
    if (command == "verify") return cmd_verify(args);
    if (command == "merge") return cmd_merge(args);
    if (command == "slurm") return reglab::experiment::slurm_command(args);
    if (command == "report") return reglab::experiment::report_command(args);
    if (command == "export") return reglab::cli::export_command(args);
    if (command == "list") return cmd_list(args);
    if (command == "version" || command == "--version") return cmd_version();
    if (command == "help" || command == "--help" || command == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    throw reglab::UsageError("unknown command '" + command + "'\n" + kUsage);
  } catch (const reglab::Error& e) {
    std::fprintf(stderr, "reglab: error: %s\n", e.what());
    return reglab::code(reglab::Exit::kBadInput);
  } catch (const po::error& e) {
    std::fprintf(stderr, "reglab: error: %s\n", e.what());
    return reglab::code(reglab::Exit::kBadInput);
  } catch (const std::filesystem::filesystem_error& e) {
    // The file system refused a path (a symlink loop, an unsearchable folder): bad input or
    // environment, not a bug.
    std::fprintf(stderr, "reglab: error: %s\n", e.what());
    return reglab::code(reglab::Exit::kBadInput);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reglab: internal error: %s\n", e.what());
    return reglab::code(reglab::Exit::kInternal);
  }
}
