// Legal variants over real HTTP (label `live`): each variant's effect as a client sees
// it, and that a correct client (tests/sse_client.h parses SSE as the spec says) reads
// the same events from every framing.
#include <catch2/catch.hpp>
#include <httplib.h>

#include <sys/wait.h>

#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sim/server.h"
#include "sim/tests/live_server.h"
#include "sim/tests/sse_client.h"
#include "sim/variant.h"

using namespace th;
using namespace th::test;
using json = nlohmann::json;

namespace {

ServerOptions with(VariantSet variants, bool virtual_clock = true) {
  ServerOptions o;
  o.variants = std::move(variants);
  o.virtual_clock = virtual_clock;
  return o;
}

// Advances the test clock; the answer comes when everything due is on its socket.
void advance(Live& s, int64_t ms) {
  auto r = s.post("/_harness/clock/advance", json{{"ms", ms}}.dump());
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["barrier"] == "written");
}

void check_int_error(const httplib::Result& r, int status, int code) {
  REQUIRE(r);
  CHECK(r->status == status);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  const json body = json::parse(r->body);
  REQUIRE(body.contains("code"));
  CHECK(body["code"].is_number_integer());
  CHECK(body["code"] == code);
  CHECK_FALSE(body.value("message", "").empty());
}

std::string status_body(int version, const std::string& status) {
  return json{{"statusVersion", version}, {"newStatus", {{"status", status}}}}.dump();
}

std::string task_id(const json& event) { return event["taskEvent"]["task"]["version"]["taskId"]; }
std::string event_type(const json& event) { return event["taskEvent"]["eventType"]; }

}  // namespace

TEST_CASE("live variant: stale-version-409 refuses a stale version with 409", "[live][variant]") {
  Live s(with({Variant::kStaleVersion409}, false));
  s.create("task-1");
  s.set_status("task-1", 1, "STATUS_SENT");
  check_error(s.put("/api/v1/tasks/task-1/status", status_body(1, "STATUS_ACK")), 409, "ABORTED");
  const json now = json::parse(s.get("/api/v1/tasks/task-1")->body);
  CHECK(now["version"]["statusVersion"] == 2);
  CHECK(now["status"]["status"] == "STATUS_SENT");
}

TEST_CASE("live variant: stale-version-ignored answers 200 with the task unchanged", "[live][variant]") {
  Live s(with({Variant::kStaleVersionIgnored}, false));
  s.create("task-1");
  s.set_status("task-1", 1, "STATUS_SENT");
  auto r = s.put("/api/v1/tasks/task-1/status", status_body(1, "STATUS_ACK"));
  REQUIRE(r);
  CHECK(r->status == 200);
  const json answer = json::parse(r->body);
  CHECK(answer["version"]["statusVersion"] == 2);
  CHECK(answer["status"]["status"] == "STATUS_SENT");
}

TEST_CASE("live variant: terminal-change-409 refuses changes of a terminal task with 409", "[live][variant]") {
  Live s(with({Variant::kTerminalChange409}, false));
  s.create("task-1");
  s.set_status("task-1", 1, "STATUS_DONE_OK");
  check_error(s.put("/api/v1/tasks/task-1/status", status_body(2, "STATUS_EXECUTING")), 409, "ABORTED");
  check_error(s.put("/api/v1/tasks/task-1/cancel", "{}"), 409, "ABORTED");
  check_error(s.put("/api/v1/tasks/task-1/status", status_body(2, "STATUS_BOGUS")), 400, "INVALID_ARGUMENT");
  CHECK(json::parse(s.get("/api/v1/tasks/task-1")->body)["version"]["statusVersion"] == 2);
}

