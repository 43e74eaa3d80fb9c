#pragma once
// Subscriptions: what a stream sends and when. A Subscription owns a bounded Outbox
// (what has been sent but not yet read by the client) and a fixed heartbeat cadence;
// TaskStream adds the filters, the preexisting snapshot and per-task rate limiting.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/clock.h"
#include "sim/mutant.h"
#include "sim/types.h"

namespace th {

using TaskPtr = std::shared_ptr<const Task>;

struct AgentRequest {
  enum class Kind { kExecute, kCancel, kComplete };
  Kind kind = Kind::kExecute;
  std::string entity_id;  // the agent it is addressed to
  TaskPtr task;           // execute: the task as handed over
  std::string task_id;
  json assignee;  // cancel: the task's assignee
  json author;    // cancel: who asked
};

struct ManualControlFrame {
  std::string task_id;
  int64_t epoch_micros = 0;
  int64_t sequence = 0;
  int64_t creation_time_ms = 0;
  json specification;
};

// One message on a stream, in the model's terms; a dialect turns it into bytes.
struct StreamMessage {
  enum class Kind { kHeartbeat, kTaskEvent, kAgentRequest, kManualControlFrame };
  Kind kind = Kind::kHeartbeat;
  int64_t time_ms = 0;
  EventType event_type = EventType::kInvalid;  // task events
  TaskView view = TaskView::kManager;          // task events
  TaskPtr task;                                // task events
  std::shared_ptr<const AgentRequest> agent_request;
  std::shared_ptr<const ManualControlFrame> frame;
};

// Messages a stream makes only as its client reads them (the snapshot cursor): they
// come before everything queued, and cost no memory until they are read.
class Backlog {
 public:
  virtual ~Backlog() = default;
  virtual bool empty() const = 0;
  virtual StreamMessage pop() = 0;  // only when !empty()
};

// What a stream has sent and its client has not read yet. Bounded: when a message
// would exceed the bound, the stream is ended with reason "queue_overflow" instead
// (the message is not queued, and the client sees the end): never a silent drop.
class Outbox {
 public:
  explicit Outbox(size_t capacity) : capacity_(capacity) {}

  // Queues a message; false when the stream has ended (or ends now, on overflow).
  bool push(StreamMessage m);
  // Ends the stream; messages already queued stay readable, a backlog goes. Idempotent.
  void end(int64_t time_ms, std::string reason);

  // A backlog is read before the queue and does not count against the capacity.
  void set_backlog(std::shared_ptr<Backlog> b);
  void drop_backlog() { backlog_.reset(); }
  bool backlog_pending() const { return backlog_ && !backlog_->empty(); }

  std::optional<StreamMessage> pop();
  bool empty() const { return queue_.empty() && !backlog_pending(); }
  size_t size() const { return queue_.size(); }  // the queue only: what the bound counts
  size_t capacity() const { return capacity_; }
  bool ended() const { return ended_; }
  const std::string& end_reason() const { return end_reason_; }
  int64_t end_time_ms() const { return end_time_ms_; }

  // Called after every push and at the end, so a consumer can read at once.
  void set_on_ready(std::function<void()> fn) { on_ready_ = std::move(fn); }

 private:
  size_t capacity_;
  std::deque<StreamMessage> queue_;
  std::shared_ptr<Backlog> backlog_;
  bool ended_ = false;
  std::string end_reason_;
  int64_t end_time_ms_ = 0;
  std::function<void()> on_ready_;
};

// Heartbeats are due every interval from the moment the stream starts, whatever else
// is sent (lattice-tasks.md, "Decisions"): start + k * interval, never drifting.
class Subscription {
 public:
  Subscription(Clock& clock, uint64_t id, int64_t heartbeat_interval_ms, size_t queue_capacity,
               Mutant mutant = Mutant::kNone);
  virtual ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  uint64_t id() const { return id_; }
  const std::shared_ptr<Outbox>& outbox() const { return outbox_; }
  bool closed() const { return closed_ || outbox_->ended(); }
  int64_t heartbeat_interval_ms() const { return heartbeat_interval_ms_; }

  void start();
  // Stops every timer; pending (coalesced) messages are dropped.
  virtual void stop();
  // Ends the stream from the server's side with a reason, then stops it.
  void end(const std::string& reason);
  // The heartbeat-timer-restarts variant: a heartbeat is due one interval after the
  // last message sent, whatever it was. Set before start().
  void set_heartbeat_restarts(bool on) { heartbeat_restarts_ = on; }

 protected:
  bool emit(StreamMessage m);
  Clock& clock_;
  Mutant mutant_;

