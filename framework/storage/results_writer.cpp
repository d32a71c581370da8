/// ResultsWriter (storage/results_writer.hpp): a results file written run by run into its
/// temporary file on disk, or extended from a copy of an existing one, then published.
#include "framework/storage/results_writer.hpp"

#include <hdf5.h>
#include <unistd.h>

#include <cstdint>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "framework/core/atomic_file.hpp"
#include "framework/storage/file_copy.hpp"
#include "framework/storage/hdf5_file_driver.hpp"
#include "framework/storage/hdf5_read.hpp"
#include "framework/storage/hdf5_support.hpp"
#include "framework/storage/results_internal.hpp"
#include "framework/storage/schema.hpp"

namespace reglab::storage {

using detail::fail;
using detail::Handle;
using detail::make;
using detail::ok;
using detail::Where;

/// The open temporary file. Members are destroyed in reverse order: `runs` before `file`.
struct ResultsWriter::State {
  Where where;
  std::string tmp;
  bool overwrite = false;
  bool committed = false;
  std::string kind;
  detail::WriteError write_error;
  Handle gcpl;
  Handle file;
  Handle runs;

  /// Throws if a write inside HDF5 failed (the driver recorded it).
  void check_writes() const {
    if (write_error.error != 0) {
      detail::fail_errno(where, "cannot write temporary file " + tmp, write_error.error);
    }
  }
  Handle root() const {
    return make(H5Gopen2(file.get(), schema::kRootPath, H5P_DEFAULT), H5Gclose, where,
                "cannot open the root group");
  }
  void open_runs() {
    runs = make(H5Gopen2(file.get(), schema::kRunsPath, H5P_DEFAULT), H5Gclose, where,
                std::string("cannot open group ") + schema::kRunsPath);
  }
  /// Closes the file; throws on any error, HDF5's or a recorded write's.
  void close() {
    ok(runs.close(), where, std::string("cannot close group ") + schema::kRunsPath);
    ok(file.close(), where, "cannot close temporary file " + tmp);
    check_writes();
  }
};

namespace {

/// Opens (create: creates) `tmp` with the recording driver.
Handle open_file(const std::string& tmp, bool create, detail::WriteError* sink,
                 const Where& where) {
  Handle fapl =
      make(detail::recording_file_access(sink), H5Pclose, where, "cannot set up the file driver");
  ok(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI), where, "cannot set close degree");
  if (!create) {
    return make(H5Fopen(tmp.c_str(), H5F_ACC_RDWR, fapl.get()), H5Fclose, where,
                "cannot open temporary file " + tmp);
  }
  Handle fcpl = detail::ordered_file_properties(where);
  return make(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), H5Fclose, where,
              "cannot create temporary file " + tmp);
}

/// Sets the value of the existing variable-length string attribute `name` of `object`.
void rewrite_string_attribute(hid_t object, const std::string& name, const std::string& value,
                              const Where& where) {
  const std::string what =
      "cannot write attribute " + detail::quoted(name) + " of " + schema::kRootPath;
  Handle attribute = detail::open_attribute(object, schema::kRootPath, name, where);
  Handle file_type = make(H5Aget_type(attribute.get()), H5Tclose, where, what);
  if (H5Tget_class(file_type.get()) != H5T_STRING || H5Tis_variable_str(file_type.get()) <= 0) {
    fail(where, "attribute " + detail::quoted(name) + " of / is not a variable-length string");
  }
  Handle type = detail::vlen_string_type(where, what);
  const char* text = value.c_str();
  ok(H5Awrite(attribute.get(), type.get(), &text), where, what);
}

/// Fails unless the copied file is a reglab file of this format_version whose further root
/// attributes are named as `header`'s; returns its kind.
std::string check_extendable(hid_t root, const ResultsFile& header, const Where& where) {
  const auto version = detail::read_integer_attribute<std::int64_t>(
      root, schema::kRootPath, schema::kFormatVersionAttribute, H5T_NATIVE_INT64, where);
  if (version != kFormatVersion) {
    fail(where, "format_version " + std::to_string(version) + " cannot be extended");
  }
  const std::set<std::string> fixed(std::begin(schema::kRootFixedAttributes),
                                    std::end(schema::kRootFixedAttributes));
  std::vector<std::string> further;
  for (const std::string& name : detail::attribute_names(root, schema::kRootPath, where)) {
    if (fixed.count(name) == 0) further.push_back(name);
  }
  std::vector<std::string> wanted;
  for (const auto& attribute : header.attributes) wanted.push_back(attribute.first);
  if (further != wanted) fail(where, "its root attributes differ from the new ones");
  return detail::read_string_attribute(root, schema::kRootPath, schema::kKindAttribute, where);
}

/// Sets the root attributes that a merge renews (everything but format, format_version, kind).
void rewrite_root_attributes(hid_t root, const ResultsFile& header, const Where& where) {
  rewrite_string_attribute(root, schema::kReglabVersionAttribute, header.reglab_version, where);
  rewrite_string_attribute(root, schema::kCreatedUtcAttribute, header.created_utc, where);
  rewrite_string_attribute(root, schema::kConfigAttribute, header.config_yaml, where);
  for (const auto& [name, value] : header.attributes) {
    rewrite_string_attribute(root, name, value, where);
  }
}

std::string temporary_name(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

}  // namespace

ResultsWriter::ResultsWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}

ResultsWriter::ResultsWriter(ResultsWriter&& other) noexcept = default;

ResultsWriter::~ResultsWriter() {
  if (!state_ || state_->committed) return;
  {
    const detail::QuietHdf5Errors quiet;
    state_->runs.close();
    state_->file.close();
  }
  ::unlink(state_->tmp.c_str());
}

