// Legal variants in the model and the dialect (variant.h); over HTTP in
// server_variant_test.cpp.
#include <catch2/catch.hpp>

#include <set>

#include "sim/lattice_rest.h"
#include "sim/tests/fixture.h"
#include "sim/variant.h"

using namespace th;
using namespace th::test;

TEST_CASE("variants: every name parses back to its variant", "[variant]") {
  std::set<std::string_view> names;
  for (Variant v : all_variants()) {
    const std::string_view name = to_name(v);
    CHECK(parse_variant(name) == v);
    CHECK(names.insert(name).second);
    CHECK_FALSE(description(v).empty());
    for (char c : name) CHECK(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'));
    for (const auto& id : departs_from(v)) CHECK_FALSE(id.empty());
  }
  CHECK(all_variants().size() >= 13);
  CHECK_FALSE(parse_variant("none").has_value());
  CHECK_FALSE(parse_variant("Stale-Version-409").has_value());
  CHECK(variants_conflict({Variant::kStaleVersion409, Variant::kStaleVersionIgnored}).has_value());
  CHECK_FALSE(variants_conflict({Variant::kStaleVersion409, Variant::kTerminalChange409}).has_value());
}

TEST_CASE("variants: integer error codes follow gRPC's numbering", "[variant]") {
  CHECK(integer_error_code("INVALID_ARGUMENT") == 3);
  CHECK(integer_error_code("NOT_FOUND") == 5);
  CHECK(integer_error_code("ALREADY_EXISTS") == 6);
  CHECK(integer_error_code("RESOURCE_EXHAUSTED") == 8);
  CHECK(integer_error_code("FAILED_PRECONDITION") == 9);
  CHECK(integer_error_code("ABORTED") == 10);
  CHECK(integer_error_code("UNAUTHENTICATED") == 16);
  CHECK(integer_error_code("SOMETHING_ELSE") == 2);
  json body = {{"code", "NOT_FOUND"}, {"message", "m"}};
  use_integer_code(body);
  CHECK(body == json{{"code", 5}, {"message", "m"}});
  use_integer_code(body);  // already a number: left alone
  CHECK(body["code"] == 5);
}

TEST_CASE("variants: a stale statusVersion can be a 409 conflict", "[variant][model]") {
  ServiceOptions o;
  o.stale_status_version = StalePolicy::kConflict;
  Fixture f(o);
  f.create("task-a");
  f.advance("task-a", TaskStatus::kSent);
  auto stale = f.update("task-a", 1, TaskStatus::kAck);
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.error().kind == ErrorKind::kAborted);
  CHECK(http_status(stale.error().kind) == 409);
  CHECK(f.svc.get_task("task-a").value()->status_version == 2);
}

TEST_CASE("variants: a change of a terminal task can be a 409 conflict", "[variant][model]") {
  ServiceOptions o;
  o.terminal_conflict = true;
  Fixture f(o);
  f.create("task-a");
  f.advance("task-a", TaskStatus::kDoneOk);
  auto update = f.update("task-a", 2, TaskStatus::kExecuting);
  REQUIRE_FALSE(update.ok());
  CHECK(update.error().kind == ErrorKind::kAborted);
  auto cancel = f.svc.cancel_task("task-a", nullptr);
  REQUIRE_FALSE(cancel.ok());
  CHECK(cancel.error().kind == ErrorKind::kAborted);
  // Not terminal: the ordinary refusals stay as they are.
  f.create("task-b");
  CHECK(f.update("task-b", 7, TaskStatus::kAck).error().kind == ErrorKind::kFailedPrecondition);
}

TEST_CASE("variants: the heartbeat timer can restart at every message", "[variant][model]") {
  ServiceOptions o;
  o.heartbeat_restarts = true;
  Fixture f(o);
  StreamRequest r;
  r.heartbeat_interval_ms = 1000;
  auto s = f.open(r);
  f.at(500);
  f.create("task-a");  // CREATED at 500: the next heartbeat is due at 1500, not 1000
  f.at(1800);
  f.advance("task-a", TaskStatus::kSent);  // at 1800: due at 2800
  f.at(5000);
  CHECK(s->heartbeats() == std::vector<int64_t>{1500, 2800, 3800, 4800});
  // Never silent for longer than the interval.
  int64_t last = 0;
  for (const auto& m : s->seen) {
    CHECK(m.t_ms - last <= 1000);
    last = m.t_ms;
  }
}

