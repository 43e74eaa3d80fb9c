#include "conformance/suite.h"

namespace th::conform {

std::vector<RuleVerdict> judge(const std::vector<ScenarioOutcome>& scenarios, const std::vector<const Rule*>& rules) {
  std::vector<RuleVerdict> out;
  for (const Rule* rule : rules) {
    RuleVerdict v;
    v.rule = rule;
    int pass = 0, fail = 0;
    std::string short_of;
    for (const auto& sc : scenarios) {
      if (sc.run.verdict != Verdict::kPass && sc.run.verdict != Verdict::kFail) continue;  // no record
      RuleResult r = rule->check(sc.run.record);
      if (r.outcome == Outcome::kNotApplicable) continue;
      if (r.outcome == Outcome::kPass) ++pass;
      if (r.outcome == Outcome::kFail) ++fail;
      if (r.outcome == Outcome::kInconclusive && short_of.empty()) short_of = sc.name + ": " + r.evidence;
      v.results.push_back({sc.name, std::move(r)});
    }
    if (fail > 0) {
      v.verdict = Verdict::kFail;
      v.summary = "failed in " + std::to_string(fail) + " of " + std::to_string(v.results.size()) + " scenarios";
    } else if (pass > 0) {
      v.verdict = Verdict::kPass;
      v.summary = "held in " + std::to_string(pass) + " scenarios";
    } else {
      v.verdict = Verdict::kInconclusive;  // too little evidence is never a PASS
      v.summary = short_of.empty() ? "no scenario exercised it" : short_of;
    }
    out.push_back(std::move(v));
  }
  return out;
}

int exit_status(const SuiteResult& s, bool strict) {
  for (const auto& sc : s.scenarios) {
    if (sc.run.verdict == Verdict::kFail || sc.run.verdict == Verdict::kError) return 1;
  }
  for (const auto& r : s.rules) {
    const bool counts = r.rule->level == Level::kMust || (strict && r.rule->level == Level::kShould);
    // SKIP here means an expected failure the baseline names.
    if (counts && r.verdict != Verdict::kPass && r.verdict != Verdict::kSkip) return 1;
  }
  return 0;
}

}  // namespace th::conform
