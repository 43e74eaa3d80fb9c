#include "conformance/cassette.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenarios/format/scenario.h"

#include "conformance/checked_json.h"
#include "conformance/limits.h"
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
      static const std::string kMark = "[REDACTED]";
      // Search on after the mark: a secret that occurs inside the mark ("T") would
      // otherwise be found in it again forever.
      for (size_t at = s.find(secret); at != std::string::npos; at = s.find(secret, at + kMark.size())) {
        s.replace(at, secret.size(), kMark);
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

// A cassette is an untrusted file: every value is read by path with its type checked,
// and the first that is wrong refuses the whole cassette with its JSON path.
struct Bad {
  std::string path, what;
};

class At {
 public:
  At(const json& v, std::string path) : v_(v), path_(std::move(path)) {}
  const json& value() const { return v_; }
  const std::string& path() const { return path_; }
  [[noreturn]] void fail(const std::string& expected) const { throw Bad{path_, "expected " + expected + ", saw " + seen(v_)}; }
  At key(const char* k) const {
    if (!v_.is_object()) fail("an object");
    auto it = v_.find(k);
    if (it == v_.end()) throw Bad{path_ + "." + k, "missing"};
    return At(*it, path_ + "." + k);
  }
  std::optional<At> opt(const char* k) const {
    if (!v_.is_object()) fail("an object");
    auto it = v_.find(k);
    if (it == v_.end()) return std::nullopt;
    return At(*it, path_ + "." + k);
  }
  At index(size_t i) const { return At(v_[i], path_ + "[" + std::to_string(i) + "]"); }
  size_t size_of_array() const {
    if (!v_.is_array()) fail("an array");
    return v_.size();
  }
  const json& object() const {
    if (!v_.is_object()) fail("an object");
    return v_;
  }
  std::string str() const {
    if (!v_.is_string()) fail("a string");
    return v_.get<std::string>();
  }
  bool boolean() const {
    if (!v_.is_boolean()) fail("true or false");
    return v_.get<bool>();
  }
  int64_t i64() const {
    if (!v_.is_number_integer() || (v_.is_number_unsigned() && v_.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
      fail("an integer");
    }
    return v_.get<int64_t>();
  }
  size_t index_value() const {
    if (!v_.is_number_unsigned()) fail("a non-negative integer");
    return static_cast<size_t>(v_.get<uint64_t>());
  }
  int status() const {
    const int64_t n = i64();
    if (n < 0 || n > 999) fail("an HTTP status (0..999)");
    return static_cast<int>(n);
  }
  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    for (size_t i = 0, n = size_of_array(); i < n; ++i) out.push_back(index(i).str());
    return out;
  }

 private:
  const json& v_;
  std::string path_;
};

Auth auth_checked(const At& a) {
  const std::string s = a.str();
  if (s != "none" && s != "valid" && s != "invalid") a.fail("none, valid or invalid");
  return auth_from(s);
}

RequestRecord request_from(const At& j) {
  RequestRecord q;
  q.step = j.key("step").index_value();
  q.action = j.key("action").str();
  q.client = j.key("client").str();
  q.auth = auth_checked(j.key("auth"));
  q.method = j.key("method").str();
  q.path = j.key("path").str();
  q.body = j.key("body").value();
  q.body_is_json = j.key("bodyIsJson").boolean();
  q.status = j.key("status").status();
  q.response = j.key("response").value();
  q.content_type = j.key("contentType").str();
  q.sent_ms = j.key("sentMs").i64();
  q.answered_ms = j.key("answeredMs").i64();
  if (auto c = j.opt("continuesStep")) q.continues_step = c->index_value();
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
  if (s.tolerance_ms >= 0) j["toleranceMs"] = s.tolerance_ms;
  if (s.latency_ms != 0) j["latencyMs"] = s.latency_ms;
  return j;
}

StreamRecord stream_from(const At& j) {
  StreamRecord s;
  s.name = j.key("name").str();
  s.kind = j.key("kind").str();
  s.client = j.key("client").str();
  s.step = j.key("step").index_value();
  s.request = j.key("request").value();
  s.task_id = j.key("taskId").str();
  s.opened_ms = j.key("openedMs").i64();
  s.status = j.key("status").status();
  s.content_type = j.key("contentType").str();
  const At events = j.key("events");
  for (size_t i = 0, n = events.size_of_array(); i < n; ++i) {
    const At e = events.index(i);
    s.events.push_back({e.key("tMs").i64(), e.key("data").value(), e.key("dataIsJson").boolean()});
  }
  s.end_reason = j.key("endReason").str();
  s.faults = j.key("faults").strings();
  if (auto v = j.opt("endedMs")) s.ended_ms = v->i64();
  if (auto v = j.opt("closedMs")) s.closed_ms = v->i64();
  if (auto v = j.opt("stalledMs")) s.stalled_ms = v->i64();
  if (auto v = j.opt("cutStep")) s.cut_step = v->index_value();
  if (auto v = j.opt("toleranceMs")) s.tolerance_ms = v->i64();
  if (auto v = j.opt("latencyMs")) s.latency_ms = v->i64();
  return s;
}

RunRecord record_from(const At& j) {
  RunRecord r;
  r.scenario = j.key("scenario").str();
  r.virtual_time = j.key("virtualTime").boolean();
  r.tolerance_ms = j.key("toleranceMs").i64();
  if (auto v = j.opt("latencyBudgetMs")) r.latency_budget_ms = v->i64();
  r.transport = j.key("transport").boolean();
  r.end_ms = j.key("endMs").i64();
  const At requests = j.key("requests"), streams = j.key("streams");
  for (size_t i = 0, n = requests.size_of_array(); i < n; ++i) r.requests.push_back(request_from(requests.index(i)));
  for (size_t i = 0, n = streams.size_of_array(); i < n; ++i) r.streams.push_back(stream_from(streams.index(i)));
  return r;
}

// The wire as a reader of chunks may rely on: per stream, an array of chunks each with
// an integer tUs and its bytes as a string or base64.
void check_wire_shape(const At& wire) {
  wire.key("baseMs").i64();
  const At streams = wire.key("streams");
  for (auto it = streams.object().begin(); it != streams.object().end(); ++it) {
    const At st(it.value(), streams.path() + "." + it.key());
    st.key("status").status();
    st.key("contentType").str();
    st.key("truncated").boolean();
    const At chunks = st.key("chunks");
    for (size_t i = 0, n = chunks.size_of_array(); i < n; ++i) {
      const At c = chunks.index(i);
      c.key("tUs").i64();
      if (auto b = c.opt("base64")) {
        b->str();
      } else {
        c.key("bytes").str();
      }
    }
  }
}

ExpectLevel level_from(const At& a) {
  const std::string l = a.str();
  if (l != "MUST" && l != "SHOULD" && l != "MAY") a.fail("MUST, SHOULD or MAY");
  return l == "SHOULD" ? ExpectLevel::kShould : l == "MAY" ? ExpectLevel::kMay : ExpectLevel::kMust;
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
          {"latencyBudgetMs", r.latency_budget_ms}, {"transport", r.transport}, {"endMs", r.end_ms},
          {"requests", requests}, {"streams", streams}};
}