TEST_CASE("variants: the snapshot can come newest first", "[variant][model]") {
  for (bool cursor : {false, true}) {
    ServiceOptions o;
    o.preexisting_reversed = true;
    o.snapshot_cursor = cursor;
    Fixture f(o);
    f.create("task-1");
    f.create("task-2");
    f.create("task-3");
    f.advance("task-2", TaskStatus::kDoneOk);  // terminal: not among the preexisting
    auto s = f.open(StreamRequest{});
    f.create("task-4");
    const auto ev = s->task_events();
    REQUIRE(ev.size() == 3);
    CHECK(ev[0].task_id == "task-3");
    CHECK(ev[1].task_id == "task-1");
    CHECK(ev[0].event_type == EventType::kPreexisting);
    CHECK(ev[1].event_type == EventType::kPreexisting);
    CHECK(ev[2].task_id == "task-4");
    CHECK(ev[2].event_type == EventType::kCreated);
  }
}

namespace {

std::vector<StreamMessage> drain(Outbox& box) {
  std::vector<StreamMessage> out;
  while (auto m = box.pop()) out.push_back(std::move(*m));
  return out;
}

}  // namespace

TEST_CASE("snapshot cursor: a snapshot larger than the queue bound goes through", "[variant][model][bound]") {
  ServiceOptions o;
  o.stream_queue_capacity = 4;
  o.snapshot_cursor = true;
  Fixture f(o);
  for (int i = 0; i < 100; ++i) f.create("task-" + std::to_string(1000 + i));
  auto h = f.svc.open_task_stream(StreamRequest{});
  REQUIRE(h.ok());
  auto box = h.value().outbox;
  CHECK(box->size() == 0);  // nothing queued: the snapshot is read as it drains
  CHECK_FALSE(box->empty());
  CHECK(box->backlog_pending());
  f.create("task-live");  // a live event queues behind the snapshot
  const auto got = drain(*box);
  REQUIRE(got.size() == 101);
  for (int i = 0; i < 100; ++i) {
    CHECK(got[i].event_type == EventType::kPreexisting);
    CHECK(got[i].task->task_id == "task-" + std::to_string(1000 + i));
    CHECK(got[i].time_ms == kT0);
  }
  CHECK(got[100].event_type == EventType::kCreated);
  CHECK_FALSE(box->ended());
  CHECK(box->empty());
}

TEST_CASE("snapshot cursor: a task changed before the cursor reaches it arrives once as it was, then live",
          "[variant][model]") {
  ServiceOptions o;
  o.snapshot_cursor = true;
  Fixture f(o);
  f.create("task-a");
  f.create("task-b");
  f.create("task-c");
  f.create("task-d");
  auto h = f.svc.open_task_stream(StreamRequest{});
  REQUIRE(h.ok());
  auto box = h.value().outbox;
  auto first = box->pop();  // the reader has read task-a
  REQUIRE(first);
  CHECK(first->task->task_id == "task-a");
  f.at(100);
  f.advance("task-c", TaskStatus::kSent);    // not reached yet: PREEXISTING v1, then UPDATE v2
  f.advance("task-c", TaskStatus::kAck);     // and v3
  f.advance("task-a", TaskStatus::kSent);    // read already: only the UPDATE
  f.advance("task-d", TaskStatus::kDoneOk);  // terminal now, live when the stream opened: PREEXISTING v1
  const auto rest = drain(*box);
  std::vector<std::tuple<std::string, EventType, int64_t>> seen;
  for (const auto& m : rest) seen.emplace_back(m.task->task_id, m.event_type, m.task->status_version);
  using T = std::tuple<std::string, EventType, int64_t>;
  CHECK(seen == std::vector<T>{{"task-b", EventType::kPreexisting, 1},
                               {"task-c", EventType::kPreexisting, 1},
                               {"task-d", EventType::kPreexisting, 1},
                               {"task-c", EventType::kUpdate, 2},
                               {"task-c", EventType::kUpdate, 3},
                               {"task-a", EventType::kUpdate, 2},
                               {"task-d", EventType::kUpdate, 2}});
}

