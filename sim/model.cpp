#include "sim/model.h"

#include <algorithm>
#include <cstdio>

#include "sim/assert.h"

namespace th {
namespace {

uint64_t fnv1a(uint64_t h, const std::string& s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h ^ 0xff;  // field separator
}

// The query a page token belongs to, so a token is never applied to another query.
uint64_t query_fingerprint(const TaskQuery& q) {
  uint64_t h = 0xcbf29ce484222325ULL;
  h = fnv1a(h, q.parent_task_id ? "p" + *q.parent_task_id : "-");
  h = fnv1a(h, q.status ? std::to_string(static_cast<int>(*q.status)) : "-");
  h = fnv1a(h, q.update_start_ms ? std::to_string(*q.update_start_ms) : "-");
  h = fnv1a(h, q.update_end_ms ? std::to_string(*q.update_end_ms) : "-");
  return h;
}

std::string make_page_token(uint64_t after_seq, uint64_t fingerprint) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "p1.%llx.%016llx", static_cast<unsigned long long>(after_seq),
                static_cast<unsigned long long>(fingerprint));
  return buf;
}

std::optional<uint64_t> parse_page_token(const std::string& token, uint64_t fingerprint) {
  unsigned long long seq = 0, fp = 0;
  int consumed = 0;
  if (std::sscanf(token.c_str(), "p1.%llx.%16llx%n", &seq, &fp, &consumed) != 2 ||
      static_cast<size_t>(consumed) != token.size() || fp != fingerprint) {
    return std::nullopt;
  }
  return seq;
}

bool query_matches(const TaskQuery& q, const Task& t) {
  if (q.parent_task_id && t.parent_task_id != *q.parent_task_id) return false;
  if (q.status && t.status.status != *q.status) return false;
  if (q.update_start_ms && t.last_update_time_ms < *q.update_start_ms) return false;
  if (q.update_end_ms && t.last_update_time_ms > *q.update_end_ms) return false;
  return true;
}

}  // namespace