std::optional<RunRecord> read_run_record(const json& j, std::string& error) {
  try {
    return record_from(At(j, "$"));
  } catch (const Bad& b) {
    error = b.path + ": " + b.what;
    return std::nullopt;
  }
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
    const std::string level = string_at(f, {"level"}).value_or("");
    const ExpectLevel l = level == "SHOULD" ? ExpectLevel::kShould : level == "MAY" ? ExpectLevel::kMay : ExpectLevel::kMust;
    out.push_back({string_at(f, {"text"}).value_or(""), l, string_at(f, {"basis"}).value_or("")});
  }
  return out;
}

std::optional<Cassette> parse_cassette(std::string_view text, std::string& error) {
  const JsonText doc = read_json(text, kCassetteDepthMax, "the bound of a cassette");
  if (!doc.value) {
    error = "not a cassette: " + doc.error;
    return std::nullopt;
  }
  const json& j = *doc.value;
  if (!j.is_object()) {
    error = "$: not a JSON object, so not a cassette";
    return std::nullopt;
  }
  const json* format = j.contains("cassette") ? &j["cassette"] : nullptr;
  if (!format || !format->is_number_integer()) {
    error = "$.cassette: missing; this file is not a cassette";
    return std::nullopt;
  }
  if (format->get<int64_t>() != kCassetteFormat) {
    error = "$.cassette: format " + format->dump() + " is not the format this build reads (" + std::to_string(kCassetteFormat) +
            "); record it again with this version of taskconform";
    return std::nullopt;
  }
  try {
    const At root(j, "$");
    Cassette c;
    const At header = root.key("header");
    c.header = header.object();
    c.tool = header.key("tool").str();
    c.target = header.key("target").str();
    c.mutant = header.key("mutant").str();
    c.recorded_verdict = header.key("recordedVerdict").str();
    if (auto v = header.opt("reason")) c.reason = v->str();
    c.failures = header.key("failures").strings();
    if (auto f = header.opt("findings")) {
      for (size_t i = 0, n = f->size_of_array(); i < n; ++i) {
        const At one = f->index(i);
        c.findings.push_back({one.key("text").str(), level_from(one.key("level")), one.key("basis").str()});
      }
    }
    c.scenario = root.key("scenario").object();
    try {
      parse_scenario_json(c.scenario, "scenario");
    } catch (const ScenarioError& e) {
      std::string why = e.what();
      if (why.rfind("scenario: ", 0) == 0) why.erase(0, 10);
      throw Bad{"$.scenario", "not a scenario: " + why};
    }
    c.record = record_from(root.key("record"));
    const At observed = root.key("observed");
    for (auto it = observed.object().begin(); it != observed.object().end(); ++it) {
      const At o(it.value(), observed.path() + "." + it.key());
      ObservedStream s;
      const At messages = o.key("messages");
      for (size_t i = 0, n = messages.size_of_array(); i < n; ++i) {
        messages.index(i).object();  // flattened messages are objects
        s.messages.push_back(messages.index(i).value());
      }
      if (auto e = o.opt("end")) s.end = e->object();
      c.observed.emplace(it.key(), std::move(s));
    }
    const At wire = root.key("wire");
    check_wire_shape(wire);
    c.wire = wire.value();
    const At verdicts = root.key("verdicts");
    for (auto it = verdicts.object().begin(); it != verdicts.object().end(); ++it) {
      const At v(it.value(), verdicts.path() + "." + it.key());
      const std::string verdict = v.str();
      if (verdict != "PASS" && verdict != "FAIL" && verdict != "INCONCLUSIVE") v.fail("PASS, FAIL or INCONCLUSIVE");
      c.verdicts[it.key()] = verdict;
    }
    return c;
  } catch (const Bad& b) {
    error = b.path + ": " + b.what;
    return std::nullopt;
  }
}

