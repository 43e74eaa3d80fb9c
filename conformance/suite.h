#pragma once
// A whole run of the suite: every scenario played, every rule judged over every
// scenario's record. What the CLI prints and the reports write.
#include <cstdint>
#include <string>
#include <vector>

#include "conformance/latency.h"
#include "conformance/live_player.h"
#include "conformance/rules.h"

namespace th::conform {

inline constexpr const char* kSuiteVersion = "0.1.0";

struct ScenarioOutcome {
  std::string name;
  std::string file;
  std::string title;
  ScenarioRun run;
  std::vector<std::string> rules;  // the rule IDs the scenario says it exercises
};

// A scenario of the library that was not played at all, and why: the user named
// other scenarios, picked another --shard, or the run was interrupted.
struct LeftOut {
  std::string name;
  std::vector<std::string> rules;
  std::string reason;
};

struct RuleVerdict {
  const Rule* rule = nullptr;
  Verdict verdict = Verdict::kInconclusive;
  std::string summary;  // evidence, or why too little, or why not run
  struct PerScenario {
    std::string scenario;
    RuleResult result;
  };
  std::vector<PerScenario> results;  // applicable scenarios only
};

struct SuiteResult {
  std::string target;  // "embedded reference server" or the URL
  bool virtual_time = true;
  int64_t tolerance_ms = 0;  // the real-time tolerance used (0 in virtual time)
  int64_t max_latency_ms = 0;  // the real-time latency budget (0 in virtual time)
  LatencyFigures latency;      // the run's latency samples (real time)
  std::vector<ScenarioOutcome> scenarios;
  std::vector<RuleVerdict> rules;
  int64_t wall_ms = 0;
};

// Judges every rule of `all` over the scenarios' records; rules not in `selected`
// (--rules, --level) are NOT RUN with `unselected_reason`. A rule that no played
// scenario exercised is NOT RUN when every scenario that says it exercises the rule
// was skipped or left out, and INCONCLUSIVE otherwise (too little evidence is never
// a PASS, and a scenario that ran and gathered too little stays inconclusive).
std::vector<RuleVerdict> judge(const std::vector<ScenarioOutcome>& scenarios, const std::vector<const Rule*>& all,
                               const std::vector<const Rule*>& selected, const std::vector<LeftOut>& left_out = {},
                               const std::string& unselected_reason = "left out by --rules or --level");
// Every rule selected.
std::vector<RuleVerdict> judge(const std::vector<ScenarioOutcome>& scenarios, const std::vector<const Rule*>& rules);

// Exit status: 0 when every MUST rule passed or was not run, and every scenario's
// MUST expectations held (strict: every SHOULD rule and SHOULD expectation too; MAY
// never counts); else 1.
int exit_status(const SuiteResult& s, bool strict);

// Counts of rules by verdict, indexed by Verdict.
std::vector<int> verdict_counts(const std::vector<RuleVerdict>& rules);

}  // namespace th::conform
