/// OpenBLAS's own thread count and configuration, recorded in every run's provenance.
///
/// OpenBLAS results differ bitwise between its thread counts, so a run pins it to 1 before
/// training (a run's `threads` are reglab's own pool, core/parallel.hpp, which splits products
/// into single-threaded OpenBLAS calls) and records it with OpenBLAS's build configuration and the
/// OPENBLAS_CORETYPE environment variable.
#pragma once

#include <string>

namespace reglab {

/// Sets the number of threads OpenBLAS uses from now on (>= 1).
void set_blas_threads(int threads);
/// The thread count OpenBLAS reports.
int blas_threads();
/// OpenBLAS's build configuration string and core name, e.g. "OpenBLAS 0.3.21 ... (Haswell)".
std::string blas_config();

}  // namespace reglab

namespace reglab {

/// OpenBLAS 0.3.21 does not recognise some recent x86 processors and falls back to its slow
/// generic (Prescott) kernels. It reads OPENBLAS_CORETYPE only when the library loads, so when the
/// variable is unset and the CPU has AVX2 and FMA, this sets OPENBLAS_CORETYPE=Haswell and
/// re-executes the program (once) with the same arguments. A value set by the user is never
/// changed; REGLAB_KEEP_BLAS_CORE=1 disables the re-execution. The kernel in use is recorded in
/// every run's provenance (`openblas_config`, `openblas_coretype`).
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