TEST_CASE("live variant: integer-error-codes gives every error body a gRPC number", "[live][variant]") {
  ServerOptions o = with({Variant::kIntegerErrorCodes}, false);
  o.max_body_bytes = 1024;
  Live s(o);
  s.create("task-1");
  check_int_error(s.client->Get("/api/v1/tasks/task-1"), 401, 16);
  check_int_error(s.get("/api/v1/tasks/none-such"), 404, 5);
  check_int_error(s.get("/api/v1/nowhere"), 404, 5);
  check_int_error(s.client->Delete("/api/v1/tasks/task-1", s.auth()), 405, 12);
  check_int_error(s.post("/api/v1/tasks", R"({"taskId":"task-1"})"), 409, 6);
  check_int_error(s.post("/api/v1/tasks", std::string(2000, ' ')), 413, 8);
  check_int_error(s.post("/api/v1/tasks", std::string(100000, ' ')), 413, 8);  // the library's bound
  check_int_error(s.post("/api/v1/tasks", "taskId=x", "text/plain"), 415, 3);
  check_int_error(s.post("/api/v1/tasks", R"({"taskId": )"), 400, 3);
  s.set_status("task-1", 1, "STATUS_SENT");
  check_int_error(s.put("/api/v1/tasks/task-1/status", status_body(1, "STATUS_ACK")), 400, 9);
  check_int_error(s.get("/_harness/clock"), 404, 5);  // the test extension's errors too
  // Not an error: a task stays a task.
  CHECK(json::parse(s.get("/api/v1/tasks/task-1")->body)["version"]["taskId"] == "task-1");
}

TEST_CASE("live variant: unknown-fields-ignored accepts fields it does not know", "[live][variant]") {
  Live s(with({Variant::kUnknownFieldsIgnored}, false));
  auto c = s.post("/api/v1/tasks", R"({"taskId":"task-1","colour":"red","relations":{"sibling":"x"}})");
  REQUIRE(c);
  CHECK(c->status == 201);
  SseClient sse(s.port, "/api/v1/tasks/stream", R"({"rateLimitMs":1000,"heartbeatIntervalMs":100})");
  REQUIRE(sse.wait_events(2));
  CHECK(sse.status() == 200);
  check_error(s.post("/api/v1/tasks", R"({"taskId":"task-2","displayName":5,"colour":"red"})"), 400,
              "INVALID_ARGUMENT");
}

TEST_CASE("live variant: preexisting-reversed sends the snapshot newest first", "[live][variant]") {
  Live s(with({Variant::kPreexistingReversed}, false));
  s.create("task-1");
  s.create("task-2");
  s.create("task-3");
  SseClient sse(s.port, "/api/v1/tasks/stream", "{}");
  REQUIRE(sse.wait_events(3));
  s.create("task-4");
  REQUIRE(sse.wait_events(4));
  auto ev = sse.events_of("task_event");
  REQUIRE(ev.size() == 4);
  CHECK(task_id(ev[0]) == "task-3");
  CHECK(task_id(ev[1]) == "task-2");
  CHECK(task_id(ev[2]) == "task-1");
  for (int i = 0; i < 3; ++i) CHECK(event_type(ev[i]) == "EVENT_TYPE_PREEXISTING");
  CHECK(task_id(ev[3]) == "task-4");
  CHECK(event_type(ev[3]) == "EVENT_TYPE_CREATED");
}

