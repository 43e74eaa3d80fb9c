#pragma once
// Generated workloads. `day-1k` is the standard benchmark: 24 h of virtual time,
// 1,000 tasks each moving through about 8 statuses, 50 streams with mixed filters,
// rate limits and 30 s heartbeats. Deterministic: the seed fixes every byte.
#include <cstdint>
#include <string>

namespace th {

struct BenchStats {
  std::string workload;
  int64_t virtual_ms = 0;
  uint64_t tasks = 0;
  uint64_t status_updates = 0;
  uint64_t streams = 0;
  uint64_t events = 0;      // stream messages delivered (heartbeats included)
  uint64_t heartbeats = 0;
  uint64_t task_events = 0;
  uint64_t timers_fired = 0;
  uint64_t trace_bytes = 0;
  std::string trace_hash;
};

// Runs the named workload; hours stretches its length (tasks stay 1,000), to show
// memory stays flat in the length of the run. Unknown names return false.
bool run_workload(const std::string& name, uint64_t seed, int64_t hours, BenchStats& out);

}  // namespace th
