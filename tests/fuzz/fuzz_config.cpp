/// libFuzzer target for the configuration reader: the validation `reglab run` does before any
/// data is read (experiment/options.hpp, experiment/sweep.hpp, experiment/run_config.hpp and the
/// option readers of every model, optimizer, schedule and regularizer).
///
/// Input: a YAML configuration, optionally followed by a line `#overrides` (a YAML comment, so
/// seeds stay valid files) and one command-line override `key.path=value` per line. The text is
/// parsed with ConfigNode::parse, written to FUZZ_DIR/fuzz.yaml and expanded with expand_sweep,
/// as `reglab run` does (includes, overrides, grid/zip/seeds, one plan_run per cell); then each
/// cell's configuration is validated again as run_one does. FUZZ_DIR is a fresh temporary folder
/// holding copies of configs/{datasets,models,optimizers}, so the repository's includes resolve.
///
/// Skipped inputs (not findings): includes that are absolute or contain "..", which could name
/// files outside FUZZ_DIR such as /dev/zero; and sweeps of more than kFuzzMaxCells cells (up to
/// the 100,000 reglab accepts), whose expansion is legitimately slow. Sweeps above 100,000 cells
/// are kept: reglab must reject them before expanding.
///
/// A reglab::Error (ConfigError above all) is the expected answer to a bad configuration.
/// Anything else is a finding: another exception, a crash, a sanitizer report, a leak, a
/// timeout, or a broken contract: a cell's id must equal the run id of its configuration, and the
/// configuration text stored in results files must validate again to the same run id (what
/// `reglab verify` relies on).
#include <stdlib.h>  // mkdtemp

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/experiment/run_config.hpp"
#include "framework/experiment/sweep.hpp"
#include "support/builtins.hpp"

#ifndef REGLAB_SOURCE_DIR
#error "REGLAB_SOURCE_DIR must name the repository (set by tests/fuzz/fuzz.cmake)"
#endif

