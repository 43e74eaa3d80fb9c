#include "sim/clock.h"

#include <chrono>

#include "sim/assert.h"

namespace th {

TimerId VirtualClock::schedule_at(int64_t due_ms, std::function<void()> fn) {
  TH_ASSERT(fn, "timer without a callback");
  if (due_ms < now_ms_) due_ms = now_ms_;
  const TimerId id = next_seq_++;
  timers_.emplace(Key{due_ms, id}, std::move(fn));
  due_by_id_.emplace(id, due_ms);
  return id;
}

bool VirtualClock::cancel(TimerId id) {
  auto it = due_by_id_.find(id);
  if (it == due_by_id_.end()) return false;
  timers_.erase(Key{it->second, id});
  due_by_id_.erase(it);
  return true;
}

void VirtualClock::advance_to(int64_t target_ms) {
  TH_ASSERT(target_ms >= now_ms_, "virtual time never runs backwards");
  while (!timers_.empty() && timers_.begin()->first.first <= target_ms) {
    auto node = timers_.extract(timers_.begin());
    due_by_id_.erase(node.key().second);
    TH_ASSERT(node.key().first >= now_ms_, "timer due in the past");
    now_ms_ = node.key().first;
    ++fired_count_;
    node.mapped()();
  }
  now_ms_ = target_ms;
}

std::optional<int64_t> VirtualClock::next_due_ms() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

namespace {
class MachineTime final : public TimeSource {
 public:
  int64_t wall_ms() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  int64_t monotonic_ms() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }
};
}  // namespace

const TimeSource& machine_time() {
  static const MachineTime t;
  return t;
}

SystemClock::SystemClock(std::mutex& callback_mutex, const TimeSource& source)
    : callback_mutex_(callback_mutex), source_(source), thread_([this] { run(); }) {}

SystemClock::~SystemClock() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int64_t SystemClock::now_ms() const { return source_.wall_ms(); }

int64_t SystemClock::timer_ms() const { return source_.monotonic_ms(); }

TimerId SystemClock::schedule_at(int64_t due_ms, std::function<void()> fn) {
  TH_ASSERT(fn, "timer without a callback");
  TimerId id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_seq_++;
    timers_.emplace(Key{due_ms, id}, std::move(fn));
    due_by_id_.emplace(id, due_ms);
  }
  cv_.notify_all();
  return id;
}

bool SystemClock::cancel(TimerId id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = due_by_id_.find(id);
  if (it == due_by_id_.end()) return false;
  timers_.erase(Key{it->second, id});
  due_by_id_.erase(it);
  return true;
}

void SystemClock::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (timers_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const Key first = timers_.begin()->first;
    const int64_t wait_ms = first.first - timer_ms();
    if (wait_ms > 0) {
      cv_.wait_for(lock, std::chrono::milliseconds(wait_ms));
      continue;  // re-check: an earlier timer may have been set meanwhile
    }
    // Take the model's lock first (never while holding mu_), then claim the timer:
    // a cancel() that ran in between, under the model lock, has removed it.
    lock.unlock();
    std::lock_guard<std::mutex> model_lock(callback_mutex_);
    lock.lock();
    auto it = timers_.find(first);
    if (it == timers_.end()) continue;
    std::function<void()> fn = std::move(it->second);
    timers_.erase(it);
    due_by_id_.erase(first.second);
    lock.unlock();
    fn();
    lock.lock();
  }
}

int64_t monotonic_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace th
