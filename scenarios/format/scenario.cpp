#include "scenarios/format/scenario.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "scenarios/format/strict_json.h"
#include "scenarios/format/timefmt.h"

namespace th {
namespace {

const std::set<std::string> kActions = {
    "create_task",  "get_task",          "update_status",     "cancel_task",
    "query_tasks",  "open_stream",       "close_stream",      "stall_stream",
    "resume_stream", "agent_listen",     "open_agent_stream", "open_manual_control_stream",
    "manual_control_frame", "http",      "advance"};
const std::set<std::string> kOpens = {"open_stream", "open_agent_stream", "open_manual_control_stream"};
const std::set<std::string> kStreamControls = {"close_stream", "stall_stream", "resume_stream"};
const std::set<std::string> kNeedsTask = {"get_task", "update_status", "cancel_task",
                                          "open_manual_control_stream", "manual_control_frame"};
const std::set<std::string> kNoClient = {"close_stream", "stall_stream", "resume_stream", "advance"};

int64_t non_negative(ObjectReader& r, const char* key, int64_t fallback) {
  auto v = r.opt_int(key);
  if (!v) return fallback;
  if (*v < 0) throw JsonError(r.field_path(key), "must not be negative");
  return *v;
}

ServerConfig parse_server(ObjectReader r) {
  ServerConfig s;
  s.stale_status_version = r.string_or("stale_status_version", s.stale_status_version);
  if (s.stale_status_version != "reject" && s.stale_status_version != "ignore") {
    throw JsonError(r.field_path("stale_status_version"), "must be \"reject\" or \"ignore\"");
  }
  s.stream_queue_capacity = non_negative(r, "stream_queue_capacity", s.stream_queue_capacity);
  s.listen_hold_ms = non_negative(r, "listen_hold_ms", s.listen_hold_ms);
  s.query_page_size = non_negative(r, "query_page_size", s.query_page_size);
  s.max_body_bytes = non_negative(r, "max_body_bytes", s.max_body_bytes);
  if (s.stream_queue_capacity == 0) throw JsonError(r.field_path("stream_queue_capacity"), "must be at least 1");
  if (s.query_page_size == 0) throw JsonError(r.field_path("query_page_size"), "must be at least 1");
  if (auto t = r.opt_string("start_time")) {
    auto ms = parse_rfc3339(*t);
    if (!ms) throw JsonError(r.field_path("start_time"), "must be an RFC 3339 timestamp");
    s.start_time_ms = *ms;
  }
  r.finish();
  return s;
}

std::map<std::string, ClientSpec> parse_clients(ObjectReader r, const json& raw) {
  std::map<std::string, ClientSpec> out;
  for (auto it = raw.begin(); it != raw.end(); ++it) {
    ObjectReader c = *r.opt_object(it.key());
    ClientSpec spec;
    spec.token = c.string_or("token", "");
    spec.authorized = c.opt_bool("authorized").value_or(true);
    c.finish();
    out.emplace(it.key(), spec);
  }
  return out;
}

// "levels": {"FIELD": "SHOULD|MAY <basis>"}: the level of one expectation field and
// what it rests on. MUST needs no entry; a lower level needs its basis cited.
FieldLevels parse_levels(ObjectReader& r, const std::set<std::string>& fields) {
  FieldLevels out;
  auto levels = r.opt_object("levels");
  if (!levels) return out;
  const json& raw = *r.raw("levels");
  for (auto it = raw.begin(); it != raw.end(); ++it) {
    const std::string path = levels->field_path(it.key());
    if (!fields.count(it.key())) throw JsonError(path, "names no expectation field of this object");
    const std::string text = levels->required_string(it.key());
    const std::string word = text.substr(0, text.find(' '));
    FieldLevel f;
    if (word == "SHOULD") {
      f.level = ExpectLevel::kShould;
    } else if (word == "MAY") {
      f.level = ExpectLevel::kMay;
    } else {
      throw JsonError(path, "must start with SHOULD or MAY (MUST is the default and needs no entry)");
    }
    const size_t rest = text.find_first_not_of(' ', word.size());
    if (rest == std::string::npos) throw JsonError(path, "must cite the decision or preference it rests on after " + word);
    f.basis = text.substr(rest);
    out.emplace(it.key(), f);
  }
  levels->finish();
  return out;
}

ResponseExpect parse_response_expect(ObjectReader r) {
  ResponseExpect e;
  e.levels = parse_levels(r, {"status", "body", "body_exact", "t_ms"});
  if (auto s = r.opt_int("status")) {
    if (*s < 100 || *s > 599) throw JsonError(r.field_path("status"), "must be an HTTP status code");
    e.status = static_cast<int>(*s);
  }
  if (const json* b = r.raw("body")) e.body = *b;
  if (const json* b = r.raw("body_exact")) e.body_exact = *b;
  e.t_ms = r.opt_int("t_ms");
  r.finish();
  const std::map<std::string, bool> given = {
      {"status", e.status.has_value()}, {"body", e.body.has_value()}, {"body_exact", e.body_exact.has_value()}, {"t_ms", e.t_ms.has_value()}};
  for (const auto& [field, level] : e.levels) {
    if (!given.at(field)) throw JsonError(r.path() + ".levels." + field, "gives a level to an expectation that is not there");
  }
  return e;
}

void check_pattern(const json& p, const std::string& path) {
  if (!p.is_object()) throw JsonError(path, "must be an object pattern");
  const auto& keys = pattern_keys();
  for (auto it = p.begin(); it != p.end(); ++it) {
    if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) {
      throw JsonError(path + "." + it.key(), "unknown pattern key (allowed: t_ms, event, eventType, taskId, "
                                             "status, statusVersion, errorCode, request, sequence, epochMicros)");
    }
  }
}

std::optional<std::vector<json>> pattern_list(ObjectReader& r, const char* key) {
  const json* list = r.opt_array(key);
  if (!list) return std::nullopt;
  std::vector<json> out;
  for (size_t i = 0; i < list->size(); ++i) {
    check_pattern((*list)[i], r.field_path(key) + "[" + std::to_string(i) + "]");
    out.push_back((*list)[i]);
  }
  return out;
}

StreamExpect parse_stream_expect(ObjectReader r) {
  StreamExpect e;
  e.path = r.path();
  e.levels = parse_levels(r, {"task_events", "agent_requests", "frames", "heartbeats_ms", "never", "end"});
  e.task_events = pattern_list(r, "task_events");
  e.agent_requests = pattern_list(r, "agent_requests");
  e.frames = pattern_list(r, "frames");
  if (const json* hb = r.opt_array("heartbeats_ms")) {
    std::vector<int64_t> times;
    for (size_t i = 0; i < hb->size(); ++i) {
      times.push_back(read_int((*hb)[i], r.field_path("heartbeats_ms") + "[" + std::to_string(i) + "]"));
    }
    e.heartbeats_ms = times;
  }
  if (auto never = pattern_list(r, "never")) e.never = *never;
  if (auto end = r.opt_object("end")) {
    json spec = json::object();
    if (auto t = end->opt_int("t_ms")) spec["t_ms"] = *t;
    spec["reason"] = end->required_string("reason");
    end->finish();
    e.end = spec;
  }
  r.finish();
  const std::map<std::string, bool> given = {{"task_events", e.task_events.has_value()},
                                             {"agent_requests", e.agent_requests.has_value()},
                                             {"frames", e.frames.has_value()},
                                             {"heartbeats_ms", e.heartbeats_ms.has_value()},
                                             {"never", !e.never.empty()},
                                             {"end", true}};  // its absence is an expectation too
  for (const auto& [field, level] : e.levels) {
    if (!given.at(field)) throw JsonError(r.path() + ".levels." + field, "gives a level to an expectation that is not there");
  }
  return e;
}

// "a.b.c" -> {"a", "b", "c"}; every part non-empty.
std::vector<std::string> dotted_path(const std::string& text, const std::string& where) {
  std::vector<std::string> parts;
  size_t from = 0;
  while (true) {
    const size_t dot = text.find('.', from);
    parts.push_back(text.substr(from, dot == std::string::npos ? std::string::npos : dot - from));
    if (parts.back().empty()) throw JsonError(where, "\"" + text + "\" is not a dotted field path");
    if (dot == std::string::npos) return parts;
    from = dot + 1;
  }
}

std::vector<TimeFrom> parse_times_from(ObjectReader& r) {
  std::vector<TimeFrom> out;
  const json* raw = r.raw("times_from");
  if (!raw) return out;
  auto obj = r.opt_object("times_from");
  if (!obj) throw JsonError(r.field_path("times_from"), "must be an object: body field path -> {step, field, plus_ms}");
  for (auto it = raw->begin(); it != raw->end(); ++it) {
    const std::string where = obj->field_path(it.key());
    auto spec = obj->opt_object(it.key());
    if (!spec) throw JsonError(where, "must be an object {step, field, plus_ms}");
    TimeFrom t;
    t.body_path = dotted_path(it.key(), where);
    t.step = spec->required_string("step");
    t.field = dotted_path(spec->required_string("field"), spec->field_path("field"));
    t.plus_ms = spec->opt_int("plus_ms").value_or(0);
    spec->finish();
    out.push_back(std::move(t));
  }
  return out;
}

void parse_action_fields(ObjectReader& r, Step& s) {
  if (const json* b = r.raw("body")) s.body = *b;
  s.task_id = r.string_or("task_id", "");
  s.stream = r.string_or("stream", "");
  s.page_token_from = r.string_or("page_token_from", "");
  s.if_more_pages = r.opt_bool("if_more_pages").value_or(false);
  s.times_from = parse_times_from(r);
  if (s.action == "http") {
    s.method = r.required_string("method");
    s.target = r.required_string("path");
    s.content_type = r.string_or("content_type", "");
    if (auto t = r.opt_string("body_text")) {
      s.body_text = *t;
      s.has_body_text = true;
    }
    if (s.body && s.has_body_text) throw JsonError(r.path(), "give body or body_text, not both");
  }
  if (kNeedsTask.count(s.action) && s.task_id.empty()) throw JsonError(r.field_path("task_id"), "is required for " + s.action);
  if ((kOpens.count(s.action) || kStreamControls.count(s.action)) && s.stream.empty()) {
    throw JsonError(r.field_path("stream"), "is required for " + s.action);
  }
  if (!s.page_token_from.empty() && s.action != "query_tasks") {
    throw JsonError(r.field_path("page_token_from"), "only query_tasks takes it");
  }
  if (s.if_more_pages && s.page_token_from.empty()) {
    throw JsonError(r.field_path("if_more_pages"), "needs page_token_from (the page it continues)");
  }
  if (!s.times_from.empty() && (s.action == "http" || s.action == "get_task")) {
    throw JsonError(r.field_path("times_from"), "only a step with a JSON body takes it");
  }
}

Step parse_step(ObjectReader r, size_t index) {
  Step s;
  s.index = index;
  s.path = r.path();
  s.id = r.string_or("id", "");
  s.at_ms = r.required_int("at_ms");
  if (s.at_ms < 0) throw JsonError(r.field_path("at_ms"), "must not be negative");
  s.action = r.required_string("do");
  if (!kActions.count(s.action)) throw JsonError(r.field_path("do"), "unknown action \"" + s.action + "\"");
  s.client = r.string_or("client", "");
  if (!kNoClient.count(s.action) && s.client.empty()) throw JsonError(r.field_path("client"), "is required for " + s.action);
  parse_action_fields(r, s);
  if (auto e = r.opt_object("expect")) {
    if (kNoClient.count(s.action)) throw JsonError(e->path(), s.action + " has no response to expect");
    s.expect = parse_response_expect(*e);
  }
  r.finish();
  return s;
}

void check_references(const Scenario& sc) {
  std::set<std::string> opened, ids;
  int64_t last_ms = 0;
  for (const Step& s : sc.steps) {
    if (s.at_ms < last_ms) throw JsonError(s.path + ".at_ms", "steps must be in time order (earlier step at " + std::to_string(last_ms) + ")");
    last_ms = s.at_ms;
    if (!s.client.empty() && !sc.clients.count(s.client)) throw JsonError(s.path + ".client", "undeclared client \"" + s.client + "\"");
    if (kOpens.count(s.action) && !opened.insert(s.stream).second) throw JsonError(s.path + ".stream", "stream \"" + s.stream + "\" is opened twice");
    if (kStreamControls.count(s.action) && !opened.count(s.stream)) throw JsonError(s.path + ".stream", "stream \"" + s.stream + "\" is not opened before");
    if (!s.page_token_from.empty() && !ids.count(s.page_token_from)) throw JsonError(s.path + ".page_token_from", "no earlier step with id \"" + s.page_token_from + "\"");
    for (const TimeFrom& t : s.times_from) {
      if (!ids.count(t.step)) throw JsonError(s.path + ".times_from", "no earlier step with id \"" + t.step + "\"");
    }
    if (!s.id.empty() && !ids.insert(s.id).second) throw JsonError(s.path + ".id", "step id \"" + s.id + "\" is used twice");
  }
  for (const auto& [name, e] : sc.expect_streams) {
    if (!opened.count(name)) throw JsonError(e.path, "no step opens a stream named \"" + name + "\"");
  }
  if (sc.end_ms < last_ms) throw JsonError("$.end_ms", "must not be before the last step (" + std::to_string(last_ms) + ")");
}

}  // namespace

