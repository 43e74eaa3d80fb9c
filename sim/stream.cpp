#include "sim/stream.h"

#include <algorithm>

#include "sim/assert.h"

namespace th {

bool Outbox::push(StreamMessage m) {
  if (ended_) return false;
  if (queue_.size() >= capacity_) {
    end(m.time_ms, "queue_overflow");
    return false;
  }
  queue_.push_back(std::move(m));
  if (on_ready_) on_ready_();
  return true;
}

void Outbox::end(int64_t time_ms, std::string reason) {
  if (ended_) return;
  ended_ = true;
  backlog_.reset();
  end_time_ms_ = time_ms;
  end_reason_ = std::move(reason);
  if (on_ready_) on_ready_();
}

void Outbox::set_backlog(std::shared_ptr<Backlog> b) {
  if (ended_) return;
  backlog_ = std::move(b);
  if (on_ready_) on_ready_();
}

std::optional<StreamMessage> Outbox::pop() {
  if (backlog_pending()) return backlog_->pop();
  if (queue_.empty()) return std::nullopt;
  StreamMessage m = std::move(queue_.front());
  queue_.pop_front();
  return m;
}

Subscription::Subscription(Clock& clock, uint64_t id, int64_t heartbeat_interval_ms,
                           size_t queue_capacity, Mutant mutant)
    : clock_(clock),
      mutant_(mutant),
      id_(id),
      heartbeat_interval_ms_(heartbeat_interval_ms),
      outbox_(std::make_shared<Outbox>(queue_capacity)) {
  TH_ASSERT(heartbeat_interval_ms > 0, "heartbeat interval must be positive");
  TH_ASSERT(queue_capacity > 0, "stream queue bound must be positive");
}

Subscription::~Subscription() { Subscription::stop(); }

void Subscription::start() {
  start_ms_ = clock_.timer_ms();  // heartbeats fall due on the timers' timeline
  last_sent_ms_ = start_ms_;
  schedule_heartbeat();
}

void Subscription::schedule_heartbeat() {
  const int64_t due_ms = heartbeat_restarts_ ? last_sent_ms_ + heartbeat_interval_ms_
                                             : start_ms_ + (heartbeats_sent_ + 1) * heartbeat_interval_ms_;
  heartbeat_timer_ = clock_.schedule_at(due_ms, [this] {
    heartbeat_timer_.reset();
    if (closed()) return;
    ++heartbeats_sent_;
    if (skips_heartbeat()) {
      schedule_heartbeat();
      return;
    }
    StreamMessage m;
    m.kind = StreamMessage::Kind::kHeartbeat;
    m.time_ms = clock_.now_ms();
    if (emit(std::move(m))) schedule_heartbeat();
  });
}

// The heartbeats-stop-while-updates-flow mutant takes any event as a sign of life, so
// a busy stream goes without heartbeats (a client's liveness check counts only those).
bool Subscription::skips_heartbeat() const {
  return mutant_ == Mutant::kHeartbeatsStopWhileUpdatesFlow && last_event_ms_ &&
         clock_.timer_ms() - *last_event_ms_ < heartbeat_interval_ms_;
}

void Subscription::stop() {
  closed_ = true;
  if (heartbeat_timer_) {
    clock_.cancel(*heartbeat_timer_);
    heartbeat_timer_.reset();
  }
}

void Subscription::end(const std::string& reason) {
  outbox_->end(clock_.now_ms(), reason);
  stop();
}

bool Subscription::emit(StreamMessage m) {
  if (closed()) return false;
  // Stamped here, once: a real clock moves between two reads.
  m.time_ms = clock_.now_ms();
  const bool heartbeat = m.kind == StreamMessage::Kind::kHeartbeat;
  if (!heartbeat) last_event_ms_ = clock_.timer_ms();
  if (!outbox_->push(std::move(m))) {
    stop();  // overflow ended the stream
    return false;
  }
  if (heartbeat_restarts_) {
    last_sent_ms_ = clock_.timer_ms();
    // The heartbeat's own timer schedules the next one when it fires.
    if (!heartbeat && heartbeat_timer_) {
      clock_.cancel(*heartbeat_timer_);
      heartbeat_timer_.reset();
      schedule_heartbeat();
    }
  }
  return true;
}

std::optional<Error> validate_stream_request(const StreamRequest& r, Mutant mutant) {
  constexpr int64_t kDayMs = 86'400'000;
  if (r.heartbeat_interval_ms && *r.heartbeat_interval_ms < 0) {
    return invalid_argument("heartbeatIntervalMs must not be negative (got " +
                            std::to_string(*r.heartbeat_interval_ms) + ")");
  }
  if (r.heartbeat_interval_ms && *r.heartbeat_interval_ms > kDayMs) {
    return invalid_argument("heartbeatIntervalMs must be at most 86400000 (24 h)");
  }
  if (r.rate_limit_ms < 0) {
    return invalid_argument("rateLimit must not be negative (got " + std::to_string(r.rate_limit_ms) + ")");
  }
  if (r.rate_limit_ms > 0 && r.rate_limit_ms < kRateLimitMinMs && mutant != Mutant::kRateLimitBelow250) {
    return invalid_argument("rateLimit must be 0 (no limit) or at least 250 ms (got " +
                            std::to_string(r.rate_limit_ms) + ")");
  }
  if (r.rate_limit_ms > kDayMs) return invalid_argument("rateLimit must be at most 86400000 (24 h)");
  if (r.task_type_urls && r.task_type_prefix) {
    return invalid_argument("taskType takes either taskTypeUrls or taskTypePrefix, not both");
  }
  if (r.status_filter && r.status_filter->filter_type == FilterType::kInvalid) {
    return invalid_argument("statusFilter.filterType must be FILTER_TYPE_INCLUSIVE or FILTER_TYPE_EXCLUSIVE");
  }
  if (r.parent_task_id && mutant != Mutant::kParentComboAccepted) {
    std::vector<std::string> with;
    if (r.update_start_time_ms) with.emplace_back("updateStartTime");
    if (!r.assignee.is_null()) with.emplace_back("assignee");
    if (r.status_filter) with.emplace_back("statusFilter");
    if (r.task_type_urls || r.task_type_prefix) with.emplace_back("taskType");
    if (!with.empty()) {
      std::string list;
      for (const auto& w : with) list += (list.empty() ? "" : ", ") + w;
      return invalid_argument(
          "parentTaskId is mutually exclusive with updateStartTime, assignee, statusFilter and "
          "taskType; the request also has " + list);
    }
  }
  return std::nullopt;
}

bool passes_filters(const StreamRequest& r, const Task& t, Mutant mutant) {
  if (r.parent_task_id) return t.parent_task_id == *r.parent_task_id;
  if (r.task_type_urls) {
    const std::string type = t.type_url();
    if (std::find(r.task_type_urls->begin(), r.task_type_urls->end(), type) == r.task_type_urls->end()) {
      return false;
    }
  }
  if (r.task_type_prefix && mutant == Mutant::kPrefixAsExact && t.type_url() != *r.task_type_prefix) return false;
  if (r.task_type_prefix && t.type_url().rfind(*r.task_type_prefix, 0) != 0) return false;
  if (r.update_start_time_ms && t.last_update_time_ms < *r.update_start_time_ms) return false;
  if (!r.assignee.is_null() && mutant != Mutant::kAssigneeIgnored) {
    const std::string want = principal_identity(r.assignee);
    if (want.empty() || principal_identity(t.assignee) != want) return false;
  }
  if (r.status_filter) {
    const auto& s = r.status_filter->statuses;
    const bool listed = std::find(s.begin(), s.end(), t.status.status) != s.end();
    const bool inclusive = (r.status_filter->filter_type == FilterType::kInclusive) != (mutant == Mutant::kFilterSwapped);
    if (listed != inclusive) return false;
  }
  return true;
}

// The snapshot read from the store as the client drains the stream. It keeps one
// task ahead (so empty() is exact) and, for tasks it has not reached, the version they
// had when the stream opened, taken just before they change: what the client reads is
// the snapshot of that instant, as send_preexisting would have queued it.
class SnapshotCursor final : public Backlog {
 public:
  SnapshotCursor(StreamRequest request, Mutant mutant, StoreReader read, uint64_t first, uint64_t last,
                 bool reverse, int64_t time_ms)
      : request_(std::move(request)),
        mutant_(mutant),
        read_(std::move(read)),
        first_(first),
        last_(last),
        next_(reverse ? last : first),
        reverse_(reverse),
        time_ms_(time_ms) {
    fill();
  }

