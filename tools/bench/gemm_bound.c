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
 * With THREADS > 1 every entry is timed two ways and the faster median counts, so that the bound
 * holds for either way of using the cores:
 *   openblas  one call per product, OpenBLAS's own THREADS threads;
 *   split     OpenBLAS single-threaded, each product cut into blocks of C fixed by its shape,
 *             which THREADS threads take one after another, as reglab does (framework/core/
 *             gemm.cpp, parallel_scheme v2: column blocks when C has >= 1024 columns, else row
 *             blocks when it has >= 256 rows, else one call; at most 8 blocks of at least 512
 *             columns, a multiple of 16, or 128 rows, a multiple of 8).
 *
 * Build: cc -O2 gemm_bound.c -o gemm_bound -lopenblas -lpthread
 */
#include <cblas.h>
#include <pthread.h>
#include <stdatomic.h>
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

/* ---- split mode: THREADS - 1 spinning workers plus the caller ---- */
#define MAX_THREADS 16
typedef struct {
  int ta, tb, m, n, k;
  const float *a, *b;
  int lda, ldb;
  float beta;
  float* c;
  int ldc;
} Gemm;
static int split_threads = 1; /* > 1: split mode */
static Gemm job;
static atomic_int generation, pending, stop_workers, next_block;

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

/* Block size of reglab's split of `total`: at least `least`, a multiple of `align`, at most 8
 * blocks. */
static int block_size(int total, int least, int align) {
  const int size = ceil_div(ceil_div(total, 8), align) * align;
  return size > least ? size : least;
}

/* The number of blocks of g and, through *by_columns and *size, how they are cut. */
static int block_plan(const Gemm* g, int* by_columns, int* size) {
  *by_columns = g->n >= 1024;
  if (*by_columns) {
    *size = block_size(g->n, 512, 16);
    return ceil_div(g->n, *size);
  }
  if (g->m >= 256) {
    *size = block_size(g->m, 128, 8);
    return ceil_div(g->m, *size);
  }
  *size = g->m;
  return 1;
}

static void gemm_block(const Gemm* g, int index, int by_columns, int size) {
  int m = g->m, n = g->n;
  const float *a = g->a, *b = g->b;
  float* c = g->c;
  const int begin = index * size;
  if (by_columns) {
    n = (begin + size < n ? begin + size : n) - begin;
    b = g->tb ? b + (long)begin * g->ldb : b + begin;
    c += begin;
  } else {
    m = (begin + size < m ? begin + size : m) - begin;
    a = g->ta ? a + begin : a + (long)begin * g->lda;
    c += (long)begin * g->ldc;
  }
  cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
              m, n, g->k, 1.0f, a, g->lda, b, g->ldb, g->beta, c, g->ldc);
}

/* Takes blocks of the current job until none is left. */
static void take_blocks(void) {
  int by_columns, size;
  const int blocks = block_plan(&job, &by_columns, &size);
  for (int i = atomic_fetch_add(&next_block, 1); i < blocks; i = atomic_fetch_add(&next_block, 1)) {
    gemm_block(&job, i, by_columns, size);
  }
}

static void* worker(void* arg) {
  const int index = (int)(long)arg;
  int seen = 0;
  for (;;) {
    int gen;
    while ((gen = atomic_load(&generation)) == seen) {
      if (atomic_load(&stop_workers)) return NULL;
    }
    seen = gen;
    (void)index;
    take_blocks();
    atomic_fetch_sub(&pending, 1);
  }
}

static void gemm(int ta, int tb, int m, int n, int k, const float* a, int lda, const float* b,
                 int ldb, float beta, float* c, int ldc) {
  if (split_threads == 1) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  Gemm g = {ta, tb, m, n, k, a, b, lda, ldb, beta, c, ldc};
  job = g;
  atomic_store(&next_block, 0);
  atomic_store(&pending, split_threads - 1);
  atomic_fetch_add(&generation, 1);
  take_blocks();
  while (atomic_load(&pending) != 0) {
  }
}

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
    gemm(0, 0, m, u, k, act[l], k, w[l], u, 1.0f, act[l + 1], u);
  }
}

static void backward(int m) {
  for (int l = n_layers - 1; l >= 0; --l) {
    const int k = dims[l], u = dims[l + 1];
    gemm(1, 0, k, u, m, act[l], k, grad[l + 1], u, 0.0f, dw[l], u);
    if (l > 0) gemm(0, 1, m, k, u, grad[l + 1], u, w[l], u, 0.0f, grad[l], k);
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

/* Median seconds of one training step (train) or evaluation batch, timed call by call. */
static double time_entry(int batch, int train, double min_seconds, int* timed, double* fastest) {
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
  *timed = n;
  *fastest = calls[0];
  return n % 2 ? calls[n / 2] : 0.5 * (calls[n / 2 - 1] + calls[n / 2]);
}

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
  if (threads < 1 || threads > MAX_THREADS || n_layers < 1) {
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
    int n = 0, n_split = 0;
    double fastest = 0.0, fastest_split = 0.0, split_median = -1.0;
    openblas_set_num_threads(threads);
    split_threads = 1;
    const double blas_median = time_entry(batch, train, min_seconds, &n, &fastest);
    if (threads > 1) {
      /* the workers exist (and spin) only while split mode is timed */
      pthread_t workers[MAX_THREADS];
      openblas_set_num_threads(1);
      split_threads = threads;
      atomic_store(&stop_workers, 0);
      atomic_store(&generation, 0);
      for (int w = 1; w < threads; ++w) pthread_create(&workers[w], NULL, worker, (void*)(long)w);
      split_median = time_entry(batch, train, min_seconds, &n_split, &fastest_split);
      atomic_store(&stop_workers, 1);
      for (int w = 1; w < threads; ++w) pthread_join(workers[w], NULL);
      split_threads = 1;
    }
    const int use_split = split_median > 0.0 && split_median < blas_median;
    char split_text[32] = "null";
    if (split_median > 0.0) snprintf(split_text, sizeof split_text, "%.9g", split_median);
    const double median = use_split ? split_median : blas_median;
    total += median * (double)count;
    printf("%s{\"kind\": \"%s\", \"batch\": %d, \"count\": %ld, \"calls_timed\": %d, "
           "\"median_seconds\": %.9g, \"min_seconds\": %.9g, \"gflops\": %.2f, "
           "\"openblas_median_seconds\": %.9g, \"split_median_seconds\": %s, "
           "\"faster\": \"%s\"}",
           i > 4 ? ", " : "", train ? "train" : "eval", batch, count, use_split ? n_split : n,
           median, use_split ? fastest_split : fastest, flops(batch, train) / median * 1e-9,
           blas_median, split_text, use_split ? "split" : "openblas");
  }
  printf("], \"epoch_seconds\": %.9g}\n", total);
  return 0;
}
