/// The HDF5 library version, for provenance.
#pragma once

#include <string>

namespace reglab::storage {

/// e.g. "1.10.8".
std::string hdf5_version();

}  // namespace reglab::storage
