/// Reading helpers for HDF5 objects (storage/hdf5_read.hpp).
#include "framework/storage/hdf5_read.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace reglab::storage::detail {
namespace {

/// The index to iterate a group by: creation order if `order_flags` say it was tracked, else
/// name order.
H5_index_t iteration_index(unsigned order_flags) {
  return (order_flags & H5P_CRT_ORDER_TRACKED) != 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
}

/// The name of link `i` of `group` in `index` order.
std::string link_name(hid_t group, H5_index_t index, hsize_t i, const Where& where,
                      const std::string& what) {
  const ssize_t size =
      H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
  if (size < 0) fail_hdf5(where, what);
  std::string name(static_cast<std::size_t>(size) + 1, '\0');
  if (H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) <
      0) {
    fail_hdf5(where, what);
  }
  name.resize(static_cast<std::size_t>(size));
  return name;
}

extern "C" herr_t collect_attribute(hid_t /*location*/, const char* name,
                                    const H5A_info_t* /*info*/, void* data) {
  try {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  } catch (...) {
    return -1;
  }
}

/// Reads a fixed-length string attribute (not written by reglab, but accepted) and strips its
/// padding.
std::string read_fixed_string(hid_t attribute, hid_t file_type, hid_t memory_type,
                              const Where& where, const std::string& what) {
  const std::size_t size = H5Tget_size(file_type);
  std::string value(size, '\0');
  if (size > 0) ok(H5Aread(attribute, memory_type, value.data()), where, "cannot read " + what);
  if (H5Tget_strpad(file_type) == H5T_STR_SPACEPAD) {
    const std::size_t end = value.find_last_not_of(' ');
    value.resize(end == std::string::npos ? 0 : end + 1);
  } else {
    value.resize(std::min(value.size(), value.find('\0')));
  }
  return value;
}

}  // namespace

/// Whether `group` has a link called `name`.
bool link_exists(hid_t group, const std::string& name) {
  return H5Lexists(group, name.c_str(), H5P_DEFAULT) > 0;
}

/// Opens `parent`/`name` and checks that it is an object of `type` (H5I_GROUP or H5I_DATASET).
Handle open_object(hid_t parent, const std::string& name, const std::string& path, H5I_type_t type,
                   const Where& where) {
  const char* kind = type == H5I_GROUP ? "group" : "dataset";
  if (!link_exists(parent, name)) fail(where, std::string("missing ") + kind + " " + path);
  Handle object =
      make(H5Oopen(parent, name.c_str(), H5P_DEFAULT), H5Oclose, where, "cannot open " + path);
  if (H5Iget_type(object.get()) != type) fail(where, path + " is not a " + kind);
  return object;
}

/// Link names of `group` in creation order if it was recorded, else in name order.
std::vector<std::string> link_names(hid_t group, const std::string& path, const Where& where) {
  const std::string what = "cannot list " + path;
  Handle gcpl = make(H5Gget_create_plist(group), H5Pclose, where, what);
  unsigned flags = 0;
  ok(H5Pget_link_creation_order(gcpl.get(), &flags), where, what);
  const H5_index_t index = iteration_index(flags);
  H5G_info_t info{};
  ok(H5Gget_info(group, &info), where, what);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i)
    names.push_back(link_name(group, index, i, where, what));
  return names;
}

/// Attribute names of a group in creation order if it was recorded, else in name order.
std::vector<std::string> attribute_names(hid_t group, const std::string& path, const Where& where) {
  const std::string what = "cannot list the attributes of " + path;
  Handle gcpl = make(H5Gget_create_plist(group), H5Pclose, where, what);
  unsigned flags = 0;
  ok(H5Pget_attr_creation_order(gcpl.get(), &flags), where, what);
  std::vector<std::string> names;
  hsize_t position = 0;
  ok(H5Aiterate2(group, iteration_index(flags), H5_ITER_INC, &position, collect_attribute, &names),
     where, what);
  return names;
}

/// Opens attribute `name` of `object` and checks that it holds one value.
Handle open_attribute(hid_t object, const std::string& object_path, const std::string& name,
                      const Where& where) {
  const std::string what = "attribute " + quoted(name) + " of " + object_path;
  const htri_t exists = H5Aexists(object, name.c_str());
  if (exists < 0) fail_hdf5(where, "cannot look up " + what);
  if (exists == 0) fail(where, "missing " + what);
  Handle attribute =
      make(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose, where, "cannot open " + what);
  Handle space = make(H5Aget_space(attribute.get()), H5Sclose, where, "cannot read " + what);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) fail(where, what + " is not a scalar");
  return attribute;
}

/// Reads a string attribute (variable- or fixed-length) of a scalar.
std::string read_string_attribute(hid_t object, const std::string& object_path,
                                  const std::string& name, const Where& where) {
  const std::string what = "attribute " + quoted(name) + " of " + object_path;
  Handle attribute = open_attribute(object, object_path, name, where);
  Handle file_type = make(H5Aget_type(attribute.get()), H5Tclose, where, "cannot read " + what);
  if (H5Tget_class(file_type.get()) != H5T_STRING) fail(where, what + " is not a string");
  Handle memory_type = make(H5Tcopy(file_type.get()), H5Tclose, where, "cannot read " + what);
  const htri_t variable = H5Tis_variable_str(file_type.get());
  if (variable < 0) fail_hdf5(where, "cannot read " + what);
  if (variable == 0) {
    return read_fixed_string(attribute.get(), file_type.get(), memory_type.get(), where, what);
  }
  char* text = nullptr;
  ok(H5Aread(attribute.get(), memory_type.get(), &text), where, "cannot read " + what);
  std::string value = text != nullptr ? text : "";
  H5free_memory(text);
  return value;
}

}  // namespace reglab::storage::detail
