#include "conformance/suite.h"

#include <algorithm>

namespace th::conform {
namespace {

bool lists(const std::vector<std::string>& rules, const std::string& id) {
  return std::find(rules.begin(), rules.end(), id) != rules.end();
}

bool played(const ScenarioOutcome& sc) { return sc.run.verdict == Verdict::kPass || sc.run.verdict == Verdict::kFail; }

// Why a rule that no played scenario exercised was not run, or "" when some scenario
// that says it exercises the rule did run (or errored): then the rule is inconclusive.
std::string not_run_reason(const Rule& rule, const std::vector<ScenarioOutcome>& scenarios,
                           const std::vector<LeftOut>& left_out) {
  std::string reason;
  for (const auto& sc : scenarios) {
    if (!lists(sc.rules, rule.id)) continue;
    // One that ran and did not exercise it (on this target it had nothing to show)
    // leaves the question to the others; one that errored or was throttled does not.
    if (played(sc)) continue;
    if (sc.run.verdict != Verdict::kSkip) return "";
    if (reason.empty()) reason = sc.name + " skipped: " + sc.run.reason;
  }
  for (const auto& l : left_out) {
    if (lists(l.rules, rule.id) && reason.empty()) reason = l.name + " " + l.reason;
  }
  return reason;
}

RuleVerdict judge_one(const Rule* rule, const std::vector<ScenarioOutcome>& scenarios,
                      const std::vector<LeftOut>& left_out) {
  RuleVerdict v;
  v.rule = rule;
  int pass = 0, fail = 0;
  std::string short_of, incidental, unexercised;
  for (const auto& sc : scenarios) {
    if (!played(sc)) continue;  // no record
    RuleResult r = rule->check(sc.run.record);
    if (r.outcome == Outcome::kNotApplicable) {
      if (lists(sc.rules, rule->id) && unexercised.empty()) unexercised = sc.name + " ran but did not exercise it";
      continue;
    }
    if (r.outcome == Outcome::kPass) ++pass;
    if (r.outcome == Outcome::kFail) ++fail;
    // Too little evidence where the scenario means to exercise the rule keeps it
    // inconclusive; where it only touched it in passing, other scenarios may answer.
    if (r.outcome == Outcome::kInconclusive) {
      std::string& why = lists(sc.rules, rule->id) ? short_of : incidental;
      if (why.empty()) why = sc.name + ": " + r.evidence;
    }
    v.results.push_back({sc.name, std::move(r)});
  }
  if (fail > 0) {
    v.verdict = Verdict::kFail;
    v.summary = "failed in " + std::to_string(fail) + " of " + std::to_string(v.results.size()) + " scenarios";
  } else if (pass > 0) {
    v.verdict = Verdict::kPass;
    v.summary = "held in " + std::to_string(pass) + " scenarios";
  } else if (const std::string why = not_run_reason(*rule, scenarios, left_out); short_of.empty() && !why.empty()) {
    v.verdict = Verdict::kNotRun;
    v.summary = "not run: " + why;
  } else {
    v.verdict = Verdict::kInconclusive;  // too little evidence is never a PASS
    v.summary = !short_of.empty()     ? short_of
                : !incidental.empty()   ? incidental
                : !unexercised.empty()  ? unexercised
                                        : "no scenario exercised it";
  }
  return v;
}

}  // namespace

std::vector<RuleVerdict> judge(const std::vector<ScenarioOutcome>& scenarios, const std::vector<const Rule*>& all,
                               const std::vector<const Rule*>& selected, const std::vector<LeftOut>& left_out,
                               const std::string& unselected_reason) {
  std::vector<RuleVerdict> out;
  for (const Rule* rule : all) {
    if (std::find(selected.begin(), selected.end(), rule) == selected.end()) {
      RuleVerdict v;
      v.rule = rule;
      v.verdict = Verdict::kNotRun;
      v.summary = "not run: " + unselected_reason;
      out.push_back(std::move(v));
      continue;
    }
    out.push_back(judge_one(rule, scenarios, left_out));
  }
  return out;
}

std::vector<RuleVerdict> judge(const std::vector<ScenarioOutcome>& scenarios, const std::vector<const Rule*>& rules) {
  return judge(scenarios, rules, rules);
}

int exit_status(const SuiteResult& s, bool strict) {
  for (const auto& sc : s.scenarios) {
    if (sc.run.verdict == Verdict::kFail || sc.run.verdict == Verdict::kError) return 1;
    if (strict) {
      for (const auto& f : sc.run.findings) {
        if (f.level == ExpectLevel::kShould) return 1;
      }
    }
  }
  for (const auto& r : s.rules) {
    const bool counts = r.rule->level == Level::kMust || (strict && r.rule->level == Level::kShould);
    // SKIP here means an expected failure the baseline names.
    const bool fine = r.verdict == Verdict::kPass || r.verdict == Verdict::kSkip || r.verdict == Verdict::kNotRun;
    if (counts && !fine) return 1;
  }
  return 0;
}

std::vector<int> verdict_counts(const std::vector<RuleVerdict>& rules) {
  std::vector<int> counts(kVerdictCount, 0);
  for (const auto& r : rules) ++counts[static_cast<int>(r.verdict)];
  return counts;
}

}  // namespace th::conform
