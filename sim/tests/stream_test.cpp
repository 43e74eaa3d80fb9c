#include <catch2/catch.hpp>

#include "sim/tests/fixture.h"

using namespace th;
using namespace th::test;

namespace {

using Pair = std::pair<int64_t, int64_t>;  // (t_ms, statusVersion)

std::vector<Pair> updates_of(const Reader& r, const std::string& id) {
  std::vector<Pair> out;
  for (const auto& s : r.task_events()) {
    if (s.task_id == id && s.event_type == EventType::kUpdate) out.emplace_back(s.t_ms, s.status_version);
  }
  return out;
}

}  // namespace

TEST_CASE("rate limit: the worked example of lattice-tasks.md", "[stream][ratelimit]") {
  // Limit 1000 ms, updates at 0, 500, 900, 2100: send 0 at 0; drop 500; send 900's
  // state at 1000; send 2100 at 2100.
  Fixture f;
  f.create("task-a");  // version 1, before the stream
  StreamRequest r;
  r.rate_limit_ms = 1000;
  r.exclude_preexisting_tasks = true;
  auto s = f.open(r);
  f.advance("task-a", TaskStatus::kSent);       // v2 at 0
  f.at(500);
  f.advance("task-a", TaskStatus::kAck);        // v3 at 500
  f.at(900);
  f.advance("task-a", TaskStatus::kWilco);      // v4 at 900
  f.at(2100);
  f.advance("task-a", TaskStatus::kExecuting);  // v5 at 2100
  f.at(5000);
  CHECK(updates_of(*s, "task-a") == std::vector<Pair>{{0, 2}, {1000, 4}, {2100, 5}});
}

TEST_CASE("rate limit: windows are per task; CREATED is never limited", "[stream][ratelimit]") {
  Fixture f;
  StreamRequest r;
  r.rate_limit_ms = 1000;
  auto s = f.open(r);
  f.create("task-a");
  f.advance("task-a", TaskStatus::kSent);  // at 0, right after CREATED: leading edge
  f.at(100);
  f.create("task-b");
  f.advance("task-b", TaskStatus::kSent);  // task-a's window does not hold task-b back
  f.at(3000);
  const auto events = s->task_events();
  REQUIRE(events.size() == 4);
  CHECK(events[0].event_type == EventType::kCreated);
  CHECK(updates_of(*s, "task-a") == std::vector<Pair>{{0, 2}});
  CHECK(updates_of(*s, "task-b") == std::vector<Pair>{{100, 2}});
}

TEST_CASE("rate limit: a trailing send reopens the window", "[stream][ratelimit]") {
  Fixture f;
  f.create("task-a");
  StreamRequest r;
  r.rate_limit_ms = 1000;
  r.exclude_preexisting_tasks = true;
  auto s = f.open(r);
  f.at(100);
  f.advance("task-a", TaskStatus::kSent);  // v2, leading at 100, window to 1100
  f.at(1050);
  f.advance("task-a", TaskStatus::kAck);  // v3, trailing at 1100, window to 2100
  f.at(1500);
  f.advance("task-a", TaskStatus::kWilco);  // v4, trailing at 2100, window to 3100
  f.at(3200);
  f.advance("task-a", TaskStatus::kExecuting);  // v5, window closed at 3100: at once
  f.at(5000);
  CHECK(updates_of(*s, "task-a") == std::vector<Pair>{{100, 2}, {1100, 3}, {2100, 4}, {3200, 5}});
}

TEST_CASE("rate limit: an excluded update neither goes out nor replaces a pending one", "[stream][ratelimit][filter]") {
  Fixture f;
  f.create("task-a");
  StreamRequest r;
  r.rate_limit_ms = 1000;
  r.exclude_preexisting_tasks = true;
  r.status_filter = StatusFilterSpec{{TaskStatus::kAck}, FilterType::kExclusive};
  auto s = f.open(r);
  f.advance("task-a", TaskStatus::kSent);            // v2 at 0
  f.at(200);
  f.advance("task-a", TaskStatus::kMachineReceipt);  // v3 pending
  f.at(300);
  f.advance("task-a", TaskStatus::kAck);             // v4 excluded
  f.at(2000);
  CHECK(updates_of(*s, "task-a") == std::vector<Pair>{{0, 2}, {1000, 3}});
}

