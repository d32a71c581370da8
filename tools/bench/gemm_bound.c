/* GEMM-only lower bound of an MLP epoch, for tools/bench/suite.py.
 *
 * Times, with the OpenBLAS that reglab and PyTorch load (cblas_sgemm, row-major, the transpose
 * flags of framework/models/dense.cpp), the matrix products one MLP training step and one
 * evaluation batch cannot avoid, for a layer of `k` inputs and `u` units at batch `m`:
 *   forward   Y  = X W        (m x k) (k x u)   every layer
 *   backward  dW = X^T dY     (k x m) (m x u)   every layer
 *             dX = dY W^T     (m x u) (u x k)   every layer but the first (the input needs no
 *                                               gradient)
 * A training step is all forwards then the backwards from the last layer to the first; an
 * evaluation batch is the forwards only. Everything else (bias, activation, dropout, loss,
 * optimizer update) is left out, so the sum over an epoch bounds its time from below.
 *
 * Usage: gemm_bound THREADS MIN_SECONDS DIMS ENTRY...
 *   DIMS   layer widths, comma-separated, input first: 784,1024,1024,2048,10
 *   ENTRY  KIND:BATCH:COUNT with KIND t (training step) or e (evaluation batch), e.g. t:100:600
 * Each entry is timed call by call for at least MIN_SECONDS and 5 calls after 2 warm-up calls;
 * the median call time times COUNT is its share of the epoch. Prints one JSON object.
 *
 * Build: cc -O2 gemm_bound.c -o gemm_bound -lopenblas
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char* openblas_get_corename(void);

#define MAX_LAYERS 32
#define MAX_CALLS 100000

static int dims[MAX_LAYERS + 1];
static int n_layers;
static float* w[MAX_LAYERS];  /* kernels, k x u */
static float* dw[MAX_LAYERS]; /* kernel gradients */
static float* act[MAX_LAYERS + 1]; /* act[l]: input of layer l (m x dims[l]); act[n]: logits */
static float* grad[MAX_LAYERS + 1]; /* gradient with respect to act[l] */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float* alloc_filled(size_t count, unsigned* state) {
  float* p = malloc(count * sizeof(float));
  if (p == NULL) {
    fprintf(stderr, "gemm_bound: out of memory\n");
    exit(2);
  }
  for (size_t i = 0; i < count; ++i) {
    *state = *state * 1664525u + 1013904223u;
    p[i] = (float)((*state >> 8) & 0xffff) / 65536.0f - 0.5f;
  }
  return p;
}

static void forward(int m) {
  for (int l = 0; l < n_layers; ++l) {
    const int k = dims[l], u = dims[l + 1];
    /* beta = 1 as in Dense::forward, which preloads the bias into Y */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, u, k, 1.0f, act[l], k, w[l], u,
                1.0f, act[l + 1], u);
  }
}

static void backward(int m) {
  for (int l = n_layers - 1; l >= 0; --l) {
    const int k = dims[l], u = dims[l + 1];
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, u, m, 1.0f, act[l], k, grad[l + 1], u,
                0.0f, dw[l], u);
    if (l > 0) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, k, u, 1.0f, grad[l + 1], u, w[l], u,
                  0.0f, grad[l], k);
    }
  }
}

static double flops(int m, int train) {
  double f = 0.0;
  for (int l = 0; l < n_layers; ++l) {
    const double mk = 2.0 * m * dims[l] * dims[l + 1];
    f += mk;
    if (train) f += l > 0 ? 2.0 * mk : mk;
  }
  return f;
}

static int cmp_double(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static double calls[MAX_CALLS];

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: gemm_bound THREADS MIN_SECONDS DIMS KIND:BATCH:COUNT...\n");
    return 2;
  }
  const int threads = atoi(argv[1]);
  const double min_seconds = atof(argv[2]);
  for (char* tok = strtok(argv[3], ","); tok != NULL; tok = strtok(NULL, ",")) {
    if (n_layers > MAX_LAYERS) {
      fprintf(stderr, "gemm_bound: too many layers\n");
      return 2;
    }
    dims[n_layers++] = atoi(tok);
  }
  --n_layers; /* widths -> layers */
  if (threads < 1 || n_layers < 1) {
    fprintf(stderr, "gemm_bound: need THREADS >= 1 and at least two widths\n");
    return 2;
  }
  openblas_set_num_threads(threads);

  int max_batch = 1;
  for (int i = 4; i < argc; ++i) {
    char kind;
    int batch;
    long count;
    if (sscanf(argv[i], "%c:%d:%ld", &kind, &batch, &count) != 3 || batch < 1 || count < 0 ||
        (kind != 't' && kind != 'e')) {
      fprintf(stderr, "gemm_bound: bad entry '%s'\n", argv[i]);
      return 2;
    }
    if (batch > max_batch) max_batch = batch;
  }
  unsigned state = 12345u;
  for (int l = 0; l <= n_layers; ++l) {
    act[l] = alloc_filled((size_t)max_batch * (size_t)dims[l], &state);
    grad[l] = alloc_filled((size_t)max_batch * (size_t)dims[l], &state);
    if (l < n_layers) {
      w[l] = alloc_filled((size_t)dims[l] * (size_t)dims[l + 1], &state);
      dw[l] = alloc_filled((size_t)dims[l] * (size_t)dims[l + 1], &state);
    }
  }

  printf("{\"threads\": %d, \"openblas_threads\": %d, \"openblas_core\": \"%s\", \"entries\": [",
         threads, openblas_get_num_threads(), openblas_get_corename());
  double total = 0.0;
  for (int i = 4; i < argc; ++i) {
    char kind;
    int batch;
    long count;
    sscanf(argv[i], "%c:%d:%ld", &kind, &batch, &count);
    const int train = kind == 't';
    for (int warm = 0; warm < 2; ++warm) {
      forward(batch);
      if (train) backward(batch);
    }
    int n = 0;
    const double start = now();
    while (n < MAX_CALLS && (n < 5 || now() - start < min_seconds)) {
      const double t0 = now();
      forward(batch);
      if (train) backward(batch);
      calls[n++] = now() - t0;
    }
    qsort(calls, (size_t)n, sizeof(double), cmp_double);
    const double median = n % 2 ? calls[n / 2] : 0.5 * (calls[n / 2 - 1] + calls[n / 2]);
    total += median * (double)count;
    printf("%s{\"kind\": \"%s\", \"batch\": %d, \"count\": %ld, \"calls_timed\": %d, "
           "\"median_seconds\": %.9g, \"min_seconds\": %.9g, \"gflops\": %.2f}",
           i > 4 ? ", " : "", train ? "train" : "eval", batch, count, n, median, calls[0],
           flops(batch, train) / median * 1e-9);
  }
  printf("], \"epoch_seconds\": %.9g}\n", total);
  return 0;
}
