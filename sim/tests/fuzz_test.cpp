// Properties over generated input: whatever a client sends, the dialect answers with a
// 2xx or a 4xx carrying {code, message}, never a 5xx or a crash; whatever a scenario
// file holds, the parser accepts it or names what is wrong, never anything else.
#include <catch2/catch.hpp>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include "sim/lattice_rest.h"
#include "sim/player.h"
#include "scenarios/format/scenario.h"
#include "sim/tests/fixture.h"

using namespace th;
using namespace th::test;

namespace {

const std::vector<std::string> kTargets = {
    "/api/v1/tasks", "/api/v1/tasks/task-1", "/api/v1/tasks/task-1/status", "/api/v1/tasks/task-1/cancel",
    "/api/v1/tasks/query", "/api/v1/tasks/stream", "/api/v1/agent/listen", "/api/v1/agent/stream",
    "/api/v1/tasks/task-1/manual-control/stream", "/_harness/tasks/task-1/manual-control/frames",
    "/api/v1/tasks/%zz", "/api/v1//tasks", "/api/v1/tasks/task-1?x=1"};

// Bodies that are near-valid JSON hit the deep parsing paths; pure noise hits the rest.
const std::vector<std::string> kFragments = {
    "{", "}", "[", "]", ",", ":", "\"statusVersion\"", "\"newStatus\"", "\"status\"", "\"STATUS_SENT\"",
    "\"taskId\"", "\"task-2\"", "\"rateLimit\"", "\"heartbeatIntervalMs\"", "\"statusFilter\"", "\"statuses\"",
    "\"taskType\"", "\"taskTypeUrls\"", "\"agentSelector\"", "\"entityIds\"", "\"pageToken\"",
    "\"updateStartTime\"", "\"2026-01-01T00:00:00Z\"", "1", "-1", "250", "1e999", "null", "true", "\"\\u0000\"",
    "\"\xff\"", "99999999999999999999"};

}  // namespace

TEST_CASE("fuzz: the REST dialect never answers a client's bytes with a 5xx", "[fuzz]") {
  rc::prop("any method, path and body", [] {
    Fixture f;
    DialectOptions o;
    o.tokens = {"tok"};
    o.max_body_bytes = 512;
    RestDialect d(f.svc, o);
    f.create("task-1");
    const auto method = *rc::gen::element<std::string>("GET", "POST", "PUT", "DELETE", "PATCH");
    const auto target = *rc::gen::elementOf(kTargets);
    const auto parts = *rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(kFragments));
    std::string body;
    for (const auto& p : parts) body += p;
    if (*rc::gen::arbitrary<bool>()) body += *rc::gen::arbitrary<std::string>();
    HttpRequest req{method, target, "application/json", "Bearer tok", body};
    const HttpResponse res = d.handle(req, [](HttpResponse) {});
    RC_ASSERT(res.status >= 200);
    RC_ASSERT(res.status < 500);
    if (res.status >= 400) {
      RC_ASSERT(res.body.contains("code"));
      RC_ASSERT(res.body.contains("message"));
    }
  });
}

TEST_CASE("fuzz: the scenario parser accepts or names the problem", "[fuzz]") {
  const std::string valid = R"({"format":1,"name":"N","title":"T","rules":["R"],"clients":{"c":{"token":"t"}},
    "steps":[{"at_ms":0,"client":"c","do":"open_stream","stream":"s","body":{}},
             {"at_ms":5,"client":"c","do":"create_task","body":{"taskId":"task-1"},"expect":{"status":201}}],
    "end_ms":10,"expect_streams":{"s":{"task_events":[{"taskId":"task-1"}],"heartbeats_ms":[]}}})";
  rc::prop("a valid file with bytes cut, replaced or inserted", [&] {
    std::string text = valid;
    const auto edits = *rc::gen::inRange(1, 6);
    for (int i = 0; i < edits; ++i) {
      const size_t pos = *rc::gen::inRange<size_t>(0, text.size());
      const char c = *rc::gen::elementOf(std::string("{}[],:\"0123456789-abcxyz \\"));
      switch (*rc::gen::inRange(0, 3)) {
        case 0: text.erase(pos, 1); break;
        case 1: text[pos] = c; break;
        default: text.insert(pos, 1, c); break;
      }
    }
    try {
      const Scenario sc = parse_scenario(text, "f.json");
      TraceWriter trace;
      play_scenario(sc, 1, trace);  // whatever parses also plays without crashing
    } catch (const ScenarioError& e) {
      RC_ASSERT(std::string(e.what()).rfind("f.json: $", 0) == 0);
    }
  });
}
