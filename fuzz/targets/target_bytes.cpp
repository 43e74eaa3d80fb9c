// Fuzz target: the whole path from a target's bytes to rules to reports. The input is
// two answers a server could send: to a create_task step (a plain answer) and to an
// open_stream step (a stream). They go through what the live player runs on what
// arrives: the HTTP answer reader, the stream decoder with its bounds, the checked
// ingestion of bodies and event data, the scenario's expectations, every rule, and the
// three reports. A problem that would end the scenario in ERROR ends it here too.
// Layout: 2 bytes (big-endian) the length of the first answer, then it, then the stream.
#include <cstdint>
#include <string>
#include <string_view>

#include "conformance/checked_json.h"
#include "conformance/http_reader.h"
#include "conformance/ingest.h"
#include "conformance/limits.h"
#include "conformance/stream_decoder.h"
#include "fuzz/targets/report_path.h"
#include "scenarios/format/expect.h"
#include "scenarios/format/scenario.h"

using namespace th::conform;

namespace {

const char* kScenario = R"({"format":1,"name":"FUZZ-PATH","title":"a target's bytes","rules":["SSE-002"],
  "clients":{"c":{"token":"t"}},
  "steps":[
    {"at_ms":0,"do":"create_task","client":"c","body":{"taskId":"fz-task-1"},
     "expect":{"status":201,"body":{"version":{"taskId":"fz-task-1","statusVersion":1}}}},
    {"at_ms":0,"do":"open_stream","client":"c","stream":"s","body":{"heartbeatIntervalMs":1000}},
    {"at_ms":1000,"do":"close_stream","stream":"s"}],
  "expect_streams":{"s":{"task_events":[{"eventType":"EVENT_TYPE_PREEXISTING","taskId":"fz-task-1"}]}}})";

Limits fuzz_limits() {
  Limits l;
  l.http_line_bytes_max = 1024;
  l.http_header_bytes_max = 8192;
  l.body_bytes_max = 16384;
  l.sse_line_bytes_max = 4096;
  l.sse_event_bytes_max = 16384;
  l.stream_bytes_max = 65536;
  l.stream_events_max = 256;
  l.json_depth_max = 32;
  l.recorded_stream_bytes_max = 0;
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  set_limits(fuzz_limits());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const th::Scenario sc = th::parse_scenario(kScenario, "<fuzz>");
  const Limits l = limits();
  const size_t first = std::min<size_t>((size_t{data[0]} << 8 | data[1]), size - 2);
  const std::string_view answer(reinterpret_cast<const char*>(data + 2), first);
  const std::string_view stream(reinterpret_cast<const char*>(data + 2 + first), size - 2 - first);

  ScenarioRun run;
  RunRecord& rec = run.record;
  rec.scenario = sc.name;
  rec.virtual_time = false;
  rec.tolerance_ms = 25;
  rec.end_ms = 1000;
  std::vector<th::ExpectFailure> fails;
  std::string problem;

  // The create's answer, as exchange() reads it.
  ResponseReader::Bounds b;
  b.line_bytes_max = l.http_line_bytes_max;
  b.header_bytes_max = l.http_header_bytes_max;
  b.body_bytes_max = l.body_bytes_max;
  ResponseReader reader(b);
  reader.feed(answer);
  reader.finish();
  if (!reader.done()) {
    problem = "the answer is broken: " + reader.error();
  } else {
    const Ingested body = ingest_body("create_task", reader.status(), reader.body());
    RequestRecord q;
    q.step = 0;
    q.action = "create_task";
    q.client = "c";
    q.method = "POST";
    q.path = "/api/v1/tasks";
    q.body = {{"taskId", "fz-task-1"}};
    q.body_is_json = true;
    q.status = reader.status();
    q.response = body.value;
    q.content_type = reader.header("content-type");
    rec.requests.push_back(q);
    if (body.problem) problem = *body.problem;
    if (!body.problem) {
      for (auto& f : th::check_response(sc.steps[0], reader.status(), body.value, 0, 25)) fails.push_back(std::move(f));
    }
  }

  // The stream's answer, as StreamReader decodes it and the player takes it in.
  StreamDecoder d(l);
  const size_t step = 1 + (first % 61);
  for (size_t at = 0; at < stream.size() && problem.empty(); at += step) {
    if (!d.feed(stream.substr(at, step), static_cast<int64_t>(at) * 1000)) break;
  }
  d.finish(static_cast<int64_t>(stream.size()) * 1000);
  StreamRecord st;
  st.name = "s";
  st.kind = "tasks";
  st.client = "c";
  st.step = 1;
  st.request = {{"heartbeatIntervalMs", 1000}};
  st.status = d.status();
  const auto ct = d.headers().find("content-type");
  st.content_type = ct == d.headers().end() ? "" : ct->second;
  st.closed_ms = 1000;
  st.cut_step = 2;
  std::map<std::string, th::ObservedStream> seen;
  for (const ReceivedEvent& e : d.take_events()) {
    const int64_t t = std::min<int64_t>(e.at_us / 1000, 999);
    Ingested in = ingest_event(e.event.data);
    if (in.problem) {
      problem = *in.problem;
      break;
    }
    if (!in.is_json) {
      st.events.push_back({t, std::move(in.value), false});
      continue;
    }
    seen["s"].messages.push_back(th::flatten_stream_data(in.value, t));
    st.events.push_back({t, std::move(in.value), true});
  }
  st.faults = d.parser().faults();
  if (problem.empty() && !d.problem().empty()) problem = d.problem();
  if (problem.empty() && !d.parser().malformed().empty()) problem = d.parser().malformed().front();
  rec.streams.push_back(std::move(st));
  for (auto& f : th::check_streams(sc, seen, 25)) fails.push_back(std::move(f));

  FUZZ_CHECK(valid_utf8(problem));
  run.verdict = !problem.empty() ? Verdict::kError : fails.empty() ? Verdict::kPass : Verdict::kFail;
  run.reason = problem;
  for (auto& f : fails) {
    FUZZ_CHECK(valid_utf8(f.text));
    run.failures.push_back(f.text);
  }
  run.observed = seen;
  th::fuzz_targets::judge_and_report({sc.name, "<fuzz>", sc.title, std::move(run), sc.rules});
  return 0;
}
