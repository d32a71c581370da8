/* fp32 FMA peak of this machine, for tools/bench/suite.py ("% of this machine's peak").
 *
 * Each thread runs a register-resident loop of 12 independent accumulator chains,
 * acc = acc * mul + add, one fused multiply-add per vector register per iteration: 12 chains
 * cover an FMA latency of up to 6 cycles on 2 FMA ports, so the loop is bound by FMA throughput,
 * not latency, and touches no memory. It runs at each vector width the CPU supports, chosen at
 * run time with __builtin_cpu_supports (one binary: the kernels carry target attributes, no -m
 * flag is needed):
 *   avx512  zmm, 16 fp32 lanes (avx512f)
 *   avx2    ymm, 8 fp32 lanes (avx2 + fma)
 * 2 flops per FMA lane. mul and add are read from volatile variables and every accumulator is
 * summed into a volatile sink at the end, so the compiler can neither fold nor drop the loop;
 * mul < 1 keeps the accumulators at a fixed point (no overflow, no denormals).
 *
 * Usage: peak_probe THREADS SECONDS [REPEATS]
 * For each ISA, THREADS pthreads (not pinned) run the loop at once for SECONDS, REPEATS times
 * (default 3); the best repeat counts. Basis: when THREADS <= the online CPUs ("cpu_time"), each
 * thread's rate is its flops over its own CPU time (CLOCK_THREAD_CPUTIME_ID) and the total is
 * their sum, what THREADS cores do when each thread has one, so that other processes on a shared
 * machine, which take wall time but not CPU time from the probe, do not lower the peak; with more
 * threads than CPUs ("wall"), flops of all threads over the repeat's wall time. Prints one JSON
 * object: per ISA the total GFLOP/s on that basis, the wall-time total, and each thread's own
 * GFLOP/s; the basis, the widest ISA, and peak_gflops (the widest ISA's total at THREADS threads;
 * null when the CPU has neither ISA).
 *
 * Build: cc -O2 peak_probe.c -o peak_probe -lpthread
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256
#define BLOCK 100000L /* loop iterations between two clock reads */
#define CHAINS 12

static volatile float mul_value = 0.99999994f;
static volatile float add_value = 1e-7f;
static volatile float sink;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* 12 chains, written out so that each lives in its own register at -O2 */
#define FMA12(fma, x, m, a)   \
  do {                        \
    x##0 = fma(x##0, m, a);   \
    x##1 = fma(x##1, m, a);   \
    x##2 = fma(x##2, m, a);   \
    x##3 = fma(x##3, m, a);   \
    x##4 = fma(x##4, m, a);   \
    x##5 = fma(x##5, m, a);   \
    x##6 = fma(x##6, m, a);   \
    x##7 = fma(x##7, m, a);   \
    x##8 = fma(x##8, m, a);   \
    x##9 = fma(x##9, m, a);   \
    x##10 = fma(x##10, m, a); \
    x##11 = fma(x##11, m, a); \
  } while (0)