TEST_CASE("live variant: every framing variant reads as the same events", "[live][variant][sse]") {
  const std::vector<VariantSet> framings = {
      {},
      {Variant::kCrlfLineEnds},
      {Variant::kMultilineData},
      {Variant::kCommentsAndIds},
      {Variant::kWrites7Bytes},
      {Variant::kSeveralEventsPerWrite},
      {Variant::kCrlfLineEnds, Variant::kMultilineData, Variant::kCommentsAndIds, Variant::kWrites7Bytes,
       Variant::kSeveralEventsPerWrite},
  };
  // Commas, an escaped quote and a backslash inside strings: no place to split a line.
  const std::string name = "a, b \"c\", d\\e,";
  for (const VariantSet& variants : framings) {
    std::string label;
    for (Variant v : variants) label += std::string(to_name(v)) + " ";
    INFO("variants: " << label);
    Live s(with(variants));
    REQUIRE(s.post("/api/v1/tasks", json{{"taskId", "task-1"}, {"displayName", name}}.dump())->status == 201);
    SseClient sse(s.port, "/api/v1/tasks/stream", R"({"heartbeatIntervalMs":100})");
    REQUIRE(sse.wait_events(1));
    advance(s, 1000);  // ten heartbeats fall due in one advance: one batch
    REQUIRE(sse.wait_events(11));
    const auto events = sse.events();
    CHECK(sse.bad_events() == 0);
    REQUIRE(events.size() == 11);
    CHECK(event_type(events[0]) == "EVENT_TYPE_PREEXISTING");
    CHECK(events[0]["taskEvent"]["task"]["displayName"] == name);
    for (int i = 1; i <= 10; ++i) CHECK(events[i]["event"] == "heartbeat");
    CHECK(events[10]["timestamp"] == "2026-01-01T00:00:01Z");

    const std::string raw = sse.raw();
    const auto metas = sse.metas();
    const auto chunks = sse.chunks();
    size_t lf = 0, crlf = 0;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '\n') continue;
      ++lf;
      crlf += i > 0 && raw[i - 1] == '\r';
    }
    if (variants.count(Variant::kCrlfLineEnds)) {
      CHECK(crlf == lf);
    } else {
      CHECK(crlf == 0);
    }
    for (const auto& m : metas) {
      if (variants.count(Variant::kMultilineData)) {
        CHECK(m.data_lines >= 2);
      } else {
        CHECK(m.data_lines == 1);
      }
    }
    if (variants.count(Variant::kCommentsAndIds)) {
      for (size_t i = 0; i < metas.size(); ++i) {
        CHECK(metas[i].id == std::to_string(i + 1));
        CHECK(metas[i].type == "message");
      }
      CHECK(sse.comments().size() >= 12);  // the opening one and one per event
    } else {
      for (const auto& m : metas) CHECK((m.id.empty() && m.type.empty()));
    }
    if (variants.count(Variant::kWrites7Bytes)) {
      for (size_t c : chunks) CHECK(c <= 7);
      CHECK(chunks.size() >= raw.size() / 7);
    }
    if (variants == VariantSet{Variant::kSeveralEventsPerWrite}) CHECK(chunks.size() < 10);
    sse.stop();
  }
}

TEST_CASE("live variant: heartbeat-timer-restarts counts the interval from the last message", "[live][variant]") {
  Live s(with({Variant::kHeartbeatTimerRestarts}));
  SseClient sse(s.port, "/api/v1/tasks/stream", R"({"heartbeatIntervalMs":1000,"excludePreexistingTasks":true})");
  REQUIRE(sse.wait_status());
  advance(s, 500);
  s.create("task-1");  // CREATED at 500: no heartbeat at 1000
  advance(s, 1500);    // to 2000: one at 1500
  advance(s, 1000);    // to 3000: one at 2500
  REQUIRE(sse.wait_events(3));
  const auto beats = sse.events_of("heartbeat");
  REQUIRE(beats.size() == 2);
  CHECK(beats[0]["timestamp"] == "2026-01-01T00:00:01.500Z");
  CHECK(beats[1]["timestamp"] == "2026-01-01T00:00:02.500Z");
}

