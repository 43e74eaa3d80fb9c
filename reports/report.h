#pragma once
// The reports of a suite run, written to one directory: junit.xml (one testcase per
// rule and scenario), report.json (everything, for machines) and index.html (one
// self-contained page: the rule table and a timeline per stream, violations marked).
// No token is ever written: the records never hold one.
#include <string>

#include "conformance/suite.h"

namespace th::reports {

struct ReportOptions {
  std::string dir = "reports/out";
  std::string rerun_prefix;  // "taskconform run --target ..." (without scenario and rule)
};

// False (with the reason) when the directory or a file cannot be written.
bool write_reports(const conform::SuiteResult& s, const ReportOptions& o, std::string& error);

// The JUnit XML alone (what write_reports writes as junit.xml).
std::string junit_xml(const conform::SuiteResult& s, const ReportOptions& o);
// The same for report.json and index.html (the fuzzer renders reports in memory).
std::string report_json(const conform::SuiteResult& s, const ReportOptions& o);
std::string report_html(const conform::SuiteResult& s, const ReportOptions& o);

std::string rerun_command(const ReportOptions& o, const std::string& scenario_file, const std::string& rule_id);

}  // namespace th::reports
