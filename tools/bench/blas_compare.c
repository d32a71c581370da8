/* Single-threaded sgemm speed of one BLAS library on the matrix products of reglab's paper network
 * (784-1024-1024-2048-10), a measurement for docs/performance.md ("Kernels: OpenBLAS cores,
 * BLIS and oneDNN on reglab's shapes"); not used by the suite.
 *
 * The products are those of framework/models/dense.cpp, row-major, for a layer of k inputs and
 * u units at batch m:
 *   fwd  Y  = X W      NN  M=m N=u K=k   beta 1 (the bias is preloaded into Y)   batch 100
 *   dW   dW = X^T dY   TN  M=k N=u K=m   beta 0                                   batch 100
 *   dX   dX = dY W^T   NT  M=m N=k K=u   beta 0, every layer but the first        batch 100
 *   eval Y  = X W      NN  M=m N=u K=k   beta 1                                   batch 1000
 * One library per binary, chosen when compiling (their CBLAS symbols would clash):
 *   -DUSE_OPENBLAS  cblas_sgemm of OpenBLAS; the kernels are OpenBLAS's pick or OPENBLAS_CORETYPE
 *   -DUSE_BLIS      bli_sgemm (BLIS's typed API, row and column strides); add
 *                   -DBLIS_FORCE_ARCH and link libblis.a statically to choose BLIS's kernels
 *                   with the environment variable BLIS_FORCE_ARCH (an arch_t id: 0 skx,
 *                   3 haswell, 6 zen3): this program's bli_cpuid_query_id replaces BLIS's CPU
 *                   detection, since BLIS 0.9.0 maps CPUs it does not know (AMD family 0x1A)
 *                   to its generic kernels and its own BLIS_ARCH_TYPE override aborts
 *   -DUSE_DNNL      dnnl_sgemm (oneDNN's row-major C API)
 * Set the library's threads to 1 in the environment (OPENBLAS_NUM_THREADS, BLIS_NUM_THREADS,
 * OMP_NUM_THREADS); the program also asks OpenBLAS for 1 thread.
 *
 * Timing: per shape, 2 warm-up calls, then REPEATS blocks of calls, each block at least
 * BLOCK_SECONDS long; the fastest block's time per call counts (min of repeats: the machine may
 * be shared). Accuracy: one call with beta 0 on fresh inputs against a double-precision
 * reference on up to 4096 sampled entries of C; the error printed is
 * max |c - ref| / max |ref| over those entries.
 *
 * Usage: blas_compare [REPEATS [BLOCK_SECONDS]]   (default 7 and 0.03)
 * Prints a header line naming the library and kernels, then one line per shape:
 *   NAME M N K GFLOP/s ERROR
 *
 * Build (from the repository root, one binary per library):
 *   cc -O2 -DUSE_OPENBLAS tools/bench/blas_compare.c -o blas_openblas -lopenblas -lm
 *   cc -O2 -DUSE_BLIS -I/usr/include/x86_64-linux-gnu/blis-openmp tools/bench/blas_compare.c \
 *      -o blas_blis -L/usr/lib/x86_64-linux-gnu/blis-openmp -lblis -lm
 *   cc -O2 -DUSE_BLIS -DBLIS_FORCE_ARCH -I/usr/include/x86_64-linux-gnu/blis-openmp \
 *      tools/bench/blas_compare.c -o blas_blis_forced -Wl,--allow-multiple-definition \
 *      /usr/lib/x86_64-linux-gnu/blis-openmp/libblis.a -fopenmp -lm -lpthread
 *   cc -O2 -DUSE_DNNL tools/bench/blas_compare.c -o blas_dnnl -ldnnl -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(USE_OPENBLAS)
#include <cblas.h>
void openblas_set_num_threads(int num_threads);
char* openblas_get_corename(void);
#elif defined(USE_BLIS)
#include <blis.h>
#ifdef BLIS_FORCE_ARCH
/* BLIS's CPU detection, replaced at link time: the arch_t id in BLIS_FORCE_ARCH */
arch_t bli_cpuid_query_id(void);
arch_t bli_cpuid_query_id(void) {
  const char* id = getenv("BLIS_FORCE_ARCH");
  return id != NULL ? (arch_t)atoi(id) : BLIS_ARCH_GENERIC;
}
#endif
#elif defined(USE_DNNL)
#include <oneapi/dnnl/dnnl.h>
#else
#error "define one of USE_OPENBLAS, USE_BLIS, USE_DNNL"
#endif

/* C (m x n, row-major, ldc n) = beta C + op(A) op(B); op(A) is m x k, op(B) k x n */
static void sgemm(int ta, int tb, int m, int n, int k, const float* a, const float* b, float beta,
                  float* c) {
  const int lda = ta ? m : k, ldb = tb ? k : n;
#if defined(USE_OPENBLAS)
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n,
              k, 1.0f, a, lda, b, ldb, beta, c, n);
#elif defined(USE_BLIS)
  float one = 1.0f;
  /* row-major storage: row stride ld, column stride 1, of the stored (untransposed) matrix */
  bli_sgemm(ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, m, n,
            k, &one, (float*)a, lda, 1, (float*)b, ldb, 1, &beta, c, n, 1);
#else
  if (dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, n) !=
      dnnl_success) {
    fprintf(stderr, "blas_compare: dnnl_sgemm failed\n");
    exit(1);
  }
#endif
}

