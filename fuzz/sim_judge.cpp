#include "fuzz/sim_judge.h"

#include "conformance/rules.h"
#include "conformance/sim_record.h"
#include "sim/trace.h"

namespace th::fuzz {
SimJudgement judge_in_simulator(const Scenario& sc, uint64_t seed, std::ostream* trace_out) {
  std::vector<json> lines;
  SimJudgement j;
  {
    TraceWriter trace(trace_out, &lines);
    j.play = play_scenario(sc, seed, trace, /*observe_all=*/false);
  }
  const conform::RunRecord record = conform::record_from_trace(sc, std::move(lines));
  for (const auto& [rule, r] : conform::judge_record(record)) {
    if (r.outcome == conform::Outcome::kPass) ++j.rules_passed;
    if (r.outcome == conform::Outcome::kInconclusive) ++j.rules_inconclusive;
    for (const auto& v : r.violations) j.rule_failures.push_back(conform::describe(*rule, v));
  }
  return j;
}

}  // namespace th::fuzz
