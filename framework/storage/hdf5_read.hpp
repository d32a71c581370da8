/// Reading HDF5 objects with errors that name the object: open a group or dataset of an
/// expected kind, list links and attributes in creation order, read scalar string and integer
/// attributes and floating-point datasets. Used by storage/results_read.cpp.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "framework/storage/hdf5_support.hpp"

namespace reglab::storage::detail {

/// Whether `group` has a link called `name`.
bool link_exists(hid_t group, const std::string& name);

/// Opens `parent`/`name` and checks that it is an object of `type` (H5I_GROUP or H5I_DATASET).
Handle open_object(hid_t parent, const std::string& name, const std::string& path, H5I_type_t type,
                   const Where& where);

/// Link names of `group` in creation order if it was recorded, else in name order.
std::vector<std::string> link_names(hid_t group, const std::string& path, const Where& where);

/// Attribute names of a group in creation order if it was recorded, else in name order.
std::vector<std::string> attribute_names(hid_t group, const std::string& path, const Where& where);

/// Opens attribute `name` of `object` and checks that it holds one value.
Handle open_attribute(hid_t object, const std::string& object_path, const std::string& name,
                      const Where& where);

/// Reads a string attribute (variable- or fixed-length) of a scalar.
std::string read_string_attribute(hid_t object, const std::string& object_path,
                                  const std::string& name, const Where& where);

/// Reads an integer attribute, converted by HDF5 to `memory_type`.
template <typename T>
T read_integer_attribute(hid_t object, const std::string& object_path, const std::string& name,
                         hid_t memory_type, const Where& where) {
  const std::string what = "attribute " + quoted(name) + " of " + object_path;
  Handle attribute = open_attribute(object, object_path, name, where);
  Handle file_type = make(H5Aget_type(attribute.get()), H5Tclose, where, "cannot read " + what);
  if (H5Tget_class(file_type.get()) != H5T_INTEGER) fail(where, what + " is not an integer");
  T value{};
  ok(H5Aread(attribute.get(), memory_type, &value), where, "cannot read " + what);
  return value;
}

/// Reads a floating-point dataset into `out` (converted to `memory_type`); returns its shape.
template <typename T>
std::vector<std::size_t> read_float_dataset(hid_t dataset, const std::string& path,
                                            hid_t memory_type, std::vector<T>& out,
                                            const Where& where) {
  const std::string what = "cannot read dataset " + path;
  Handle type = make(H5Dget_type(dataset), H5Tclose, where, what);
  if (H5Tget_class(type.get()) != H5T_FLOAT) fail(where, path + " is not a floating-point array");
  Handle space = make(H5Dget_space(dataset), H5Sclose, where, what);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail_hdf5(where, what);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) fail_hdf5(where, what);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count < 0) fail_hdf5(where, what);
  out.assign(static_cast<std::size_t>(count), T{});
  if (count > 0) {
    ok(H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), where, what);
  }
  return std::vector<std::size_t>(dims.begin(), dims.end());
}

/// The string attributes of `group` other than `fixed`, in order.
template <std::size_t N>
std::vector<std::pair<std::string, std::string>> further_attributes(hid_t group,
                                                                    const std::string& path,
                                                                    const char* const (&fixed)[N],
                                                                    const Where& where) {
  const std::set<std::string> skip(std::begin(fixed), std::end(fixed));
  std::vector<std::pair<std::string, std::string>> attributes;
  for (const std::string& key : attribute_names(group, path, where)) {
    if (skip.count(key) != 0) continue;
    attributes.emplace_back(key, read_string_attribute(group, path, key, where));
  }
  return attributes;
}

}  // namespace reglab::storage::detail