bool is_valid_task_id(const std::string& id) {
  if (id.size() < 5 || id.size() > 36) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

TaskService::TaskService(Clock& clock, Rng& rng, ServiceOptions options)
    : clock_(clock), rng_(rng), options_(options) {
  TH_ASSERT(options_.query_page_size > 0, "query page size must be positive");
}

TaskService::~TaskService() {
  for (auto& [id, w] : waiters_) {
    if (w.stream_id == 0) clock_.cancel(w.hold_timer);
  }
  for (auto& [id, s] : streams_) s->stop();
}

void TaskService::store(TaskPtr t) {
  auto it = tasks_.find(t->task_id);
  if (it != tasks_.end()) {
    const Task& before = *it->second;
    TH_ASSERT(!is_terminal(before.status.status) || options_.mutant == Mutant::kTerminalTaskMutable,
              "a terminal task never changes");
    TH_ASSERT(t->status_version == before.status_version ||
                  t->status_version == before.status_version + 1,
              "statusVersion rises by exactly one");
    TH_ASSERT(t->create_seq == before.create_seq, "creation order never changes");
    if (options_.snapshot_cursor) {
      for (auto& [id, s] : task_streams_) s->before_change(it->second);
    }
    it->second = std::move(t);
    return;
  }
  by_creation_.emplace(t->create_seq, t->task_id);
  tasks_.emplace(t->task_id, std::move(t));
}

TaskPtr TaskService::read_by_creation(uint64_t seq, bool downward) const {
  auto it = by_creation_.lower_bound(seq);
  if (downward) {
    if (it == by_creation_.end() || it->first != seq) {
      if (it == by_creation_.begin()) return nullptr;
      --it;
    }
  } else if (it == by_creation_.end()) {
    return nullptr;
  }
  return tasks_.at(it->second);
}

Result<TaskPtr> TaskService::create_task(const CreateTaskRequest& r) {
  reap_closed_streams();
  if (tasks_.size() >= options_.task_count_max) {
    return Error{ErrorKind::kResourceExhausted,
                 "the service holds its maximum of " + std::to_string(options_.task_count_max) + " tasks"};
  }
  auto t = std::make_shared<Task>();
  if (r.task_id && !r.task_id->empty()) {
    if (!is_valid_task_id(*r.task_id)) {
      return invalid_argument("taskId \"" + *r.task_id + "\" must match [A-Za-z0-9_.-]{5,36}");
    }
    if (tasks_.count(*r.task_id)) {
      return Error{ErrorKind::kAlreadyExists, "a task with taskId \"" + *r.task_id + "\" already exists"};
    }
    t->task_id = *r.task_id;
  } else {
    do {
      t->task_id = rng_.uuid4();
    } while (tasks_.count(t->task_id));
  }
  const int64_t now = clock_.now_ms();
  t->display_name = r.display_name;
  t->description = r.description;
  t->specification = r.specification;
  t->created_by = r.author;
  t->last_updated_by = r.author;
  t->last_update_time_ms = now;
  t->create_time_ms = now;
  t->status.status = TaskStatus::kCreated;
  t->assignee = r.assignee;
  t->parent_task_id = r.parent_task_id;
  t->is_executed_elsewhere = r.is_executed_elsewhere;
  t->initial_entities = r.initial_entities;
  t->retry_strategy = r.retry_strategy;
  t->delivery_constraints = r.delivery_constraints;
  t->create_seq = next_seq_++;
  TaskPtr created = t;
  store(created);
  notify_created(created);
  const std::string entity = principal_entity_id(r.assignee);
  // The executed-elsewhere mutant forgets the flag: the assignee's agent gets the task anyway.
  const bool elsewhere = r.is_executed_elsewhere && options_.mutant != Mutant::kExecutedElsewhereHandedOver;
  if (!entity.empty() && !elsewhere) {
    AgentRequest req;
    req.kind = AgentRequest::Kind::kExecute;
    req.entity_id = entity;
    req.task_id = created->task_id;
    queue_agent_request(std::move(req));
  }
  return tasks_.at(created->task_id);  // may already be SENT to a waiting agent
}

Error TaskService::terminal_refused(std::string message) const {
  // The terminal-change-409 variant calls it a conflict with the task's state.
  if (options_.terminal_conflict) return Error{ErrorKind::kAborted, std::move(message)};
  return failed_precondition(std::move(message));
}

Error TaskService::unknown_task(const std::string& task_id) const {
  const std::string message = "no task with taskId \"" + task_id + "\"";
  // The unknown-task-400 mutant takes an id that names nothing for a bad argument.
  return options_.mutant == Mutant::kUnknownTask400 ? invalid_argument(message) : not_found(message);
}

Result<TaskPtr> TaskService::get_task(const std::string& task_id) const {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return unknown_task(task_id);
  return it->second;
}

Result<TaskPtr> TaskService::update_status(const std::string& task_id, const UpdateStatusRequest& r) {
  reap_closed_streams();
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return unknown_task(task_id);
  const TaskPtr before = it->second;
  if (r.new_status.status == TaskStatus::kInvalid) {
    return invalid_argument("newStatus.status must be a valid status, not STATUS_INVALID");
  }
  // Two mutants skip a check here: the terminal one, and the version one (last write wins).
  if (is_terminal(before->status.status) && options_.mutant != Mutant::kTerminalTaskMutable) {
    return terminal_refused("task \"" + task_id + "\" is in terminal status " +
                            std::string(to_name(before->status.status)) + " and accepts no change");
  }
  if (r.status_version != before->status_version && options_.mutant != Mutant::kStaleUpdateApplied) {
    if (options_.stale_status_version == StalePolicy::kIgnore) return before;
    const std::string message = "statusVersion " + std::to_string(r.status_version) +
                                " is not the task's current statusVersion " + std::to_string(before->status_version);
    if (options_.stale_status_version == StalePolicy::kConflict) return Error{ErrorKind::kAborted, message};
    return failed_precondition(message);
  }
  auto after = std::make_shared<Task>(*before);
  after->status = r.new_status;
  after->status_version = before->status_version + (options_.mutant == Mutant::kVersionNotRaised ? 0 : 1);
  after->last_update_time_ms = clock_.now_ms();
  if (!r.author.is_null()) after->last_updated_by = r.author;
  store(after);
  on_status_changed(after);
  return tasks_.at(task_id);
}

Result<TaskPtr> TaskService::cancel_task(const std::string& task_id, const json& author) {
  reap_closed_streams();
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return unknown_task(task_id);
  const TaskPtr before = it->second;
  if (is_terminal(before->status.status)) {
    return terminal_refused("task \"" + task_id + "\" is already in terminal status " +
                            std::string(to_name(before->status.status)));
  }
  if (before->status.status == TaskStatus::kCancelRequested) return before;  // asked already
  // The cancel-sent-ends-task mutant ends every task at once, as if nobody had it yet;
  // the cancel-queued-counts-as-sent mutant takes a task queued for its agent as sent.
  const bool queued = options_.mutant == Mutant::kCancelQueuedCountsAsSent &&
                      !before->is_executed_elsewhere && !principal_entity_id(before->assignee).empty();
  const bool sent = (before->handed_over || queued) && options_.mutant != Mutant::kCancelSentEndsTask;
  auto after = std::make_shared<Task>(*before);
  after->status_version = before->status_version + 1;
  after->last_update_time_ms = clock_.now_ms();
  if (!author.is_null()) after->last_updated_by = author;
  if (!sent) {
    // Nobody is executing it yet: the service ends it itself.
    after->status.status = TaskStatus::kDoneNotOk;
    after->status.task_error = TaskError{ErrorCode::kCancelled, "cancelled before it was sent to an agent"};
  } else {
    after->status.status = TaskStatus::kCancelRequested;
  }
  store(after);
  on_status_changed(after);
  // The cancel-not-sent-to-agent mutant shows CANCEL_REQUESTED but never tells the agent.
  if (sent && options_.mutant != Mutant::kCancelNotSentToAgent) {
    AgentRequest req;
    req.kind = AgentRequest::Kind::kCancel;
    req.entity_id = principal_entity_id(before->assignee);
    req.task_id = task_id;
    req.assignee = before->assignee;
    req.author = author;
    queue_agent_request(std::move(req));
  }
  return tasks_.at(task_id);
}

void TaskService::on_status_changed(const TaskPtr& after) {
  if (is_terminal(after->status.status)) {
    // Nothing is left for an agent to do with a finished task.
    drop_agent_requests(after->task_id, AgentRequest::Kind::kExecute);
    drop_agent_requests(after->task_id, AgentRequest::Kind::kCancel);
  }
  notify_updated(after);
  // The manual-control-not-ended mutant checks for a terminal task only when a stream opens.
  if (is_terminal(after->status.status) && options_.mutant != Mutant::kManualControlNotEnded) {
    end_manual_control(after->task_id);
  }
}

Result<QueryPage> TaskService::query_tasks(const TaskQuery& q) const {
  const uint64_t fingerprint = query_fingerprint(q);
  uint64_t after_seq = 0;
  if (!q.page_token.empty()) {
    auto seq = parse_page_token(q.page_token, fingerprint);
    if (!seq) {
      return invalid_argument("pageToken \"" + q.page_token +
                              "\" was not issued by this server for this query");
    }
    after_seq = *seq;
  }
  QueryPage page;
  // Pages walk creation order, which never changes: each task is on one page only,
  // however tasks change between the pages.
  // The page-boundary-repeats mutant resumes at the page's last task instead of after it.
  auto it = options_.mutant == Mutant::kPageBoundaryRepeats ? by_creation_.lower_bound(after_seq)
                                                             : by_creation_.upper_bound(after_seq);
  for (; it != by_creation_.end(); ++it) {
    const TaskPtr& t = tasks_.at(it->second);
    if (!query_matches(q, *t)) continue;
    if (page.tasks.size() == options_.query_page_size) {
      page.next_page_token = make_page_token(page.tasks.back()->create_seq, fingerprint);
      break;
    }
    page.tasks.push_back(t);
  }
  return page;
}

std::optional<Error> TaskService::stream_bound_reached() const {
  if (streams_.size() < options_.stream_count_max) return std::nullopt;
  return Error{ErrorKind::kResourceExhausted,
               "the service serves at most " + std::to_string(options_.stream_count_max) + " streams"};
}

int64_t TaskService::default_heartbeat(std::optional<int64_t> asked) const {
  // Absent or 0 means the default (proto3: 0 is unset).
  const int64_t interval = asked && *asked > 0 ? *asked : kDefaultHeartbeatIntervalMs;
  return options_.mutant == Mutant::kHeartbeatsLate ? interval * 13 / 10 : interval;
}

Result<StreamHandle> TaskService::register_stream(std::unique_ptr<Subscription> s) {
  s->set_heartbeat_restarts(options_.heartbeat_restarts);
  StreamHandle h{s->id(), s->outbox()};
  streams_.emplace(s->id(), std::move(s));
  return h;
}

Result<StreamHandle> TaskService::open_task_stream(const StreamRequest& r) {
  reap_closed_streams();
  if (auto err = validate_stream_request(r, options_.mutant)) return *err;
  if (auto full = stream_bound_reached()) return *full;
  auto s = std::make_unique<TaskStream>(clock_, next_seq_++, r, default_heartbeat(r.heartbeat_interval_ms),
                                        options_.stream_queue_capacity, options_.mutant);
  TaskStream* raw = s.get();
  auto handle = register_stream(std::move(s));
  raw->start();
  // The snapshot and the registration happen in one step, so a task changed while the
  // stream opens arrives exactly once: as PREEXISTING, or live afterwards.
  if (options_.snapshot_cursor && options_.mutant != Mutant::kLiveBeforePreexisting) {
    // The cursor sees the store as it is now however long the client takes to read it.
    const uint64_t first = by_creation_.empty() ? 1 : by_creation_.begin()->first;
    const uint64_t last = by_creation_.empty() ? 0 : by_creation_.rbegin()->first;
    raw->send_preexisting_from([this](uint64_t seq, bool downward) { return read_by_creation(seq, downward); },
                               first, last, options_.preexisting_reversed);
  } else {
    std::vector<TaskPtr> snapshot;
    snapshot.reserve(by_creation_.size());
    for (const auto& [seq, id] : by_creation_) snapshot.push_back(tasks_.at(id));
    // Snapshot order is free (lattice-tasks.md); the preexisting-reversed variant sends it newest first.
    if (options_.preexisting_reversed) std::reverse(snapshot.begin(), snapshot.end());
    raw->send_preexisting(snapshot);
  }
  task_streams_.emplace(raw->id(), raw);
  return handle;
}

Result<StreamHandle> TaskService::open_agent_stream(const AgentSelector& selector,
                                                    int64_t heartbeat_interval_ms) {
  reap_closed_streams();
  if (selector.entity_ids.empty()) return invalid_argument("agentSelector.entityIds must name at least one agent");
  if (heartbeat_interval_ms < 0) return invalid_argument("heartbeatIntervalMs must not be negative");
  if (auto full = stream_bound_reached()) return *full;
  auto s = std::make_unique<AgentStream>(clock_, next_seq_++, selector, default_heartbeat(heartbeat_interval_ms),
                                         options_.stream_queue_capacity);
  AgentStream* raw = s.get();
  auto handle = register_stream(std::move(s));
  raw->start();
  agent_streams_.emplace(raw->id(), raw);
  Waiter w;
  w.selector = selector;
  w.stream_id = raw->id();
  waiters_.emplace(raw->id(), std::move(w));
  dispatch_agent_requests();
  return handle;
}

Result<StreamHandle> TaskService::open_manual_control_stream(const std::string& task_id,
                                                             int64_t heartbeat_interval_ms) {
  reap_closed_streams();
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return unknown_task(task_id);
  if (heartbeat_interval_ms < 0) return invalid_argument("heartbeatIntervalMs must not be negative");
  if (auto full = stream_bound_reached()) return *full;
  auto s = std::make_unique<ManualControlStream>(clock_, next_seq_++, task_id,
                                                 default_heartbeat(heartbeat_interval_ms),
                                                 options_.stream_queue_capacity);
  ManualControlStream* raw = s.get();
  auto handle = register_stream(std::move(s));
  raw->start();
  manual_streams_.emplace(raw->id(), raw);
  if (is_terminal(it->second->status.status)) raw->end("task_terminal");
  return handle;
}

void TaskService::close_stream(uint64_t stream_id) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  it->second->stop();
  task_streams_.erase(stream_id);
  agent_streams_.erase(stream_id);
  manual_streams_.erase(stream_id);
  waiters_.erase(stream_id);
  streams_.erase(it);
}

