/// OpenBLAS: its thread count, the kernels it runs, and the check that they compute correctly.
///
/// OpenBLAS results differ bitwise between its thread counts, so a run pins it to 1 before
/// training (a run's `threads` are reglab's own pool, core/parallel.hpp, which splits products
/// into single-threaded OpenBLAS calls) and records it with OpenBLAS's build configuration, the
/// kernels (core) it runs, their check and their fingerprint.
#pragma once

#include <string>

namespace reglab {

/// Sets the number of threads OpenBLAS uses from now on (>= 1).
void set_blas_threads(int threads);
/// The thread count OpenBLAS reports.
int blas_threads();
/// OpenBLAS's build configuration string and core name, e.g. "OpenBLAS 0.3.21 ... core=SkylakeX".
std::string blas_config();
/// The name of the kernel set (core) OpenBLAS runs, as it reports it, e.g. "SkylakeX".
std::string blas_core();

/// The OpenBLAS core reglab asks for on this CPU when OPENBLAS_CORETYPE is unset: "SkylakeX"
/// with AVX-512 F, BW, VL, DQ and CD; else "Haswell" with AVX2 and FMA; else "" (OpenBLAS's
/// own detection). One name for every AVX-512 CPU, so that Intel (Skylake to Sapphire Rapids)
/// and AMD (Zen 4, Zen 5) machines run the same arithmetic and give the same bits (OpenBLAS
/// 0.3.21's own choice on an AVX-512 Zen 5, "Cooperlake", is as fast as SkylakeX but rounds
/// some products differently; docs/performance.md, "OpenBLAS kernels").
std::string preferred_blas_core();

/// The result of checking the loaded kernels once per process (check_blas).
struct BlasCheck {
  /// Worst |c - c_ref| / (|alpha| sum_p |a_ip b_pj| + |beta c0_ij|) over four products of fixed
  /// pseudo-random inputs (every transpose combination, alpha 0.75, beta 0.5, sizes that are not
  /// multiples of any vector width), against a double-precision reference.
  double max_relative_error = 0.0;
  /// max_relative_error <= kBlasCheckTolerance.
  bool passed = false;
  /// The first 16 hex digits of SHA-256 of the bits those products and two larger ones
  /// (128 x 512 x 256, and 64 x 256 x 1000 with B transposed) gave. Different fingerprints mean
  /// different arithmetic; equal ones the same arithmetic on these shapes, whatever the cores
  /// are called (on OpenBLAS 0.3.21 and an AVX-512 CPU "Zen" runs Haswell's arithmetic, and
  /// "Cooperlake" differs from "SkylakeX" only where k is long).
  std::string fingerprint;
};

/// Tolerance of the check: a correct fp32 product errs by about 1e-7 relative to the sum of
/// the magnitudes of its terms, a wrong kernel by order 1.
inline constexpr double kBlasCheckTolerance = 1e-4;

/// Runs the check the first time it is called (OpenBLAS single-threaded, about 2 ms) and
/// returns the same result afterwards.
const BlasCheck& check_blas();

/// Chooses and checks OpenBLAS's kernels; called first thing in main.
///
/// OpenBLAS reads OPENBLAS_CORETYPE only when the library loads. When the variable is unset and
/// preferred_blas_core() names a core, this sets it and re-executes the program (once) with the
/// same arguments; REGLAB_KEEP_BLAS_CORE=1 keeps OpenBLAS's own choice, and a value set by the
/// user is never changed. Then it checks the kernels (check_blas). Kernels that fail are refused:
/// reglab says so on stderr, records "CORE: error E" in REGLAB_BLAS_REFUSED (provenance
/// `blas_refused`) and re-executes with the next core that can run here (Haswell, then
/// Prescott, OpenBLAS's generic x86-64 kernels). If every core fails it exits with status 1.
void pin_blas_core(char** argv);

}  // namespace reglab

namespace reglab {

/// Sets (or clears) flush-to-zero and denormals-are-zero for SSE/AVX arithmetic on the calling
/// thread. Training sets it: Adam's second moments and momentum buffers of weights whose gradient
/// is always zero (e.g. Fashion-MNIST's border pixels) decay geometrically into the denormal
/// range, where x86 arithmetic is up to 100 times slower. The setting is deterministic and
/// recorded in provenance (`flush_denormals`). No effect on other architectures.
void set_flush_denormals(bool on);

}  // namespace reglab
