/// Planning a Slurm submission of a sweep (experiment/slurm_plan.hpp).
#include "framework/experiment/slurm_plan.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>
#include <sstream>

#include "framework/experiment/config_names.hpp"

namespace reglab::experiment {
namespace {

/// The latest task of `history[id]` that is still in `queued`, or "".
std::string queued_task(const TaskHistory& history, const std::string& id,
                        const std::set<std::string>& queued) {
  std::string in_queue;
  const auto it = history.find(id);
  if (it == history.end()) return in_queue;
  for (const auto& t : it->second) {
    if (queued.count(t) != 0U) in_queue = t;
  }
  return in_queue;
}

/// The cell's `threads` setting, or 0 if it has none that reads as a number.
long cell_threads(const Cell& cell) {
  const ConfigNode threads = ConfigNode::parse(cell.config_yaml, cell.output).child("threads");
  if (!threads.defined() || !threads.is_scalar()) return 0;
  try {
    return std::stol(threads.scalar());
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

long parse_max_array_size(const std::string& scontrol_output) {
  std::istringstream lines(scontrol_output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string key, eq, value;
    if (!(words >> key >> eq >> value) || key != "MaxArraySize" || eq != "=") continue;
    try {
      std::size_t used = 0;
      const long n = std::stol(value, &used);
      return used == value.size() && n > 0 ? n : 0;
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 0;
}

std::vector<std::vector<std::string>> group_cells(const std::vector<std::string>& ids,
                                                  std::size_t per_task) {
  std::vector<std::vector<std::string>> tasks;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i % per_task == 0) tasks.emplace_back();
    tasks.back().push_back(ids[i]);
  }
  return tasks;
}

std::vector<ArrayPart> split_arrays(std::size_t tasks, long max_array_size) {
  const auto most = static_cast<std::size_t>(std::max(1L, max_array_size));
  std::vector<ArrayPart> arrays;
  for (std::size_t offset = 0; offset < tasks; offset += most) {
    arrays.push_back({offset, std::min(most, tasks - offset)});
  }
  return arrays;
}

std::set<std::string> earlier_array_jobs(const std::vector<Cell>& cells,
                                         const std::vector<CellState>& files,
                                         const TaskHistory& history) {
  std::set<std::string> jobs;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (files[i] == CellState::kComplete) continue;
    const auto it = history.find(cells[i].id);
    if (it == history.end()) continue;
    for (const auto& t : it->second) jobs.insert(t.substr(0, t.find('_')));
  }
  return jobs;
}

CellSelection select_cells(const std::vector<Cell>& cells, const std::vector<CellState>& files,
                           const TaskHistory& history, const std::set<std::string>& queued) {
  CellSelection s;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (files[i] == CellState::kComplete) {
      ++s.complete;
      continue;
    }
    ++s.missing;
    if (files[i] == CellState::kFailed) ++s.failed;
    const std::string in_queue = queued_task(history, cells[i].id, queued);
    if (in_queue.empty())
      s.to_run.push_back(&cells[i]);
    else
      s.still_queued.push_back(in_queue);
  }
  return s;
}

long cpus_per_task(long requested, const std::vector<const Cell*>& cells) {
  if (requested != 0) return requested;
  long cpus = 1;
  for (const Cell* c : cells) cpus = std::max(cpus, cell_threads(*c));
  return cpus;
}

std::string job_name(const std::string& sweep_name) {
  std::string n = "reglab-";
  for (char c : sweep_name) {
    const bool keep =
        std::isalnum(static_cast<unsigned char>(c)) != 0 || std::strchr("._-", c) != nullptr;
    n += keep ? c : '_';
  }
  return n;
}

std::filesystem::path absolute_in(const std::filesystem::path& cwd,
                                  const std::filesystem::path& path) {
  return (path.is_absolute() ? path : cwd / path).lexically_normal();
}

std::filesystem::path slurm_folder(const std::filesystem::path& cwd, const Sweep& sweep) {
  return absolute_in(cwd, sweep.cell_dir) / "slurm";
}

SubmissionPlan plan_submission(const Sweep& sweep, const SubmitOptions& options,
                               const std::vector<const Cell*>& to_run, long cpus,
                               const SubmitContext& context) {
  SubmissionPlan p;
  p.sweep_name = sweep.name;
  p.sweep_id = sweep.sweep_id;
  p.sweep_cells = sweep.cells.size();
  for (const Cell* c : to_run) p.cell_ids.push_back(c->id);
  p.tasks = group_cells(p.cell_ids, static_cast<std::size_t>(std::max(1L, options.cells_per_task)));
  p.arrays = split_arrays(p.tasks.size(), context.max_array_size);
  p.job_name = job_name(sweep.name);
  p.cpus = cpus;
  p.max_parallel = options.max_parallel;
  p.partition = options.partition;
  p.account = options.account;
  p.time = options.time;
  p.mem = options.mem;
  p.config_as_given = options.config;
  p.overrides = options.overrides;
  p.plugins = sweep.extra_plugins;
  p.cwd = context.cwd;
  p.self = context.self;
  p.config = absolute_in(context.cwd, options.config);
  p.cell_dir = absolute_in(context.cwd, sweep.cell_dir);
  p.slurm_dir = slurm_folder(context.cwd, sweep);
  p.cell_list = p.slurm_dir / ("cells-" + context.stamp + ".txt");
  p.array_script = p.slurm_dir / ("array-" + context.stamp + ".sh");
  p.merge_script = p.slurm_dir / ("merge-" + context.stamp + ".sh");
  p.written_utc = context.now_utc;
  return p;
}

}  // namespace reglab::experiment
