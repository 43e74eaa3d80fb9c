#include "reports/report.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "conformance/cassette.h"
#include "conformance/checked_json.h"
#include "conformance/sse.h"

namespace th::reports {
namespace {

using conform::Outcome;
using conform::RuleVerdict;
using conform::ScenarioOutcome;
using conform::SuiteResult;
using conform::Verdict;
using json = nlohmann::json;

std::string xml_escape(const std::string& text) {
  // Bytes from a target that are not UTF-8 would make the page and junit.xml unreadable.
  const std::string s = conform::valid_utf8(text) ? text : conform::shown(text, text.size());
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';  // control bytes are not allowed in XML 1.0
        } else {
          out += c;
        }
    }
  }
  return out;
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kPass: return "PASS";
    case Outcome::kFail: return "FAIL";
    case Outcome::kInconclusive: return "INCONCLUSIVE";
    case Outcome::kNotApplicable: return "N/A";
  }
  return "N/A";
}

const ScenarioOutcome* find_scenario(const SuiteResult& s, const std::string& name) {
  for (const auto& sc : s.scenarios) {
    if (sc.name == name) return &sc;
  }
  return nullptr;
}

bool write_file(const std::filesystem::path& p, const std::string& text, std::string& error) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) {
    error = "cannot write " + p.string();
    return false;
  }
  return true;
}

// ---- report.json ---------------------------------------------------------------