static void describe(void) {
#if defined(USE_OPENBLAS)
  openblas_set_num_threads(1);
  printf("# OpenBLAS, core %s\n", openblas_get_corename());
#elif defined(USE_BLIS)
  printf("# BLIS %s, configuration %s\n", bli_info_get_version_str(),
         bli_arch_string(bli_arch_query_id()));
#else
  const dnnl_version_t* v = dnnl_version();
  printf("# oneDNN %d.%d.%d, effective ISA 0x%x\n", v->major, v->minor, v->patch,
         (unsigned)dnnl_get_effective_cpu_isa());
#endif
}

typedef struct {
  char name[32];
  int ta, tb, m, n, k;
  float beta;
} Shape;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static unsigned rng = 12345u;

static float* filled(size_t count) {
  float* p = malloc(count * sizeof(float));
  if (p == NULL) {
    fprintf(stderr, "blas_compare: out of memory\n");
    exit(2);
  }
  for (size_t i = 0; i < count; ++i) {
    rng = rng * 1664525u + 1013904223u;
    p[i] = (float)((rng >> 8) & 0xffff) / 65536.0f - 0.5f;
  }
  return p;
}

/* max |c - ref| / max |ref| over up to 4096 sampled entries, ref in double */
static double error_of(const Shape* s, const float* a, const float* b, const float* c) {
  const long entries = (long)s->m * s->n, samples = entries < 4096 ? entries : 4096;
  double max_diff = 0.0, max_ref = 0.0;
  for (long e = 0; e < samples; ++e) {
    long at = e;
    if (samples < entries) {
      rng = rng * 1664525u + 1013904223u;
      at = (long)(((unsigned long)rng * (unsigned long)entries) >> 32);
    }
    const int i = (int)(at / s->n), j = (int)(at % s->n);
    double ref = 0.0;
    for (int p = 0; p < s->k; ++p) {
      const double x = s->ta ? a[(long)p * s->m + i] : a[(long)i * s->k + p];
      const double y = s->tb ? b[(long)j * s->k + p] : b[(long)p * s->n + j];
      ref += x * y;
    }
    max_diff = fmax(max_diff, fabs((double)c[at] - ref));
    max_ref = fmax(max_ref, fabs(ref));
  }
  return max_ref > 0.0 ? max_diff / max_ref : max_diff;
}

/* fastest seconds per call over `repeats` blocks of calls, each >= block_seconds */
static double time_shape(const Shape* s, const float* a, const float* b, float* c, int repeats,
                         double block_seconds) {
  for (int w = 0; w < 2; ++w) sgemm(s->ta, s->tb, s->m, s->n, s->k, a, b, s->beta, c);
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    long calls = 0;
    const double t0 = now();
    double elapsed;
    do {
      sgemm(s->ta, s->tb, s->m, s->n, s->k, a, b, s->beta, c);
      ++calls;
    } while ((elapsed = now() - t0) < block_seconds);
    if (elapsed / (double)calls < best) best = elapsed / (double)calls;
  }
  return best;
}

static int shapes_of(Shape* out) {
  static const int dims[] = {784, 1024, 1024, 2048, 10};
  const int layers = 4;
  int n = 0;
  for (int l = 0; l < layers; ++l) {
    const int k = dims[l], u = dims[l + 1];
    out[n] = (Shape){"", 0, 0, 100, u, k, 1.0f};
    snprintf(out[n++].name, 32, "fwd %dx%d", k, u);
  }
  for (int l = 0; l < layers; ++l) {
    const int k = dims[l], u = dims[l + 1];
    out[n] = (Shape){"", 1, 0, k, u, 100, 0.0f};
    snprintf(out[n++].name, 32, "dW %dx%d", k, u);
  }
  for (int l = 1; l < layers; ++l) {
    const int k = dims[l], u = dims[l + 1];
    out[n] = (Shape){"", 0, 1, 100, k, u, 0.0f};
    snprintf(out[n++].name, 32, "dX %dx%d", k, u);
  }
  for (int l = 0; l < layers; ++l) {
    const int k = dims[l], u = dims[l + 1];
    out[n] = (Shape){"", 0, 0, 1000, u, k, 1.0f};
    snprintf(out[n++].name, 32, "eval %dx%d", k, u);
  }
  return n;
}

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? atoi(argv[1]) : 7;
  const double block_seconds = argc > 2 ? atof(argv[2]) : 0.03;
  if (repeats < 1 || !(block_seconds > 0.0)) {
    fprintf(stderr, "usage: blas_compare [REPEATS [BLOCK_SECONDS]]\n");
    return 2;
  }
  describe();
  Shape shapes[16];
  const int count = shapes_of(shapes);
  for (int i = 0; i < count; ++i) {
    const Shape* s = &shapes[i];
    float* a = filled((size_t)s->m * (size_t)s->k);
    float* b = filled((size_t)s->k * (size_t)s->n);
    float* c = filled((size_t)s->m * (size_t)s->n);
    sgemm(s->ta, s->tb, s->m, s->n, s->k, a, b, 0.0f, c);
    const double err = error_of(s, a, b, c);
    const double seconds = time_shape(s, a, b, c, repeats, block_seconds);
    printf("%-16s %5d %5d %5d %8.1f %.2e\n", s->name, s->m, s->n, s->k,
           2.0 * s->m * s->n * s->k / seconds * 1e-9, err);
    fflush(stdout);
    free(a);
    free(b);
    free(c);
  }
  return 0;
}
