#include <catch2/catch.hpp>

#include <set>

#include "sim/tests/fixture.h"

using namespace th;
using namespace th::test;

namespace {
json agent(const std::string& entity) { return json{{"system", {{"entityId", entity}}}}; }
}  // namespace

TEST_CASE("create: ids, versions, duplicates", "[model][crud]") {
  Fixture f;
  f.at(100);
  auto t = f.create("task-1");
  CHECK(t->status_version == 1);
  CHECK(t->definition_version == 1);
  CHECK(t->status.status == TaskStatus::kCreated);
  CHECK(t->create_time_ms == kT0 + 100);
  CHECK(t->last_update_time_ms == kT0 + 100);

  CreateTaskRequest dup;
  dup.task_id = "task-1";
  auto d = f.svc.create_task(dup);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().kind == ErrorKind::kAlreadyExists);

  for (const char* bad : {"abcd", "has space", "0123456789012345678901234567890123456", "slash/id"}) {
    CreateTaskRequest r;
    r.task_id = bad;
    auto res = f.svc.create_task(r);
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().kind == ErrorKind::kInvalidArgument);
  }
  CHECK(is_valid_task_id("abcde"));
  CHECK(is_valid_task_id("A.b_c-9"));
  CHECK(is_valid_task_id(std::string(36, 'x')));
}

TEST_CASE("create: generated ids are UUIDs fixed by the seed", "[model][crud][determinism]") {
  auto ids = [](uint64_t seed) {
    VirtualClock clock(kT0);
    Rng rng(seed);
    TaskService svc(clock, rng, ServiceOptions{});
    std::vector<std::string> out;
    for (int i = 0; i < 3; ++i) out.push_back(svc.create_task(CreateTaskRequest{}).value()->task_id);
    return out;
  };
  const auto a = ids(42);
  CHECK(a == ids(42));
  CHECK(a != ids(43));
  for (const auto& id : a) {
    CHECK(id.size() == 36);
    CHECK(id[14] == '4');  // version 4
    CHECK(is_valid_task_id(id));
  }
}

TEST_CASE("update status: versions rise by exactly one; stale versions", "[model][status]") {
  SECTION("reject (default)") {
    Fixture f;
    f.create("task-1");
    auto ok = f.update("task-1", 1, TaskStatus::kSent);
    REQUIRE(ok.ok());
    CHECK(ok.value()->status_version == 2);
    auto stale = f.update("task-1", 1, TaskStatus::kAck);
    REQUIRE_FALSE(stale.ok());
    CHECK(stale.error().kind == ErrorKind::kFailedPrecondition);
    CHECK(f.svc.get_task("task-1").value()->status.status == TaskStatus::kSent);
    auto ahead = f.update("task-1", 3, TaskStatus::kAck);
    CHECK_FALSE(ahead.ok());
  }
  SECTION("ignore") {
    ServiceOptions o;
    o.stale_status_version = StalePolicy::kIgnore;
    Fixture f(o);
    f.create("task-1");
    f.update("task-1", 1, TaskStatus::kSent);
    auto stale = f.update("task-1", 1, TaskStatus::kAck);
    REQUIRE(stale.ok());
    CHECK(stale.value()->status_version == 2);
    CHECK(stale.value()->status.status == TaskStatus::kSent);
  }
}

TEST_CASE("update status: INVALID never, unknown task 404, terminal accepts nothing", "[model][status]") {
  Fixture f;
  f.create("task-1");
  auto inv = f.update("task-1", 1, TaskStatus::kInvalid);
  REQUIRE_FALSE(inv.ok());
  CHECK(inv.error().kind == ErrorKind::kInvalidArgument);
  CHECK(f.update("nope-nope", 1, TaskStatus::kSent).error().kind == ErrorKind::kNotFound);

  REQUIRE(f.update("task-1", 1, TaskStatus::kDoneOk).ok());
  auto after = f.update("task-1", 2, TaskStatus::kExecuting);
  REQUIRE_FALSE(after.ok());
  CHECK(after.error().kind == ErrorKind::kFailedPrecondition);
  auto cancel = f.svc.cancel_task("task-1", nullptr);
  REQUIRE_FALSE(cancel.ok());
  CHECK(cancel.error().kind == ErrorKind::kFailedPrecondition);
  CHECK(f.svc.get_task("task-1").value()->status_version == 2);
}

