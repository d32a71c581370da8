/// Members of the results record types (results.hpp). Validation, writing and reading live in
/// results_validate.cpp, results_write.cpp and results_read.cpp; the schema in schema.hpp.
#include "framework/storage/results.hpp"

#include "framework/storage/schema.hpp"

namespace reglab::storage {

std::size_t Column::size() const {
  switch (type) {
    case Type::kFloat64:
      return f64.size();
    case Type::kInt64:
      return i64.size();
    case Type::kString:
      return str.size();
  }
  return 0;
}

std::size_t Table::rows() const { return columns.empty() ? 0 : columns.front().size(); }

bool Table::empty() const { return columns.empty(); }

std::string ResultsFile::kind() const {
  return summary.empty() ? schema::kKindRun : schema::kKindSweep;
}

}  // namespace reglab::storage
