#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "framework/core/registry.hpp"

namespace reglab {
namespace {

using IntRegistry = Registry<int(int)>;

TEST_CASE("Registry: add, find, known and entries in registration order") {
  IntRegistry r;
  CHECK(r.entries().empty());
  CHECK(r.known().empty());
  CHECK(r.find("double") == nullptr);

  r.add("double", "twice the input", [](int x) { return 2 * x; });
  r.add("square", "the input squared", [](int x) { return x * x; });
  r.add("negate", "minus the input", [](int x) { return -x; });

  const auto* d = r.find("double");
  REQUIRE(d != nullptr);
  CHECK(d->name == "double");
  CHECK(d->description == "twice the input");
  CHECK(d->factory(21) == 42);
  const auto* s = r.find("square");
  REQUIRE(s != nullptr);
  CHECK(s->factory(5) == 25);

  CHECK(r.find("cube") == nullptr);
  CHECK(r.find("") == nullptr);
  CHECK(r.find("Double") == nullptr);  // names are case-sensitive

  CHECK(r.known() == "double, square, negate");
  REQUIRE(r.entries().size() == 3);
  CHECK(r.entries()[0].name == "double");
  CHECK(r.entries()[1].name == "square");
  CHECK(r.entries()[2].name == "negate");
  CHECK(r.entries()[2].factory(3) == -3);
}

TEST_CASE("Registry: a duplicate name throws std::logic_error and changes nothing") {
  IntRegistry r;
  r.add("one", "first", [](int) { return 1; });
  r.add("two", "second", [](int) { return 2; });
  bool thrown = false;
  try {
    r.add("one", "again", [](int) { return 3; });
  } catch (const std::logic_error& e) {
    thrown = true;
    CHECK(std::string(e.what()).find("'one'") != std::string::npos);
  }
  CHECK(thrown);
  REQUIRE(r.entries().size() == 2);
  CHECK(r.find("one")->description == "first");
  CHECK(r.find("one")->factory(0) == 1);
  CHECK(r.known() == "one, two");
}

TEST_CASE("Registry: entries carry their origin; a duplicate names the first one's") {
  IntRegistry r;
  r.add("one", "first", [](int) { return 1; });
  r.set_origin("plugin /x/libp.so");
  r.add("two", "second", [](int) { return 2; });
  CHECK(r.find("one")->origin == "built-in");
  CHECK(r.find("two")->origin == "plugin /x/libp.so");
  CHECK_THROWS_WITH_AS(r.add("one", "again", [](int) { return 3; }),
                       "name 'one' is already registered (built-in)", DuplicateName);
}

}  // namespace
}  // namespace reglab
