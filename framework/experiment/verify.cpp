#include "framework/experiment/verify.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "framework/core/error.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/experiment/runner.hpp"
#include "framework/plugin/loader.hpp"
#include "framework/storage/results.hpp"

namespace reglab::experiment {
namespace {

namespace fs = std::filesystem;

/// The first difference between two runs' curves and weights, or "".
std::string first_mismatch(const storage::RunRecord& a, const storage::RunRecord& b) {
  for (const auto& [name, values] : a.curves) {
    if (name == "seconds") continue;
    const std::vector<double>* other = nullptr;
    for (const auto& c : b.curves) {
      if (c.first == name) other = &c.second;
    }
    if (other == nullptr) return "curve " + name + " is missing from the rerun";
    if (other->size() != values.size()) {
      return "curve " + name + " has " + std::to_string(other->size()) + " values, stored " +
             std::to_string(values.size());
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      // Bitwise on purpose: a rerun must reproduce every bit, NaN payloads and -0 included.
      // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
      if (std::memcmp(&values[i], &(*other)[i], sizeof(double)) != 0) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "curve %s differs at epoch %zu: stored %.17g, rerun %.17g",
                      name.c_str(), i + 1, values[i], (*other)[i]);
        return buf;
      }
    }
  }
  if (a.weights.size() != b.weights.size()) return "the rerun has a different set of weights";
  for (std::size_t w = 0; w < a.weights.size(); ++w) {
    const auto& x = a.weights[w];
    const auto& y = b.weights[w];
    const std::string name = x.layer + "/" + x.param;
    if (x.layer != y.layer || x.param != y.param || x.shape != y.shape) {
      return "weights " + name + " have a different name or shape in the rerun";
    }
    for (std::size_t i = 0; i < x.data.size(); ++i) {
      // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
      if (std::memcmp(&x.data[i], &y.data[i], sizeof(float)) != 0) {
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      "weights %s differ at flat index %zu: stored %.9g, rerun %.9g", name.c_str(),
                      i, static_cast<double>(x.data[i]), static_cast<double>(y.data[i]));
        return buf;
      }
    }
  }
  return "";
}

std::string attribute(const storage::RunRecord& r, const std::string& key) {
  for (const auto& [k, v] : r.attributes) {
    if (k == key) return v;
  }
  return "";
}

/// The registries a stored run used: built-ins plus, in the recorded order, the given plugin
/// files whose SHA-256 matches a recorded one.
plugin::Registries registries_for(const storage::RunRecord& run,
                                  const std::vector<std::string>& given,
                                  const std::vector<std::string>& given_sha) {
  plugin::Registries regs = plugin::builtin_registries();
  std::istringstream lines(attribute(run, "plugins"));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string sha, name, version, path;
    if (!(fields >> sha >> name >> version)) continue;
    std::getline(fields >> std::ws, path);
    std::size_t k = 0;
    while (k < given.size() && given_sha[k] != sha) ++k;
    if (k == given.size()) {
      std::string offered;
      for (std::size_t i = 0; i < given.size(); ++i) {
        offered += "\n  " + given[i] + " (sha256 " + given_sha[i] + ")";
      }
      throw PluginError(
          "run " + run.run_id + " used plugin " + name + " " + version + " (sha256 " + sha +
          ", recorded path " + path + "); pass its file with --plugin" +
          (given.empty() ? std::string(" (none given)") : "; the files given differ:" + offered));
    }
    plugin::load_plugin(regs, given[k]);
  }
  return regs;
}

}  // namespace

int verify_results(const std::string& results_path, const std::string& cell,
                   const std::vector<std::string>& plugins) {
  std::vector<std::string> plugin_sha;
  for (const auto& p : plugins) plugin_sha.push_back(plugin::plugin_sha256(p));
  const storage::ResultsFile stored = storage::read_results(results_path);
  std::vector<const storage::RunRecord*> runs;
  for (const auto& r : stored.runs) {
    if (cell.empty() || r.run_id == cell) runs.push_back(&r);
  }
  if (runs.empty()) {
    throw UsageError(results_path + (cell.empty() ? ": holds no runs" : ": has no run " + cell));
  }
  char dir_template[] = "/tmp/reglab-verify-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) throw StorageError("cannot create a temporary folder");
  const std::string dir = dir_template;
  // Removed on every path out, including errors from a rerun.
  struct RemoveDir {
    std::string path;
    ~RemoveDir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } cleanup{dir};
  std::size_t mismatches = 0;
  for (const storage::RunRecord* run : runs) {
    ConfigNode root =
        ConfigNode::parse(run->config_yaml, results_path + ":/runs/" + run->run_id + "/config");
    const std::string out = dir + "/" + run->run_id + ".h5";
    root.set_override("output", "'" + out + "'");
    std::fprintf(stderr, "verify: rerunning %s (%s)\n", run->run_id.c_str(), run->name.c_str());
    run_one(root, registries_for(*run, plugins, plugin_sha), false, true);
    const storage::ResultsFile again = storage::read_results(out);
    fs::remove(out);
    const std::string diff = first_mismatch(*run, again.runs.front());
    if (diff.empty()) {
      std::printf("%s %s: identical (curves and weights bitwise)\n", run->run_id.c_str(),
                  run->name.c_str());
      continue;
    }
    ++mismatches;
    std::printf("%s %s: MISMATCH: %s\n", run->run_id.c_str(), run->name.c_str(), diff.c_str());
    for (const char* key :
         {"blas_threads", "parallel_threads", "parallel_scheme", "openblas_config",
          "openblas_coretype", "blas_core", "blas_fingerprint", "git_commit", "compiler", "plugins",
          "cxx_flags", "library_versions", "data_sha256", "cpu_model"}) {
      const std::string a = attribute(*run, key), b = attribute(again.runs.front(), key);
      if (a != b) std::printf("  %s differs: stored '%s', rerun '%s'\n", key, a.c_str(), b.c_str());
    }
  }
  std::printf("verify: %zu of %zu runs identical\n", runs.size() - mismatches, runs.size());
  return code(mismatches == 0 ? Exit::kSuccess : Exit::kMismatch);
}

}  // namespace reglab::experiment