 private:
  void schedule_heartbeat();
  bool skips_heartbeat() const;
  uint64_t id_;
  int64_t heartbeat_interval_ms_;
  // On the timers' timeline (Clock::timer_ms), never the wall clock's.
  int64_t start_ms_ = 0;
  int64_t heartbeats_sent_ = 0;
  std::optional<int64_t> last_event_ms_;  // the last message other than a heartbeat
  std::optional<TimerId> heartbeat_timer_;
  bool heartbeat_restarts_ = false;
  int64_t last_sent_ms_ = 0;  // the last message of any kind (heartbeat_restarts_)
  bool closed_ = false;
  std::shared_ptr<Outbox> outbox_;
};

struct StatusFilterSpec {
  std::vector<TaskStatus> statuses;
  FilterType filter_type = FilterType::kInclusive;
};

// The stream request of seed 000, in the model's terms (dialect-free).
struct StreamRequest {
  std::optional<int64_t> heartbeat_interval_ms;  // absent or 0: default
  int64_t rate_limit_ms = 0;                     // 0: no limit
  bool exclude_preexisting_tasks = false;
  std::optional<std::vector<std::string>> task_type_urls;
  std::optional<std::string> task_type_prefix;
  std::optional<int64_t> update_start_time_ms;
  std::optional<std::string> parent_task_id;
  json assignee;  // null: no assignee filter
  std::optional<StatusFilterSpec> status_filter;
  std::vector<TaskView> views;  // empty: MANAGER (gRPC only)
};

inline constexpr int64_t kRateLimitMinMs = 250;
inline constexpr int64_t kDefaultHeartbeatIntervalMs = 30000;

// Every reason a stream request is refused; each message names the field.
std::optional<Error> validate_stream_request(const StreamRequest& r, Mutant mutant = Mutant::kNone);

// Which tasks a stream's filters let through.
bool passes_filters(const StreamRequest& r, const Task& t, Mutant mutant = Mutant::kNone);

// Reads the store for a snapshot cursor: the task with the least creation sequence
// at or above seq (downward: the greatest at or below), nullptr when there is none.
using StoreReader = std::function<TaskPtr(uint64_t seq, bool downward)>;

class SnapshotCursor;

class TaskStream final : public Subscription {
 public:
  TaskStream(Clock& clock, uint64_t id, StreamRequest request, int64_t heartbeat_interval_ms,
             size_t queue_capacity, Mutant mutant = Mutant::kNone);
  ~TaskStream() override { TaskStream::stop(); }

  const StreamRequest& request() const { return request_; }
  // The snapshot: called once, before any live event, with tasks in creation order.
  void send_preexisting(const std::vector<TaskPtr>& tasks);
  // The snapshot as a cursor over the store (ServiceOptions::snapshot_cursor), in
  // place of send_preexisting: the tasks with creation sequence first..last, in that
  // order or reversed, as they were now, each read when the client has drained the
  // one before. Not bounded by the queue: live messages queue behind it.
  void send_preexisting_from(StoreReader read, uint64_t first_seq, uint64_t last_seq, bool reverse);
  // A task is about to change: a cursor that has not reached it keeps it as it was.
  void before_change(const TaskPtr& before);
  void on_created(const TaskPtr& t);
  void on_updated(const TaskPtr& t);
  void stop() override;

 private:
  struct Window {
    TimerId timer = 0;
    TaskPtr pending;  // the latest coalesced update, sent when the window ends
  };
  void write_snapshot(const std::vector<TaskPtr>& tasks);
  void send_task_event(EventType type, const TaskPtr& t);
  void open_window(const std::string& task_id);
  void on_window_end(const std::string& task_id);

  StreamRequest request_;
  bool snapshot_sent_ = false;
  std::optional<TimerId> snapshot_timer_;  // only the live-before-preexisting mutant defers it
  std::shared_ptr<SnapshotCursor> cursor_;  // the outbox's backlog while the snapshot drains
  std::map<std::string, Window> windows_;          // tasks inside a rate-limit window
  std::map<std::string, int64_t> last_version_;    // invariant: versions rise per task
};

struct AgentSelector {
  std::set<std::string> entity_ids;
};

class AgentStream final : public Subscription {
 public:
  AgentStream(Clock& clock, uint64_t id, AgentSelector selector, int64_t heartbeat_interval_ms,
              size_t queue_capacity)
      : Subscription(clock, id, heartbeat_interval_ms, queue_capacity),
        selector_(std::move(selector)) {}
  const AgentSelector& selector() const { return selector_; }
  bool deliver(std::shared_ptr<const AgentRequest> r);

 private:
  AgentSelector selector_;
};

class ManualControlStream final : public Subscription {
 public:
  ManualControlStream(Clock& clock, uint64_t id, std::string task_id,
                      int64_t heartbeat_interval_ms, size_t queue_capacity)
      : Subscription(clock, id, heartbeat_interval_ms, queue_capacity),
        task_id_(std::move(task_id)) {}
  const std::string& task_id() const { return task_id_; }
  bool deliver(std::shared_ptr<const ManualControlFrame> f);

 private:
  std::string task_id_;
};

}  // namespace th
