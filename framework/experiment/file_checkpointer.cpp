#include "framework/experiment/file_checkpointer.hpp"

#include <filesystem>

#include "framework/core/error.hpp"

namespace reglab::experiment {

FileCheckpointer::FileCheckpointer(const RunPlan& plan, bool overwrite)
    : path_(plan.output + ".ckpt"), run_id_(plan.run_id) {
  if (!std::filesystem::exists(path_)) return;
  if (overwrite) {
    std::filesystem::remove(path_);
    return;
  }
  blob_ = std::make_unique<StateBlob>(StateBlob::read_file(path_));
  const std::string id = blob_->has("run/id") ? blob_->get_string("run/id") : "?";
  if (id != run_id_) {
    throw StorageError(path_ + ": checkpoint of another configuration (run id " + id +
                       ", this configuration is " + run_id_ +
                       "); rerun with --overwrite to discard it, or restore the configuration "
                       "it was made with");
  }
}

void FileCheckpointer::save(StateBlob& blob) {
  blob.put_string("run/id", run_id_);
  create_output_directory(path_);
  blob.write_file(path_);
}

void FileCheckpointer::finish() {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

void create_output_directory(const std::string& output) {
  namespace fs = std::filesystem;
  const fs::path out(output);
  if (!out.has_parent_path()) return;
  std::error_code ec;
  fs::create_directories(out.parent_path(), ec);
  if (ec)
    throw StorageError(output + ": cannot create " + out.parent_path().string() + ": " +
                       ec.message());
}

}  // namespace reglab::experiment
