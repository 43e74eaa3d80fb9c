#include "sim/workload.h"

#include <array>
#include <memory>
#include <vector>

#include "sim/assert.h"
#include "sim/clock.h"
#include "sim/lattice_rest.h"
#include "sim/model.h"
#include "sim/rng.h"
#include "sim/trace.h"

namespace th {
namespace {

constexpr int64_t kStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int kTaskCount = 1000;
constexpr int kStreamCount = 50;

// The life of a bench task: CREATED, then these eight status updates.
constexpr std::array<TaskStatus, 8> kPath = {
    TaskStatus::kSent,      TaskStatus::kMachineReceipt,   TaskStatus::kAck,       TaskStatus::kWilco,
    TaskStatus::kExecuting, TaskStatus::kWaitingForUpdate, TaskStatus::kExecuting, TaskStatus::kDoneOk};

const char* type_url(int i) {
  static constexpr std::array<const char*, 4> kTypes = {
      "type.googleapis.com/anduril.tasks.v2.Investigate", "type.googleapis.com/anduril.tasks.v2.Monitor",
      "type.googleapis.com/anduril.tasks.v2.Strike", "type.googleapis.com/acme.tasks.Survey"};
  return kTypes[static_cast<size_t>(i) % kTypes.size()];
}

StreamRequest stream_request(int i) {
  StreamRequest r;
  r.heartbeat_interval_ms = 30'000;
  switch (i % 6) {
    case 0: break;  // everything
    case 1: r.task_type_prefix = "type.googleapis.com/anduril."; break;
    case 2: r.task_type_urls = std::vector<std::string>{type_url(1), type_url(3)}; break;
    case 3: r.status_filter = StatusFilterSpec{{TaskStatus::kDoneOk, TaskStatus::kDoneNotOk}, FilterType::kExclusive}; break;
    case 4: r.status_filter = StatusFilterSpec{{TaskStatus::kExecuting, TaskStatus::kDoneOk}, FilterType::kInclusive}; break;
    case 5: r.assignee = json{{"system", {{"entityId", "agent-" + std::to_string(i % 4)}}}}; break;
  }
  if (i % 2 == 1) r.rate_limit_ms = 250 * (1 + i % 4);
  r.exclude_preexisting_tasks = i % 3 == 0;
  return r;
}

class DayWorkload {
 public:
  DayWorkload(uint64_t seed, int64_t hours)
      : clock_(kStartMs), rng_(seed), service_(clock_, rng_, ServiceOptions{}), length_ms_(hours * 3'600'000) {}

  void run(BenchStats& out) {
    // A fifth of the streams open late, so they get a preexisting snapshot.
    for (int i = 0; i < kStreamCount; ++i) {
      const int64_t at = i % 5 == 0 ? static_cast<int64_t>(rng_.below(static_cast<uint64_t>(length_ms_ / 4))) : 0;
      clock_.schedule_at(kStartMs + at, [this, i] { open_stream(i); });
    }
    for (int i = 0; i < kTaskCount; ++i) {
      const int64_t at = static_cast<int64_t>(rng_.below(static_cast<uint64_t>(length_ms_ * 9 / 10)));
      clock_.schedule_at(kStartMs + at, [this, i] { create(i); });
    }
    clock_.advance_to(kStartMs + length_ms_);
    for (auto& box : boxes_) drain(*box);
    out.virtual_ms = length_ms_;
    out.tasks = service_.task_count();
    out.status_updates = updates_;
    out.streams = boxes_.size();
    out.events = events_;
    out.heartbeats = heartbeats_;
    out.task_events = task_events_;
    out.timers_fired = clock_.fired_count();
    out.trace_bytes = trace_.bytes();
    out.trace_hash = trace_.hash_hex();
  }

 private:
  void open_stream(int i) {
    auto h = service_.open_task_stream(stream_request(i));
    TH_ASSERT(h.ok(), "bench stream requests are valid");
    auto box = h.value().outbox;
    Outbox* raw = box.get();
    box->set_on_ready([this, raw] { drain(*raw); });
    boxes_.push_back(box);
    drain(*raw);
  }

  void create(int i) {
    CreateTaskRequest c;
    c.task_id = "bench-" + std::to_string(i);
    c.specification = json{{"@type", type_url(i)}};
    c.assignee = json{{"system", {{"entityId", "agent-" + std::to_string(i % 4)}}}};
    c.is_executed_elsewhere = true;  // statuses come from the workload, not an agent
    c.author = json{{"user", {{"userId", "operator"}}}};
    auto r = service_.create_task(c);
    TH_ASSERT(r.ok(), "bench tasks are valid");
    schedule_next(*c.task_id, 0);
  }

  void schedule_next(const std::string& id, size_t step) {
    if (step == kPath.size()) return;
    // Mostly bursts inside a rate-limit window, sometimes long pauses.
    const int64_t gap = rng_.below(4) == 0 ? 1000 + static_cast<int64_t>(rng_.below(600'000))
                                           : 50 + static_cast<int64_t>(rng_.below(1500));
    clock_.schedule_after(gap, [this, id, step] { update(id, step); });
  }

  void update(const std::string& id, size_t step) {
    const TaskPtr t = service_.get_task(id).value();
    UpdateStatusRequest u;
    u.status_version = t->status_version;
    u.new_status.status = kPath[step];
    auto r = service_.update_status(id, u);
    TH_ASSERT(r.ok(), "bench updates are valid");
    ++updates_;
    schedule_next(id, step + 1);
  }

  void drain(Outbox& box) {
    while (auto m = box.pop()) {
      ++events_;
      if (m->kind == StreamMessage::Kind::kHeartbeat) ++heartbeats_;
      if (m->kind == StreamMessage::Kind::kTaskEvent) ++task_events_;
      trace_.raw_line(sse_data(*m));
    }
  }

  VirtualClock clock_;
  Rng rng_;
  TaskService service_;
  int64_t length_ms_;
  TraceWriter trace_;  // hashed, not stored: memory stays flat
  std::vector<std::shared_ptr<Outbox>> boxes_;
  uint64_t updates_ = 0, events_ = 0, heartbeats_ = 0, task_events_ = 0;
};

}  // namespace

bool run_workload(const std::string& name, uint64_t seed, int64_t hours, BenchStats& out) {
  if (name != "day-1k") return false;
  TH_ASSERT(hours > 0, "a workload runs for at least an hour");
  DayWorkload w(seed, hours);
  out.workload = name;
  w.run(out);
  return true;
}

}  // namespace th
