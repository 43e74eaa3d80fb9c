#include <catch2/catch.hpp>

#include "sim/player.h"
#include "scenarios/format/scenario.h"

using namespace th;

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_scenario(text, "x.json");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "parsed";
}

const char* kMinimal = R"({"format":1,"name":"N","title":"T","rules":["R-1"],
  "clients":{"op":{"token":"t"}},
  "steps":[{"at_ms":0,"client":"op","do":"create_task","body":{"taskId":"task-1"},"expect":{"status":201}}]})";

}  // namespace

TEST_CASE("scenario: a minimal file parses and plays", "[scenario]") {
  Scenario sc = parse_scenario(kMinimal, "x.json");
  CHECK(sc.steps.size() == 1);
  CHECK(sc.end_ms == 0);
  TraceWriter trace;
  auto r = play_scenario(sc, 1, trace);
  CHECK(r.passed());
  CHECK(r.trace_lines == 3);  // scenario header, request, response
}

TEST_CASE("scenario: errors name the file and the JSON path", "[scenario][errors]") {
  CHECK(error_of("{") .find("x.json: $: not valid JSON at byte") == 0);
  CHECK(error_of(R"({"format":1,"format":1})") == "x.json: $.format: duplicate key \"format\"");
  std::string s = kMinimal;
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = s;
    t.replace(t.find(from), from.size(), to);
    return error_of(t);
  };
  CHECK(with("\"at_ms\":0", "\"at_ms\":-1") == "x.json: $.steps[0].at_ms: must not be negative");
  CHECK(with("\"at_ms\":0", "\"at_ms\":\"soon\"") ==
        "x.json: $.steps[0].at_ms: must be an integer, not the string \"soon\"");
  CHECK(with("\"do\":\"create_task\"", "\"do\":\"explode\"") == "x.json: $.steps[0].do: unknown action \"explode\"");
  CHECK(with("\"client\":\"op\"", "\"client\":\"ghost\"") == "x.json: $.steps[0].client: undeclared client \"ghost\"");
  CHECK(with("\"title\":\"T\"", "\"title\":\"T\",\"colour\":1") == "x.json: $.colour: unknown field");
  CHECK(with("\"status\":201", "\"status\":201,\"bodyy\":{}") == "x.json: $.steps[0].expect.bodyy: unknown field");
  CHECK(with("\"format\":1", "\"format\":2") == "x.json: $.format: only format 1 is known");
  CHECK(with("\"rules\":[\"R-1\"]", "\"rules\":[]") == "x.json: $.rules: must name at least one rule ID");
}

TEST_CASE("scenario: stream references and patterns are checked", "[scenario][errors]") {
  const std::string base = R"({"format":1,"name":"N","title":"T","rules":["R"],"clients":{"w":{"token":"t"}},
    "steps":[{"at_ms":0,"client":"w","do":"open_stream","stream":"s1","body":{}},
             {"at_ms":10,"do":"close_stream","stream":"STREAM"}],
    "expect_streams":{"EXPECT":{"task_events":[PATTERN]}}})";
  auto make = [&](const std::string& stream, const std::string& expect, const std::string& pattern) {
    std::string t = base;
    t.replace(t.find("STREAM"), 6, stream);
    t.replace(t.find("EXPECT"), 6, expect);
    t.replace(t.find("PATTERN"), 7, pattern);
    return error_of(t);
  };
  CHECK(make("s1", "s1", R"({"taskId":"x"})") == "parsed");
  CHECK(make("s2", "s1", "{}") == "x.json: $.steps[1].stream: stream \"s2\" is not opened before");
  CHECK(make("s1", "s9", "{}") == "x.json: $.expect_streams.s9: no step opens a stream named \"s9\"");
  CHECK(make("s1", "s1", R"({"colour":"red"})").find("x.json: $.expect_streams.s1.task_events[0].colour: unknown pattern key") == 0);
}

TEST_CASE("scenario: a broken expectation fails with what was seen", "[scenario]") {
  std::string s = kMinimal;
  s.replace(s.find("\"status\":201"), 12, "\"status\":200");
  TraceWriter trace;
  auto r = play_scenario(parse_scenario(s, "x.json"), 1, trace);
  REQUIRE(r.failures.size() == 1);
  CHECK_THAT(r.failures[0], Catch::Contains("expected status 200, got 201"));
}

TEST_CASE("subset matching", "[scenario]") {
  const json actual = {{"a", 1}, {"b", {{"c", 2}, {"d", 3}}}, {"e", {1, 2}}};
  CHECK(json_subset_match(json::object(), actual));
  CHECK(json_subset_match({{"b", {{"c", 2}}}}, actual));
  CHECK_FALSE(json_subset_match({{"b", {{"c", 3}}}}, actual));
  CHECK_FALSE(json_subset_match({{"z", 1}}, actual));
  CHECK(json_subset_match({{"e", {1, 2}}}, actual));
  CHECK_FALSE(json_subset_match({{"e", {1}}}, actual));
}
