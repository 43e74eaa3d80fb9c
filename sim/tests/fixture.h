#pragma once
// A model on a virtual clock, and a client that reads a stream as messages arrive.
#include <memory>
#include <string>
#include <vector>

#include "sim/clock.h"
#include "sim/model.h"
#include "sim/rng.h"

namespace th::test {

constexpr int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

struct Seen {
  int64_t t_ms;  // relative to kT0
  StreamMessage::Kind kind;
  EventType event_type;
  std::string task_id;
  int64_t status_version;
  TaskStatus status;
};

struct Reader {
  std::shared_ptr<Outbox> box;
  std::vector<Seen> seen;
  std::vector<Seen> task_events() const {
    std::vector<Seen> out;
    for (const auto& s : seen) if (s.kind == StreamMessage::Kind::kTaskEvent) out.push_back(s);
    return out;
  }
  std::vector<int64_t> heartbeats() const {
    std::vector<int64_t> out;
    for (const auto& s : seen) if (s.kind == StreamMessage::Kind::kHeartbeat) out.push_back(s.t_ms);
    return out;
  }
};

struct Fixture {
  explicit Fixture(ServiceOptions o = {}) : clock(kT0), rng(7), svc(clock, rng, o) {}

  void at(int64_t t_ms) { clock.advance_to(kT0 + t_ms); }

  TaskPtr create(const std::string& id, json assignee = nullptr, std::string type = "") {
    CreateTaskRequest r;
    r.task_id = id;
    r.assignee = std::move(assignee);
    if (!type.empty()) r.specification = json{{"@type", type}};
    auto res = svc.create_task(r);
    REQUIRE(res.ok());
    return res.value();
  }

  Result<TaskPtr> update(const std::string& id, int64_t version, TaskStatus s) {
    UpdateStatusRequest u;
    u.status_version = version;
    u.new_status.status = s;
    return svc.update_status(id, u);
  }

  // Moves a task one status on, from its current version.
  TaskPtr advance(const std::string& id, TaskStatus s) {
    auto cur = svc.get_task(id);
    REQUIRE(cur.ok());
    auto res = update(id, cur.value()->status_version, s);
    REQUIRE(res.ok());
    return res.value();
  }

  std::shared_ptr<Reader> open(const StreamRequest& r) {
    auto h = svc.open_task_stream(r);
    REQUIRE(h.ok());
    return attach(h.value().outbox);
  }

  std::shared_ptr<Reader> attach(std::shared_ptr<Outbox> box) {
    auto reader = std::make_shared<Reader>();
    reader->box = box;
    Reader* raw = reader.get();
    auto drain = [this, raw] {
      while (auto m = raw->box->pop()) {
        Seen s{clock.now_ms() - kT0, m->kind, m->event_type, "", 0, TaskStatus::kInvalid};
        if (m->task) {
          s.task_id = m->task->task_id;
          s.status_version = m->task->status_version;
          s.status = m->task->status.status;
        }
        if (m->agent_request) s.task_id = m->agent_request->task_id;
        raw->seen.push_back(s);
      }
    };
    box->set_on_ready(drain);
    drain();
    return reader;
  }

  VirtualClock clock;
  Rng rng;
  TaskService svc;
};

}  // namespace th::test