TEST_CASE("snapshot cursor: filters and excludePreexistingTasks apply as to a queued snapshot", "[variant][model]") {
  ServiceOptions o;
  o.snapshot_cursor = true;
  Fixture f(o);
  f.create("task-a", nullptr, "type.example/A");
  f.create("task-b", nullptr, "type.example/B");
  f.create("task-c", nullptr, "type.example/A");
  StreamRequest only_a;
  only_a.task_type_urls = std::vector<std::string>{"type.example/A"};
  auto a = f.open(only_a);
  StreamRequest none;
  none.exclude_preexisting_tasks = true;
  auto n = f.open(none);
  const auto ev = a->task_events();
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].task_id == "task-a");
  CHECK(ev[1].task_id == "task-c");
  CHECK(n->task_events().empty());
}

TEST_CASE("snapshot cursor: an ended stream drops the rest of its snapshot", "[variant][model][bound]") {
  ServiceOptions o;
  o.snapshot_cursor = true;
  o.stream_queue_capacity = 2;
  Fixture f(o);
  for (int i = 0; i < 10; ++i) f.create("task-" + std::to_string(1000 + i));
  auto h = f.svc.open_task_stream(StreamRequest{});
  REQUIRE(h.ok());
  auto box = h.value().outbox;
  // Nobody reads: the live queue overflows (the snapshot never counts), and the
  // stream ends with what was queued still readable, the snapshot's rest gone.
  for (int i = 0; i < 3; ++i) f.create("live-" + std::to_string(1000 + i));
  CHECK(box->ended());
  CHECK(box->end_reason() == "queue_overflow");
  CHECK_FALSE(box->backlog_pending());
  CHECK(drain(*box).size() == 2);
  f.svc.close_stream(h.value().id);
}

TEST_CASE("variants: unknown fields can be ignored by the dialect", "[variant][rest]") {
  Fixture f;
  DialectOptions strict_options;
  strict_options.tokens = {"tok"};
  DialectOptions lenient_options = strict_options;
  lenient_options.ignore_unknown_fields = true;
  RestDialect strict(f.svc, strict_options);
  RestDialect lenient(f.svc, lenient_options);
  auto req = [](std::string method, std::string target, std::string body) {
    return HttpRequest{std::move(method), std::move(target), "application/json", "Bearer tok", std::move(body)};
  };
  CHECK(strict.handle(req("POST", "/api/v1/tasks", R"({"taskId":"task-a","colour":"red"})")).status == 400);
  CHECK(lenient.handle(req("POST", "/api/v1/tasks", R"({"taskId":"task-a","colour":"red"})")).status == 201);
  CHECK(lenient
            .handle(req("PUT", "/api/v1/tasks/task-a/status",
                        R"({"statusVersion":1,"newStatus":{"status":"STATUS_SENT","mood":1},"extra":[]})"))
            .status == 200);
  CHECK(lenient.handle(req("POST", "/api/v1/tasks/query", R"({"statusFilter":{"status":"STATUS_SENT","x":1},"y":2})"))
            .status == 200);
  const auto stream = lenient.handle(req("POST", "/api/v1/tasks/stream", R"({"rateLimitMs":1000,"views":"x"})"));
  CHECK(stream.status == 200);
  REQUIRE(stream.stream);
  f.svc.close_stream(stream.stream->id);
  // What is known is still checked.
  CHECK(lenient.handle(req("POST", "/api/v1/tasks", R"({"taskId":"task-b","displayName":5})")).status == 400);
  CHECK(lenient.handle(req("POST", "/api/v1/tasks/stream", R"({"rateLimit":100,"other":1})")).status == 400);
}

TEST_CASE("variants: integer error codes in the dialect's answers", "[variant][rest]") {
  Fixture f;
  DialectOptions o;
  o.tokens = {"tok"};
  o.integer_error_codes = true;
  RestDialect d(f.svc, o);
  auto res = d.handle(HttpRequest{"GET", "/api/v1/tasks/none-such", "", "Bearer tok", ""});
  CHECK(res.status == 404);
  CHECK(res.body["code"] == 5);
  CHECK(res.body["message"].is_string());
  res = d.handle(HttpRequest{"GET", "/api/v1/tasks/none-such", "", "", ""});
  CHECK(res.status == 401);
  CHECK(res.body["code"] == 16);
  f.create("task-a");
  res = d.handle(HttpRequest{"GET", "/api/v1/tasks/task-a", "", "Bearer tok", ""});
  CHECK(res.status == 200);
  CHECK(res.body["version"]["taskId"] == "task-a");  // a task is not an error body
}
