#pragma once
// A whole run of the suite: every scenario played, every rule judged over every
// scenario's record. What the CLI prints and the reports write.
#include <cstdint>
#include <string>
#include <vector>

#include "conformance/live_player.h"
#include "conformance/rules.h"

namespace th::conform {

inline constexpr const char* kSuiteVersion = "0.1.0";

struct ScenarioOutcome {
  std::string name;
  std::string file;
  std::string title;
  ScenarioRun run;
};

struct RuleVerdict {
  const Rule* rule = nullptr;
  Verdict verdict = Verdict::kInconclusive;
  std::string summary;  // evidence, or why too little
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
  std::vector<ScenarioOutcome> scenarios;
  std::vector<RuleVerdict> rules;
  int64_t wall_ms = 0;
};

// Judges every selected rule over the scenarios' records.
std::vector<RuleVerdict> judge(const std::vector<ScenarioOutcome>& scenarios, const std::vector<const Rule*>& rules);

// Exit status: 0 when every MUST rule (and, strict, every SHOULD rule) passed and no
// scenario failed or errored; else 1.
int exit_status(const SuiteResult& s, bool strict);

}  // namespace th::conform