TEST_CASE("rate limit: a pending update is dropped when its stream closes", "[stream][ratelimit]") {
  Fixture f;
  f.create("task-a");
  StreamRequest r;
  r.rate_limit_ms = 1000;
  r.exclude_preexisting_tasks = true;
  auto h = f.svc.open_task_stream(r);
  REQUIRE(h.ok());
  auto s = f.attach(h.value().outbox);
  f.advance("task-a", TaskStatus::kSent);
  f.at(500);
  f.advance("task-a", TaskStatus::kAck);  // pending
  f.svc.close_stream(h.value().id);
  f.at(2000);
  CHECK(updates_of(*s, "task-a") == std::vector<Pair>{{0, 2}});
  CHECK(f.clock.pending_count() == 0);  // no timer outlives its stream
}

TEST_CASE("stream requests: every invalid one is refused with its reason", "[stream][validate]") {
  auto reason = [](const StreamRequest& r) {
    auto e = validate_stream_request(r);
    return e ? e->message : std::string("accepted");
  };
  StreamRequest r;
  CHECK(reason(r) == "accepted");

  SECTION("rateLimit below 250") {
    r.rate_limit_ms = 249;
    CHECK_THAT(reason(r), Catch::Contains("rateLimit must be 0 (no limit) or at least 250 ms (got 249)"));
    r.rate_limit_ms = 250;
    CHECK(reason(r) == "accepted");
  }
  SECTION("negative rateLimit") {
    r.rate_limit_ms = -1;
    CHECK_THAT(reason(r), Catch::Contains("rateLimit must not be negative"));
  }
  SECTION("negative heartbeat interval") {
    r.heartbeat_interval_ms = -5;
    CHECK_THAT(reason(r), Catch::Contains("heartbeatIntervalMs must not be negative (got -5)"));
  }
  SECTION("both taskType forms") {
    r.task_type_urls = std::vector<std::string>{"a"};
    r.task_type_prefix = "a";
    CHECK_THAT(reason(r), Catch::Contains("either taskTypeUrls or taskTypePrefix, not both"));
  }
  SECTION("parentTaskId with each of the four exclusive fields") {
    r.parent_task_id = "parent-1";
    CHECK(reason(r) == "accepted");
    StreamRequest a = r, b = r, c = r, d = r;
    a.update_start_time_ms = 0;
    b.assignee = json{{"user", {{"userId", "u1"}}}};
    c.status_filter = StatusFilterSpec{};
    d.task_type_prefix = "x";
    CHECK_THAT(reason(a), Catch::Contains("also has updateStartTime"));
    CHECK_THAT(reason(b), Catch::Contains("also has assignee"));
    CHECK_THAT(reason(c), Catch::Contains("also has statusFilter"));
    CHECK_THAT(reason(d), Catch::Contains("also has taskType"));
  }
  SECTION("an invalid filter type") {
    r.status_filter = StatusFilterSpec{{TaskStatus::kAck}, FilterType::kInvalid};
    CHECK_THAT(reason(r), Catch::Contains("filterType must be"));
  }
}

TEST_CASE("preexisting: non-terminal tasks first, in creation order, then live events", "[stream][preexisting]") {
  Fixture f;
  f.create("task-c");
  f.create("task-a");
  f.create("task-b");
  f.advance("task-a", TaskStatus::kDoneOk);  // terminal: never preexisting
  f.at(100);
  auto s = f.open(StreamRequest{});
  f.create("task-d");
  f.advance("task-c", TaskStatus::kSent);
  const auto ev = s->task_events();
  REQUIRE(ev.size() == 4);
  CHECK((ev[0].event_type == EventType::kPreexisting && ev[0].task_id == "task-c"));
  CHECK((ev[1].event_type == EventType::kPreexisting && ev[1].task_id == "task-b"));
  CHECK((ev[2].event_type == EventType::kCreated && ev[2].task_id == "task-d"));
  CHECK((ev[3].event_type == EventType::kUpdate && ev[3].task_id == "task-c" && ev[3].status_version == 2));
}

TEST_CASE("preexisting: excluded on request, and filtered like live events", "[stream][preexisting]") {
  Fixture f;
  f.create("task-a", nullptr, "type.googleapis.com/x.A");
  f.create("task-b", nullptr, "type.googleapis.com/x.B");
  StreamRequest none;
  none.exclude_preexisting_tasks = true;
  auto s1 = f.open(none);
  StreamRequest typed;
  typed.task_type_urls = std::vector<std::string>{"type.googleapis.com/x.B"};
  auto s2 = f.open(typed);
  CHECK(s1->task_events().empty());
  REQUIRE(s2->task_events().size() == 1);
  CHECK(s2->task_events()[0].task_id == "task-b");
}

