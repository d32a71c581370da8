/// A run's checkpoint file: `<output>.ckpt` (core/state_blob.hpp describes the format and
/// train/trainer.hpp what goes in). A checkpoint from another configuration is refused (it would
/// silently mix two runs); --overwrite discards it.
#pragma once

#include <memory>
#include <string>

#include "framework/core/state_blob.hpp"
#include "framework/experiment/run_config.hpp"
#include "framework/train/trainer.hpp"

namespace reglab::experiment {

class FileCheckpointer : public train::Checkpointer {
 public:
  /// Reads `<plan.output>.ckpt` if it exists (removes it with `overwrite`). Throws StorageError
  /// for a checkpoint of another run id or a damaged file.
  FileCheckpointer(const RunPlan& plan, bool overwrite);
  const StateBlob* resume_state() const override { return blob_.get(); }
  /// Writes the blob with the run id, atomically, creating the output's folder if needed.
  void save(StateBlob& blob) override;
  /// Removes the checkpoint once the results are safely written.
  void finish();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string run_id_;
  std::unique_ptr<StateBlob> blob_;
};

/// Creates the folder of `output` (and its parents) if missing; throws StorageError naming it.
void create_output_directory(const std::string& output);

}  // namespace reglab::experiment
