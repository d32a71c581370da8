#include "framework/storage/hdf5_support.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "framework/core/error.hpp"

namespace reglab::storage::detail {

Handle::Handle(Handle&& other) noexcept
    : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = std::exchange(other.id_, H5I_INVALID_HID);
    closer_ = other.closer_;
  }
  return *this;
}

herr_t Handle::close() {
  herr_t status = 0;
  if (id_ >= 0 && closer_ != nullptr) status = closer_(id_);
  id_ = H5I_INVALID_HID;
  return status;
}

void Handle::reset() noexcept {
  if (id_ >= 0 && closer_ != nullptr) closer_(id_);
  id_ = H5I_INVALID_HID;
}

QuietHdf5Errors::QuietHdf5Errors() {
  if (H5Eget_auto2(H5E_DEFAULT, &func_, &data_) < 0) {
    func_ = nullptr;
    data_ = nullptr;
  }
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietHdf5Errors::~QuietHdf5Errors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

namespace {

extern "C" herr_t collect_error(unsigned /*n*/, const H5E_error2_t* err, void* data) {
  try {
    auto* out = static_cast<std::vector<std::string>*>(data);
    std::string desc = err->desc != nullptr ? err->desc : "";
    if (desc.empty()) {
      char buf[256] = {};
      if (H5Eget_msg(err->min_num, nullptr, buf, sizeof buf) > 0) desc = buf;
    }
    if (!desc.empty()) out->push_back(desc);
    return 0;
  } catch (...) {
    return -1;
  }
}

}  // namespace

std::string hdf5_error_text() {
  std::vector<std::string> descs;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &descs);
  H5Eclear2(H5E_DEFAULT);
  if (descs.empty()) return "HDF5 reported no details";
  std::string text = descs.front();
  if (descs.size() > 1 && descs.back() != descs.front()) text += ": " + descs.back();
  return text;
}

void fail(const Where& where, const std::string& what) {
  throw StorageError(where.path + ": " + where.action + ": " + what);
}

void fail_hdf5(const Where& where, const std::string& what) {
  const std::string detail = hdf5_error_text();
  fail(where, what + " (HDF5: " + detail + ")");
}

void fail_errno(const Where& where, const std::string& what, int err) {
  fail(where, what + " (" + std::strerror(err) + ")");
}

Handle make(hid_t id, Handle::Closer closer, const Where& where, const std::string& what) {
  if (id < 0) fail_hdf5(where, what);
  return Handle(id, closer);
}

void ok(herr_t status, const Where& where, const std::string& what) {
  if (status < 0) fail_hdf5(where, what);
}

std::string quoted(const std::string& name) {
  constexpr std::size_t kMax = 80;
  if (name.size() <= kMax) return "'" + name + "'";
  return "'" + name.substr(0, kMax) + "...' (" + std::to_string(name.size()) + " bytes)";
}

Handle vlen_string_type(const Where& where, const std::string& what) {
  Handle type = make(H5Tcopy(H5T_C_S1), H5Tclose, where, what);
  ok(H5Tset_size(type.get(), H5T_VARIABLE), where, what);
  ok(H5Tset_cset(type.get(), H5T_CSET_UTF8), where, what);
  return type;
}

std::string child_path(const std::string& parent, const std::string& name) {
  return parent == "/" ? "/" + name : parent + "/" + name;
}

void publish_bytes(const std::string& path, const char* data, std::size_t size, bool overwrite,
                   const Where& where) {
  publish_file(path, data, size, overwrite, where.action);
}

}  // namespace reglab::storage::detail
