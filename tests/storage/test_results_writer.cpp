// Tests of framework/storage/results_writer.hpp: a file written run by run equals write_results'
// file, extend() keeps the old runs, uncommitted writers leave nothing, and a full disk is an
// ordinary StorageError (no crash of the HDF5 library at exit).
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/storage/results.hpp"
#include "framework/storage/results_writer.hpp"
#include "support/temp_dir.hpp"

using reglab::testing::file_bytes;

namespace fs = std::filesystem;
using reglab::StorageError;
using reglab::storage::Column;
using reglab::storage::read_results;
using reglab::storage::ResultsFile;
using reglab::storage::ResultsWriter;
using reglab::storage::RunRecord;
using reglab::storage::Table;

namespace {

class TempDir : public reglab::testing::TempDir {
 public:
  TempDir() : reglab::testing::TempDir("reglab_writer") {}
};

bool has_temporary(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().find(".tmp.") != std::string::npos) return true;
  }
  return false;
}

/// A run with more than 8 attributes (dense attribute storage), curves and weights.
RunRecord sample_run(const std::string& id, float scale, std::size_t width = 4) {
  RunRecord r;
  r.run_id = id;
  r.name = "cell " + id;
  r.config_yaml = "model: mlp\n";
  r.seed = 7;
  r.status = "complete";
  for (int i = 0; i < 10; ++i) r.attributes.emplace_back("attr" + std::to_string(9 - i), id);
  r.curves = {{"epoch", {1, 2}}, {"train_accuracy", {0.5, 0.75 * scale}}};
  std::vector<float> kernel(width * 3);
  for (std::size_t i = 0; i < kernel.size(); ++i) kernel[i] = scale * static_cast<float>(i);
  r.weights = {{"dense_0", "kernel", {width, 3}, kernel}, {"dense_0", "bias", {3}, {1, 2, 3}}};
  return r;
}

Table summary_of(const std::vector<std::string>& ids) {
  Column id;
  id.name = "cell_id";
  id.type = Column::Type::kString;
  id.str = ids;
  Column x;
  x.name = "x";
  x.type = Column::Type::kFloat64;
  for (std::size_t i = 0; i < ids.size(); ++i) x.f64.push_back(0.5 * static_cast<double>(i));
  Table t;
  t.columns = {id, x};
  return t;
}

ResultsFile sample_file(const std::vector<std::string>& ids) {
  ResultsFile f;
  f.reglab_version = "0.1.0";
  f.created_utc = "2026-12-04T00:00:00Z";
  f.config_yaml = "name: s\n";
  f.attributes = {{"sweep_id", "abc"}, {"sweep_name", "s"}};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    f.runs.push_back(sample_run(ids[i], static_cast<float>(i + 1)));
  }
  f.summary = summary_of(ids);
  return f;
}

/// Writes `f` with a ResultsWriter, one run at a time.
void stream(const std::string& path, const ResultsFile& f) {
  ResultsWriter w = ResultsWriter::create(path, f, f.kind(), true);
  for (const RunRecord& r : f.runs) w.add_run(r);
  w.write_summary(f.summary);
  w.commit();
}

void check_same(const ResultsFile& got, const ResultsFile& want) {
  CHECK(got.reglab_version == want.reglab_version);
  CHECK(got.created_utc == want.created_utc);
  CHECK(got.config_yaml == want.config_yaml);
  CHECK(got.attributes == want.attributes);
  CHECK(got.kind() == want.kind());
  REQUIRE(got.summary.columns.size() == want.summary.columns.size());
  for (std::size_t c = 0; c < want.summary.columns.size(); ++c) {
    CHECK(got.summary.columns[c].name == want.summary.columns[c].name);
    CHECK(got.summary.columns[c].str == want.summary.columns[c].str);
    CHECK(got.summary.columns[c].f64 == want.summary.columns[c].f64);
  }
  REQUIRE(got.runs.size() == want.runs.size());
  for (std::size_t r = 0; r < want.runs.size(); ++r) {
    const RunRecord& g = got.runs[r];
    const RunRecord& w = want.runs[r];
    INFO("run " << w.run_id);
    CHECK(g.run_id == w.run_id);
    CHECK(g.name == w.name);
    CHECK(g.seed == w.seed);
    CHECK(g.attributes == w.attributes);
    CHECK(g.curves == w.curves);
    REQUIRE(g.weights.size() == w.weights.size());
    for (std::size_t i = 0; i < w.weights.size(); ++i) {
      CHECK(g.weights[i].layer == w.weights[i].layer);
      CHECK(g.weights[i].shape == w.weights[i].shape);
      CHECK(g.weights[i].data == w.weights[i].data);
    }
  }
}

}  // namespace

