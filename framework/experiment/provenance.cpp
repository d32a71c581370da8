#include "framework/experiment/provenance.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "framework/core/blas.hpp"
#include "framework/core/build_info.hpp"
#include "framework/core/parallel.hpp"
#include "framework/storage/version.hpp"

namespace reglab::experiment {
namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

std::string blas_check_text() {
  const BlasCheck& check = check_blas();
  char text[96];
  std::snprintf(text, sizeof text, "%s: max relative error %.3g against a double reference",
                check.passed ? "passed" : "FAILED", check.max_relative_error);
  return text;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> environment_provenance() {
  return {
      {"reglab_version", reglab_version()},
      {"git_commit", git_commit()},
      {"compiler", compiler()},
      {"cxx_flags", cxx_flags()},
      {"library_versions", library_versions() + "; hdf5 " + storage::hdf5_version()},
      {"openblas_config", blas_config()},
      {"blas_threads", std::to_string(blas_threads())},
      {"parallel_threads", std::to_string(parallel::threads())},
      {"parallel_scheme",
       "v3: products cut into blocks fixed by their shape (of C, or of k added in block "
       "order), one single-threaded cblas_sgemm each; loops in chunks"},
      {"openblas_coretype", env_or("OPENBLAS_CORETYPE", "(unset)")},
      {"blas_core", blas_core()},
      {"blas_check", blas_check_text()},
      {"blas_fingerprint", check_blas().fingerprint},
      {"blas_refused", env_or("REGLAB_BLAS_REFUSED", "none")},
      {"openblas_l2_size", env_or("OPENBLAS_L2_SIZE", "(unset)")},
      {"flush_denormals", "true (FTZ and DAZ on the training thread)"},
      {"host", host_name()},
      {"cpu_model", cpu_model()},
  };
}

}  // namespace reglab::experiment