TEST_CASE("cancel before the task was sent: DONE_NOT_OK with CANCELLED", "[model][cancel]") {
  ServiceOptions o;
  o.listen_hold_ms = 1000;
  Fixture f(o);
  f.create("task-1", agent("agent-1"));  // queued for agent-1, nobody listening
  auto c = f.svc.cancel_task("task-1", json{{"user", {{"userId", "op"}}}});
  REQUIRE(c.ok());
  CHECK(c.value()->status.status == TaskStatus::kDoneNotOk);
  REQUIRE(c.value()->status.task_error);
  CHECK(c.value()->status.task_error->code == ErrorCode::kCancelled);
  CHECK(c.value()->status_version == 2);
  // The execute request was withdrawn: a listen now gets nothing within its hold.
  bool answered = false;
  std::shared_ptr<const AgentRequest> got;
  AgentSelector sel{{"agent-1"}};
  REQUIRE(f.svc.listen_as_agent(sel, [&](auto r) { answered = true; got = r; }).ok());
  f.at(999);
  CHECK_FALSE(answered);
  f.at(1000);
  CHECK(answered);
  CHECK(got == nullptr);
}

TEST_CASE("cancel after the task was sent: CANCEL_REQUESTED and a cancel request", "[model][cancel][agent]") {
  Fixture f;
  auto s = f.open(StreamRequest{});
  f.create("task-1", agent("agent-1"));
  std::vector<std::shared_ptr<const AgentRequest>> got;
  AgentSelector sel{{"agent-1"}};
  REQUIRE(f.svc.listen_as_agent(sel, [&](auto r) { got.push_back(r); }).ok());
  REQUIRE(got.size() == 1);  // answered at once: a request was waiting
  CHECK(got[0]->kind == AgentRequest::Kind::kExecute);
  CHECK(got[0]->task->status.status == TaskStatus::kSent);
  CHECK(got[0]->task->status_version == 2);

  auto c = f.svc.cancel_task("task-1", nullptr);
  REQUIRE(c.ok());
  CHECK(c.value()->status.status == TaskStatus::kCancelRequested);
  CHECK(c.value()->status_version == 3);
  CHECK(f.svc.cancel_task("task-1", nullptr).value()->status_version == 3);  // asked already

  REQUIRE(f.svc.listen_as_agent(sel, [&](auto r) { got.push_back(r); }).ok());
  REQUIRE(got.size() == 2);
  CHECK(got[1]->kind == AgentRequest::Kind::kCancel);
  CHECK(got[1]->task_id == "task-1");

  REQUIRE(f.update("task-1", 3, TaskStatus::kDoneNotOk).ok());
  std::vector<std::pair<EventType, int64_t>> ev;
  for (const auto& e : s->task_events()) ev.emplace_back(e.event_type, e.status_version);
  CHECK(ev == std::vector<std::pair<EventType, int64_t>>{
                  {EventType::kCreated, 1}, {EventType::kUpdate, 2}, {EventType::kUpdate, 3}, {EventType::kUpdate, 4}});
}

TEST_CASE("agents: hand-over goes only to the assignee, never for tasks executed elsewhere", "[model][agent]") {
  ServiceOptions o;
  o.listen_hold_ms = 5000;
  Fixture f(o);
  std::vector<std::shared_ptr<const AgentRequest>> got;
  AgentSelector sel{{"agent-1"}};
  REQUIRE(f.svc.listen_as_agent(sel, [&](auto r) { got.push_back(r); }).ok());
  f.at(100);
  f.create("other-task", agent("agent-2"));
  CreateTaskRequest elsewhere;
  elsewhere.task_id = "elsewhere";
  elsewhere.assignee = agent("agent-1");
  elsewhere.is_executed_elsewhere = true;
  REQUIRE(f.svc.create_task(elsewhere).ok());
  CHECK(got.empty());
  f.at(200);
  f.create("mine-task", agent("agent-1"));
  REQUIRE(got.size() == 1);
  CHECK(got[0]->task_id == "mine-task");
  CHECK(f.svc.get_task("other-task").value()->status.status == TaskStatus::kCreated);
  CHECK(f.svc.get_task("elsewhere").value()->status.status == TaskStatus::kCreated);
}

TEST_CASE("agent stream: requests as events, heartbeats on their own cadence", "[model][agent]") {
  Fixture f;
  auto h = f.svc.open_agent_stream(AgentSelector{{"agent-1"}}, 1000);
  REQUIRE(h.ok());
  auto s = f.attach(h.value().outbox);
  f.at(500);
  f.create("task-1", agent("agent-1"));
  f.at(1500);
  REQUIRE(f.svc.cancel_task("task-1", nullptr).ok());
  f.at(2500);
  std::vector<std::pair<int64_t, StreamMessage::Kind>> seen;
  for (const auto& m : s->seen) seen.emplace_back(m.t_ms, m.kind);
  using K = StreamMessage::Kind;
  CHECK(seen == std::vector<std::pair<int64_t, K>>{
                    {500, K::kAgentRequest}, {1000, K::kHeartbeat}, {1500, K::kAgentRequest}, {2000, K::kHeartbeat}});
}

