#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/experiment/config_names.hpp"

namespace reglab::experiment {
namespace {

const char* const kFile = "cfg.yaml";

ConfigNode parse(const std::string& text) { return ConfigNode::parse(text, kFile); }

/// Runs `f` and returns the message of the ConfigError it throws. Fails the test if it throws
/// nothing (returns "") or another exception type (propagates).
std::string config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL_CHECK("expected a ConfigError, nothing was thrown");
  return "";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// Checks that `message` contains every one of `parts`.
#define CHECK_MESSAGE_HAS(message, ...)                                      \
  do {                                                                       \
    const std::string msg_ = (message);                                      \
    for (const std::string& part_ : std::vector<std::string>{__VA_ARGS__}) { \
      INFO("message: ", msg_);                                               \
      CHECK_MESSAGE(contains(msg_, part_), "missing '", part_, "'");         \
    }                                                                        \
  } while (false)

const char* const kOptions =
    "opts:\n"              // 1
    "  x: 1.5\n"           // 2
    "  n: 42\n"            // 3
    "  neg: -3\n"          // 4
    "  sci: 1e-3\n"        // 5
    "  whole: 4\n"         // 6
    "  flag: true\n"       // 7
    "  verbose: no\n"      // 8
    "  s: hello\n"         // 9
    "  quoted: \"12\"\n"   // 10
    "  list: [1, 2, 3]\n"  // 11
    "  block_list:\n"      // 12
    "    - 7\n"            // 13
    "    - 8\n"            // 14
    "  empty:\n"           // 15
    "  tilde: ~\n";        // 16

TEST_CASE("OptionReader: happy paths and fallbacks") {
  const ConfigNode root = parse(kOptions);
  OptionReader r(root.child("opts"));
  CHECK(r.has("x"));
  CHECK_FALSE(r.has("missing"));
  CHECK_FALSE(r.has("empty"));  // a null value counts as absent

  CHECK(r.get_double("x", 0.0, Range::positive()) == 1.5);
  CHECK(r.get_double("sci", 0.0, Range::positive()) == doctest::Approx(1e-3));
  CHECK(r.get_double("whole", 0.0, Range::closed(0.0, 10.0)) == 4.0);  // an integer is a number
  CHECK(r.get_double("missing_d", 2.5, Range::positive()) == 2.5);
  CHECK(r.get_double("empty", 0.25, Range::positive()) == 0.25);
  CHECK(r.get_double("tilde", 0.75, Range::positive()) == 0.75);

  CHECK(r.get_int("n", 0, 0, 100) == 42);
  CHECK(r.get_int("neg", 0, -10, 10) == -3);
  CHECK(r.get_int("missing_i", 9, 0, 100) == 9);
  CHECK(r.require_int("n", 42, 42) == 42);  // inclusive bounds
  CHECK(r.require_double("x", Range::closed(1.5, 1.5)) == 1.5);

  CHECK(r.get_bool("flag", false) == true);
  CHECK(r.get_bool("verbose", true) == false);
  CHECK(r.get_bool("missing_b", true) == true);
  CHECK(r.get_bool("missing_b2", false) == false);

  CHECK(r.get_string("s", "") == "hello");
  CHECK(r.get_string("s", "", {"hi", "hello"}) == "hello");
  CHECK(r.get_string("quoted", "") == "12");
  CHECK(r.get_string("missing_s", "dflt") == "dflt");
  CHECK(r.get_string("missing_s2", "dflt", {"a", "b"}) == "dflt");  // fallback is not checked
  CHECK(r.require_string("s") == "hello");

  CHECK(r.get_int_list("list", {}, 0, 10) == std::vector<std::int64_t>{1, 2, 3});
  CHECK(r.get_int_list("block_list", {}, 0, 10) == std::vector<std::int64_t>{7, 8});
  CHECK(r.get_int_list("missing_l", {4, 5}, 0, 10) == std::vector<std::int64_t>{4, 5});

  const ConfigNode c = r.child("missing_child");
  CHECK_FALSE(c.defined());
  CHECK(c.path() == "opts.missing_child");

  // Every key in the map was read, so finish() passes.
  CHECK_NOTHROW(r.finish());
}

TEST_CASE("OptionReader: finish() passes once every key is read or accepted") {
  const ConfigNode root = parse("opts:\n  a: 1\n  b: 2\n  c: 3\n");
  OptionReader r(root.child("opts"));
  r.get_int("a", 0, 0, 9);
  r.accept("b");
  CHECK_THROWS_AS(r.finish(), ConfigError);
  (void)r.child("c");
  CHECK_NOTHROW(r.finish());

  // An absent or null section reads as an empty map.
  OptionReader absent(root.child("nothing"));
  CHECK(absent.get_int("k", 5, 0, 9) == 5);
  CHECK_NOTHROW(absent.finish());
  OptionReader null_section(parse("opts:\nother: 1\n").child("opts"));
  CHECK(null_section.get_double("k", 0.5, Range::positive()) == 0.5);
  CHECK_NOTHROW(null_section.finish());
}

TEST_CASE("ConfigNode: structure, paths and locations") {
  const ConfigNode root = parse("a:\n  b: [10, {c: x}]\n");
  CHECK(root.is_map());
  CHECK(root.path() == "<root>");
  CHECK(root.keys() == std::vector<std::string>{"a"});
  const ConfigNode b = root.child("a").child("b");
  CHECK(b.is_sequence());
  CHECK(b.size() == 2);
  CHECK(b.path() == "a.b");
  CHECK(b.at(0).scalar() == "10");
  CHECK(b.at(1).child("c").path() == "a.b[1].c");
  CHECK(b.at(1).child("c").location() == "cfg.yaml:2:15");
  CHECK(b.at(1).child("c").scalar() == "x");
  CHECK_FALSE(root.child("zz").defined());
  CHECK(root.child("a").child("b").child("q").path() == "a.b.q");  // child of a non-map
  CHECK_FALSE(root.child("a").child("b").child("q").defined());
  const std::string msg = config_error([&] { b.at(0).fail("boom"); });
  CHECK(msg == "cfg.yaml:2:7: a.b[0]: boom");
}

TEST_CASE("OptionReader: a value of the wrong type names file:line:col and the key path") {
  const ConfigNode root = parse(
      "name: x\n"
      "optimizer:\n"
      "  name: sgd\n"
      "  learning_rate: abc\n"
      "  momentum: [1]\n");
  OptionReader r(root.child("optimizer"));
  CHECK_MESSAGE_HAS(config_error([&] { r.get_double("learning_rate", 0.1, Range::positive()); }),
                    "cfg.yaml:4:18", "optimizer.learning_rate", "expected a number", "'abc'");
  CHECK_MESSAGE_HAS(config_error([&] { r.get_double("momentum", 0.0, Range::positive()); }),
                    "cfg.yaml:5:13", "optimizer.momentum", "expected a number");
  CHECK_MESSAGE_HAS(config_error([&] { r.get_int("learning_rate", 1, 0, 9); }), "cfg.yaml:4:18",
                    "optimizer.learning_rate", "expected an integer");
  CHECK_MESSAGE_HAS(config_error([&] { r.get_bool("learning_rate", false); }), "cfg.yaml:4:18",
                    "optimizer.learning_rate", "expected true or false");
  CHECK_MESSAGE_HAS(config_error([&] { r.get_string("momentum", ""); }), "cfg.yaml:5:13",
                    "optimizer.momentum", "expected a string");
  CHECK_MESSAGE_HAS(config_error([&] { r.get_int_list("learning_rate", {}, 0, 9); }),
                    "cfg.yaml:4:18", "optimizer.learning_rate", "expected a list of integers");
  CHECK_MESSAGE_HAS(config_error([&] {
                      r.get_string("name", "", {"adam", "rmsprop"});
                    }),
                    "cfg.yaml:3:9", "optimizer.name", "unknown value 'sgd'", "adam, rmsprop");
}

TEST_CASE("OptionReader: out-of-range values") {
  const ConfigNode root = parse(
      "optimizer:\n"
      "  learning_rate: -0.5\n"
      "  momentum: 1\n"
      "train:\n"
      "  epochs: 0\n"
      "  big: 99999999999999999999\n"
      "model:\n"
      "  hidden: [256, 0]\n");
  OptionReader opt(root.child("optimizer"));
  CHECK_MESSAGE_HAS(config_error([&] { opt.get_double("learning_rate", 0.1, Range::positive()); }),
                    "cfg.yaml:2:18", "optimizer.learning_rate", "must be > 0", "-0.5");
  // Half-open upper bound excludes 1.
  CHECK_MESSAGE_HAS(
      config_error([&] { opt.get_double("momentum", 0.0, Range::closed_open(0.0, 1.0)); }),
      "cfg.yaml:3:13", "optimizer.momentum", "[0, 1)");
  CHECK(opt.get_double("momentum", 0.0, Range::closed(0.0, 1.0)) == 1.0);
  CHECK_MESSAGE_HAS(config_error([&] { opt.get_double("momentum", 0.0, Range::at_least(2.0)); }),
                    "cfg.yaml:3:13", ">= 2");
  CHECK_MESSAGE_HAS(
      config_error([&] { opt.get_double("learning_rate", 0.0, Range::open_closed(-0.5, 1.0)); }),
      "cfg.yaml:2:18", "(-0.5, 1]");

  OptionReader train(root.child("train"));
  CHECK_MESSAGE_HAS(config_error([&] { train.require_int("epochs", 1, 1000); }), "cfg.yaml:5:11",
                    "train.epochs", "[1, 1000]", "got 0");
  CHECK_MESSAGE_HAS(config_error([&] { train.get_int("big", 0, 0, 10); }), "cfg.yaml:6:8",
                    "train.big");

  OptionReader model(root.child("model"));
  CHECK_MESSAGE_HAS(config_error([&] { model.get_int_list("hidden", {}, 1, 4096); }),
                    "cfg.yaml:8:17", "model.hidden[1]", "[1, 4096]");
}

TEST_CASE("OptionReader: non-finite numbers are rejected") {
  const ConfigNode root = parse(
      "o:\n"
      "  a: .inf\n"
      "  b: -.inf\n"
      "  c: .nan\n"
      "  d: inf\n"
      "  e: nan\n");
  OptionReader r(root.child("o"));
  const Range wide{-1e308, 1e308};
  CHECK_MESSAGE_HAS(config_error([&] { r.get_double("a", 0.0, wide); }), "cfg.yaml:2:6", "o.a",
                    "finite");
  CHECK_MESSAGE_HAS(config_error([&] { r.get_double("b", 0.0, wide); }), "cfg.yaml:3:6", "o.b",
                    "finite");
  CHECK_MESSAGE_HAS(config_error([&] { r.get_double("c", 0.0, wide); }), "cfg.yaml:4:6", "o.c",
                    "finite");
  // Spellings std::stod accepts must not slip through either.
  CHECK_MESSAGE_HAS(config_error([&] { r.get_double("d", 0.0, wide); }), "cfg.yaml:5:6", "o.d");
  CHECK_MESSAGE_HAS(config_error([&] { r.get_double("e", 0.0, wide); }), "cfg.yaml:6:6", "o.e");
  CHECK_FALSE(wide.contains(std::numeric_limits<double>::infinity()));
  CHECK_FALSE(wide.contains(-std::numeric_limits<double>::infinity()));
  CHECK_FALSE(wide.contains(std::numeric_limits<double>::quiet_NaN()));
  CHECK(wide.contains(0.0));
}

TEST_CASE("OptionReader: a float where an integer is expected") {
  const ConfigNode root = parse("train:\n  epochs: 2.5\n  batch_size: 1e2\n");
  OptionReader r(root.child("train"));
  CHECK_MESSAGE_HAS(config_error([&] { r.get_int("epochs", 1, 1, 100); }), "cfg.yaml:2:11",
                    "train.epochs", "expected an integer", "'2.5'");
  CHECK_MESSAGE_HAS(config_error([&] { r.get_int("batch_size", 1, 1, 1000); }), "cfg.yaml:3:15",
                    "train.batch_size", "expected an integer");
}

TEST_CASE("OptionReader::finish: an unknown key is reported with the known keys") {
  const ConfigNode root = parse(
      "optimizer:\n"
      "  name: sgd\n"
      "  learning_rat: 0.1\n");
  OptionReader r(root.child("optimizer"));
  r.get_string("name", "");
  r.get_double("learning_rate", 0.1, Range::positive());
  r.get_double("momentum", 0.0, Range::closed_open(0.0, 1.0));
  const std::string msg = config_error([&] { r.finish(); });
  CHECK_MESSAGE_HAS(msg, "cfg.yaml:3:", "optimizer.learning_rat", "unknown key 'learning_rat'",
                    "learning_rate", "momentum", "name");
  CHECK(contains(msg, "cfg.yaml:3:17"));

  // No key read at all: the list says so.
  OptionReader none(parse("o:\n  z: 1\n").child("o"));
  CHECK_MESSAGE_HAS(config_error([&] { none.finish(); }), "cfg.yaml:2:", "o.z", "known keys: none");
}

TEST_CASE("OptionReader::finish: an unknown key with an empty value is reported at its line") {
  const ConfigNode root = parse("o:\n  a: 1\n  typo:\n");
  OptionReader r(root.child("o"));
  r.get_int("a", 0, 0, 9);
  const std::string msg = config_error([&] { r.finish(); });
  CHECK_MESSAGE_HAS(msg, "o.typo", "unknown key 'typo'");
  CHECK_MESSAGE_HAS(msg, "cfg.yaml:3:");
}

TEST_CASE("OptionReader: a missing required key names the map and the key") {
  const ConfigNode root = parse(
      "name: x\n"
      "optimizer:\n"
      "  name: sgd\n");
  OptionReader r(root.child("optimizer"));
  CHECK_MESSAGE_HAS(config_error([&] { r.require_double("learning_rate", Range::positive()); }),
                    "cfg.yaml:3:3", "optimizer", "missing required key 'learning_rate'");
  CHECK_MESSAGE_HAS(config_error([&] { r.require_int("steps", 0, 9); }), "cfg.yaml:3:3",
                    "optimizer", "'steps'");
  CHECK_MESSAGE_HAS(config_error([&] { r.require_string("kind"); }), "cfg.yaml:3:3", "optimizer",
                    "'kind'");
  // Explicit fail() at a present key points at it, at an absent one at the map.
  CHECK_MESSAGE_HAS(config_error([&] { r.fail("name", "bad"); }), "cfg.yaml:3:9",
                    "optimizer.name: bad");
  CHECK_MESSAGE_HAS(config_error([&] { r.fail("nope", "bad"); }), "cfg.yaml:3:3", "optimizer: bad");
  // A whole missing section still names the file and the section.
  OptionReader absent(root.child("train"));
  CHECK_MESSAGE_HAS(config_error([&] { absent.require_int("epochs", 1, 9); }), "cfg.yaml", "train",
                    "'epochs'");
}

TEST_CASE("ConfigNode::parse: YAML syntax errors report the line") {
  CHECK_MESSAGE_HAS(config_error([] { parse("name: x\ndata:\n  dataset: a\n   bad: indent\n"); }),
                    "cfg.yaml:4:", "YAML syntax error");
  CHECK_MESSAGE_HAS(config_error([] { parse("a: 1\nb: {x: 1\n"); }),
                    "cfg.yaml:3:", "YAML syntax error");
  CHECK_MESSAGE_HAS(config_error([] { parse("a: 1\n- b\n"); }), "cfg.yaml:2:1",
                    "YAML syntax error");
  CHECK_MESSAGE_HAS(config_error([] { parse("a: *undefined_anchor\n"); }),
                    "cfg.yaml:1:", "YAML syntax error");
  CHECK_MESSAGE_HAS(config_error([] { parse("a:\n\tb: 1\n"); }),
                    "cfg.yaml:2:", "YAML syntax error");
}

TEST_CASE("ConfigNode::parse: duplicate keys are rejected") {
  CHECK_MESSAGE_HAS(config_error([] { parse("a: 1\nb: 2\na: 3\n"); }), "cfg.yaml:3:1",
                    "duplicate key 'a'");
  CHECK_MESSAGE_HAS(config_error([] { parse("optimizer:\n  lr: 1\n  lr: 2\n"); }), "cfg.yaml:3:3",
                    "duplicate key", "lr");
  CHECK_MESSAGE_HAS(config_error([] { parse("regs:\n  - {name: a, name: b}\n"); }),
                    "cfg.yaml:2:", "duplicate key", "name");
  CHECK_NOTHROW(parse("a: {x: 1}\nb: {x: 1}\n"));  // same key in different maps is fine
}

TEST_CASE("ConfigNode::parse: a nested duplicate key names its key path") {
  CHECK_MESSAGE_HAS(config_error([] { parse("optimizer:\n  lr: 1\n  lr: 2\n"); }), "optimizer.lr");
}

TEST_CASE("OptionReader: a non-map where a map is expected") {
  const ConfigNode root = parse(
      "optimizer: sgd\n"
      "model: [1, 2]\n"
      "regs:\n"
      "  - dropout\n");
  CHECK_MESSAGE_HAS(config_error([&] { OptionReader r(root.child("optimizer")); }), "cfg.yaml:1:12",
                    "optimizer", "expected a map");
  CHECK_MESSAGE_HAS(config_error([&] { OptionReader r(root.child("model")); }), "cfg.yaml:2:8",
                    "model", "expected a map");
  CHECK_MESSAGE_HAS(config_error([&] { OptionReader r(root.child("regs").at(0)); }), "cfg.yaml:4:5",
                    "regs[0]", "expected a map");
  CHECK_MESSAGE_HAS(config_error([] { OptionReader r(parse("just a string\n")); }), "cfg.yaml:1:1",
                    "<root>", "expected a map");
}

TEST_CASE("ConfigNode::set_override: sets nested values, creates maps, indexes lists") {
  ConfigNode root = parse(
      "name: base\n"
      "optimizer:\n"
      "  name: sgd\n"
      "  learning_rate: 0.1\n"
      "model:\n"
      "  hidden: [256, 256]\n"
      "regularizers:\n"
      "  - {name: dropout, rate: 0.5}\n"
      "  - {name: l2, lambda: 0.001}\n");
  root.set_override("optimizer.learning_rate", "0.5");
  root.set_override("name", "changed");
  root.set_override("train.epochs", "3");             // creates the map
  root.set_override("data.synthetic.features", "8");  // creates two levels
  root.set_override("regularizers[0].rate", "0.3");
  root.set_override("regularizers[1]", "{name: l1, lambda: 0.01}");
  root.set_override("model.hidden[1]", "128");
  root.set_override("model.activation", "tanh");

  CHECK(root.child("name").scalar() == "changed");
  OptionReader opt(root.child("optimizer"));
  CHECK(opt.get_double("learning_rate", 0.0, Range::positive()) == 0.5);
  CHECK(opt.get_string("name", "") == "sgd");  // siblings kept
  CHECK(root.child("train").is_map());
  CHECK(root.child("train").child("epochs").scalar() == "3");
  CHECK(root.child("data").child("synthetic").child("features").scalar() == "8");
  CHECK(root.child("regularizers").size() == 2);
  CHECK(root.child("regularizers").at(0).child("rate").scalar() == "0.3");
  CHECK(root.child("regularizers").at(0).child("name").scalar() == "dropout");
  CHECK(root.child("regularizers").at(1).child("name").scalar() == "l1");
  OptionReader model(root.child("model"));
  CHECK(model.get_int_list("hidden", {}, 1, 4096) == std::vector<std::int64_t>{256, 128});
  CHECK(model.get_string("activation", "") == "tanh");

  // Later overrides win.
  root.set_override("optimizer.learning_rate", "0.25");
  CHECK(root.child("optimizer").child("learning_rate").scalar() == "0.25");

  // An empty document becomes a map.
  ConfigNode empty = parse("");
  empty.set_override("a.b", "1");
  CHECK(empty.child("a").child("b").scalar() == "1");
}

TEST_CASE("ConfigNode::set_override: bad indices and malformed paths throw") {
  const std::string text =
      "name: base\n"
      "regularizers:\n"
      "  - {name: dropout, rate: 0.5}\n";
  auto override_error = [&](const std::string& path, const std::string& value) {
    ConfigNode root = parse(text);
    return config_error([&] { root.set_override(path, value); });
  };
  CHECK_MESSAGE_HAS(override_error("regularizers[1].rate", "0.3"),
                    "command-line override 'regularizers[1].rate=0.3'", "no element 1");
  CHECK_MESSAGE_HAS(override_error("regularizers[5]", "{name: l2}"), "no element 5");
  CHECK_MESSAGE_HAS(override_error("name[0]", "x"), "command-line override 'name[0]=x'");
  CHECK_MESSAGE_HAS(override_error("name.inner", "x"), "non-map");
  CHECK_MESSAGE_HAS(override_error("", "x"), "command-line override '=x'", "empty key path");
  for (const char* bad : {"a..b", ".a", "a.", "a[", "a[x]", "a[]", "[0]", "a[0]b", "a[0"}) {
    INFO("path: ", std::string(bad));
    CHECK_MESSAGE_HAS(override_error(bad, "1"), std::string("command-line override '") + bad);
  }
  CHECK_MESSAGE_HAS(override_error("name", "[1, 2"), "command-line override 'name=[1, 2'",
                    "YAML syntax error");
}

TEST_CASE("ConfigNode::set_override: negative or partly numeric list indices throw") {
  const std::string text = "regularizers:\n  - {name: dropout}\n  - {name: l2}\n";
  for (const char* bad : {"regularizers[-1]", "regularizers[1x]", "regularizers[ 1]"}) {
    INFO("path: ", std::string(bad));
    ConfigNode root = parse(text);
    CHECK_THROWS_AS(root.set_override(bad, "{name: l1}"), ConfigError);
    CHECK(root.child("regularizers").is_sequence());
  }
}

TEST_CASE("ConfigNode::set_override: errors on overridden values name the override") {
  ConfigNode root = parse(
      "optimizer:\n"
      "  learning_rate: 0.1\n"
      "  learning_rate_decay: x\n"
      "regularizers:\n"
      "  - {name: dropout, rate: 0.5}\n"
      "  - {name: l2, lambda: y}\n");
  root.set_override("optimizer.learning_rate", "abc");
  root.set_override("regularizers[0].rate", "1.5");
  root.set_override("optimizer.lr_typo", "1");

  OptionReader opt(root.child("optimizer"));
  const std::string msg =
      config_error([&] { opt.get_double("learning_rate", 0.1, Range::positive()); });
  CHECK_MESSAGE_HAS(msg, "command-line override 'optimizer.learning_rate=abc'",
                    "optimizer.learning_rate", "expected a number");
  CHECK_FALSE(contains(msg, "cfg.yaml"));
  // A key that merely starts with the overridden key keeps its file location.
  CHECK_MESSAGE_HAS(
      config_error([&] { opt.get_double("learning_rate_decay", 0.1, Range::positive()); }),
      "cfg.yaml:3:24", "optimizer.learning_rate_decay");

  OptionReader reg0(root.child("regularizers").at(0));
  CHECK_MESSAGE_HAS(
      config_error([&] { reg0.get_double("rate", 0.0, Range::closed_open(0.0, 1.0)); }),
      "command-line override 'regularizers[0].rate=1.5'", "regularizers[0].rate");
  // The other list element is still located in the file.
  OptionReader reg1(root.child("regularizers").at(1));
  CHECK_MESSAGE_HAS(config_error([&] { reg1.get_double("lambda", 0.0, Range::positive()); }),
                    "cfg.yaml:6:24", "regularizers[1].lambda");

  // An unknown key introduced by an override is blamed on the override.
  CHECK_MESSAGE_HAS(config_error([&] { opt.finish(); }),
                    "command-line override 'optimizer.lr_typo=1'", "optimizer.lr_typo",
                    "unknown key 'lr_typo'");

  // Overriding a whole map blames the override for errors inside it.
  ConfigNode whole = parse("optimizer:\n  name: sgd\n");
  whole.set_override("optimizer", "{name: sgd, momentum: x}");
  OptionReader w(whole.child("optimizer"));
  CHECK_MESSAGE_HAS(config_error([&] { w.get_double("momentum", 0.0, Range::positive()); }),
                    "command-line override 'optimizer={name: sgd, momentum: x}'",
                    "optimizer.momentum");
}

TEST_CASE("ConfigNode::set_override: a map created by an override is blamed on it") {
  ConfigNode root = parse("name: x\n");
  root.set_override("extra.key", "1");
  OptionReader top(root);
  top.get_string("name", "");
  CHECK_MESSAGE_HAS(config_error([&] { top.finish(); }), "unknown key 'extra'",
                    "command-line override 'extra.key=1'");
}

TEST_CASE("ConfigNode::clone: a tree of its own, with the original's locations") {
  const char* const text =
      "name: x\n"                           // 1
      "optimizer:\n"                        // 2
      "  name: sgd\n"                       // 3
      "  momentum:\n"                       // 4
      "regularizers:\n"                     // 5
      "  - {name: dropout, rate: 0.5}\n"    // 6
      "model: {name: mlp, hidden: [8]}\n";  // 7
  ConfigNode root = parse(text);
  ConfigNode copy = root.clone();
  CHECK(copy.to_yaml() == root.to_yaml());
  const auto rate = [](const ConfigNode& n) { return n.child("regularizers").at(0).child("rate"); };
  // Values, null values (at their key), list elements and flow maps keep their places.
  CHECK(copy.child("optimizer").child("name").location() == "cfg.yaml:3:9");
  CHECK(copy.child("optimizer").child("momentum").location() == "cfg.yaml:4:3");
  CHECK(rate(copy).location() == "cfg.yaml:6:27");
  CHECK(copy.child("model").child("hidden").at(0).location() == "cfg.yaml:7:29");
  CHECK(copy.child("model").location() == root.child("model").location());
  CHECK(copy.child("absent").location() == root.child("absent").location());
  CHECK_MESSAGE_HAS(config_error([&] { rate(copy).fail("boom"); }),
                    "cfg.yaml:6:27: regularizers[0].rate: boom");

  // Changes reach neither tree from the other; a value set in the copy is blamed on its setter.
  copy.set_value("regularizers[0].rate", ConfigNode::parse("0.3", "v.yaml"), "the test's value");
  root.remove_key("name");
  CHECK(rate(root).scalar() == "0.5");
  CHECK(rate(root).location() == "cfg.yaml:6:27");
  CHECK(rate(copy).scalar() == "0.3");
  CHECK(rate(copy).location() == "the test's value");
  CHECK(copy.child("name").scalar() == "x");
  CHECK_FALSE(root.child("name").defined());

  // A copy of the copy keeps both the original's places and the copy's own overrides.
  ConfigNode again = copy.clone();
  CHECK(rate(again).location() == "the test's value");
  CHECK(again.child("optimizer").child("name").location() == "cfg.yaml:3:9");

  // A null value that a longer key path turns into a map is blamed on its key, as in a tree
  // that was never copied.
  ConfigNode fresh = parse(text);
  for (ConfigNode* n : {&fresh, &again}) {
    n->set_value("optimizer.momentum.x", ConfigNode::parse("1", "v.yaml"), "a deep value");
  }
  CHECK(again.child("optimizer").child("momentum").location() ==
        fresh.child("optimizer").child("momentum").location());
  // Keys added after the copy have no place in the file: they name what added them.
  CHECK(again.child("optimizer").child("momentum").child("x").location() == "a deep value");
}

TEST_CASE("ConfigNode::to_yaml: round-trips through parse") {
  const std::string text =
      "name: dropout-maxnorm  # a comment\n"
      "seed: 7\n"
      "quoted: \"x: y\"\n"
      "tilde_string: '~'\n"
      "empty:\n"
      "model:\n"
      "  hidden: [256, 256]\n"
      "  activation: relu\n"
      "regularizers:\n"
      "  - {name: dropout, rate: 0.5, input_rate: 0.2}\n"
      "  - name: max_norm\n"
      "    c: 3.0\n";
  ConfigNode root = parse(text);
  const std::string yaml = root.to_yaml();
  const ConfigNode again = ConfigNode::parse(yaml, "again.yaml");
  CHECK(again.to_yaml() == yaml);
  CHECK(again.keys() == root.keys());  // document order kept
  CHECK(again.child("name").scalar() == "dropout-maxnorm");
  CHECK(again.child("quoted").scalar() == "x: y");
  CHECK(again.child("tilde_string").scalar() == "~");
  CHECK_FALSE(again.child("tilde_string").is_null());
  CHECK(again.child("empty").is_null());
  CHECK(again.child("model").child("hidden").at(1).scalar() == "256");
  CHECK(again.child("regularizers").at(1).child("c").scalar() == "3.0");
  CHECK_FALSE(contains(yaml, "comment"));

  // Skipped keys are left out at the top level unless given as a dotted path.
  const ConfigNode skipping = parse("name: a\noutput: x.h5\nsub: {output: y, k: 1}\nseed: 2\n");
  const ConfigNode skipped = ConfigNode::parse(skipping.to_yaml({"output", "seed"}), "s.yaml");
  CHECK(skipped.keys() == std::vector<std::string>{"name", "sub"});
  CHECK(skipped.child("sub").child("output").scalar() == "y");
  CHECK(skipping.to_yaml({"not_there"}) == skipping.to_yaml());
  // A dotted path leaves out a nested key; the text equals that of a tree without it, in its
  // own (flow) style, and the node itself is unchanged.
  CHECK(skipping.to_yaml({"sub.output", "seed"}) ==
        parse("name: a\noutput: x.h5\nsub: {k: 1}\n").to_yaml());
  CHECK_FALSE(skipping.child("sub").child("output").is_null());
  CHECK(skipping.to_yaml({"sub.missing", "name.deeper"}) == skipping.to_yaml({"x"}));

  // Overrides show up in the text.
  root.set_override("seed", "8");
  const ConfigNode overridden = ConfigNode::parse(root.to_yaml(), "o.yaml");
  CHECK(overridden.child("seed").scalar() == "8");
  CHECK(root.to_yaml() != yaml);
}

TEST_CASE("did_you_mean: near misses of a candidate, nothing for unrelated words") {
  const std::vector<std::string> keys = {"learning_rate", "momentum", "nesterov", "schedule"};
  CHECK(config::did_you_mean("learnin_rate", keys) == " (did you mean 'learning_rate'?)");
  CHECK(config::did_you_mean("momentun", keys) == " (did you mean 'momentum'?)");
  CHECK(config::did_you_mean("nestreov", keys) == " (did you mean 'nesterov'?)");  // a swap
  CHECK(config::did_you_mean("lr", keys).empty());
  CHECK(config::did_you_mean("schedule", keys).empty());  // the word itself is no suggestion
  CHECK(config::did_you_mean("dropuot", {"dropout", "l2"}) == " (did you mean 'dropout'?)");
  CHECK(config::did_you_mean("l3", {"dropout", "l2"}) == " (did you mean 'l2'?)");
  CHECK(config::did_you_mean("l33", {"dropout", "l2"}).empty());  // two edits in a short word
}

TEST_CASE("OptionReader: a misspelt required key is reported as unknown, at its own place") {
  OptionReader r(ConfigNode::parse("{name: sgd, learnin_rate: 0.05}", "o.yaml"));
  CHECK(r.get_string("name", "") == "sgd");
  CHECK_THROWS_WITH_AS(
      r.require_double("learning_rate", Range::positive()),
      "o.yaml:1:27: learnin_rate: unknown key 'learnin_rate' (did you mean 'learning_rate'?)",
      ConfigError);
  // Without a near miss, the key is reported missing.
  OptionReader q(ConfigNode::parse("{name: sgd, lr: 0.05}", "o.yaml"));
  CHECK_THROWS_WITH_AS(q.require_double("learning_rate", Range::positive()),
                       doctest::Contains("missing required key 'learning_rate'"), ConfigError);
}

TEST_CASE("ConfigNode: an unclosed quote, an empty file and a folder have their own messages") {
  CHECK_THROWS_WITH_AS(ConfigNode::parse("name: \"abc\nseed: 1\n", "q.yaml"),
                       doctest::Contains("q.yaml:1:7: name: unclosed quote"), ConfigError);
  CHECK(ConfigNode::parse("name: \"a \\\" b\"\nx: 'it''s'\n", "q.yaml").child("x").scalar() ==
        "it's");
  const auto dir = std::filesystem::temp_directory_path() / "reglab-config-folder.yaml";
  std::filesystem::create_directories(dir);
  CHECK_THROWS_WITH_AS(ConfigNode::load_file(dir.string()),
                       doctest::Contains("is a directory, not a configuration file"), ConfigError);
  std::filesystem::remove(dir);
  const auto empty = std::filesystem::temp_directory_path() / "reglab-empty-config.yaml";
  std::ofstream(empty) << "# only a comment\n\n";
  CHECK_THROWS_WITH_AS(ConfigNode::load_file(empty.string()),
                       doctest::Contains("the file is empty"), ConfigError);
  std::filesystem::remove(empty);
}

}  // namespace
}  // namespace reglab::experiment
