#pragma once
// Latency in real time (design.md, "Real time: latency is not a verdict"). A sample is
// a task event's arrival on a stream without a rate limit minus the send time of the
// request that caused it (the create, status update or cancel whose answer carries
// that task version). The run's samples give the timing tolerance; a stream's own give
// its latency figures, reported, and judged only by LATENCY-001 (SHOULD).
#include <cstdint>
#include <vector>

#include "conformance/record.h"

namespace th::conform {

struct LatencyFigures {
  size_t count = 0;
  int64_t p1_ms = 0, p50_ms = 0, p99_ms = 0, max_ms = 0;
};

// The samples of one stream of a record (none for a rate-limited or refused stream).
std::vector<int64_t> latency_samples(const RunRecord& r, const StreamRecord& s);
// Every sample, with the cause's send time and the arrival: for LATENCY-001.
struct LatencySample {
  int64_t cause_sent_ms;
  int64_t arrived_ms;
};
std::vector<LatencySample> caused_events(const RunRecord& r, const StreamRecord& s);

LatencyFigures figures_of(std::vector<int64_t> samples);

inline constexpr size_t kMinLatencySamples = 20;

// The tolerance from samples: max(floor, 2 x (p99 - p1)), or `fallback_ms` (the
// calibrated one) when there are fewer than kMinLatencySamples.
int64_t tolerance_from(const std::vector<int64_t>& samples, int64_t floor_ms, int64_t fallback_ms);

// Sets every stream's tolerance_ms in real-time records from the samples of all the
// run's other streams, and each record's tolerance_ms from all of them. Returns the
// figures of all samples. Records in virtual time are left alone.
LatencyFigures apply_run_tolerance(const std::vector<RunRecord*>& records, int64_t floor_ms, int64_t fallback_ms);

}  // namespace th::conform
