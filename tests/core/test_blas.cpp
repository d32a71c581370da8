// Tests of framework/core/blas.hpp: the core reglab asks for on this CPU, and the check of the
// loaded kernels against a double-precision reference (its failure path, which re-executes the
// program, is tests/e2e/test_blas_kernels.sh).
#include <doctest/doctest.h>

#include <cctype>
#include <string>

#include "framework/core/blas.hpp"

TEST_CASE("the preferred OpenBLAS core follows the CPU's vector extensions") {
  const std::string core = reglab::preferred_blas_core();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512cd")) {
    CHECK(core == "SkylakeX");
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    CHECK(core == "Haswell");
  } else {
    CHECK(core.empty());
  }
}

TEST_CASE("the loaded kernels pass their check and have a stable fingerprint") {
  const reglab::BlasCheck& check = reglab::check_blas();
  CHECK(check.passed);
  CHECK(check.max_relative_error > 0.0);  // fp32 products do round
  CHECK(check.max_relative_error < 1e-6);
  REQUIRE(check.fingerprint.size() == 16);
  for (char c : check.fingerprint) CHECK(std::isxdigit(static_cast<unsigned char>(c)));
  CHECK(&reglab::check_blas() == &check);  // computed once per process
  CHECK(reglab::blas_config().find("core=" + reglab::blas_core()) != std::string::npos);
}
