#pragma once
// The rule catalog: each rule has a stable ID, a level, the basis of that level and
// its source, the sentence of the spec it enforces, the least evidence it needs, and a
// check: a predicate over what the runner sent and observed (a RunRecord). Rules are
// written from the API notes, independently of the model they judge, and never link it.
#include <functional>
#include <string>
#include <vector>

#include "conformance/live_player.h"
#include "conformance/record.h"

namespace th::conform {

enum class Level { kMust, kShould, kMay };
const char* to_name(Level l);

// Why a rule has its level (design.md, "Levels: a verdict needs a basis"). The level
// follows the basis: MUST only on kDocumented, kDecision is SHOULD, kPreference is MAY.
// A MUST rule's predicate judges only what the documents settle: where its verdict
// would hang on a decision, it leaves the case to that decision's SHOULD rule.
enum class Basis {
  kDocumented,  // a seed sentence, the official docs or SDK, or a fact the notes give as documented
  kDecision,    // an entry of "Decisions where the sources are silent" in lattice-tasks.md
  kPreference,  // recorded elsewhere (scenarios/README.md), or one legal answer among several
};
const char* to_name(Basis b);

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
  Basis basis;
  std::string source;  // the sentence, SDK behaviour or decision entry the basis cites
  std::string family;
  std::string sentence;
  std::string least_evidence;
  std::function<RuleResult(const RunRecord&)> check;
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
