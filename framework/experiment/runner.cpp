#include "framework/experiment/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>

#include "framework/core/blas.hpp"
#include "framework/core/build_info.hpp"
#include "framework/core/clock.hpp"
#include "framework/core/error.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/state_blob.hpp"
#include "framework/data/augment.hpp"
#include "framework/data/dataset.hpp"
#include "framework/data/randomize.hpp"
#include "framework/experiment/file_checkpointer.hpp"
#include "framework/experiment/provenance.hpp"
#include "framework/experiment/run_config.hpp"
#include "framework/experiment/sweep.hpp"
#include "framework/experiment/sweep_runner.hpp"
#include "framework/plugin/api.hpp"
#include "framework/storage/results.hpp"
#include "framework/storage/version.hpp"
#include "framework/train/progress.hpp"
#include "framework/train/train_state.hpp"
#include "framework/train/trainer.hpp"

namespace reglab::experiment {

namespace {

std::vector<storage::WeightTensor> collect_weights(const models::Network& net) {
  std::vector<storage::WeightTensor> out;
  for (models::Layer* layer : net.layers()) {
    for (models::Param* p : layer->params()) {
      out.push_back(
          {layer->name(), p->name, p->shape, std::vector<float>(p->value.begin(), p->value.end())});
    }
    for (const auto& s : layer->state()) {
      out.push_back(
          {layer->name(), s.name, s.shape, std::vector<float>(s.value->begin(), s.value->end())});
    }
  }
  return out;
}

void check_output(const RunPlan& plan, bool overwrite) {
  namespace fs = std::filesystem;
  const fs::path out(plan.output);
  if (fs::exists(out) && !overwrite) {
    throw StorageError(plan.output +
                       " exists; refusing to overwrite a finished result (pass "
                       "--overwrite, or change 'output')");
  }
  // The nearest existing ancestor must be writable; missing folders are created only when the
  // results are written, so a run that fails earlier leaves nothing behind.
  fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  while (!fs::exists(dir)) {
    if (!dir.has_parent_path() || dir == dir.parent_path()) {
      dir = dir.is_absolute() ? dir.root_path() : fs::path(".");
      break;
    }
    dir = dir.parent_path();
  }
  if (!fs::is_directory(dir) || access(dir.c_str(), W_OK) != 0) {
    throw StorageError(plan.output + ": " + dir.string() + " is not a writable directory");
  }
}

/// "crop_padding 4, flip; per-channel standardization, mean [...], sd [...]" or "none".
std::string describe_input(const train::InputPipeline& input) {
  std::string out;
  if (input.augment.active()) {
    out = "augment: crop_padding " + std::to_string(input.augment.crop_padding) +
          (input.augment.flip ? ", flip" : "") + " (stream augment)";
  }
  if (input.standardize) {
    auto list = [](const std::vector<double>& v) {
      std::string s = "[";
      for (std::size_t i = 0; i < v.size(); ++i) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s%.9g", i > 0 ? ", " : "", v[i]);
        s += buf;
      }
      return s + "]";
    };
    out += std::string(out.empty() ? "" : "; ") + "standardize per_channel: mean " +
           list(input.standardize->mean) + ", sd " + list(input.standardize->sd);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

data::Source DataCache::load(const std::string& key, const data::DataLoader& loader) {
  if (source_ == nullptr || key != key_) {
    source_.reset();
    source_ = std::make_unique<data::Source>(loader());
    key_ = key;
  }
  return *source_;
}

int run_one(const ConfigNode& root, const plugin::Registries& registries, bool overwrite,
            bool quiet, DataCache* cache) {
  RunPlan plan = plan_run(root, registries);
  check_output(plan, overwrite);
  const std::string start = utc_now();

  data::Source source =
      cache != nullptr
          ? cache->load(root.child("data").to_flow_yaml() + registries.identity(), plan.load_data)
          : plan.load_data();
  data::randomize(source, plan.randomize, plan.seed);
  const data::Splits splits =
      data::make_splits(source, plan.train_size, plan.validation_size, plan.seed);
  plan.train.input = input_pipeline(plan, source, splits);
  const std::unique_ptr<models::Network> network = build_network(plan, source);
  models::Network& net = *network;
  std::string reg_desc;
  for (const auto& r : plan.regularizers)
    reg_desc += (reg_desc.empty() ? "" : "; ") + r->describe();
  // OpenBLAS stays single-threaded; products and loops are split over the run's own threads.
  set_blas_threads(1);
  parallel::set_threads(plan.threads);

  // The checkpoint is read before anything is printed, and the header is one write: whoever
  // reads the log sees the run line and, if it resumes, the "resuming" line together.
  FileCheckpointer checkpointer(plan, overwrite);
  std::string header;
  if (!quiet) {
    header = "reglab: run '" + plan.name + "' (id " + plan.run_id + "), " + source.description +
             "; train " + std::to_string(splits.train.size()) + ", validation " +
             std::to_string(splits.validation.size()) + ", test " +
             std::to_string(splits.test.size()) + "\n";
    header += net.describe();
    header += "optimizer " + plan.optimizer->describe() + ", schedule " +
              plan.schedule->describe() +
              ", regularizers: " + (reg_desc.empty() ? std::string("none") : reg_desc) +
              ", threads " + std::to_string(plan.threads) + "\n";
  }
  if (checkpointer.resume_state() != nullptr) {
    header += "reglab: run '" + plan.name + "': resuming from its checkpoint " +
              checkpointer.path() + " after epoch " +
              std::to_string(checkpointer.resume_state()->get_u64(train::state_keys::kEpochsDone)) +
              "\n";
  }
  std::fputs(header.c_str(), stderr);
  train::ConsoleProgress progress(plan.name, plan.train.epochs,
                                  train::ConsoleProgress::is_terminal(stderr));
  train::TrainResult result =
      train::train(net, *plan.optimizer, *plan.schedule, plan.regularizers, splits, plan.train,
                   plan.seed, quiet ? nullptr : &progress, &checkpointer);

  storage::RunRecord run;
  run.run_id = plan.run_id;
  run.name = plan.name;
  run.config_yaml = plan.config_yaml;
  run.seed = plan.seed;
  run.status = result.status;
  run.attributes = environment_provenance();
  std::string data_hashes;
  for (const auto& f : source.files) data_hashes += f.path + " " + f.sha256 + "\n";
  run.attributes.insert(
      run.attributes.end(),
      {{"dataset", source.description},
       {"data_sha256", data_hashes},
       {"split_sizes", std::to_string(splits.train.size()) + " train, " +
                           std::to_string(splits.validation.size()) + " validation, " +
                           std::to_string(splits.test.size()) + " test"},
       {"network", net.describe()},
       {"model", net.model_json()},
       {"input_pipeline", describe_input(plan.train.input)},
       {"optimizer", plan.optimizer->describe()},
       {"schedule", plan.schedule->describe()},
       {"regularizers", reg_desc},
       {"plugins", registries.provenance()},
       {"plugin_abi_version", std::to_string(plugin::kAbiVersion)},
       {"status_message", result.message},
       {"resumed_from_epoch", std::to_string(result.resumed_from_epoch)},
       {"early_stopping_best_epoch", std::to_string(result.best_epoch)},
       {"early_stopping_stopped_epoch", std::to_string(result.stopped_epoch)},
       {"start_utc", start},
       {"end_utc", utc_now()}});
  run.curves = std::move(result.curves);
  run.step_curves = std::move(result.step_curves);
  run.weights = collect_weights(net);

  storage::ResultsFile file;
  file.reglab_version = reglab_version();
  file.created_utc = utc_now();
  file.config_yaml = plan.config_yaml;
  file.runs.push_back(std::move(run));
  create_output_directory(plan.output);
  storage::write_results(plan.output, file, overwrite);
  checkpointer.finish();

  const auto& curves = file.runs.front().curves;
  double test_acc = 0.0, seconds = 0.0, gflop = 0.0;
  for (const auto& [name, values] : curves) {
    if (name == "test_accuracy" && !values.empty()) test_acc = values.back();
    if (name == "seconds") {
      for (double s : values) seconds += s;
    }
    if (name == "gflop") {
      for (double g : values) gflop += g;
    }
  }
  std::printf(
      "%s: status %s, final test accuracy %.4f, %.1f s training (%.1f GFLOP/s in products); "
      "wrote %s (/runs/%s)\n",
      plan.name.c_str(), result.status.c_str(), test_acc, seconds,
      seconds > 0.0 ? gflop / seconds : 0.0, plan.output.c_str(), plan.run_id.c_str());
  if (result.status != "complete") {
    std::fprintf(stderr, "reglab: run diverged: %s\n", result.message.c_str());
    return code(Exit::kDiverged);
  }
  return 0;
}

int run_config(const RunOptions& options) {
  const Sweep sweep = expand_sweep(options.config_path, options.overrides, options.plugins);
  if (!options.cell.empty()) {
    const Cell* cell = nullptr;
    for (const auto& c : sweep.cells) {
      if (c.id == options.cell) cell = &c;
    }
    if (cell == nullptr) {
      throw UsageError("--cell " + options.cell + ": no such cell in " + options.config_path +
                       " (" + std::to_string(sweep.cells.size()) + " cells; 'reglab status " +
                       options.config_path + "' lists them)");
    }
    if (std::filesystem::exists(cell->output)) {
      std::printf("%s: cell %s (%s) is already complete: %s\n", sweep.name.c_str(),
                  cell->id.c_str(), cell->name.c_str(), cell->output.c_str());
      return 0;
    }
    // A failing cell leaves <cell_dir>/<id>.failed with its error, for the merge step (local or
    // on a cluster) to report; a successful rerun removes it.
    const std::string failed = sweep.cell_dir + "/" + cell->id + ".failed";
    try {
      const int code = run_one(cell_config(options.config_path, options.overrides, *cell),
                               sweep.registries, false, options.quiet);
      std::filesystem::remove(failed);
      return code;
    } catch (const std::exception& e) {
      std::error_code ec;
      std::filesystem::create_directories(sweep.cell_dir, ec);
      std::ofstream(failed) << e.what() << "\n";
      throw;
    }
  }
  if (!sweep.is_grid) {
    return run_one(cell_config(options.config_path, options.overrides, sweep.cells.front()),
                   sweep.registries, options.overwrite, options.quiet);
  }
  return run_sweep(sweep, options);
}

}  // namespace reglab::experiment
