#pragma once
// Generated workloads: RapidCheck's stateful commands (rc::state) produce sequences
// of client actions nobody scripted (creates, status updates valid, stale and
// invalid, cancels, gets, queries with pages, agent listens, streams opened and
// closed with random filters, rate limits and heartbeat intervals, random time gaps)
// and turn them into a scenario file of format v1. The generator tracks only what a
// client can know from the notes (versions it was told, hand-overs it caused), so
// its guesses may drift: a "valid" update may then be stale, still a fair workload.
//
// It links neither the model nor the rules: the same workloads drive the simulator
// (tasksim fuzz) and a live server (taskconform fuzz).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace th::fuzz {

// Judges one generated scenario (a format v1 document): what went wrong, or nothing.
using CaseCheck = std::function<std::vector<std::string>(const nlohmann::json& scenario)>;

struct FuzzOptions {
  uint64_t seed = 1;
  int runs = 100;        // generated workloads to try
  int max_steps = 200;   // commands per workload, at most
  bool shrink = true;    // on a failure, look for the smallest workload that still fails
  // No server options in the scenarios (a shared target has its own): listens hold
  // for the default 300 s and query pages are 100 long, so fewer edges are reached.
  bool default_server = false;
};

struct FuzzResult {
  int cases = 0;            // workloads judged, shrinking attempts included
  int passed = 0;           // workloads that passed before the first failure
  bool failed = false;
  nlohmann::json scenario;  // the smallest failing workload found, as a scenario file
  std::vector<std::string> failures;  // what went wrong in it
  std::string error;        // the search itself could not run
};

// Runs up to options.runs workloads drawn from the seed. Deterministic: the same seed
// and options give the same workloads and the same result.
FuzzResult fuzz(const FuzzOptions& options, const CaseCheck& check);

// The scenario as a file people can read: one step a line.
std::string scenario_file_text(const nlohmann::json& scenario);

// One workload, drawn alone from a seed: for determinism checks and benchmarks.
nlohmann::json generate_scenario(uint64_t seed, int max_steps);

}  // namespace th::fuzz
