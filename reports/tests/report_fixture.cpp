// Writes the reports of a small hand-made suite result, with one rule failing on one
// stream, to the directory given: the input of the browser test (html_dom_test.sh).
#include <cstdio>

#include "reports/report.h"

using namespace th::conform;
using json = nlohmann::json;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: report_fixture DIR\n");
    return 2;
  }
  SuiteResult s;
  s.target = "a canned run";
  ScenarioOutcome sc;
  sc.name = "STREAM-RL-001";
  sc.file = "scenarios/STREAM-RL-001.json";
  sc.title = "canned: one rate-limited stream and one plain stream";
  sc.run.verdict = Verdict::kPass;
  sc.run.record.scenario = sc.name;
  sc.run.record.end_ms = 3000;
  auto task_event = [](int64_t t, const char* type, int64_t v) {
    return EventRecord{t, json{{"event", "task_event"},
                               {"taskEvent", {{"eventType", type}, {"task", {{"version", {{"taskId", "task-a"}, {"statusVersion", v}}}, {"status", {{"status", "STATUS_SENT"}}}}}}}},
                       true};
  };
  StreamRecord limited;
  limited.name = "limited";
  limited.kind = "tasks";
  limited.request = {{"rateLimit", 1000}};
  limited.status = 200;
  limited.content_type = "text/event-stream";
  limited.events = {task_event(0, "EVENT_TYPE_CREATED", 1), task_event(0, "EVENT_TYPE_UPDATE", 2),
                    task_event(400, "EVENT_TYPE_UPDATE", 4), EventRecord{1000, json{{"event", "heartbeat"}}, true}};
  StreamRecord plain;
  plain.name = "plain";
  plain.kind = "tasks";
  plain.request = json::object();
  plain.status = 200;
  plain.content_type = "text/event-stream";
  plain.events = {task_event(0, "EVENT_TYPE_CREATED", 1), EventRecord{1000, json{{"event", "heartbeat"}}, true}};
  sc.run.record.streams = {limited, plain};
  s.scenarios.push_back(sc);
  std::vector<const Rule*> rules;
  for (const auto& r : rule_catalog()) rules.push_back(&r);
  s.rules = judge(s.scenarios, rules);
  th::reports::ReportOptions o;
  o.dir = argv[1];
  std::string err;
  if (!th::reports::write_reports(s, o, err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  return 0;
}
