#pragma once
// The simulator judged by the rules: a scenario played against the model in virtual
// time, its trace turned into the rules' input (conformance/sim_record.h) and every
// rule run over it. The rules and the model share no code, so a failure is a bug in
// one of them: either way worth a look.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "scenarios/format/scenario.h"
#include "sim/player.h"

namespace th::fuzz {

struct SimJudgement {
  PlayResult play;                         // the scenario's own expectations
  std::vector<std::string> rule_failures;  // "RULE-ID (LEVEL) where at t ms: message"
  int rules_passed = 0;
  int rules_inconclusive = 0;
  bool passed() const { return play.passed() && rule_failures.empty(); }
};

// `trace_out`, when given, receives the trace's lines as they are written.
SimJudgement judge_in_simulator(const Scenario& sc, uint64_t seed, std::ostream* trace_out = nullptr);

}  // namespace th::fuzz