TEST_CASE("ResultsWriter: a file written run by run reads back as write_results' file") {
  TempDir dir;
  const ResultsFile f = sample_file({"c3", "a1", "b2"});
  write_results(dir.file("whole.h5"), f, false);
  stream(dir.file("streamed.h5"), f);
  check_same(read_results(dir.file("streamed.h5")), read_results(dir.file("whole.h5")));
  check_same(read_results(dir.file("streamed.h5")), f);
  CHECK(!has_temporary(dir.path()));

  ResultsFile run_file = sample_file({"only"});
  run_file.summary = Table{};
  ResultsWriter w = ResultsWriter::create(dir.file("run.h5"), run_file, "run", false);
  w.add_run(run_file.runs[0]);
  w.commit();
  check_same(read_results(dir.file("run.h5")), run_file);
}

TEST_CASE("ResultsWriter::extend adds runs to a copy, keeps the old ones, reorders /runs") {
  TempDir dir;
  const std::string path = dir.file("s.h5");
  const ResultsFile all = sample_file({"a", "b", "c", "d"});
  ResultsFile first = all;
  first.runs = {all.runs[1], all.runs[3]};
  first.summary = summary_of({"b", "d"});
  stream(path, first);

  ResultsFile header = all;
  header.created_utc = "2026-12-05T00:00:00Z";
  {
    ResultsWriter w = ResultsWriter::extend(path, header);
    CHECK(w.run_ids() == std::vector<std::string>{"b", "d"});
    CHECK(w.has_run("d"));
    CHECK(!w.has_run("a"));
    w.add_run(all.runs[2]);
    w.add_run(all.runs[0]);
    w.set_run_order({"a", "b", "c", "d"});
    w.write_summary(all.summary);
    w.commit();
  }
  ResultsFile want = all;
  want.created_utc = header.created_utc;
  check_same(read_results(path), want);
  CHECK(!has_temporary(dir.path()));

  // set_run_order drops runs not listed; add_run replaces a run of the same id.
  {
    ResultsWriter w = ResultsWriter::extend(path, header);
    w.add_run(sample_run("c", 9.0f));
    w.set_run_order({"c", "a"});
    w.write_summary(summary_of({"c", "a"}));
    w.commit();
  }
  const ResultsFile got = read_results(path);
  REQUIRE(got.runs.size() == 2);
  CHECK(got.runs[0].run_id == "c");
  CHECK(got.runs[0].curves == sample_run("c", 9.0f).curves);
  CHECK(got.runs[1].run_id == "a");

  // A header with other root attribute names cannot extend the file.
  ResultsFile other = header;
  other.attributes.emplace_back("extra", "x");
  CHECK_THROWS_AS(ResultsWriter::extend(path, other), StorageError);
  CHECK(!has_temporary(dir.path()));
}

TEST_CASE("ResultsWriter: without commit nothing is published and the old file stays") {
  TempDir dir;
  const std::string path = dir.file("s.h5");
  stream(path, sample_file({"a"}));
  const std::string before = file_bytes(path);
  {
    ResultsWriter w = ResultsWriter::extend(path, sample_file({"a", "b"}));
    w.add_run(sample_run("b", 2.0f));
  }
  {
    ResultsWriter w = ResultsWriter::create(path, sample_file({"x"}), "sweep", true);
    w.add_run(sample_run("x", 2.0f));
  }
  CHECK(file_bytes(path) == before);
  CHECK(!has_temporary(dir.path()));
  // A sweep file needs a /summary; without overwrite an existing file is refused.
  ResultsWriter w = ResultsWriter::create(dir.file("new.h5"), sample_file({}), "sweep", false);
  CHECK_THROWS_AS(w.commit(), StorageError);
  CHECK_THROWS_AS(ResultsWriter::create(path, sample_file({}), "sweep", false), StorageError);
  CHECK(!fs::exists(dir.file("new.h5")));
}

// The child writes past RLIMIT_FSIZE (EFBIG, like a full disk) and must get a StorageError and
// then exit normally: an error returned inside HDF5 1.10.8 would crash it in the library's exit
// handler.
TEST_CASE("ResultsWriter: a full disk is a StorageError, and the process exits cleanly") {
  TempDir dir;
  const std::string path = dir.file("big.h5");
  stream(path, sample_file({"a"}));
  const std::string before = file_bytes(path);
  std::fflush(nullptr);  // the child's exit must not print the parent's buffered output again
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit {};
    ::getrlimit(RLIMIT_FSIZE, &limit);
    limit.rlim_cur = 256 * 1024;
    ::setrlimit(RLIMIT_FSIZE, &limit);
    int code = 1;
    try {
      ResultsWriter w = ResultsWriter::extend(path, sample_file({"a"}));
      for (int i = 0; i < 64; ++i) w.add_run(sample_run("r" + std::to_string(i), 1.0f, 1024));
      w.commit();
    } catch (const StorageError& e) {
      const std::string m = e.what();
      code = m.find(path + ": cannot write results: ") == 0 &&
                     m.find("File too large") != std::string::npos
                 ? 0
                 : 2;
    }
    std::exit(code);  // runs HDF5's exit handler
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(file_bytes(path) == before);
  CHECK(!has_temporary(dir.path()));
}
