#include "framework/core/blas.hpp"

#include <cblas.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "framework/core/random.hpp"
#include "framework/core/sha256.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

extern "C" {
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}

namespace reglab {

void set_blas_threads(int threads) { openblas_set_num_threads(threads); }

int blas_threads() { return openblas_get_num_threads(); }

std::string blas_config() {
  return std::string(openblas_get_config()) + " core=" + openblas_get_corename();
}

std::string blas_core() { return openblas_get_corename(); }

namespace {

bool has_avx512() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512cd");
#else
  return false;
#endif
}

bool has_avx2_fma() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

struct Product {
  bool ta, tb;
  int m, n, k;
};

/// alpha op(A) op(B) + beta C0 for fixed pseudo-random inputs; adds the worst relative error
/// against a double-precision reference to `worst` when `reference` is set. Returns C.
std::vector<float> run_product(const Product& p, Rng& rng, bool reference, double& worst) {
  const float alpha = 0.75f, beta = 0.5f;
  const int lda = p.ta ? p.m : p.k, ldb = p.tb ? p.k : p.n, ldc = p.n;
  std::vector<float> a(static_cast<std::size_t>(p.m) * p.k), b(static_cast<std::size_t>(p.k) * p.n),
      c(static_cast<std::size_t>(p.m) * p.n);
  for (float& x : a) x = 2.0f * rng.uniform() - 1.0f;
  for (float& x : b) x = 2.0f * rng.uniform() - 1.0f;
  for (float& x : c) x = 2.0f * rng.uniform() - 1.0f;
  const std::vector<float> c0 = c;
  cblas_sgemm(CblasRowMajor, p.ta ? CblasTrans : CblasNoTrans, p.tb ? CblasTrans : CblasNoTrans,
              p.m, p.n, p.k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
  if (!reference) return c;
  for (int i = 0; i < p.m; ++i) {
    for (int j = 0; j < p.n; ++j) {
      double sum = 0.0, magnitude = 0.0;
      for (int q = 0; q < p.k; ++q) {
        const double x = p.ta ? a[static_cast<std::size_t>(q) * lda + i]
                              : a[static_cast<std::size_t>(i) * lda + q];
        const double y = p.tb ? b[static_cast<std::size_t>(j) * ldb + q]
                              : b[static_cast<std::size_t>(q) * ldb + j];
        sum += x * y;
        magnitude += std::fabs(x * y);
      }
      const std::size_t at = static_cast<std::size_t>(i) * ldc + j;
      const double want = alpha * sum + beta * static_cast<double>(c0[at]);
      const double scale = alpha * magnitude + std::fabs(beta * static_cast<double>(c0[at]));
      const double error = std::fabs(want - c[at]) / std::max(scale, 1e-30);
      worst = std::isfinite(error) ? std::max(worst, error) : HUGE_VAL;
    }
  }
  return c;
}

BlasCheck run_check() {
  const int saved_threads = blas_threads();
  set_blas_threads(1);
  const Product checked[] = {{false, false, 67, 93, 129},
                             {true, false, 45, 131, 60},
                             {false, true, 100, 10, 257},
                             {true, true, 33, 260, 77}};
  // Kernels can share their small-k arithmetic and differ where k is split into panels
  // (SkylakeX and Cooperlake do on OpenBLAS 0.3.21), so one product has a long k.
  const Product fingerprinted[] = {{false, false, 128, 512, 256}, {false, true, 64, 256, 1000}};
  Rng rng(0x5eed'b1a5);
  BlasCheck check;
  std::vector<float> bits;
  for (const Product& p : checked) {
    const std::vector<float> c = run_product(p, rng, true, check.max_relative_error);
    bits.insert(bits.end(), c.begin(), c.end());
  }
  double unused = 0.0;
  for (const Product& p : fingerprinted) {
    const std::vector<float> c = run_product(p, rng, false, unused);
    bits.insert(bits.end(), c.begin(), c.end());
  }
  set_blas_threads(saved_threads);
  check.passed = check.max_relative_error <= kBlasCheckTolerance;
  check.fingerprint = sha256_hex(bits.data(), bits.size() * sizeof(float)).substr(0, 16);
  return check;
}

/// The core to try after `refused` (OpenBLAS's names), or "" when none is left.
std::string fallback_core(const std::string& refused) {
  std::vector<std::string> order;
  if (has_avx2_fma()) order.emplace_back("Haswell");
  order.emplace_back("Prescott");
  const char* env = std::getenv("REGLAB_BLAS_REFUSED");
  const std::string before = env != nullptr ? env : "";
  for (const std::string& core : order) {
    if (core != refused && before.find(core + ":") == std::string::npos) return core;
  }
  return "";
}

void refuse_kernels(char** argv, const BlasCheck& check) {
  const std::string core = blas_core();
  const std::string next = fallback_core(core);
  std::fprintf(stderr,
               "reglab: OpenBLAS's %s kernels failed their check (max relative error %.3g, "
               "tolerance %.0e)%s%s\n",
               core.c_str(), check.max_relative_error, kBlasCheckTolerance,
               next.empty() ? "; no other kernels are left to try" : "; falling back to ",
               next.c_str());
  if (next.empty()) std::exit(1);
  char error[32];
  std::snprintf(error, sizeof error, "%.3g", check.max_relative_error);
  const char* env = std::getenv("REGLAB_BLAS_REFUSED");
  std::string refused = env != nullptr && *env != '\0' ? std::string(env) + ", " : "";
  refused += core + ": error " + error;
  setenv("REGLAB_BLAS_REFUSED", refused.c_str(), 1);
  setenv("OPENBLAS_CORETYPE", next.c_str(), 1);
  setenv("REGLAB_KEEP_BLAS_CORE", "1", 1);
  execv("/proc/self/exe", argv);
  std::perror("reglab: re-executing with other OpenBLAS kernels");
  std::exit(1);
}

}  // namespace

std::string preferred_blas_core() {
  if (has_avx512()) return "SkylakeX";
  if (has_avx2_fma()) return "Haswell";
  return "";
}

const BlasCheck& check_blas() {
  static const BlasCheck check = run_check();
  return check;
}

void pin_blas_core(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr &&
      std::getenv("REGLAB_KEEP_BLAS_CORE") == nullptr) {
    const std::string core = preferred_blas_core();
    if (!core.empty()) {
      setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
      setenv("REGLAB_KEEP_BLAS_CORE", "1", 1);  // never loop
      execv("/proc/self/exe", argv);
      // execv failed: continue with the kernels OpenBLAS chose, which the check below tests.
    }
  }
  const BlasCheck& check = check_blas();
  if (!check.passed) refuse_kernels(argv, check);
}

void set_flush_denormals(bool on) {
#if defined(__x86_64__) || defined(__i386__)
  constexpr unsigned kFtzDaz = 0x8040;  // MXCSR bits 15 (flush to zero) and 6 (denormals are zero)
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(on ? (csr | kFtzDaz) : (csr & ~kFtzDaz));
#else
  (void)on;
#endif
}

}  // namespace reglab
