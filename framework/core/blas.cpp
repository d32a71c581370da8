#include "framework/core/blas.hpp"

#include <unistd.h>

#include <cstdlib>

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

void pin_blas_core(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  if (std::getenv("REGLAB_KEEP_BLAS_CORE") != nullptr) return;
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return;
  setenv("OPENBLAS_CORETYPE", "Haswell", 1);
  setenv("REGLAB_KEEP_BLAS_CORE", "1", 1);  // never loop
  execv("/proc/self/exe", argv);
  // execv failed: continue with the kernels OpenBLAS chose.
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