void TaskService::end_all_streams(const std::string& reason) {
  for (auto& [id, s] : streams_) s->end(reason);
  reap_closed_streams();
}

void TaskService::reap_closed_streams() {
  std::vector<uint64_t> closed;
  for (const auto& [id, s] : streams_) {
    if (s->closed()) closed.push_back(id);
  }
  for (uint64_t id : closed) close_stream(id);
}

void TaskService::notify_created(const TaskPtr& t) {
  for (auto& [id, s] : task_streams_) s->on_created(t);
}

void TaskService::notify_updated(const TaskPtr& t) {
  for (auto& [id, s] : task_streams_) s->on_updated(t);
}

Result<uint64_t> TaskService::listen_as_agent(const AgentSelector& selector, ListenAnswer answer) {
  if (selector.entity_ids.empty()) return invalid_argument("agentSelector.entityIds must name at least one agent");
  size_t listens = 0;
  for (const auto& [id, w] : waiters_) listens += w.stream_id == 0;
  if (listens >= options_.listen_count_max) {
    return Error{ErrorKind::kResourceExhausted,
                 "the service holds at most " + std::to_string(options_.listen_count_max) + " listens"};
  }
  const uint64_t id = next_seq_++;
  Waiter w;
  w.selector = selector;
  w.answer = std::move(answer);
  w.hold_timer = clock_.schedule_after(options_.listen_hold_ms, [this, id] {
    auto it = waiters_.find(id);
    TH_ASSERT(it != waiters_.end(), "a hold timer fires for a waiting listen");
    ListenAnswer done = std::move(it->second.answer);
    waiters_.erase(it);
    done(nullptr);  // the hold ended with nothing to hand over
  });
  waiters_.emplace(id, std::move(w));
  dispatch_agent_requests();
  return id;
}