  bool empty() const override { return ahead_.empty(); }

  StreamMessage pop() override {
    TH_ASSERT(!ahead_.empty(), "pop only a cursor with a message ahead");
    StreamMessage m = std::move(ahead_.front());
    ahead_.pop_front();
    fill();
    return m;
  }

  void before_change(const TaskPtr& before) {
    const uint64_t seq = before->create_seq;
    const bool unread = !done_ && seq >= first_ && seq <= last_ && (reverse_ ? seq <= next_ : seq >= next_);
    if (unread) frozen_.emplace(seq, before);  // the first change keeps the snapshot's version
  }

 private:
  // Reads on until one task passes (a message per view ahead) or the snapshot is done.
  void fill() {
    while (ahead_.empty() && !done_) {
      TaskPtr t = read_(next_, reverse_);
      if (!t || (reverse_ ? t->create_seq < first_ : t->create_seq > last_)) {
        done_ = true;
        frozen_.clear();
        return;
      }
      const uint64_t seq = t->create_seq;
      if (auto it = frozen_.find(seq); it != frozen_.end()) {
        t = std::move(it->second);
        frozen_.erase(it);
      }
      if (reverse_ ? seq <= first_ : seq >= last_) {
        done_ = true;
        frozen_.clear();
      } else {
        next_ = reverse_ ? seq - 1 : seq + 1;
      }
      const bool terminal = is_terminal(t->status.status) && mutant_ != Mutant::kTerminalPreexisting;
      if (terminal || !passes_filters(request_, *t, mutant_)) continue;
      for (TaskView view : request_.views) {
        StreamMessage m;
        m.kind = StreamMessage::Kind::kTaskEvent;
        m.time_ms = time_ms_;
        m.event_type = EventType::kPreexisting;
        m.view = view;
        m.task = t;
        ahead_.push_back(std::move(m));
      }
    }
  }

