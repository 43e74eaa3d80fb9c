#pragma once
// The Lattice Task Manager as a model: tasks, versions, the status machine, query,
// cancel, agents and manual control, and the streams that watch them. Single-threaded:
// a caller that shares it across threads (the HTTP server) holds one lock around every
// call and around the clock's timer callbacks.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/clock.h"
#include "sim/rng.h"
#include "sim/stream.h"
#include "sim/types.h"

namespace th {

enum class StalePolicy {
  kReject,    // 400 FAILED_PRECONDITION
  kIgnore,    // 200 with the task unchanged
  kConflict,  // 409 ABORTED (the stale-version-409 variant)
};

struct ServiceOptions {
  // A status update whose statusVersion is not the task's current one: the public docs
  // disagree, so it is a choice. reject: 400; ignore: 200 with the task unchanged;
  // conflict: 409.
  StalePolicy stale_status_version = StalePolicy::kReject;
  size_t stream_queue_capacity = 1024;  // messages a slow client may leave unread
  int64_t listen_hold_ms = 300'000;     // how long /agent/listen waits: 5 minutes
  size_t query_page_size = 100;
  size_t task_count_max = 100'000;
  size_t stream_count_max = 10'000;  // task, agent and manual-control streams together
  size_t listen_count_max = 10'000;
  Mutant mutant = Mutant::kNone;  // a deliberate bug, for proving the suite (mutant.h)
  // Legal choices another correct server could make (variant.h); all off by default.
  bool terminal_conflict = false;     // a change or cancel of a terminal task: 409 ABORTED, not 400
  bool preexisting_reversed = false;  // the snapshot newest first
  bool heartbeat_restarts = false;    // the heartbeat timer restarts at every message sent
  bool repeated_frame_accepted = false;  // a frame equal to the last one is delivered again
  // The snapshot is read from the store as the client drains the stream, instead of
  // being queued at once: a store of any size fits through a stream, and the queue
  // bound (stream_queue_capacity) then counts live messages only.
  bool snapshot_cursor = false;
};

struct CreateTaskRequest {
  std::optional<std::string> task_id;  // absent: the service makes a UUID
  std::string display_name;
  std::string description;
  json specification;
  json author;
  json assignee;
  std::string parent_task_id;
  bool is_executed_elsewhere = false;
  json initial_entities;
  json retry_strategy;
  json delivery_constraints;
};

struct UpdateStatusRequest {
  int64_t status_version = 0;
  StatusInfo new_status;
  json author;
};

struct TaskQuery {
  std::string page_token;
  std::optional<std::string> parent_task_id;
  std::optional<TaskStatus> status;
  std::optional<int64_t> update_start_ms;  // inclusive
  std::optional<int64_t> update_end_ms;    // inclusive
};

struct QueryPage {
  std::vector<TaskPtr> tasks;
  std::string next_page_token;  // "" on the last page
};

struct StreamHandle {
  uint64_t id = 0;
  std::shared_ptr<Outbox> outbox;
};

// Task ids a client may choose: [A-Za-z0-9_.-]{5,36}.
bool is_valid_task_id(const std::string& id);

class TaskService {
 public:
  TaskService(Clock& clock, Rng& rng, ServiceOptions options);
  ~TaskService();
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;

  Result<TaskPtr> create_task(const CreateTaskRequest& r);
  Result<TaskPtr> get_task(const std::string& task_id) const;
  Result<TaskPtr> update_status(const std::string& task_id, const UpdateStatusRequest& r);
  Result<TaskPtr> cancel_task(const std::string& task_id, const json& author);
  Result<QueryPage> query_tasks(const TaskQuery& q) const;

  Result<StreamHandle> open_task_stream(const StreamRequest& r);
  Result<StreamHandle> open_agent_stream(const AgentSelector& selector, int64_t heartbeat_interval_ms);
  Result<StreamHandle> open_manual_control_stream(const std::string& task_id,
                                                  int64_t heartbeat_interval_ms);
  // The client went away. Idempotent; unknown ids are ignored.
  void close_stream(uint64_t stream_id);
  // Ends every stream with the reason (server shutdown).
  void end_all_streams(const std::string& reason);

  // Long poll: `answer` gets one AgentRequest, now or when one arrives, or nullptr when
  // the hold ends. Returns an id for abandon_listen (the client went away).
  using ListenAnswer = std::function<void(std::shared_ptr<const AgentRequest>)>;
  Result<uint64_t> listen_as_agent(const AgentSelector& selector, ListenAnswer answer);
  void abandon_listen(uint64_t listen_id);

  // An operator's frame (the gRPC side's job; a scenario step here).
  Result<std::shared_ptr<const ManualControlFrame>> send_manual_control_frame(ManualControlFrame f);

  const ServiceOptions& options() const { return options_; }
  Clock& clock() { return clock_; }
  size_t task_count() const { return tasks_.size(); }
  size_t stream_count() const { return streams_.size(); }

 private:
  struct Waiter {
    AgentSelector selector;
    uint64_t stream_id = 0;  // an agent stream, or 0 for a listen
    ListenAnswer answer;     // a listen
    TimerId hold_timer = 0;
  };

  void store(TaskPtr t);
  TaskPtr read_by_creation(uint64_t seq, bool downward) const;
  Error unknown_task(const std::string& task_id) const;
  Error terminal_refused(std::string message) const;
  int64_t default_heartbeat(std::optional<int64_t> asked) const;
  std::optional<Error> stream_bound_reached() const;
  Result<StreamHandle> register_stream(std::unique_ptr<Subscription> s);
  void notify_created(const TaskPtr& t);
  void notify_updated(const TaskPtr& t);
  void on_status_changed(const TaskPtr& after);
  void queue_agent_request(AgentRequest r);
  void drop_agent_requests(const std::string& task_id, AgentRequest::Kind kind);
  void dispatch_agent_requests();
  bool dispatch_one();
  void deliver(uint64_t waiter_id, const std::shared_ptr<AgentRequest>& r);
  TaskPtr hand_over(const std::string& task_id);
  void end_manual_control(const std::string& task_id);
  void reap_closed_streams();

  Clock& clock_;
  Rng& rng_;
  ServiceOptions options_;
  uint64_t next_seq_ = 1;  // one sequence for everything that needs an order

  std::map<std::string, TaskPtr> tasks_;
  std::map<uint64_t, std::string> by_creation_;  // create_seq -> task id
  std::map<uint64_t, std::unique_ptr<Subscription>> streams_;  // by id = registration order
  std::map<uint64_t, TaskStream*> task_streams_;                // views into streams_
  std::map<uint64_t, AgentStream*> agent_streams_;
  std::map<uint64_t, ManualControlStream*> manual_streams_;
  std::map<uint64_t, std::shared_ptr<AgentRequest>> agent_queue_;  // by sequence
  std::map<uint64_t, Waiter> waiters_;  // listens and agent streams, by registration
  std::map<std::string, std::pair<int64_t, int64_t>> last_frame_;  // task -> (epoch, seq)
  bool dispatching_ = false;
};

}  // namespace th
