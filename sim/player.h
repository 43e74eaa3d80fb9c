#pragma once
// Plays a scenario against the model in virtual time: each step becomes an HTTP-shaped
// request to the lattice-rest dialect at its due time; everything each client observes
// goes to the trace; at the end the expectations are checked.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "scenarios/format/expect.h"
#include "scenarios/format/scenario.h"
#include "sim/trace.h"

namespace th {

struct PlayResult {
  std::vector<std::string> failures;  // empty: every expectation held
  std::string trace_hash;
  uint64_t trace_lines = 0;
  std::map<std::string, ObservedStream> streams;  // what each stream showed its client
  bool passed() const { return failures.empty(); }
};

// `observe_all` false: only streams the scenario has expectations for are kept in
// PlayResult::streams (the trace still has everything); judging a generated workload
// needs no more, and flattening every message of every stream is most of its cost.
PlayResult play_scenario(const Scenario& sc, uint64_t seed, TraceWriter& trace, bool observe_all = true);

}  // namespace th