std::optional<Cassette> read_cassette(const std::string& path, std::string& error) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::is_regular_file(status)) {
    error = path + ": cannot read it (not a file)";
    return std::nullopt;
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kCassetteBytesMax) {
    error = path + ": larger than " + std::to_string(kCassetteBytesMax >> 20) + " MiB, so not a cassette this reader takes";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read it";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto c = parse_cassette(text.str(), error);
  if (!c) error = path + ": " + error;
  return c;
}

std::vector<std::string> check_wire(const Cassette& c) {
  std::vector<std::string> out;
  for (const auto& s : c.record.streams) {
    const json* w = c.wire.contains("streams") && c.wire["streams"].contains(s.name) ? &c.wire["streams"][s.name] : nullptr;
    if (!w || s.status != 200 || w->value("truncated", false)) continue;
    SseParser parser;
    const Limits bounds;
    parser.set_bounds(bounds.sse_line_bytes_max, bounds.sse_event_bytes_max);
    for (const auto& chunk : w->at("chunks")) parser.feed(chunk_bytes(chunk));
    if (!parser.overflow().empty()) {
      out.push_back("stream \"" + s.name + "\": its bytes break a bound: " + parser.overflow());
      continue;
    }
    const auto& events = parser.events();
    if (events.size() < s.events.size()) {
      out.push_back("stream \"" + s.name + "\": its bytes make " + std::to_string(events.size()) + " events, the record has " +
                    std::to_string(s.events.size()));
      continue;
    }
    for (size_t i = 0; i < s.events.size(); ++i) {
      const EventRecord& e = s.events[i];
      const JsonText parsed = read_json(events[i].data, kCassetteDepthMax);
      // Data that was not JSON is recorded as shown() makes it (valid UTF-8, bounded).
      const bool same = e.data_is_json ? (parsed.value && *parsed.value == e.data)
                                       : (json(events[i].data) == e.data || text_value(events[i].data) == e.data);
      if (!same) {
        out.push_back("stream \"" + s.name + "\": event " + std::to_string(i) + " in the bytes differs from the record");
        break;
      }
    }
  }
  return out;
}

}  // namespace th::conform