std::string json_report(const SuiteResult& s, const ReportOptions& o) {
  json j = {{"suiteVersion", conform::kSuiteVersion}, {"target", s.target}, {"virtualTime", s.virtual_time},
            {"toleranceMs", s.tolerance_ms}, {"maxLatencyMs", s.max_latency_ms},
            {"latency", {{"samples", s.latency.count}, {"p1Ms", s.latency.p1_ms}, {"p50Ms", s.latency.p50_ms},
                         {"p99Ms", s.latency.p99_ms}, {"maxMs", s.latency.max_ms}}},
            {"wallMs", s.wall_ms}, {"scenarios", json::array()}, {"rules", json::array()}};
  for (const auto& sc : s.scenarios) {
    j["scenarios"].push_back({{"name", sc.name}, {"file", sc.file}, {"title", sc.title},
                              {"verdict", conform::to_name(sc.run.verdict)}, {"reason", sc.run.reason},
                              {"failures", sc.run.failures}, {"findings", conform::findings_json(sc.run.findings)},
                              {"diagnostics", sc.run.diagnostics},
                              {"wallMs", sc.run.wall_ms}});
  }
  for (const auto& r : s.rules) {
    json rule = {{"id", r.rule->id}, {"level", conform::to_name(r.rule->level)}, {"basis", conform::to_name(r.rule->basis)},
                 {"source", r.rule->source}, {"family", r.rule->family},
                 {"sentence", r.rule->sentence}, {"leastEvidence", r.rule->least_evidence},
                 {"verdict", conform::to_name(r.verdict)}, {"summary", r.summary}, {"results", json::array()}};
    for (const auto& per : r.results) {
      json res = {{"scenario", per.scenario}, {"outcome", outcome_name(per.result.outcome)},
                  {"evidence", per.result.evidence}, {"violations", json::array()}};
      for (const auto& v : per.result.violations) {
        res["violations"].push_back({{"where", v.where}, {"tMs", v.t_ms}, {"message", v.message}});
      }
      if (per.result.outcome == Outcome::kFail) {
        const ScenarioOutcome* sc = find_scenario(s, per.scenario);
        res["rerun"] = rerun_command(o, sc ? sc->file : per.scenario, r.rule->id);
      }
      rule["results"].push_back(res);
    }
    j["rules"].push_back(rule);
  }
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

// ---- junit.xml -----------------------------------------------------------------

// One rule, one scenario: a failed MUST or SHOULD is a <failure type="LEVEL">, a MAY
// finding only text in <system-out> (CI tools must not count it), an INCONCLUSIVE MUST
// an <error> (it fails the run), any other INCONCLUSIVE a <skipped>.
struct JunitCounts {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
};

void junit_rule_case(std::ostringstream& cases, JunitCounts& n, const SuiteResult& s, const ReportOptions& o,
                     const RuleVerdict& r, const RuleVerdict::PerScenario& per) {
  ++n.tests;
  cases << "  <testcase classname=\"" << xml_escape(r.rule->id) << "\" name=\"" << xml_escape(per.scenario) << "\">\n";
  const bool may = r.rule->level == conform::Level::kMay;
  if (per.result.outcome == Outcome::kFail) {
    const ScenarioOutcome* sc = find_scenario(s, per.scenario);
    std::string body;
    for (const auto& v : per.result.violations) body += v.where + " t=" + std::to_string(v.t_ms) + ": " + v.message + "\n";
    body += "rerun: " + rerun_command(o, sc ? sc->file : per.scenario, r.rule->id) + "\n";
    if (may) {
      cases << "    <system-out>" << xml_escape("MAY finding (never a failure): " + r.rule->sentence + "\n" + body)
            << "</system-out>\n";
    } else {
      ++n.failures;
      cases << "    <failure message=\"" << xml_escape(r.rule->sentence) << "\" type=\"" << conform::to_name(r.rule->level)
            << "\">" << xml_escape(body) << "</failure>\n";
    }
  } else if (per.result.outcome == Outcome::kInconclusive) {
    if (r.rule->level == conform::Level::kMust) {
      ++n.errors;
      cases << "    <error message=\"INCONCLUSIVE: " << xml_escape(per.result.evidence) << "\"/>\n";
    } else {
      ++n.skipped;
      cases << "    <skipped message=\"INCONCLUSIVE: " << xml_escape(per.result.evidence) << "\"/>\n";
    }
  }
  cases << "  </testcase>\n";
}

// A rule with no scenario to show for it: not run (skipped, with the reason), or
// inconclusive for want of any evidence (an error when it is a MUST).
void junit_rule_alone(std::ostringstream& cases, JunitCounts& n, const RuleVerdict& r) {
  ++n.tests;
  cases << "  <testcase classname=\"" << xml_escape(r.rule->id) << "\" name=\"suite\">\n";
  if (r.verdict == Verdict::kInconclusive && r.rule->level == conform::Level::kMust) {
    ++n.errors;
    cases << "    <error message=\"INCONCLUSIVE: " << xml_escape(r.summary) << "\"/>\n";
  } else if (r.verdict != Verdict::kPass) {
    ++n.skipped;
    cases << "    <skipped message=\"" << xml_escape(r.summary) << "\"/>\n";
  }
  cases << "  </testcase>\n";
}

void junit_scenario_case(std::ostringstream& cases, JunitCounts& n, const ScenarioOutcome& sc) {
  ++n.tests;
  cases << "  <testcase classname=\"scenario\" name=\"" << xml_escape(sc.name) << "\">\n";
  std::string should, may;
  for (const auto& f : sc.run.findings) (f.level == ExpectLevel::kShould ? should : may) += f.describe() + "\n";
  if (sc.run.verdict == Verdict::kFail) {
    ++n.failures;
    std::string body;
    for (const auto& f : sc.run.failures) body += f + "\n";
    cases << "    <failure message=\"the scenario's MUST expectations did not hold\" type=\"MUST\">" << xml_escape(body + should)
          << "</failure>\n";
  } else if (sc.run.verdict == Verdict::kError) {
    ++n.errors;
    cases << "    <error message=\"" << xml_escape(sc.run.reason) << "\"/>\n";
  } else if (sc.run.verdict == Verdict::kSkip || sc.run.verdict == Verdict::kInconclusive) {
    ++n.skipped;
    cases << "    <skipped message=\"" << xml_escape(sc.run.reason) << "\"/>\n";
  } else if (!should.empty()) {
    ++n.failures;
    cases << "    <failure message=\"expectations that encode our decisions did not hold\" type=\"SHOULD\">"
          << xml_escape(should) << "</failure>\n";
  }
  if (!may.empty()) cases << "    <system-out>" << xml_escape("MAY findings (never a failure):\n" + may) << "</system-out>\n";
  cases << "  </testcase>\n";
}

std::string junit_report(const SuiteResult& s, const ReportOptions& o) {
  std::ostringstream cases;
  JunitCounts n;
  for (const auto& r : s.rules) {
    for (const auto& per : r.results) junit_rule_case(cases, n, s, o, r, per);
    if (r.results.empty()) junit_rule_alone(cases, n, r);
  }
  for (const auto& sc : s.scenarios) junit_scenario_case(cases, n, sc);
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuite name=\"taskconform " << conform::kSuiteVersion << "\" tests=\"" << n.tests << "\" failures=\""
      << n.failures << "\" errors=\"" << n.errors << "\" skipped=\"" << n.skipped << "\" time=\""
      << static_cast<double>(s.wall_ms) / 1000.0 << "\">\n"
      << cases.str() << "</testsuite>\n";
  return out.str();
}

// ---- index.html ----------------------------------------------------------------

constexpr int kLabelW = 110, kPlotW = 760, kRowH = 22;

struct Mark {
  int64_t t_ms;
  std::string cls, color, title;
};

std::string x_of(int64_t t, int64_t end_ms) {
  const double span = static_cast<double>(std::max<int64_t>(end_ms, 1));
  const double x = kLabelW + std::clamp(static_cast<double>(t) / span, 0.0, 1.0) * kPlotW;
  std::ostringstream o;
  o.precision(1);
  o << std::fixed << x;
  return o.str();
}

// A target's event data is read checked: whatever types it holds, the page is drawn.
std::string event_color(const json& data) {
  const std::string kind = conform::string_at(data, {"event"}).value_or("");
  if (kind == "task_event") {
    const std::string type = conform::string_at(data, {"taskEvent", "eventType"}).value_or("");
    if (type == "EVENT_TYPE_PREEXISTING") return "#8a8f98";
    if (type == "EVENT_TYPE_CREATED") return "#2e9e57";
    return "#2f6fd6";
  }
  if (kind == "agent_request") return "#8b4fc7";
  if (kind == "manual_control_frame") return "#d98a1c";
  return "#444";
}

std::string event_title(const conform::EventRecord& e) {
  if (!e.data_is_json || !e.data.is_object()) return "t=" + std::to_string(e.t_ms) + " not JSON";
  using conform::int_at;
  using conform::string_at;
  std::string t = "t=" + std::to_string(e.t_ms) + " " + string_at(e.data, {"event"}).value_or("?");
  if (conform::find(e.data, {"taskEvent"})) {
    t += " " + string_at(e.data, {"taskEvent", "eventType"}).value_or("") + " " +
         string_at(e.data, {"taskEvent", "task", "version", "taskId"}).value_or("") + " v" +
         std::to_string(int_at(e.data, {"taskEvent", "task", "version", "statusVersion"}).value_or(0)) + " " +
         string_at(e.data, {"taskEvent", "task", "status", "status"}).value_or("");
  }
  return t;
}

std::vector<conform::Departure> departures_of(const conform::ScenarioRun& run, const std::string& stream) {
  std::vector<conform::Departure> out;
  for (const auto& d : run.departures) {
    if (d.stream == stream) out.push_back(d);
  }
  return out;
}

std::string timeline(const conform::StreamRecord& st, const std::vector<conform::Violation>& violations,
                     const std::vector<conform::Departure>& departures, int64_t end_ms) {
  const int64_t limit = st.request.is_object() && st.request.contains("rateLimit") && st.request["rateLimit"].is_number_integer()
                            ? st.request["rateLimit"].get<int64_t>()
                            : 0;
  std::ostringstream svg;
  const int h = kRowH * 4 + 24;
  svg << "<svg class=\"timeline\" data-stream=\"" << xml_escape(st.name) << "\" width=\"" << kLabelW + kPlotW + 20
      << "\" height=\"" << h << "\" role=\"img\" aria-label=\"timeline of " << xml_escape(st.name) << "\">\n";
  const char* rows[] = {"heartbeats", "events", "rate-limit windows", "violations"};
  for (int i = 0; i < 4; ++i) {
    svg << "<text x=\"4\" y=\"" << 16 + i * kRowH << "\" class=\"row\">" << rows[i] << "</text>"
        << "<line x1=\"" << kLabelW << "\" x2=\"" << kLabelW + kPlotW << "\" y1=\"" << 12 + i * kRowH << "\" y2=\""
        << 12 + i * kRowH << "\" stroke=\"#e3e5e8\"/>\n";
  }
  svg << "<rect class=\"life\" x=\"" << x_of(st.opened_ms, end_ms) << "\" y=\"2\" height=\"" << kRowH * 4
      << "\" width=\"" << std::max(0.0, std::stod(x_of(st.watched_until_ms(end_ms), end_ms)) - std::stod(x_of(st.opened_ms, end_ms)))
      << "\" fill=\"#f4f7fb\"/>\n";
  for (const auto& e : st.events) {
    const bool beat = e.data_is_json && conform::string_at(e.data, {"event"}) == "heartbeat";
    if (beat) {
      svg << "<line class=\"heartbeat\" x1=\"" << x_of(e.t_ms, end_ms) << "\" x2=\"" << x_of(e.t_ms, end_ms)
          << "\" y1=\"4\" y2=\"20\" stroke=\"#c0392b\" stroke-width=\"2\"><title>t=" << e.t_ms
          << " heartbeat</title></line>\n";
      continue;
    }
    svg << "<circle class=\"event\" cx=\"" << x_of(e.t_ms, end_ms) << "\" cy=\"" << 12 + kRowH << "\" r=\"5\" fill=\""
        << event_color(e.data) << "\"><title>" << xml_escape(event_title(e)) << "</title></circle>\n";
    const bool update = e.data_is_json && conform::string_at(e.data, {"taskEvent", "eventType"}) == "EVENT_TYPE_UPDATE";
    if (limit > 0 && update) {
      const double x0 = std::stod(x_of(e.t_ms, end_ms)), x1 = std::stod(x_of(e.t_ms + limit, end_ms));
      svg << "<rect class=\"window\" x=\"" << x0 << "\" y=\"" << 4 + 2 * kRowH << "\" width=\"" << std::max(1.0, x1 - x0)
          << "\" height=\"16\" fill=\"#2f6fd6\" fill-opacity=\"0.15\" stroke=\"#2f6fd6\"><title>"
          << xml_escape(event_title(e)) << " opens a " << limit << " ms window</title></rect>\n";
    }
  }
  for (const auto& v : violations) {
    const std::string x = x_of(v.t_ms, end_ms);
    const int y = 12 + 3 * kRowH;
    svg << "<path class=\"violation\" d=\"M" << x << " " << y - 8 << " l7 14 l-14 0 z\" fill=\"#d62728\"><title>"
        << xml_escape("t=" + std::to_string(v.t_ms) + " " + v.message) << "</title></path>\n";
  }
  for (const auto& d : departures) {
    const std::string x = x_of(d.t_ms, end_ms);
    const int y = 12 + 3 * kRowH;
    svg << "<path class=\"departure\" d=\"M" << x << " " << y - 7 << " l7 7 l-7 7 l-7 -7 z\" fill=\"#d98a1c\"><title>"
        << xml_escape("t=" + std::to_string(d.t_ms) + " departs from the model: " + d.text) << "</title></path>\n";
  }
  svg << "<text x=\"" << kLabelW << "\" y=\"" << h - 4 << "\" class=\"axis\">0 ms</text><text x=\"" << kLabelW + kPlotW - 60
      << "\" y=\"" << h - 4 << "\" class=\"axis\">" << end_ms << " ms</text>\n</svg>\n";
  return svg.str();
}

const char* kStyle = R"(
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330;max-width:1100px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px} h3{font-size:15px;margin:18px 0 4px}
.meta{color:#5b6472;margin-bottom:16px} table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e5e8;vertical-align:top}
.v{font-weight:600;border-radius:4px;padding:1px 6px;font-size:12px}
.PASS{background:#dff3e6;color:#17663a}.FAIL{background:#fbe0e0;color:#a11c1c}
.INCONCLUSIVE,.SKIP{background:#fff1d6;color:#8a5a00}.NOT-RUN{background:#eceef1;color:#5b6472}
.src{color:#5b6472;font-size:12px}.finding{font-size:13px;margin:2px 0 0 0}.finding.SHOULD{color:#8a5a00}.finding.MAY{color:#5b6472}.ERROR{background:#f2d6f5;color:#7b1f86}
.viol{color:#a11c1c;font-size:13px;margin:2px 0 0 0} code{font-size:12px;background:#f4f5f7;padding:1px 4px}
td:first-child code{white-space:nowrap} .diag{color:#8a5a00;font-size:13px}
text.row,text.axis{font-size:11px;fill:#5b6472} .legend span{margin-right:14px;font-size:12px}
)";

// A verdict as a CSS class ("NOT RUN" -> "NOT-RUN").
std::string css_class(Verdict v) {
  std::string c = conform::to_name(v);
  std::replace(c.begin(), c.end(), ' ', '-');
  return c;
}

// Real time: the tolerance, what it was measured on, and the latency budget.
std::string real_time_line(const SuiteResult& s) {
  const auto& l = s.latency;
  std::string line = "real time: tolerance " + std::to_string(s.tolerance_ms) + " ms";
  if (l.count >= conform::kMinLatencySamples) {
    line += " from " + std::to_string(l.count) + " latency samples (p50 " + std::to_string(l.p50_ms) + " ms, p99 " +
            std::to_string(l.p99_ms) + " ms, max " + std::to_string(l.max_ms) + " ms)";
  } else {
    line += " from the round-trip calibration (" + std::to_string(l.count) + " latency samples, fewer than " +
            std::to_string(conform::kMinLatencySamples) + ")";
  }
  return line + ", latency budget " + std::to_string(s.max_latency_ms) + " ms";
}

std::string html_report(const SuiteResult& s, const ReportOptions& o) {
  std::ostringstream h;
  const std::vector<int> counts = conform::verdict_counts(s.rules);
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>taskconform report</title><style>"
    << kStyle << "</style></head><body>\n"
    << "<h1>taskconform " << conform::kSuiteVersion << "</h1>\n<div class=\"meta\">target: " << xml_escape(s.target)
    << " &middot; "
    << (s.virtual_time ? std::string("virtual time (tolerance 0 ms)") : real_time_line(s))
    << " &middot; "
    << s.scenarios.size() << " scenarios &middot; rules: <span id=\"counts\">" << counts[0] << " passed, " << counts[1]
    << " failed, " << counts[2] << " inconclusive, " << counts[static_cast<int>(Verdict::kNotRun)]
    << " not run</span> &middot; " << s.wall_ms << " ms</div>\n";
  h << "<h2>Rules</h2>\n<table id=\"rules\"><tr><th>rule</th><th>level</th><th>basis</th><th>verdict</th><th>what it checks</th><th>evidence</th></tr>\n";
  for (const auto& r : s.rules) {
    const char* v = conform::to_name(r.verdict);
    h << "<tr class=\"rule\" data-rule=\"" << xml_escape(r.rule->id) << "\" data-verdict=\"" << v << "\"><td><code>"
      << xml_escape(r.rule->id) << "</code></td><td>" << conform::to_name(r.rule->level) << "</td><td title=\""
      << xml_escape(r.rule->source) << "\">" << conform::to_name(r.rule->basis) << "</td><td><span class=\"v "
      << css_class(r.verdict) << "\">" << v << "</span></td><td>" << xml_escape(r.rule->sentence)
      << "<div class=\"src\">" << xml_escape(r.rule->source) << "</div></td><td>" << xml_escape(r.summary);
    for (const auto& per : r.results) {
      if (per.result.outcome != Outcome::kFail) continue;
      const ScenarioOutcome* sc = find_scenario(s, per.scenario);
      for (const auto& vi : per.result.violations) {
        h << "<div class=\"viol\">" << xml_escape(per.scenario + " · " + vi.where + " · t=" + std::to_string(vi.t_ms) + ": " + vi.message)
          << "</div>";
      }
      h << "<div class=\"viol\"><code>" << xml_escape(rerun_command(o, sc ? sc->file : per.scenario, r.rule->id)) << "</code></div>";
    }
    h << "</td></tr>\n";
  }
  h << "</table>\n<h2>Scenarios</h2>\n<div class=\"legend\"><span style=\"color:#c0392b\">| heartbeat</span>"
       "<span style=\"color:#8a8f98\">&#9679; preexisting</span><span style=\"color:#2e9e57\">&#9679; created</span>"
       "<span style=\"color:#2f6fd6\">&#9679; update</span><span style=\"color:#8b4fc7\">&#9679; agent request</span>"
       "<span style=\"color:#d98a1c\">&#9679; frame</span><span style=\"color:#2f6fd6\">&#9633; rate-limit window</span>"
       "<span style=\"color:#d62728\">&#9650; violation</span>"
       "<span style=\"color:#d98a1c\">&#9670; departs from the model</span></div>\n";
  for (const auto& sc : s.scenarios) {
    const char* v = conform::to_name(sc.run.verdict);
    h << "<section class=\"scenario\" data-scenario=\"" << xml_escape(sc.name) << "\"><h3>" << xml_escape(sc.name)
      << " <span class=\"v " << css_class(sc.run.verdict) << "\">" << v << "</span></h3><div class=\"meta\">" << xml_escape(sc.title);
    if (!sc.run.reason.empty()) h << " &middot; " << xml_escape(sc.run.reason);
    h << "</div>\n";
    for (const auto& f : sc.run.failures) h << "<div class=\"viol\">" << xml_escape(f) << "</div>\n";
    for (const auto& f : sc.run.findings) {
      h << "<div class=\"finding " << to_name(f.level) << "\">" << xml_escape(f.describe()) << "</div>\n";
    }
    for (const auto& d : sc.run.diagnostics) {
      h << "<div class=\"diag\">diagnostic (the model differs): " << xml_escape(d) << "</div>\n";
    }
    for (const auto& st : sc.run.record.streams) {
      std::vector<conform::Violation> marks;
      for (const auto& r : s.rules) {
        for (const auto& per : r.results) {
          if (per.scenario != sc.name) continue;
          for (const auto& vi : per.result.violations) {
            if (vi.where == st.name) marks.push_back({vi.where, vi.t_ms, r.rule->id + ": " + vi.message});
          }
        }
      }
      const auto lat = conform::figures_of(conform::latency_samples(sc.run.record, st));
      const std::string lat_text = sc.run.record.virtual_time || lat.count == 0
                                       ? ""
                                       : ", latency p50 " + std::to_string(lat.p50_ms) + " / p99 " +
                                             std::to_string(lat.p99_ms) + " / max " + std::to_string(lat.max_ms) +
                                             " ms over " + std::to_string(lat.count) + " events";
      h << "<div class=\"stream\"><b>" << xml_escape(st.name) << "</b> <span class=\"meta\">" << xml_escape(st.kind)
        << " stream, request <code>" << xml_escape(st.request.dump()) << "</code>" << xml_escape(lat_text)
        << "</span></div>\n"
        << timeline(st, marks, departures_of(sc.run, st.name), std::max<int64_t>(sc.run.record.end_ms, 1));
    }
    h << "</section>\n";
  }
  h << "</body></html>\n";
  return h.str();
}

}  // namespace

std::string rerun_command(const ReportOptions& o, const std::string& scenario_file, const std::string& rule_id) {
  return (o.rerun_prefix.empty() ? std::string("taskconform run") : o.rerun_prefix) + " " + scenario_file + " --rules " + rule_id;
}

std::string junit_xml(const SuiteResult& s, const ReportOptions& o) { return junit_report(s, o); }
std::string report_json(const SuiteResult& s, const ReportOptions& o) { return json_report(s, o); }
std::string report_html(const SuiteResult& s, const ReportOptions& o) { return html_report(s, o); }

bool write_reports(const SuiteResult& s, const ReportOptions& o, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  if (ec) {
    error = "cannot create the report directory " + o.dir + ": " + ec.message();
    return false;
  }
  const std::filesystem::path dir(o.dir);
  return write_file(dir / "report.json", json_report(s, o), error) &&
         write_file(dir / "junit.xml", junit_report(s, o), error) &&
         write_file(dir / "index.html", html_report(s, o), error);
}

}  // namespace th::reports
