#pragma once
// The rule catalog: each rule has a stable ID, a level, the sentence of the spec it
// enforces, the least evidence it needs, and a check: a predicate over what the
// runner sent and observed (a RunRecord). Rules are written from the API notes,
// independently of the model they judge, and never link it.
#include <functional>
#include <string>
#include <vector>

#include "conformance/live_player.h"
#include "conformance/record.h"

namespace th::conform {

enum class Level { kMust, kShould, kMay };
const char* to_name(Level l);

// What a rule rests on (design.md, "Levels"): a documented fact (MUST), one of our
// decisions in lattice-tasks.md (SHOULD), or a preference recorded elsewhere or a
// choice among legal answers (MAY).
enum class Basis { kDocumented, kDecision, kPreference };
const char* to_name(Basis b);  // "documented", "decision", "preference"

struct Violation {
  std::string where;  // a stream name or a step path
  int64_t t_ms = 0;
  std::string message;
};

// kNotApplicable: the scenario does not exercise the rule (reported nowhere).
enum class Outcome { kPass, kFail, kInconclusive, kNotApplicable };

struct RuleResult {
  Outcome outcome = Outcome::kNotApplicable;
  std::string evidence;  // what was checked, or why it was too little
  std::vector<Violation> violations;
};

struct Rule {
  std::string id;
  Level level;
  std::string family;
  std::string sentence;
  std::string least_evidence;
  std::function<RuleResult(const RunRecord&)> check;
  Basis basis = Basis::kDocumented;
  std::string source;  // the sentence, SDK behaviour or decision entry it rests on
};

const std::vector<Rule>& rule_catalog();

// Every rule of the catalog over one record, in catalog order.
struct JudgedRule {
  const Rule* rule;
  RuleResult result;
};
std::vector<JudgedRule> judge_record(const RunRecord& r);

// One violation as one line: "RULE-ID (LEVEL) where at T ms: message".
std::string describe(const Rule& rule, const Violation& v);

}  // namespace th::conform
