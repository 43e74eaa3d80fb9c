#include "conformance/cassette.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "conformance/checked_json.h"
#include "conformance/sse.h"

namespace th::conform {
namespace {

using json = nlohmann::json;

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kB64[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kB64[(acc << (6 - bits)) & 63];
  while (out.size() % 4) out += '=';
  return out;
}

std::string unbase64(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::strchr(kB64, c);
    if (c == '=' || !p || c == '\0') break;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

// JSON strings hold UTF-8 only: a chunk cut inside a character goes in base64.
json chunk_json(int64_t t_us, const std::string& bytes) {
  if (valid_utf8(bytes)) return {{"tUs", t_us}, {"bytes", bytes}};
  return {{"tUs", t_us}, {"base64", base64(bytes)}};
}

std::string chunk_bytes(const json& c) {
  if (c.contains("base64")) return unbase64(c.at("base64").get<std::string>());
  return c.at("bytes").get<std::string>();
}

void redact(json& j, const std::vector<std::string>& secrets) {
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    bool changed = false;
    for (const auto& secret : secrets) {
      if (secret.empty()) continue;
      for (size_t at = s.find(secret); at != std::string::npos; at = s.find(secret, at)) {
        s.replace(at, secret.size(), "[REDACTED]");
        changed = true;
      }
    }
    if (changed) j = s;
  } else if (j.is_structured()) {
    for (auto& e : j) redact(e, secrets);
  }
}

const char* auth_name(Auth a) { return a == Auth::kNone ? "none" : a == Auth::kValid ? "valid" : "invalid"; }
Auth auth_from(const std::string& s) { return s == "none" ? Auth::kNone : s == "valid" ? Auth::kValid : Auth::kInvalid; }

json request_json(const RequestRecord& q) {
  json j = {{"step", q.step},       {"action", q.action},     {"client", q.client},
            {"auth", auth_name(q.auth)}, {"method", q.method}, {"path", q.path},
            {"body", q.body},       {"bodyIsJson", q.body_is_json}, {"status", q.status},
            {"response", q.response}, {"contentType", q.content_type}, {"sentMs", q.sent_ms},
            {"answeredMs", q.answered_ms}};
  if (q.continues_step != SIZE_MAX) j["continuesStep"] = q.continues_step;
  return j;
}

RequestRecord request_from(const json& j) {
  RequestRecord q;
  q.step = j.at("step").get<size_t>();
  q.action = j.at("action").get<std::string>();
  q.client = j.at("client").get<std::string>();
  q.auth = auth_from(j.at("auth").get<std::string>());
  q.method = j.at("method").get<std::string>();
  q.path = j.at("path").get<std::string>();
  q.body = j.at("body");
  q.body_is_json = j.at("bodyIsJson").get<bool>();
  q.status = j.at("status").get<int>();
  q.response = j.at("response");
  q.content_type = j.at("contentType").get<std::string>();
  q.sent_ms = j.at("sentMs").get<int64_t>();
  q.answered_ms = j.at("answeredMs").get<int64_t>();
  q.continues_step = j.value("continuesStep", SIZE_MAX);
  return q;
}

json stream_json(const StreamRecord& s) {
  json events = json::array();
  for (const auto& e : s.events) events.push_back({{"tMs", e.t_ms}, {"data", e.data}, {"dataIsJson", e.data_is_json}});
  json j = {{"name", s.name},       {"kind", s.kind},     {"client", s.client},   {"step", s.step},
            {"request", s.request}, {"taskId", s.task_id}, {"openedMs", s.opened_ms}, {"status", s.status},
            {"contentType", s.content_type}, {"events", events}, {"endReason", s.end_reason}, {"faults", s.faults}};
  if (s.ended_ms) j["endedMs"] = *s.ended_ms;
  if (s.closed_ms) j["closedMs"] = *s.closed_ms;
  if (s.stalled_ms) j["stalledMs"] = *s.stalled_ms;
  if (s.cut_step != SIZE_MAX) j["cutStep"] = s.cut_step;
  return j;
}

StreamRecord stream_from(const json& j) {
  StreamRecord s;
  s.name = j.at("name").get<std::string>();
  s.kind = j.at("kind").get<std::string>();
  s.client = j.at("client").get<std::string>();
  s.step = j.at("step").get<size_t>();
  s.request = j.at("request");
  s.task_id = j.at("taskId").get<std::string>();
  s.opened_ms = j.at("openedMs").get<int64_t>();
  s.status = j.at("status").get<int>();
  s.content_type = j.at("contentType").get<std::string>();
  for (const auto& e : j.at("events")) {
    s.events.push_back({e.at("tMs").get<int64_t>(), e.at("data"), e.at("dataIsJson").get<bool>()});
  }
  s.end_reason = j.at("endReason").get<std::string>();
  s.faults = j.at("faults").get<std::vector<std::string>>();
  if (j.contains("endedMs")) s.ended_ms = j["endedMs"].get<int64_t>();
  if (j.contains("closedMs")) s.closed_ms = j["closedMs"].get<int64_t>();
  if (j.contains("stalledMs")) s.stalled_ms = j["stalledMs"].get<int64_t>();
  s.cut_step = j.value("cutStep", SIZE_MAX);
  return s;
}

json observed_json(const std::map<std::string, ObservedStream>& observed) {
  json out = json::object();
  for (const auto& [name, o] : observed) {
    out[name] = {{"messages", o.messages}};
    if (o.end) out[name]["end"] = *o.end;
  }
  return out;
}

}  // namespace

json to_json(const RunRecord& r) {
  json requests = json::array(), streams = json::array();
  for (const auto& q : r.requests) requests.push_back(request_json(q));
  for (const auto& s : r.streams) streams.push_back(stream_json(s));
  return {{"scenario", r.scenario}, {"virtualTime", r.virtual_time}, {"toleranceMs", r.tolerance_ms},
          {"transport", r.transport}, {"endMs", r.end_ms}, {"requests", requests}, {"streams", streams}};
}

RunRecord run_record_from_json(const json& j) {
  RunRecord r;
  r.scenario = j.at("scenario").get<std::string>();
  r.virtual_time = j.at("virtualTime").get<bool>();
  r.tolerance_ms = j.at("toleranceMs").get<int64_t>();
  r.transport = j.at("transport").get<bool>();
  r.end_ms = j.at("endMs").get<int64_t>();
  for (const auto& q : j.at("requests")) r.requests.push_back(request_from(q));
  for (const auto& s : j.at("streams")) r.streams.push_back(stream_from(s));
  return r;
}

std::map<std::string, std::string> rule_outcomes(const std::vector<JudgedRule>& judged) {
  std::map<std::string, std::string> out;
  for (const auto& [rule, res] : judged) {
    if (res.outcome == Outcome::kNotApplicable) continue;
    out[rule->id] = res.outcome == Outcome::kPass ? "PASS" : res.outcome == Outcome::kFail ? "FAIL" : "INCONCLUSIVE";
  }
  return out;
}

std::map<std::string, std::string> rule_outcomes(const RunRecord& r) { return rule_outcomes(judge_record(r)); }

json make_cassette(const json& scenario, const ScenarioRun& run, const CassetteInfo& info) {
  json streams = json::object();
  if (run.wire.contains("streams")) {
    for (const auto& [name, w] : run.wire["streams"].items()) {
      json chunks = json::array();
      for (const auto& c : w.at("chunks")) chunks.push_back(chunk_json(c.at("tUs").get<int64_t>(), c.at("bytes").get<std::string>()));
      streams[name] = w;
      streams[name]["chunks"] = chunks;
    }
  }
  json verdicts = json::object();
  for (const auto& [id, v] : rule_outcomes(run.record)) verdicts[id] = v;
  json c = {{"cassette", kCassetteFormat},
            {"header",
             {{"tool", info.tool},
              {"target", info.target},
              {"mutant", info.mutant},
              {"seed", info.seed ? json(*info.seed) : json()},
              {"recordedVerdict", to_name(run.verdict)},
              {"reason", run.reason},
              {"failures", run.failures},
              {"findings", findings_json(run.findings)},
              {"virtualTime", run.record.virtual_time},
              {"calibration", {{"toleranceMs", run.record.tolerance_ms}}}}},
            {"scenario", scenario},
            {"record", to_json(run.record)},
            {"observed", observed_json(run.observed)},
            {"wire", {{"baseMs", run.wire.value("baseMs", int64_t{0})}, {"streams", streams}}},
            {"verdicts", verdicts}};
  redact(c, info.secrets);
  make_valid_utf8(c);  // every text from the target is shown() already; this is the proof
  return c;
}

json findings_json(const std::vector<ExpectFailure>& findings) {
  json out = json::array();
  for (const auto& f : findings) out.push_back({{"level", to_name(f.level)}, {"basis", f.basis}, {"text", f.text}});
  return out;
}

std::vector<ExpectFailure> findings_from_json(const json& j) {
  std::vector<ExpectFailure> out;
  if (!j.is_array()) return out;
  for (const auto& f : j) {
    if (!f.is_object()) continue;
    const std::string level = f.value("level", "");
    const ExpectLevel l = level == "SHOULD" ? ExpectLevel::kShould : level == "MAY" ? ExpectLevel::kMay : ExpectLevel::kMust;
    out.push_back({f.value("text", ""), l, f.value("basis", "")});
  }
  return out;
}

std::optional<Cassette> read_cassette(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read it";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  const json j = json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = path + ": not a JSON object, so not a cassette";
    return std::nullopt;
  }
  const json* format = j.contains("cassette") ? &j["cassette"] : nullptr;
  if (!format || !format->is_number_integer()) {
    error = path + ": $.cassette: missing; this file is not a cassette";
    return std::nullopt;
  }
  if (format->get<int>() != kCassetteFormat) {
    error = path + ": $.cassette: format " + std::to_string(format->get<int>()) + " is not the format this build reads (" +
            std::to_string(kCassetteFormat) + "); record it again with this version of taskconform";
    return std::nullopt;
  }
  try {
    Cassette c;
    c.header = j.at("header");
    c.scenario = j.at("scenario");
    c.record = run_record_from_json(j.at("record"));
    for (const auto& [name, o] : j.at("observed").items()) {
      ObservedStream s;
      s.messages = o.at("messages").get<std::vector<json>>();
      if (o.contains("end")) s.end = o["end"];
      c.observed.emplace(name, std::move(s));
    }
    c.wire = j.at("wire");
    for (const auto& [id, v] : j.at("verdicts").items()) c.verdicts[id] = v.get<std::string>();
    return c;
  } catch (const json::exception& e) {
    error = path + ": a cassette of format 1 with a missing or mistyped field: " + e.what();
    return std::nullopt;
  }
}

std::vector<std::string> check_wire(const Cassette& c) {
  std::vector<std::string> out;
  for (const auto& s : c.record.streams) {
    const json* w = c.wire.contains("streams") && c.wire["streams"].contains(s.name) ? &c.wire["streams"][s.name] : nullptr;
    if (!w || s.status != 200 || w->value("truncated", false)) continue;
    SseParser parser;
    for (const auto& chunk : w->at("chunks")) parser.feed(chunk_bytes(chunk));
    const auto& events = parser.events();
    if (events.size() < s.events.size()) {
      out.push_back("stream \"" + s.name + "\": its bytes make " + std::to_string(events.size()) + " events, the record has " +
                    std::to_string(s.events.size()));
      continue;
    }
    for (size_t i = 0; i < s.events.size(); ++i) {
      const EventRecord& e = s.events[i];
      const json parsed = json::parse(events[i].data, nullptr, false);
      const bool same = e.data_is_json ? (!parsed.is_discarded() && parsed == e.data) : json(events[i].data) == e.data;
      if (!same) {
        out.push_back("stream \"" + s.name + "\": event " + std::to_string(i) + " in the bytes differs from the record");
        break;
      }
    }
  }
  return out;
}

}  // namespace th::conform