const char* to_name(ExpectLevel l) {
  switch (l) {
    case ExpectLevel::kMust: return "MUST";
    case ExpectLevel::kShould: return "SHOULD";
    case ExpectLevel::kMay: return "MAY";
  }
  return "MUST";
}

const std::vector<std::string>& pattern_keys() {
  static const std::vector<std::string> keys = {"t_ms",    "event",      "eventType", "taskId",  "status",
                                                "statusVersion", "errorCode", "request", "sequence",
                                                "epochMicros"};
  return keys;
}

Scenario parse_scenario(const std::string& text, const std::string& file) {
  json doc;
  try {
    doc = parse_strict(text, "$");
  } catch (const JsonError& e) {
    throw ScenarioError(file + ": " + e.what());
  }
  return parse_scenario_json(doc, file);
}

Scenario parse_scenario_json(const json& doc, const std::string& file) {
  try {
    ObjectReader r(doc, "$");
    Scenario sc;
    sc.file = file;
    if (r.required_int("format") != 1) throw JsonError("$.format", "only format 1 is known");
    sc.name = r.required_string("name");
    sc.title = r.required_string("title");
    sc.description = r.string_or("description", "");
    sc.rules = r.opt_string_array("rules").value_or(std::vector<std::string>{});
    if (sc.rules.empty()) throw JsonError("$.rules", "must name at least one rule ID");
    if (auto why = r.opt_string("needs_test_clock")) {
      if (why->empty()) throw JsonError("$.needs_test_clock", "says why the scenario needs the test clock");
      sc.needs_test_clock = true;
      sc.needs_test_clock_why = *why;
    }
    if (auto s = r.opt_object("server")) sc.server = parse_server(*s);
    if (auto c = r.opt_object("clients")) sc.clients = parse_clients(*c, *r.raw("clients"));
    const json* steps = r.opt_array("steps");
    if (!steps || steps->empty()) throw JsonError("$.steps", "must list at least one step");
    for (size_t i = 0; i < steps->size(); ++i) {
      sc.steps.push_back(parse_step(ObjectReader((*steps)[i], "$.steps[" + std::to_string(i) + "]"), i));
    }
    sc.end_ms = r.opt_int("end_ms").value_or(sc.steps.back().at_ms);
    if (auto ex = r.opt_object("expect_streams")) {
      const json& raw = *r.raw("expect_streams");
      for (auto it = raw.begin(); it != raw.end(); ++it) {
        sc.expect_streams.emplace(it.key(), parse_stream_expect(*ex->opt_object(it.key())));
      }
    }
    r.finish();
    check_references(sc);
    return sc;
  } catch (const JsonError& e) {
    throw ScenarioError(file + ": " + e.what());
  }
}

Scenario load_scenario(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ScenarioError(file + ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  constexpr size_t kMaxScenarioBytes = 16 << 20;
  if (ss.str().size() > kMaxScenarioBytes) throw ScenarioError(file + ": larger than 16 MiB");
  return parse_scenario(ss.str(), file);
}

}  // namespace th
