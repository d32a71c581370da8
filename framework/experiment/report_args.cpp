/// The command line of `reglab report` (Boost.Program_options) into ReportOptions, and its help.
#include <boost/program_options.hpp>
#include <sstream>

#include "framework/core/error.hpp"
#include "framework/experiment/report.hpp"

namespace reglab::experiment {
namespace {

namespace po = boost::program_options;

/// The comma-separated items of every `lists` value, trimmed of spaces. Throws UsageError on an
/// empty item ("report: empty <item> in --<option> '<list>'").
std::vector<std::string> split_lists(const std::vector<std::string>& lists,
                                     const std::string& option, const std::string& item) {
  std::vector<std::string> out;
  for (const auto& list : lists) {
    std::istringstream parts(list);
    for (std::string part; std::getline(parts, part, ',');) {
      const auto first = part.find_first_not_of(' ');
      const auto last = part.find_last_not_of(' ');
      if (first == std::string::npos) {
        throw UsageError("report: empty " + item + " in --" + option + " '" + list + "'");
      }
      out.push_back(part.substr(first, last - first + 1));
    }
  }
  return out;
}

ReportFormat parse_format(const std::string& name) {
  if (name == "table") return ReportFormat::kTable;
  if (name == "markdown") return ReportFormat::kMarkdown;
  if (name == "csv") return ReportFormat::kCsv;
  throw UsageError("report: --format must be table, markdown or csv, not '" + name + "'");
}

/// The raw values of the options that need more than Boost's parsing.
struct RawArgs {
  std::string format = "table";
  std::vector<std::string> by, columns, within, positional;
};

/// Runs Boost over `args`, filling `options` and `raw`.
void run_parser(const std::vector<std::string>& args, ReportOptions& options, RawArgs& raw) {
  po::options_description desc;
  desc.add_options()("help,h", po::bool_switch(&options.help))(
      "baseline", po::value<std::string>(&options.baseline))(
      "by", po::value<std::vector<std::string>>(&raw.by)->composing())(
      "metric", po::value<std::string>(&options.metric))("format",
                                                         po::value<std::string>(&raw.format))(
      "columns", po::value<std::vector<std::string>>(&raw.columns)->composing())(
      "wide", po::bool_switch(&options.wide))("width", po::value<std::size_t>(&options.width))(
      "select-by", po::value<std::string>(&options.select_by))(
      "within", po::value<std::vector<std::string>>(&raw.within)->composing())(
      "results", po::value<std::vector<std::string>>(&raw.positional));
  po::positional_options_description pos;
  pos.add("results", -1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string("report: ") + e.what() + "\n" + report_help());
  }
}

/// --select-by and --within come together, and --within replaces --by.
void check_selection(const ReportOptions& options) {
  if (!options.select_by.empty() && options.within.empty()) {
    throw UsageError("report: --select-by '" + options.select_by +
                     "' needs --within FACTOR (the factors that define the arms)");
  }
  if (options.select_by.empty() && !options.within.empty()) {
    throw UsageError(
        "report: --within needs --select-by METRIC (the column settings are chosen on)");
  }
  if (!options.within.empty() && !options.by.empty()) {
    throw UsageError(
        "report: --by and --within both define the arms; with --select-by give --within");
  }
}

}  // namespace

std::string report_help() {
  std::ostringstream s;
  s << "reglab report RESULTS.h5 [--baseline ARM] [--by FACTOR[,FACTOR...]] [--metric NAME]\n"
       "                         [--format table|markdown|csv]\n"
       "                         [--select-by METRIC --within FACTOR[,FACTOR...]]\n\n"
       "Per arm (cells grouped by the --by factors, default every grid factor but seed; only\n"
       "complete cells): n, mean, sd and 95% CI of final and best-validation test accuracy,\n"
       "final test loss and the generalisation gap. Then every arm against the baseline on\n"
       "--metric, matched on seed: mean difference with 95% CI, paired t-test and Wilcoxon\n"
       "signed-rank p, Holm-adjusted across arms (Welch's t-test when fewer than 2 seeds "
       "match).\n\n"
       "options:\n"
       "  --baseline ARM   arm label, label without factor names, or a unique substring of one\n"
       "                   (default: regularizers=none if present, else the first arm)\n"
       "  --by FACTORS     grouping factors, comma-separated (default: all but seed)\n"
       "  --metric NAME    summary column compared (default final_test_accuracy)\n"
       "  --format F       table (default), markdown or csv\n"
       "  --columns M,...  per-arm metrics of the table (default final_test_accuracy,gap_final;\n"
       "                   any float column of /summary); markdown and csv add them\n"
       "  --wide           the table with every column (markdown and csv always have them)\n"
       "  --width N        fit the table into N columns (default: the terminal, $COLUMNS, 100)\n"
       "  --select-by M    per arm, report only the setting (values of the factors not in\n"
       "                   --within, seed aside) with the best mean of M over its seeds:\n"
       "                   validation_accuracy, validation_loss (final_*) or another accuracy\n"
       "                   or loss column that is not a test column; ties: first in sweep order\n"
       "  --within F,...   the arms' factors with --select-by (comma-separated or repeated)\n"
       "  -h, --help       show this help\n";
  return s.str();
}

ReportOptions parse_report_args(const std::vector<std::string>& args) {
  ReportOptions options;
  RawArgs raw;
  run_parser(args, options, raw);
  if (options.help) return options;
  if (raw.positional.empty()) throw UsageError("report: missing RESULTS.h5\n" + report_help());
  if (raw.positional.size() > 1) {
    throw UsageError("report: one RESULTS.h5 expected, got also '" + raw.positional[1] + "'");
  }
  options.results_path = raw.positional.front();
  options.by = split_lists(raw.by, "by", "factor");
  options.columns = split_lists(raw.columns, "columns", "metric");
  options.within = split_lists(raw.within, "within", "factor");
  check_selection(options);
  options.format = parse_format(raw.format);
  return options;
}

}  // namespace reglab::experiment
