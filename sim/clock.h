#pragma once
// Time is the simulator's one seam to the outside world (like LevelDB's Env): the
// model asks a Clock for "now" and for timers, and never reads the wall clock.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace th {

using TimerId = uint64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (virtual or real): for timestamps only.
  virtual int64_t now_ms() const = 0;
  // Milliseconds on the timers' timeline, which never runs backwards or jumps: in real
  // time a monotonic clock (a wall-clock step must not stall or bunch timers), in
  // virtual time the same as now_ms(). Intervals and due times are measured on it.
  virtual int64_t timer_ms() const { return now_ms(); }
  // Runs fn once when timer_ms() reaches due_ms (a due time in the past means "as soon
  // as possible").
  virtual TimerId schedule_at(int64_t due_ms, std::function<void()> fn) = 0;
  // True when the timer had not fired yet and now never will.
  virtual bool cancel(TimerId id) = 0;

  TimerId schedule_after(int64_t delay_ms, std::function<void()> fn) {
    return schedule_at(timer_ms() + delay_ms, std::move(fn));
  }
};

// Time moves only when advance_to() is called. Timers fire in (due time, sequence)
// order, so two timers due at the same instant fire in the order they were set.
class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(int64_t start_ms) : now_ms_(start_ms) {}

  int64_t now_ms() const override { return now_ms_; }
  TimerId schedule_at(int64_t due_ms, std::function<void()> fn) override;
  bool cancel(TimerId id) override;

  // Fires every timer due at or before target_ms, including timers those timers set,
  // with now_ms() equal to each timer's due time while it runs; then now = target_ms.
  void advance_to(int64_t target_ms);
  // Fires only the timers due exactly now (e.g. set with a zero delay).
  void run_due() { advance_to(now_ms_); }

  size_t pending_count() const { return timers_.size(); }
  std::optional<int64_t> next_due_ms() const;
  uint64_t fired_count() const { return fired_count_; }

 private:
  using Key = std::pair<int64_t, uint64_t>;  // (due_ms, sequence)
  int64_t now_ms_;
  uint64_t next_seq_ = 1;
  uint64_t fired_count_ = 0;
  std::map<Key, std::function<void()>> timers_;
  std::map<TimerId, int64_t> due_by_id_;
};

// Where a SystemClock reads the time: the wall clock for timestamps, a monotonic
// clock for its timers. The machine's by default; a test passes one whose wall clock
// it steps, as NTP does, without touching the machine's.
class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual int64_t wall_ms() const = 0;       // ms since the Unix epoch; may jump
  virtual int64_t monotonic_ms() const = 0;  // never runs backwards; advances in real time
};
const TimeSource& machine_time();

// Real time. Timers run on one background thread, each while holding
// callback_mutex, the mutex that guards the model, so timer callbacks and request
// handlers never run at once. cancel() must be called with callback_mutex held;
// then a cancelled timer is guaranteed not to run. Timers wait on the source's
// monotonic clock; only now_ms() (timestamps) reads its wall clock.
class SystemClock final : public Clock {
 public:
  explicit SystemClock(std::mutex& callback_mutex, const TimeSource& source = machine_time());
  ~SystemClock() override;
  SystemClock(const SystemClock&) = delete;
  SystemClock& operator=(const SystemClock&) = delete;

  int64_t now_ms() const override;
  int64_t timer_ms() const override;
  TimerId schedule_at(int64_t due_ms, std::function<void()> fn) override;
  bool cancel(TimerId id) override;

 private:
  void run();

  using Key = std::pair<int64_t, uint64_t>;  // (due on the monotonic clock, sequence)
  std::mutex& callback_mutex_;
  const TimeSource& source_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_seq_ = 1;
  bool stopping_ = false;
  std::map<Key, std::function<void()>> timers_;
  std::map<TimerId, int64_t> due_by_id_;
  std::thread thread_;
};

// Microseconds on the machine's monotonic clock, for measuring a run from outside
// (benchmarks); never for anything the model does.
int64_t monotonic_us();

}  // namespace th
