#include "fuzz/sim_judge.h"

#include "conformance/rules.h"
#include "conformance/sim_record.h"
#include "sim/trace.h"

namespace th::fuzz {
namespace {

using json = nlohmann::json;

std::string describe(const conform::Rule& rule, const conform::Violation& v) {
  return rule.id + " (" + conform::to_name(rule.level) + ") " + v.where + " at " + std::to_string(v.t_ms) +
         " ms: " + v.message;
}

}  // namespace

SimJudgement judge_in_simulator(const Scenario& sc, uint64_t seed, std::ostream* trace_out) {
  std::vector<json> lines;
  SimJudgement j;
  {
    TraceWriter trace(trace_out, &lines);
    j.play = play_scenario(sc, seed, trace, /*observe_all=*/false);
  }
  const conform::RunRecord record = conform::record_from_trace(sc, std::move(lines));
  for (const conform::Rule& rule : conform::rule_catalog()) {
    const conform::RuleResult r = rule.check(record);
    if (r.outcome == conform::Outcome::kPass) ++j.rules_passed;
    if (r.outcome == conform::Outcome::kInconclusive) ++j.rules_inconclusive;
    for (const auto& v : r.violations) j.rule_failures.push_back(describe(rule, v));
  }
  return j;
}

}  // namespace th::fuzz