void TaskService::abandon_listen(uint64_t listen_id) {
  auto it = waiters_.find(listen_id);
  if (it == waiters_.end() || it->second.stream_id != 0) return;
  clock_.cancel(it->second.hold_timer);
  waiters_.erase(it);
}

void TaskService::queue_agent_request(AgentRequest r) {
  TH_ASSERT(!r.entity_id.empty(), "an agent request is addressed to an agent");
  agent_queue_.emplace(next_seq_++, std::make_shared<AgentRequest>(std::move(r)));
  dispatch_agent_requests();
}

void TaskService::drop_agent_requests(const std::string& task_id, AgentRequest::Kind kind) {
  for (auto it = agent_queue_.begin(); it != agent_queue_.end();) {
    if (it->second->task_id == task_id && it->second->kind == kind) {
      it = agent_queue_.erase(it);
    } else {
      ++it;
    }
  }
}

void TaskService::dispatch_agent_requests() {
  if (dispatching_) return;  // a hand-over inside a dispatch re-enters; the loop covers it
  dispatching_ = true;
  while (dispatch_one()) {
  }
  dispatching_ = false;
}

// Hands the oldest deliverable request to the first waiter (by registration) that
// selects its agent. False when nothing could be delivered.
bool TaskService::dispatch_one() {
  for (const auto& [seq, req] : agent_queue_) {
    for (const auto& [waiter_id, w] : waiters_) {
      if (!w.selector.entity_ids.count(req->entity_id)) continue;
      if (w.stream_id != 0) {
        AgentStream* s = agent_streams_.at(w.stream_id);
        if (s->outbox()->size() >= s->outbox()->capacity()) {
          // A full agent stream is ended, never skipped silently; the request waits.
          s->end("queue_overflow");
          reap_closed_streams();
          return true;
        }
      }
      const uint64_t key = seq;
      const uint64_t wid = waiter_id;
      std::shared_ptr<AgentRequest> r = req;
      agent_queue_.erase(key);
      deliver(wid, r);
      return true;
    }
  }
  return false;
}