TEST_CASE("heartbeats: idle stream, every interval from its start", "[stream][heartbeat]") {
  Fixture f;
  f.at(250);
  StreamRequest r;
  r.heartbeat_interval_ms = 1000;
  auto s = f.open(r);
  f.at(5300);
  CHECK(s->heartbeats() == std::vector<int64_t>{1250, 2250, 3250, 4250, 5250});
}

TEST_CASE("heartbeats: default 30000 ms when absent or 0", "[stream][heartbeat]") {
  Fixture f;
  auto absent = f.open(StreamRequest{});
  StreamRequest zero;
  zero.heartbeat_interval_ms = 0;
  auto z = f.open(zero);
  f.at(95000);
  CHECK(absent->heartbeats() == std::vector<int64_t>{30000, 60000, 90000});
  CHECK(z->heartbeats() == std::vector<int64_t>{30000, 60000, 90000});
}

TEST_CASE("heartbeats: on time under heavy update traffic", "[stream][heartbeat]") {
  Fixture f;
  f.create("task-a");
  StreamRequest r;
  r.heartbeat_interval_ms = 1000;
  auto busy = f.open(r);
  r.rate_limit_ms = 250;
  auto limited = f.open(r);
  // 400 updates, one every 10 ms, alternating between two statuses.
  for (int i = 1; i <= 400; ++i) {
    f.at(i * 10);
    f.advance("task-a", i % 2 ? TaskStatus::kExecuting : TaskStatus::kWaitingForUpdate);
  }
  f.at(4500);
  const std::vector<int64_t> expected{1000, 2000, 3000, 4000};
  CHECK(busy->heartbeats() == expected);
  CHECK(limited->heartbeats() == expected);
  CHECK(updates_of(*busy, "task-a").size() == 400);
  // Limited: leading at 10, then one trailing send every 250 ms while updates flow.
  const auto lim = updates_of(*limited, "task-a");
  REQUIRE(lim.size() == 17);
  CHECK(lim.front() == Pair{10, 2});
  // The window timer due at 260 fires before the update made at 260: it carries
  // the state of the update at 250 (version 26).
  CHECK(lim[1] == Pair{260, 26});
  CHECK(lim.back() == Pair{4010, 401});
}

TEST_CASE("bounded queue: a stalled client's stream is ended, never silently thinned", "[stream][bound]") {
  ServiceOptions o;
  o.stream_queue_capacity = 3;
  Fixture f(o);
  auto h = f.svc.open_task_stream(StreamRequest{});
  REQUIRE(h.ok());
  auto box = h.value().outbox;  // nobody reads it
  for (int i = 0; i < 5; ++i) {
    f.at(100 * (i + 1));
    f.create("task-" + std::to_string(i + 10));
  }
  CHECK(box->size() == 3);
  CHECK(box->ended());
  CHECK(box->end_reason() == "queue_overflow");
  CHECK(box->end_time_ms() == kT0 + 400);
  f.at(100000);  // no heartbeat timer survives the end
  CHECK(box->size() == 3);
}

TEST_CASE("views: one event per requested view, in the order asked (gRPC)", "[stream][views]") {
  Fixture f;
  StreamRequest r;
  r.views = {TaskView::kManager, TaskView::kAgent};
  auto h = f.svc.open_task_stream(r);
  REQUIRE(h.ok());
  auto box = h.value().outbox;
  f.create("task-a");
  REQUIRE(box->size() == 2);
  CHECK(box->pop()->view == TaskView::kManager);
  CHECK(box->pop()->view == TaskView::kAgent);
  StreamRequest none;  // no views asked: the manager's
  none.exclude_preexisting_tasks = true;
  auto h2 = f.svc.open_task_stream(none);
  f.create("task-b");
  REQUIRE(h2.value().outbox->size() == 1);
  CHECK(h2.value().outbox->pop()->view == TaskView::kManager);
}

TEST_CASE("bounds: the service refuses streams beyond its maximum", "[stream][bound]") {
  ServiceOptions o;
  o.stream_count_max = 2;
  Fixture f(o);
  CHECK(f.svc.open_task_stream(StreamRequest{}).ok());
  CHECK(f.svc.open_agent_stream(AgentSelector{{"agent-1"}}, 0).ok());
  auto third = f.svc.open_manual_control_stream("none-such", 0);
  CHECK(third.error().kind == ErrorKind::kNotFound);  // checked before the bound
  f.create("task-1");
  auto full = f.svc.open_manual_control_stream("task-1", 0);
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().kind == ErrorKind::kResourceExhausted);
}