  StreamRequest request_;
  Mutant mutant_;
  StoreReader read_;
  uint64_t first_, last_, next_;
  bool reverse_;
  int64_t time_ms_;
  bool done_ = false;
  std::map<uint64_t, TaskPtr> frozen_;  // creation sequence -> the task as the snapshot saw it
  std::deque<StreamMessage> ahead_;
};

TaskStream::TaskStream(Clock& clock, uint64_t id, StreamRequest request,
                       int64_t heartbeat_interval_ms, size_t queue_capacity, Mutant mutant)
    : Subscription(clock, id, heartbeat_interval_ms, queue_capacity, mutant), request_(std::move(request)) {
  if (request_.views.empty()) request_.views.push_back(TaskView::kManager);
}

void TaskStream::send_preexisting(const std::vector<TaskPtr>& tasks) {
  TH_ASSERT(!snapshot_sent_, "the preexisting snapshot is sent once");
  snapshot_sent_ = true;
  if (request_.exclude_preexisting_tasks && mutant_ != Mutant::kExcludePreexistingIgnored) return;
  if (mutant_ == Mutant::kLiveBeforePreexisting) {
    // The bug: the snapshot is written when an asynchronous query returns, 1 ms after
    // the stream began forwarding live events, so a live event in between overtakes it.
    snapshot_timer_ = clock_.schedule_after(1, [this, tasks] {
      snapshot_timer_.reset();
      write_snapshot(tasks);
    });
    return;
  }
  write_snapshot(tasks);
}

void TaskStream::send_preexisting_from(StoreReader read, uint64_t first_seq, uint64_t last_seq, bool reverse) {
  TH_ASSERT(!snapshot_sent_, "the preexisting snapshot is sent once");
  snapshot_sent_ = true;
  if (request_.exclude_preexisting_tasks && mutant_ != Mutant::kExcludePreexistingIgnored) return;
  if (closed() || first_seq > last_seq) return;
  cursor_ = std::make_shared<SnapshotCursor>(request_, mutant_, std::move(read), first_seq, last_seq, reverse,
                                             clock_.now_ms());
  outbox()->set_backlog(cursor_);
}

void TaskStream::before_change(const TaskPtr& before) {
  if (cursor_) cursor_->before_change(before);
}

void TaskStream::write_snapshot(const std::vector<TaskPtr>& tasks) {
  for (const TaskPtr& t : tasks) {
    const bool terminal = is_terminal(t->status.status) && mutant_ != Mutant::kTerminalPreexisting;
    if (terminal || !passes_filters(request_, *t, mutant_)) continue;
    send_task_event(EventType::kPreexisting, t);
  }
}

void TaskStream::on_created(const TaskPtr& t) {
  TH_ASSERT(snapshot_sent_, "no live event before the preexisting snapshot");
  if (closed() || !passes_filters(request_, *t, mutant_)) return;
  send_task_event(EventType::kCreated, t);  // never rate limited, opens no window
  if (mutant_ == Mutant::kCreatedRateLimited && request_.rate_limit_ms > 0) open_window(t->task_id);
}

void TaskStream::on_updated(const TaskPtr& t) {
  TH_ASSERT(snapshot_sent_, "no live event before the preexisting snapshot");
  // Filters judge each update when it happens: an excluded update neither goes out
  // nor replaces a pending one.
  if (closed() || !passes_filters(request_, *t, mutant_)) return;
  if (request_.rate_limit_ms == 0) {
    send_task_event(EventType::kUpdate, t);
    return;
  }
  auto it = windows_.find(t->task_id);
  if (it != windows_.end()) {
    if (mutant_ != Mutant::kCoalesceOldest || !it->second.pending) it->second.pending = t;  // the latest state wins
    return;
  }
  if (mutant_ == Mutant::kLeadingEdgeDelayed) {
    open_window(t->task_id);
    windows_[t->task_id].pending = t;
    return;
  }
  send_task_event(EventType::kUpdate, t);  // leading edge
  open_window(t->task_id);
}

void TaskStream::open_window(const std::string& task_id) {
  Window& w = windows_[task_id];
  w.pending.reset();
  w.timer = clock_.schedule_after(request_.rate_limit_ms, [this, task_id] { on_window_end(task_id); });
}

void TaskStream::on_window_end(const std::string& task_id) {
  auto it = windows_.find(task_id);
  TH_ASSERT(it != windows_.end(), "a window timer fires for an open window");
  TaskPtr pending = std::move(it->second.pending);
  windows_.erase(it);
  if (!pending || closed() || mutant_ == Mutant::kTrailingLost) return;
  send_task_event(EventType::kUpdate, pending);
  open_window(task_id);  // every UPDATE sent opens a window, trailing ones too
}

void TaskStream::send_task_event(EventType type, const TaskPtr& t) {
  if (type == EventType::kUpdate) {
    auto [it, fresh] = last_version_.try_emplace(t->task_id, t->status_version);
    // A mutant breaks this on purpose; the correct server never does.
    TH_ASSERT(fresh || t->status_version > it->second || mutant_ != Mutant::kNone, "versions rise on a stream, per task");
    it->second = t->status_version;
  } else {
    last_version_[t->task_id] = t->status_version;
  }
  for (TaskView view : request_.views) {
    StreamMessage m;
    m.kind = StreamMessage::Kind::kTaskEvent;
    m.time_ms = clock_.now_ms();
    m.event_type = type;
    m.view = view;
    m.task = t;
    if (type == EventType::kUpdate && mutant_ == Mutant::kEventTwice && !emit(m)) return;
    if (!emit(std::move(m))) return;
  }
}

void TaskStream::stop() {
  for (auto& [id, w] : windows_) clock_.cancel(w.timer);
  windows_.clear();
  if (snapshot_timer_) clock_.cancel(*snapshot_timer_);
  snapshot_timer_.reset();
  if (cursor_) {
    outbox()->drop_backlog();  // it reads the store, which may go after the stream
    cursor_.reset();
  }
  Subscription::stop();
}

bool AgentStream::deliver(std::shared_ptr<const AgentRequest> r) {
  StreamMessage m;
  m.kind = StreamMessage::Kind::kAgentRequest;
  m.time_ms = clock_.now_ms();
  m.agent_request = std::move(r);
  return emit(std::move(m));
}

bool ManualControlStream::deliver(std::shared_ptr<const ManualControlFrame> f) {
  StreamMessage m;
  m.kind = StreamMessage::Kind::kManualControlFrame;
  m.time_ms = clock_.now_ms();
  m.frame = std::move(f);
  return emit(std::move(m));
}

}  // namespace th