void TaskService::deliver(uint64_t waiter_id, const std::shared_ptr<AgentRequest>& r) {
  if (r->kind == AgentRequest::Kind::kExecute) r->task = hand_over(r->task_id);
  Waiter& w = waiters_.at(waiter_id);
  if (w.stream_id != 0) {
    const bool ok = agent_streams_.at(w.stream_id)->deliver(r);
    TH_ASSERT(ok, "an agent stream with room accepts a request");
    return;
  }
  ListenAnswer done = std::move(w.answer);
  clock_.cancel(w.hold_timer);
  waiters_.erase(waiter_id);
  done(r);
}

TaskPtr TaskService::hand_over(const std::string& task_id) {
  const TaskPtr before = tasks_.at(task_id);
  if (before->handed_over) return before;
  auto after = std::make_shared<Task>(*before);
  after->handed_over = true;
  const bool moves = before->status.status == TaskStatus::kCreated ||
                     before->status.status == TaskStatus::kScheduledInManager;
  if (moves) {
    // Our reading of the status names: handing a task to its agent is sending it.
    after->status.status = TaskStatus::kSent;
    after->status_version = before->status_version + 1;
    after->last_update_time_ms = clock_.now_ms();
  }
  store(after);
  if (moves) notify_updated(after);
  return after;
}