#define SUM12(add, x)                                                                    \
  add(add(add(add(x##0, x##1), add(x##2, x##3)), add(add(x##4, x##5), add(x##6, x##7))), \
      add(add(x##8, x##9), add(x##10, x##11)))

/* Runs the loop for at least `seconds`; returns the FMA instructions executed (per chain
 * iteration, one vector FMA). */
__attribute__((target("avx512f"))) static long run_avx512(double seconds) {
  const __m512 m = _mm512_set1_ps(mul_value), a = _mm512_set1_ps(add_value);
  __m512 v0 = _mm512_set1_ps(1.0f), v1 = _mm512_set1_ps(1.01f), v2 = _mm512_set1_ps(1.02f),
         v3 = _mm512_set1_ps(1.03f), v4 = _mm512_set1_ps(1.04f), v5 = _mm512_set1_ps(1.05f),
         v6 = _mm512_set1_ps(1.06f), v7 = _mm512_set1_ps(1.07f), v8 = _mm512_set1_ps(1.08f),
         v9 = _mm512_set1_ps(1.09f), v10 = _mm512_set1_ps(1.10f), v11 = _mm512_set1_ps(1.11f);
  long blocks = 0;
  const double start = now();
  do {
    for (long i = 0; i < BLOCK; ++i) FMA12(_mm512_fmadd_ps, v, m, a);
    ++blocks;
  } while (now() - start < seconds);
  const __m512 total = SUM12(_mm512_add_ps, v);
  sink = _mm512_reduce_add_ps(total);
  return blocks * BLOCK * CHAINS;
}

__attribute__((target("avx2,fma"))) static long run_avx2(double seconds) {
  const __m256 m = _mm256_set1_ps(mul_value), a = _mm256_set1_ps(add_value);
  __m256 v0 = _mm256_set1_ps(1.0f), v1 = _mm256_set1_ps(1.01f), v2 = _mm256_set1_ps(1.02f),
         v3 = _mm256_set1_ps(1.03f), v4 = _mm256_set1_ps(1.04f), v5 = _mm256_set1_ps(1.05f),
         v6 = _mm256_set1_ps(1.06f), v7 = _mm256_set1_ps(1.07f), v8 = _mm256_set1_ps(1.08f),
         v9 = _mm256_set1_ps(1.09f), v10 = _mm256_set1_ps(1.10f), v11 = _mm256_set1_ps(1.11f);
  long blocks = 0;
  const double start = now();
  do {
    for (long i = 0; i < BLOCK; ++i) FMA12(_mm256_fmadd_ps, v, m, a);
    ++blocks;
  } while (now() - start < seconds);
  const __m256 total = SUM12(_mm256_add_ps, v);
  float lanes[8];
  _mm256_storeu_ps(lanes, total);
  float s = 0.0f;
  for (int i = 0; i < 8; ++i) s += lanes[i];
  sink = s;
  return blocks * BLOCK * CHAINS;
}

typedef struct {
  const char* name;
  int lanes; /* fp32 lanes of one vector FMA */
  long (*run)(double);
  int supported;
} Isa;

typedef struct {
  const Isa* isa;
  double seconds;
  pthread_barrier_t* start;
  double flops;
  double wall_seconds, cpu_seconds; /* this thread's own */
} Job;

typedef struct {
  double total;                   /* GFLOP/s of all threads on the chosen basis */
  double wall;                    /* flops of all threads / wall time of the repeat */
  double per_thread[MAX_THREADS]; /* each thread's GFLOP/s on the chosen basis */
} Repeat;

static double thread_cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void* thread_main(void* arg) {
  Job* job = arg;
  pthread_barrier_wait(job->start);
  const double t0 = now(), c0 = thread_cpu_seconds();
  const long fmas = job->isa->run(job->seconds);
  job->cpu_seconds = thread_cpu_seconds() - c0;
  job->wall_seconds = now() - t0;
  job->flops = 2.0 * (double)job->isa->lanes * (double)fmas;
  return NULL;
}

/* One repeat: `threads` threads at once. On the CPU-time basis each thread's rate is its flops
 * over its own CPU time and the total is their sum; on the wall basis, over wall time. */
static Repeat run_threads(const Isa* isa, int threads, double seconds, int cpu_basis) {
  pthread_t ids[MAX_THREADS];
  Job jobs[MAX_THREADS];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
  for (int t = 0; t < threads; ++t) {
    jobs[t] = (Job){isa, seconds, &start, 0.0, 0.0, 0.0};
    if (pthread_create(&ids[t], NULL, thread_main, &jobs[t]) != 0) {
      fprintf(stderr, "peak_probe: cannot start thread %d\n", t);
      exit(2);
    }
  }
  pthread_barrier_wait(&start);
  const double t0 = now();
  Repeat r = {0.0, 0.0, {0.0}};
  double flops = 0.0;
  for (int t = 0; t < threads; ++t) {
    pthread_join(ids[t], NULL);
    flops += jobs[t].flops;
    r.per_thread[t] =
        jobs[t].flops / (cpu_basis ? jobs[t].cpu_seconds : jobs[t].wall_seconds) * 1e-9;
    if (cpu_basis) r.total += r.per_thread[t];
  }
  r.wall = flops / (now() - t0) * 1e-9;
  if (!cpu_basis) r.total = r.wall;
  pthread_barrier_destroy(&start);
  return r;
}

/* Measures one ISA, best of `repeats`, prints its JSON member; returns its total GFLOP/s. */
static double print_isa(const Isa* isa, int threads, double seconds, int repeats, int cpu_basis) {
  Repeat best = {-1.0, 0.0, {0.0}};
  for (int r = 0; r < repeats; ++r) {
    const Repeat this = run_threads(isa, threads, seconds, cpu_basis);
    if (this.total > best.total) best = this;
  }
  printf(
      "\"%s\": {\"lanes\": %d, \"gflops\": %.2f, \"gflops_wall\": %.2f, "
      "\"gflops_per_thread\": [",
      isa->name, isa->lanes, best.total, best.wall);
  for (int t = 0; t < threads; ++t) printf("%s%.2f", t ? ", " : "", best.per_thread[t]);
  printf("]}");
  fflush(stdout);
  return best.total;
}

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: peak_probe THREADS SECONDS [REPEATS]\n");
    return 2;
  }
  const int threads = atoi(argv[1]), repeats = argc == 4 ? atoi(argv[3]) : 3;
  const double seconds = atof(argv[2]);
  if (threads < 1 || threads > MAX_THREADS || !(seconds > 0.0) || repeats < 1) {
    fprintf(stderr, "peak_probe: need 1 <= THREADS <= %d, SECONDS > 0, REPEATS >= 1\n",
            MAX_THREADS);
    return 2;
  }
  __builtin_cpu_init();
  const Isa isas[] = {
      {"avx512", 16, run_avx512, __builtin_cpu_supports("avx512f")},
      {"avx2", 8, run_avx2, __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")},
  };
  const int n_isas = (int)(sizeof isas / sizeof isas[0]);
  /* CPU time measures the cores themselves, whatever else runs on the machine, as long as each
   * thread can have a core of its own */
  const int cpu_basis = threads <= sysconf(_SC_NPROCESSORS_ONLN);
  const Isa* widest = NULL;
  double peak = 0.0;
  printf("{\"threads\": %d, \"seconds\": %g, \"repeats\": %d, \"basis\": \"%s\", \"isas\": {",
         threads, seconds, repeats, cpu_basis ? "cpu_time" : "wall");
  for (int i = 0, printed = 0; i < n_isas; ++i) {
    if (!isas[i].supported) continue;
    if (printed++) printf(", ");
    const double gflops = print_isa(&isas[i], threads, seconds, repeats, cpu_basis);
    if (widest == NULL) { /* isas[] is ordered widest first */
      widest = &isas[i];
      peak = gflops;
    }
  }
  printf("}, \"widest_isa\": ");
  if (widest == NULL) {
    printf("null, \"peak_gflops\": null}\n");
    return 0;
  }
  printf("\"%s\", \"peak_gflops\": %.2f}\n", widest->name, peak);
  return 0;
}
