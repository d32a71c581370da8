/// Facts about this build, recorded in every run's provenance because each can change results.
#pragma once

#include <string>

namespace reglab {

/// e.g. "0.1.0".
const char* reglab_version();
/// The source commit at build time, with "-dirty" if the tree had uncommitted changes.
const char* git_commit();
/// Compiler id and version, e.g. "GNU 12.2.0".
const char* compiler();
/// Build type and the C++ flags used, including architecture flags.
const char* cxx_flags();
/// Versions of the libraries linked: xtensor, yaml-cpp, Boost (HDF5 is reported by storage/).
std::string library_versions();

}  // namespace reglab