TEST_CASE("query: every matching task exactly once across pages while tasks change", "[model][query]") {
  ServiceOptions o;
  o.query_page_size = 2;
  Fixture f(o);
  for (int i = 1; i <= 5; ++i) f.create("q-task-" + std::to_string(i));
  TaskQuery q;
  std::set<std::string> seen;
  std::vector<size_t> sizes;
  for (int page = 0; page < 10; ++page) {
    auto res = f.svc.query_tasks(q);
    REQUIRE(res.ok());
    sizes.push_back(res.value().tasks.size());
    for (const auto& t : res.value().tasks) CHECK(seen.insert(t->task_id).second);
    if (page == 0) {
      f.advance("q-task-1", TaskStatus::kSent);  // already returned: must not return again
      f.advance("q-task-4", TaskStatus::kSent);  // not yet returned: must still come once
    }
    if (res.value().next_page_token.empty()) break;
    q.page_token = res.value().next_page_token;
  }
  CHECK(sizes == std::vector<size_t>{2, 2, 1});
  CHECK(seen.size() == 5);

  TaskQuery sent;
  sent.status = TaskStatus::kSent;
  auto only = f.svc.query_tasks(sent);
  REQUIRE(only.value().tasks.size() == 2);
  sent.page_token = "p1.1.0000000000000000";
  CHECK(f.svc.query_tasks(sent).error().kind == ErrorKind::kInvalidArgument);
}

TEST_CASE("manual control: frames in order to the task's subscribers; ends at terminal", "[model][manual]") {
  Fixture f;
  f.create("task-1");
  f.create("task-2");
  auto h = f.svc.open_manual_control_stream("task-1", 1000);
  REQUIRE(h.ok());
  auto box = h.value().outbox;
  auto frame = [&](const std::string& id, int64_t epoch, int64_t seq) {
    ManualControlFrame fr;
    fr.task_id = id;
    fr.epoch_micros = epoch;
    fr.sequence = seq;
    return f.svc.send_manual_control_frame(fr);
  };
  CHECK(frame("task-1", 1, 1).ok());
  CHECK(frame("task-1", 1, 2).ok());
  CHECK(frame("task-1", 1, 2).error().kind == ErrorKind::kInvalidArgument);  // not after the last
  CHECK(frame("task-2", 1, 1).ok());                                         // another task's
  CHECK(frame("task-9", 1, 1).error().kind == ErrorKind::kNotFound);
  REQUIRE(box->size() == 2);
  CHECK(box->pop()->frame->sequence == 1);
  CHECK(box->pop()->frame->sequence == 2);
  f.at(500);
  f.advance("task-1", TaskStatus::kDoneOk);
  CHECK(box->ended());
  CHECK(box->end_reason() == "task_terminal");
  CHECK(box->end_time_ms() == kT0 + 500);
  CHECK(f.svc.open_manual_control_stream("nope-task", 0).error().kind == ErrorKind::kNotFound);
}

TEST_CASE("bounds: the task store refuses beyond its maximum", "[model][bound]") {
  ServiceOptions o;
  o.task_count_max = 2;
  Fixture f(o);
  f.create("task-1");
  f.create("task-2");
  CreateTaskRequest r;
  r.task_id = "task-3";
  auto res = f.svc.create_task(r);
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().kind == ErrorKind::kResourceExhausted);
}

// The name table is a fixed-size array: an enum value left out of it would silently
// be named "none" and never run by taskconform mutants.
TEST_CASE("mutants: every one has its own kebab-case name, and the name parses back", "[model][mutant]") {
  std::set<std::string_view> names;
  int expected = 1;  // the table lists the enum in order, none left out
  for (Mutant m : all_mutants()) {
    CHECK(static_cast<int>(m) == expected++);
    const std::string_view name = to_name(m);
    CHECK(m != Mutant::kNone);
    CHECK(name != "none");
    CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos);
    CHECK(names.insert(name).second);
    CHECK(parse_mutant(name) == m);
  }
  CHECK(all_mutants().back() == Mutant::kCancelQueuedCountsAsSent);  // the last one: update when adding
}
