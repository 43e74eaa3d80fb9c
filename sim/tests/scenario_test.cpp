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

TEST_CASE("scenario: a page walk stops at the last page, and body times come from answers", "[scenario]") {
  // Page size 1 and two tasks: q1 has a token, q2 is the last page, so q3 is not played.
  // The range query's start is task-2's lastUpdateTime + 1 ms, from task-2's create answer: only
  // task-2 itself falls outside it, so nothing matches (task-1 is older still).
  const char* text = R"({"format":1,"name":"N","title":"T","rules":["R"],"server":{"query_page_size":1},
    "clients":{"op":{"token":"t"}},
    "steps":[{"at_ms":0,"client":"op","do":"create_task","body":{"taskId":"task-1"}},
             {"at_ms":5,"id":"c2","client":"op","do":"create_task","body":{"taskId":"task-2"}},
             {"at_ms":10,"id":"q1","client":"op","do":"query_tasks","body":{},
              "expect":{"body":{"tasks":[{"version":{"taskId":"task-1"}}]}}},
             {"at_ms":10,"id":"q2","client":"op","do":"query_tasks","body":{},"page_token_from":"q1","if_more_pages":true,
              "expect":{"body":{"tasks":[{"version":{"taskId":"task-2"}}],"nextPageToken":""}}},
             {"at_ms":10,"id":"q3","client":"op","do":"query_tasks","body":{},"page_token_from":"q2","if_more_pages":true,
              "expect":{"status":418}},
             {"at_ms":10,"client":"op","do":"query_tasks","body":{"updateTimeRange":{"startTime":"2026-01-01T00:00:00.004Z"}},
              "times_from":{"updateTimeRange.startTime":{"step":"c2","field":"lastUpdateTime","plus_ms":1}},
              "expect":{"body":{"tasks":[]}}},
             {"at_ms":10,"client":"op","do":"query_tasks","body":{},
              "times_from":{"updateTimeRange.startTime":{"step":"c2","field":"lastUpdateTime"}},
              "expect":{"body":{"tasks":[{"version":{"taskId":"task-2"}}]}}}]})";
  Scenario sc = parse_scenario(text, "x.json");
  TraceWriter trace;
  auto r = play_scenario(sc, 1, trace);
  CHECK(r.failures == std::vector<std::string>{});
  CHECK(r.trace_lines == 1 + 2 * 6);  // q3 was not sent: no request, no answer
}

TEST_CASE("scenario: page walks and body times are checked", "[scenario][errors]") {
  std::string s = R"({"format":1,"name":"N","title":"T","rules":["R"],"clients":{"op":{"token":"t"}},
    "steps":[{"at_ms":0,"id":"c1","client":"op","do":"create_task","body":{"taskId":"task-1"}},
             {"at_ms":0,"id":"q1","client":"op","do":"query_tasks","body":{}},
             {"at_ms":0,"client":"op","do":"query_tasks","body":{},EXTRA}]})";
  auto with = [&](const std::string& extra) {
    std::string t = s;
    t.replace(t.find("EXTRA"), 5, extra);
    return error_of(t);
  };
  CHECK(with(R"("page_token_from":"q1","if_more_pages":true)") == "parsed");
  CHECK(with(R"("if_more_pages":true)") == "x.json: $.steps[2].if_more_pages: needs page_token_from (the page it continues)");
  CHECK(with(R"("times_from":{"a.b":{"step":"c1","field":"lastUpdateTime","plus_ms":-1}})") == "parsed");
  CHECK(with(R"("times_from":{"a":{"step":"c9","field":"lastUpdateTime"}})") ==
        "x.json: $.steps[2].times_from: no earlier step with id \"c9\"");
  CHECK(with(R"("times_from":{"a..b":{"step":"c1","field":"lastUpdateTime"}})") ==
        "x.json: $.steps[2].times_from.a..b: \"a..b\" is not a dotted field path");
  CHECK(with(R"("times_from":{"a":{"step":"c1"}})") == "x.json: $.steps[2].times_from.a.field: is required");
  CHECK(with(R"("times_from":{"a":{"step":"c1","field":"x","extra":1}})") ==
        "x.json: $.steps[2].times_from.a.extra: unknown field");
}
