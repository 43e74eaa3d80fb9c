#pragma once
// The end of every fuzz path: a scenario's run judged by every rule, and the three
// reports rendered. None may throw, and what they write must be valid UTF-8 (JSON and
// XML readers refuse anything else).
#include <string>

#include "conformance/sse.h"
#include "conformance/suite.h"
#include "fuzz/targets/check.h"
#include "reports/report.h"

namespace th::fuzz_targets {

inline void judge_and_report(conform::ScenarioOutcome outcome) {
  std::vector<const conform::Rule*> rules;
  for (const auto& r : conform::rule_catalog()) rules.push_back(&r);
  conform::SuiteResult suite;
  suite.target = "fuzz";
  suite.scenarios.push_back(std::move(outcome));
  suite.rules = conform::judge(suite.scenarios, rules);
  (void)conform::exit_status(suite, true);
  reports::ReportOptions o;
  const std::string json = reports::report_json(suite, o);
  const std::string xml = reports::junit_xml(suite, o);
  const std::string html = reports::report_html(suite, o);
  FUZZ_CHECK(conform::valid_utf8(json) && conform::valid_utf8(xml) && conform::valid_utf8(html));
}

}  // namespace th::fuzz_targets