namespace {

namespace fs = std::filesystem;
using reglab::experiment::ConfigNode;

/// Largest sweep this target expands; each cell parses and validates the file three times.
constexpr std::size_t kFuzzMaxCells = 64;

std::string g_dir;       // FUZZ_DIR
std::string g_file;      // FUZZ_DIR/fuzz.yaml
bool g_verbose = false;  // REGLAB_FUZZ_VERBOSE set: print each input's outcome (corpus checks)

[[noreturn]] void contract_violation(const std::string& what) {
  std::fprintf(stderr, "fuzz_config: contract violation: %s\n", what.c_str());
  std::abort();
}

void remove_dir() {
  std::error_code ec;
  fs::remove_all(g_dir, ec);
}

struct Input {
  std::string yaml;
  std::vector<std::string> overrides;
};

Input split_input(const std::uint8_t* data, std::size_t size) {
  Input in;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string marker = "#overrides\n";
  std::size_t at = text.rfind(marker, 0) == 0 ? 0 : text.find("\n" + marker);
  if (at == std::string::npos) {
    in.yaml = text;
    return in;
  }
  if (at != 0) ++at;  // keep the newline that ends the YAML
  in.yaml = text.substr(0, at);
  std::size_t pos = at + marker.size();
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (end > pos) in.overrides.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return in;
}

/// False if a top-level include could name a file outside FUZZ_DIR.
bool includes_inside(const ConfigNode& root) {
  const ConfigNode inc = root.child("include");
  std::vector<ConfigNode> names;
  if (inc.is_scalar()) names.push_back(inc);
  for (std::size_t i = 0; inc.is_sequence() && i < inc.size(); ++i) names.push_back(inc.at(i));
  for (const ConfigNode& n : names) {
    const fs::path p(n.scalar());
    if (p.is_absolute()) return false;
    for (const auto& part : p) {
      if (part == "..") return false;
    }
  }
  return true;
}

std::size_t saturating_mul(std::size_t a, std::size_t b) {
  return b != 0 && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

/// Length of a zip group (the first list), 1 if it is not a map of lists.
std::size_t zip_group_length(const ConfigNode& group) {
  const std::vector<std::string> keys = group.keys();
  if (keys.empty()) return 1;
  const ConfigNode first = group.child(keys.front());
  return first.is_sequence() && first.size() > 0 ? first.size() : 1;
}

/// An estimate of the number of cells (the product of the axis lengths), from the sweep keys.
std::size_t estimate_cells(const ConfigNode& root) {
  std::size_t cells = 1;
  const ConfigNode grid = root.child("grid");
  for (const std::string& key : grid.keys()) {
    const ConfigNode values = grid.child(key);
    if (values.is_sequence() && values.size() > 0) cells = saturating_mul(cells, values.size());
  }
  const ConfigNode zip = root.child("zip");
  if (zip.is_map()) cells = saturating_mul(cells, zip_group_length(zip));
  for (std::size_t i = 0; zip.is_sequence() && i < zip.size(); ++i) {
    cells = saturating_mul(cells, zip_group_length(zip.at(i)));
  }
  const ConfigNode sample = root.child("sample");
  if (sample.is_map() && sample.child("n").is_scalar()) {
    const long long n = std::strtoll(sample.child("n").scalar().c_str(), nullptr, 10);
    if (n > 1) cells = saturating_mul(cells, static_cast<std::size_t>(n));
  }
  const ConfigNode seeds = root.child("seeds");
  if (seeds.is_sequence()) cells = saturating_mul(cells, seeds.size());
  if (seeds.is_scalar()) {
    const long long count = std::strtoll(seeds.scalar().c_str(), nullptr, 10);
    if (count > 1) cells = saturating_mul(cells, static_cast<std::size_t>(count));
  }
  return cells;
}

/// What run_one and `reglab verify` do with a cell, checked against what expand_sweep computed.
void check_cell(const std::vector<std::string>& overrides, const reglab::experiment::Cell& cell) {
  using reglab::experiment::plan_run;
  const reglab::experiment::RunPlan plan = plan_run(
      reglab::experiment::cell_config(g_file, overrides, cell), reglab::testing::builtins());
  if (plan.run_id != cell.id) {
    contract_violation("cell " + cell.id + " plans as run " + plan.run_id);
  }
  // The stored configuration (results files keep plan.config_yaml) must validate again to the
  // same run: `reglab verify` reruns it with only the output replaced.
  try {
    ConfigNode again = ConfigNode::parse(plan.config_yaml, "stored.yaml");
    again.set_override("output", "'" + g_dir + "/verify.h5'");
    const reglab::experiment::RunPlan replan = plan_run(again, reglab::testing::builtins());
    if (replan.run_id != plan.run_id) {
      contract_violation("stored configuration plans as run " + replan.run_id + ", not " +
                         plan.run_id + ":\n" + plan.config_yaml);
    }
  } catch (const reglab::Error& e) {
    contract_violation(std::string("stored configuration no longer validates: ") + e.what() + "\n" +
                       plan.config_yaml);
  }
}

void copy_configs() {
  const fs::path configs = fs::path(REGLAB_SOURCE_DIR) / "configs";
  for (const char* sub : {"datasets", "models", "optimizers"}) {
    std::error_code ec;
    fs::copy(configs / sub, fs::path(g_dir) / sub, fs::copy_options::recursive, ec);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  std::string tmpl = (fs::temp_directory_path() / "reglab-fuzz-config-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) contract_violation("cannot create a temporary folder");
  g_dir = tmpl;
  g_file = g_dir + "/fuzz.yaml";
  g_verbose = std::getenv("REGLAB_FUZZ_VERBOSE") != nullptr;
  std::atexit(remove_dir);
  copy_configs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Input in = split_input(data, size);
  try {
    const ConfigNode root = ConfigNode::parse(in.yaml, g_file);
    if (!includes_inside(root)) {
      if (g_verbose) std::fprintf(stderr, "fuzz_config: skipped: include outside FUZZ_DIR\n");
      return 0;
    }
    const std::size_t cells =
        estimate_cells(reglab::experiment::apply_overrides(root, in.overrides));
    if (cells > kFuzzMaxCells && cells <= reglab::experiment::kMaxCells) {
      if (g_verbose) std::fprintf(stderr, "fuzz_config: skipped: about %zu cells\n", cells);
      return 0;
    }
  } catch (const reglab::Error& e) {
    if (g_verbose) std::fprintf(stderr, "fuzz_config: rejected: %s\n", e.what());
    return 0;
  }
  {
    std::ofstream out(g_file, std::ios::binary | std::ios::trunc);
    out << in.yaml;
    if (!out) contract_violation("cannot write " + g_file);
  }
  try {
    const reglab::experiment::Sweep sweep = reglab::experiment::expand_sweep(g_file, in.overrides);
    for (const auto& cell : sweep.cells) check_cell(in.overrides, cell);
    if (g_verbose) std::fprintf(stderr, "fuzz_config: valid: %zu cells\n", sweep.cells.size());
  } catch (const reglab::Error& e) {
    // The expected answer to a bad configuration.
    if (g_verbose) std::fprintf(stderr, "fuzz_config: rejected: %s\n", e.what());
  }
  return 0;
}
