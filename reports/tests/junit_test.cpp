// The JUnit mapping, on canned records: what CI systems read from junit.xml must say
// exactly what the run's exit status says (design.md, "Levels").
#include <catch2/catch.hpp>

#include "reports/report.h"

using namespace th::conform;

namespace {

RuleResult outcome(Outcome o) {
  RuleResult r;
  r.outcome = o;
  r.evidence = "canned";
  if (o == Outcome::kFail) r.violations.push_back({"s", 5, "canned violation"});
  return r;
}

Rule canned(const char* id, Level level, Outcome o) {
  const Basis basis =
      level == Level::kMust ? Basis::kDocumented : level == Level::kShould ? Basis::kDecision : Basis::kPreference;
  return Rule{id, level, basis, "canned", "canned", "a canned rule", "nothing", [o](const RunRecord&) { return outcome(o); }};
}

// The testcase element of one rule (classname RULE) as text.
std::string testcase(const std::string& xml, const std::string& rule) {
  const size_t at = xml.find("<testcase classname=\"" + rule + "\"");
  REQUIRE(at != std::string::npos);
  return xml.substr(at, xml.find("</testcase>", at) - at);
}

}  // namespace

TEST_CASE("JUnit: each verdict at each level maps to what CI counts") {
  const Rule must_fail = canned("MUST-FAIL", Level::kMust, Outcome::kFail);
  const Rule should_fail = canned("SHOULD-FAIL", Level::kShould, Outcome::kFail);
  const Rule may_fail = canned("MAY-FAIL", Level::kMay, Outcome::kFail);
  const Rule must_inc = canned("MUST-INC", Level::kMust, Outcome::kInconclusive);
  const Rule should_inc = canned("SHOULD-INC", Level::kShould, Outcome::kInconclusive);
  const Rule not_selected = canned("NOT-SELECTED", Level::kMust, Outcome::kFail);
  const Rule listed_elsewhere = canned("ELSEWHERE", Level::kMust, Outcome::kNotApplicable);
  SuiteResult s;
  ScenarioOutcome played{"S1", "s1.json", "canned", {}, {"MUST-FAIL"}};
  played.run.verdict = Verdict::kPass;
  played.run.findings.push_back({"a MAY mismatch", th::ExpectLevel::kMay, "a preference"});
  played.run.findings.push_back({"a SHOULD mismatch", th::ExpectLevel::kShould, "a decision"});
  ScenarioOutcome skipped{"S2", "s2.json", "canned", {}, {"ELSEWHERE"}};
  skipped.run.verdict = Verdict::kSkip;
  skipped.run.reason = "needs the test clock";
  s.scenarios = {played, skipped};
  const std::vector<const Rule*> all = {&must_fail, &should_fail, &may_fail, &must_inc, &should_inc, &not_selected,
                                        &listed_elsewhere};
  std::vector<const Rule*> selected = all;
  selected.erase(selected.begin() + 5);
  s.rules = judge(s.scenarios, all, selected, {}, "left out by --rules");
  const std::string xml = th::reports::junit_xml(s, {});

  CHECK(testcase(xml, "MUST-FAIL").find("<failure message=\"a canned rule\" type=\"MUST\">") != std::string::npos);
  CHECK(testcase(xml, "SHOULD-FAIL").find("type=\"SHOULD\"") != std::string::npos);
  CHECK(testcase(xml, "MAY-FAIL").find("<failure") == std::string::npos);
  CHECK(testcase(xml, "MAY-FAIL").find("<system-out>MAY finding (never a failure)") != std::string::npos);
  CHECK(testcase(xml, "MUST-INC").find("<error message=\"INCONCLUSIVE: canned\"/>") != std::string::npos);
  CHECK(testcase(xml, "SHOULD-INC").find("<skipped message=\"INCONCLUSIVE: canned\"/>") != std::string::npos);
  CHECK(testcase(xml, "NOT-SELECTED").find("<skipped message=\"not run: left out by --rules\"/>") != std::string::npos);
  CHECK(testcase(xml, "ELSEWHERE").find("<skipped message=\"not run: S2 skipped: needs the test clock\"/>") !=
        std::string::npos);
  const std::string s1 = testcase(xml, "scenario\" name=\"S1");
  CHECK(s1.find("<failure message=\"expectations that encode our decisions did not hold\" type=\"SHOULD\">") !=
        std::string::npos);
  CHECK(s1.find("MAY (a preference): a MAY mismatch") != std::string::npos);
  CHECK(s1.find("MAY (a preference): a MAY mismatch") > s1.find("<system-out>"));
  CHECK(xml.find("tests=\"9\" failures=\"3\" errors=\"1\" skipped=\"4\"") != std::string::npos);
  // The exit status agrees: a MUST failure and a MUST inconclusive fail the run.
  CHECK(exit_status(s, false) == 1);
}

TEST_CASE("JUnit: findings below MUST never fail the run, SHOULD ones fail --strict") {
  const Rule ok = canned("OK", Level::kMust, Outcome::kPass);
  SuiteResult s;
  ScenarioOutcome played{"S1", "s1.json", "canned", {}, {"OK"}};
  played.run.verdict = Verdict::kPass;
  played.run.findings.push_back({"a MAY mismatch", th::ExpectLevel::kMay, "a preference"});
  s.scenarios = {played};
  s.rules = judge(s.scenarios, {&ok});
  CHECK(exit_status(s, false) == 0);
  CHECK(exit_status(s, true) == 0);
  s.scenarios[0].run.findings.push_back({"a SHOULD mismatch", th::ExpectLevel::kShould, "a decision"});
  CHECK(exit_status(s, false) == 0);
  CHECK(exit_status(s, true) == 1);
}