Result<std::shared_ptr<const ManualControlFrame>> TaskService::send_manual_control_frame(ManualControlFrame f) {
  reap_closed_streams();
  auto it = tasks_.find(f.task_id);
  if (it == tasks_.end()) return unknown_task(f.task_id);
  if (is_terminal(it->second->status.status)) {
    return failed_precondition("task \"" + f.task_id + "\" is terminal; it takes no manual control");
  }
  auto last = last_frame_.find(f.task_id);
  const std::pair<int64_t, int64_t> key{f.epoch_micros, f.sequence};
  // The repeated-frame variant compares with < where we compare with <=: a frame equal
  // to the last passes (frame order is only our preference).
  const bool repeated_ok = options_.repeated_frame_accepted;
  if (last != last_frame_.end() && (repeated_ok ? key < last->second : key <= last->second)) {
    return invalid_argument("frame (epochMicros " + std::to_string(f.epoch_micros) + ", sequence " +
                            std::to_string(f.sequence) + ") does not come after the task's last frame (" +
                            std::to_string(last->second.first) + ", " + std::to_string(last->second.second) + ")");
  }
  last_frame_[f.task_id] = {f.epoch_micros, f.sequence};
  f.creation_time_ms = clock_.now_ms();
  auto frame = std::make_shared<const ManualControlFrame>(std::move(f));
  for (auto& [id, s] : manual_streams_) {
    if (s->task_id() == frame->task_id) s->deliver(frame);
  }
  return frame;
}

void TaskService::end_manual_control(const std::string& task_id) {
  for (auto& [id, s] : manual_streams_) {
    if (s->task_id() == task_id) s->end("task_terminal");
  }
}

}  // namespace th
