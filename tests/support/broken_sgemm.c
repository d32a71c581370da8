/* A cblas_sgemm that computes wrong products with chosen OpenBLAS kernels, for
 * tests/e2e/test_blas_kernels.sh: loaded with LD_PRELOAD in front of OpenBLAS, it passes every
 * call to the real cblas_sgemm and then, when OPENBLAS_CORETYPE is one of the comma-separated
 * names in REGLAB_TEST_BROKEN_CORES (or that variable is "*"), adds 1 to the first element of C:
 * a kernel that is wrong by order 1, as a miscompiled or misdetected kernel would be. */
#define _GNU_SOURCE
#include <cblas.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

typedef void (*SgemmFunction)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint,
                              blasint, blasint, float, const float*, blasint, const float*, blasint,
                              float, float*, blasint);

static int broken(void) {
  const char* cores = getenv("REGLAB_TEST_BROKEN_CORES");
  const char* core = getenv("OPENBLAS_CORETYPE");
  if (cores == NULL) return 0;
  if (strcmp(cores, "*") == 0) return 1;
  if (core == NULL) return 0;
  const size_t n = strlen(core);
  for (const char* at = strstr(cores, core); at != NULL; at = strstr(at + 1, core)) {
    if ((at == cores || at[-1] == ',') && (at[n] == '\0' || at[n] == ',')) return 1;
  }
  return 0;
}

void cblas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb,
                 blasint m, blasint n, blasint k, float alpha, const float* a, blasint lda,
                 const float* b, blasint ldb, float beta, float* c, blasint ldc) {
  static SgemmFunction real = NULL;
  if (real == NULL) real = (SgemmFunction)dlsym(RTLD_NEXT, "cblas_sgemm");
  real(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (broken() && m > 0 && n > 0) c[0] += 1.0f;
}
