#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "sim/clock.h"

using th::VirtualClock;

TEST_CASE("virtual clock fires timers in (due time, sequence) order", "[clock]") {
  VirtualClock clock(1000);
  std::vector<int> fired;
  clock.schedule_at(1300, [&] { fired.push_back(3); });
  clock.schedule_at(1100, [&] { fired.push_back(1); });
  clock.schedule_at(1300, [&] { fired.push_back(4); });  // same instant: set later, fires later
  clock.schedule_at(1200, [&] { fired.push_back(2); });
  clock.advance_to(1250);
  CHECK(fired == std::vector<int>{1, 2});
  CHECK(clock.now_ms() == 1250);
  clock.advance_to(2000);
  CHECK(fired == std::vector<int>{1, 2, 3, 4});
  CHECK(clock.now_ms() == 2000);
}

TEST_CASE("virtual clock shows each timer its own due time", "[clock]") {
  VirtualClock clock(0);
  std::vector<int64_t> seen;
  clock.schedule_at(10, [&] { seen.push_back(clock.now_ms()); });
  clock.schedule_at(25, [&] { seen.push_back(clock.now_ms()); });
  clock.advance_to(100);
  CHECK(seen == std::vector<int64_t>{10, 25});
}

TEST_CASE("timers set by timers fire within the same advance when due", "[clock]") {
  VirtualClock clock(0);
  std::vector<int64_t> seen;
  std::function<void()> tick = [&] {
    seen.push_back(clock.now_ms());
    if (seen.size() < 4) clock.schedule_after(30, tick);
  };
  clock.schedule_after(30, tick);
  clock.advance_to(100);
  CHECK(seen == std::vector<int64_t>{30, 60, 90});
  clock.advance_to(120);
  CHECK(seen == std::vector<int64_t>{30, 60, 90, 120});
}

TEST_CASE("a cancelled virtual timer never fires", "[clock]") {
  VirtualClock clock(0);
  int fired = 0;
  const th::TimerId id = clock.schedule_at(50, [&] { ++fired; });
  CHECK(clock.cancel(id));
  CHECK_FALSE(clock.cancel(id));
  clock.advance_to(100);
  CHECK(fired == 0);
  CHECK(clock.pending_count() == 0);
}

TEST_CASE("a timer due in the past fires at the next advance, at now", "[clock]") {
  VirtualClock clock(500);
  int64_t at = -1;
  clock.schedule_at(100, [&] { at = clock.now_ms(); });
  clock.run_due();
  CHECK(at == 500);
}

TEST_CASE("system clock runs timers on its thread under the model lock", "[clock]") {
  std::mutex model;
  th::SystemClock clock(model);
  std::atomic<int> fired{0};
  std::atomic<bool> cancelled_fired{false};
  {
    std::lock_guard<std::mutex> lock(model);
    clock.schedule_after(5, [&] { ++fired; });
    const th::TimerId doomed = clock.schedule_after(5, [&] { cancelled_fired = true; });
    CHECK(clock.cancel(doomed));
  }
  // Wait for the timer with a generous bound; nothing here measures how fast it was.
  for (int i = 0; i < 500 && fired == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(fired == 1);
  CHECK_FALSE(cancelled_fired);
  CHECK(clock.now_ms() > 1'700'000'000'000);  // epoch ms, after 2023
}

namespace {

// The machine's time with a wall clock a test can step, as NTP or an operator does;
// its monotonic clock is the machine's.
class SteppedTime final : public th::TimeSource {
 public:
  int64_t wall_ms() const override { return th::machine_time().wall_ms() + offset_ms_.load(); }
  int64_t monotonic_ms() const override { return th::machine_time().monotonic_ms(); }
  void step(int64_t ms) { offset_ms_ += ms; }

 private:
  std::atomic<int64_t> offset_ms_{0};
};

constexpr int64_t kHourMs = 3'600'000;

}  // namespace

TEST_CASE("system clock timers wait on the monotonic clock: a wall clock stepped back stalls none", "[clock]") {
  std::mutex model;
  SteppedTime time;
  th::SystemClock clock(model, time);
  std::atomic<int> fired{0};
  {
    std::lock_guard<std::mutex> lock(model);
    clock.schedule_after(100, [&] { ++fired; });
  }
  time.step(-kHourMs);
  // Due 100 ms after it was set, whatever the wall clock says; a generous bound.
  for (int i = 0; i < 300 && fired == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(fired == 1);
}

TEST_CASE("system clock timers wait on the monotonic clock: a wall clock stepped forward fires none early", "[clock]") {
  std::mutex model;
  SteppedTime time;
  th::SystemClock clock(model, time);
  std::atomic<int> fired{0};
  const int64_t before = clock.now_ms();
  {
    std::lock_guard<std::mutex> lock(model);
    clock.schedule_after(1000, [&] { ++fired; });
  }
  time.step(kHourMs);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(fired == 0);
  CHECK(clock.now_ms() >= before + kHourMs);  // timestamps follow the wall clock
  for (int i = 0; i < 300 && fired == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(fired == 1);
}