TEST_CASE("live variant: busy-store streams 10,000 preexisting tasks and keeps up with the churn",
          "[live][variant][busy]") {
  Live s(with({Variant::kBusyStore}));
  auto first = s.get("/api/v1/tasks/foreign-00000");
  REQUIRE(first);
  CHECK(first->status == 200);
  CHECK(s.get("/api/v1/tasks/foreign-09999")->status == 200);
  CHECK(s.get("/api/v1/tasks/foreign-10000")->status == 404);

  // More preexisting tasks than the stream may queue unread (1,024): the snapshot is
  // legitimate load, read as the client drains it, never a queue_overflow.
  SseClient sse(s.port, "/api/v1/tasks/stream", "{}");
  REQUIRE(sse.wait_status());
  s.create("mine-1");
  // A minute of foreign changes (one per 50 ms) in one advance: the clock moves in
  // slices, each written before the next, so a reading client is never too slow. The
  // advance answers only when everything due is written, the snapshot included: the
  // bytes it reports are every byte the client will get.
  auto r = s.post("/_harness/clock/advance", R"({"ms":60000})");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const json answer = json::parse(r->body);
  CHECK(answer["barrier"] == "written");
  REQUIRE(answer["streams"].size() == 1);
  const uint64_t bytes = answer["streams"].begin().value().get<uint64_t>();
  for (int i = 0; i < 1200 && sse.raw().size() < bytes; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(sse.raw().size() == bytes);
  CHECK_FALSE(sse.finished());
  const auto events = sse.events_of("task_event");
  size_t preexisting = 0, updates = 0, created = 0;
  bool live_seen = false, preexisting_after_live = false;
  std::set<std::string> snapshot_ids;
  for (const auto& e : events) {
    const std::string type = event_type(e);
    if (type == "EVENT_TYPE_PREEXISTING") {
      ++preexisting;
      snapshot_ids.insert(task_id(e));
      preexisting_after_live = preexisting_after_live || live_seen;
    } else {
      live_seen = true;
      updates += type == "EVENT_TYPE_UPDATE";
      created += type == "EVENT_TYPE_CREATED";
    }
  }
  CHECK(preexisting == 10'000);
  CHECK(snapshot_ids.size() == 10'000);
  CHECK_FALSE(preexisting_after_live);
  CHECK(created == 1);
  CHECK(updates == 1200);  // more than the 1,024 one unsliced advance could have queued
  CHECK(sse.events_of("heartbeat").size() == 2);
  for (const auto& c : sse.comments()) CHECK(c.find("queue_overflow") == std::string::npos);

  // Filters still apply to the foreign tasks, and a query pages through them all.
  SseClient mine(s.port, "/api/v1/tasks/stream", R"({"taskType":{"taskTypeUrls":["type.example/none"]}})");
  REQUIRE(mine.wait_status());
  advance(s, 1000);
  CHECK(mine.events_of("task_event").empty());
}

TEST_CASE("live variant: variants combine, on the system clock too", "[live][variant][busy]") {
  Live s(with({Variant::kBusyStore, Variant::kPreexistingReversed, Variant::kIntegerErrorCodes,
               Variant::kHeartbeatTimerRestarts, Variant::kCrlfLineEnds},
              false));
  check_int_error(s.get("/api/v1/tasks/none-such"), 404, 5);
  SseClient sse(s.port, "/api/v1/tasks/stream", R"({"heartbeatIntervalMs":1000})");
  // The newest foreign task first, and the other client's changes live after the
  // 10,000, as real time goes by (one every 50 ms).
  for (int i = 0; i < 1200 && sse.events_of("task_event").size() < 10'001; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto events = sse.events_of("task_event");
  REQUIRE(events.size() >= 10'001);
  CHECK(task_id(events[0]) == "foreign-09999");
  CHECK(task_id(events[9'999]) == "foreign-00000");
  CHECK(event_type(events[10'000]) == "EVENT_TYPE_UPDATE");
}

TEST_CASE("live variant: tasksim serve --list-variants and --variant", "[live][variant][cli]") {
  auto run = [](const std::string& args, std::string& out) {
    FILE* p = popen((std::string(TASKSIM_PATH) + " serve " + args + " 2>&1").c_str(), "r");
    REQUIRE(p);
    char buf[4096];
    size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  std::string list;
  CHECK(run("--token t --list-variants", list) == 0);
  for (Variant v : all_variants()) CHECK_THAT(list, Catch::Contains(std::string(to_name(v)) + "\t"));
  CHECK_THAT(list, Catch::Contains("departs_from: STREAM-HB-003"));
  std::string bad;
  CHECK(run("--token t --variant no-such-variant", bad) == 2);
  CHECK_THAT(bad, Catch::Contains("--variant takes a name from --list-variants"));
  std::string both;
  CHECK(run("--token t --variant stale-version-409 --variant stale-version-ignored", both) == 2);
  CHECK_THAT(both, Catch::Contains("pick one"));
}