ResultsWriter ResultsWriter::create(const std::string& path, const ResultsFile& header,
                                    const std::string& kind, bool overwrite) {
  auto state = std::make_unique<State>();
  state->where = Where{path, "cannot write results"};
  detail::validate_root(state->where, header);
  if (!overwrite && path_exists(path)) refuse_overwrite(path);
  state->tmp = temporary_name(path);
  state->overwrite = overwrite;
  state->kind = kind;
  ResultsWriter writer(std::move(state));  // from here on, failures remove the temporary file
  State& s = *writer.state_;
  const detail::QuietHdf5Errors quiet;
  s.file = open_file(s.tmp, true, &s.write_error, s.where);
  s.gcpl = detail::ordered_group_properties(s.where);
  Handle root = s.root();
  detail::write_root_attributes(root.get(), header, kind, s.where);
  s.runs = make(H5Gcreate2(root.get(), schema::kRunsGroup, H5P_DEFAULT, s.gcpl.get(), H5P_DEFAULT),
                H5Gclose, s.where, std::string("cannot create group ") + schema::kRunsPath);
  s.check_writes();
  return writer;
}

ResultsWriter ResultsWriter::extend(const std::string& path, const ResultsFile& header) {
  auto state = std::make_unique<State>();
  state->where = Where{path, "cannot write results"};
  detail::validate_root(state->where, header);
  state->tmp = temporary_name(path);
  state->overwrite = true;
  ::unlink(state->tmp.c_str());
  ResultsWriter writer(std::move(state));
  State& s = *writer.state_;
  detail::copy_file(path, s.tmp, s.where);
  const detail::QuietHdf5Errors quiet;
  s.file = open_file(s.tmp, false, &s.write_error, s.where);
  s.gcpl = detail::ordered_group_properties(s.where);
  Handle root = s.root();
  s.kind = check_extendable(root.get(), header, s.where);
  rewrite_root_attributes(root.get(), header, s.where);
  s.open_runs();
  s.check_writes();
  return writer;
}

std::vector<std::string> ResultsWriter::run_ids() const {
  const detail::QuietHdf5Errors quiet;
  return detail::link_names(state_->runs.get(), schema::kRunsPath, state_->where);
}

bool ResultsWriter::has_run(const std::string& run_id) const {
  const detail::QuietHdf5Errors quiet;
  return detail::link_exists(state_->runs.get(), run_id);
}

void ResultsWriter::add_run(const RunRecord& run) {
  State& s = *state_;
  detail::validate_run_record(s.where, run);
  const detail::QuietHdf5Errors quiet;
  if (detail::link_exists(s.runs.get(), run.run_id)) {
    ok(H5Ldelete(s.runs.get(), run.run_id.c_str(), H5P_DEFAULT), s.where,
       "cannot replace run " + detail::quoted(run.run_id));
  }
  detail::write_run(s.runs.get(), run, s.gcpl.get(), s.where);
  s.check_writes();
}

void ResultsWriter::set_run_order(const std::vector<std::string>& run_ids) {
  State& s = *state_;
  const detail::QuietHdf5Errors quiet;
  if (detail::link_names(s.runs.get(), schema::kRunsPath, s.where) == run_ids) return;
  write_summary(Table{});  // so that /summary, written again, follows the new /runs
  const std::string what = std::string("cannot reorder ") + schema::kRunsPath;
  const char* const kNewRuns = "runs (reordered)";
  Handle root = s.root();
  Handle ordered = make(H5Gcreate2(root.get(), kNewRuns, H5P_DEFAULT, s.gcpl.get(), H5P_DEFAULT),
                        H5Gclose, s.where, what);
  for (const std::string& id : run_ids) {
    ok(H5Lcreate_hard(s.runs.get(), id.c_str(), ordered.get(), id.c_str(), H5P_DEFAULT,
                      H5P_DEFAULT),
       s.where, what + ": run " + detail::quoted(id));
  }
  ok(ordered.close(), s.where, what);
  ok(s.runs.close(), s.where, what);
  ok(H5Ldelete(root.get(), schema::kRunsGroup, H5P_DEFAULT), s.where, what);
  ok(H5Lmove(root.get(), kNewRuns, root.get(), schema::kRunsGroup, H5P_DEFAULT, H5P_DEFAULT),
     s.where, what);
  s.open_runs();
  s.check_writes();
}

void ResultsWriter::write_summary(const Table& table) {
  State& s = *state_;
  detail::validate_summary(s.where, table);
  const detail::QuietHdf5Errors quiet;
  Handle root = s.root();
  if (detail::link_exists(root.get(), schema::kSummaryDataset)) {
    ok(H5Ldelete(root.get(), schema::kSummaryDataset, H5P_DEFAULT), s.where,
       std::string("cannot replace ") + schema::kSummaryPath);
  }
  if (!table.empty()) detail::write_summary(root.get(), table, s.where);
  s.check_writes();
}

void ResultsWriter::commit() {
  State& s = *state_;
  {
    const detail::QuietHdf5Errors quiet;
    const bool has_summary = detail::link_exists(s.root().get(), schema::kSummaryDataset);
    if (has_summary != (s.kind == schema::kKindSweep)) {
      fail(s.where, "a file of kind " + detail::quoted(s.kind) +
                        (has_summary ? " cannot have " : " needs ") + schema::kSummaryPath);
    }
    s.close();
  }
  s.committed = true;  // publish_temporary removes the temporary file if it fails
  publish_temporary(s.tmp, s.where.path, s.overwrite, s.where.action);
}

}  // namespace reglab::storage
