#include "scenarios/format/expect.h"

#include <cstdlib>

#include "scenarios/format/timefmt.h"

namespace th {
namespace {

const json* find_path(const json& j, std::initializer_list<const char*> keys) {
  const json* cur = &j;
  for (const char* k : keys) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

void copy_if(json& out, const char* key, const json* v) {
  if (v) out[key] = *v;
}

// proto3's JSON mapping writes 64-bit integers as decimal strings ("epochMicros":
// "1"): the same number as a server that writes 1, so patterns see a number.
void copy_int_if(json& out, const char* key, const json* v) {
  if (v && v->is_string()) {
    const std::string& text = v->get_ref<const std::string&>();
    const bool digits = !text.empty() && text.size() <= 18 &&
                        text.find_first_not_of("0123456789", text[0] == '-' ? 1 : 0) == std::string::npos &&
                        text != "-";
    if (digits) {
      out[key] = std::stoll(text);
      return;
    }
  }
  copy_if(out, key, v);
}

// The value of a string field, or "" (whatever type a server sent instead).
const std::string& str_of(const json& j, const char* key) {
  static const std::string kEmpty;
  const json* v = find_path(j, {key});
  return v && v->is_string() ? v->get_ref<const std::string&>() : kEmpty;
}

std::string describe(const json& f) {
  std::string s = "t=" + std::to_string(f.value("t_ms", int64_t{0}));
  for (const char* k : {"eventType", "request", "taskId", "status", "statusVersion", "errorCode", "sequence"}) {
    if (f.contains(k)) s += " " + std::string(k) + "=" + (f[k].is_string() ? f[k].get<std::string>() : f[k].dump());
  }
  return s;
}

std::string describe_all(const std::vector<json>& list) {
  std::string s;
  for (const json& f : list) s += "\n      " + describe(f);
  return s.empty() ? " (none)" : s;
}

// proto3's JSON mapping may leave out a field that holds its default value ("", 0,
// false, []): a server built on it that omits one says the same as one that sends it.
bool proto3_default(const json& v) {
  return (v.is_string() && v.get_ref<const std::string&>().empty()) || (v.is_number_integer() && v.get<int64_t>() == 0) ||
         (v.is_boolean() && !v.get<bool>()) || (v.is_array() && v.empty());
}

// Like json_subset_match, but timestamps (RFC 3339 strings) match as instants (so
// "…00Z" and "…00.000Z" are the same time; in real time any valid one matches, the
// expected one being nominal), and a field the pattern gives its proto3 default may
// be absent.
bool subset_match_tol(const json& pattern, const json& actual, bool rt) {
  if (pattern.is_object()) {
    if (!actual.is_object()) return false;
    for (auto it = pattern.begin(); it != pattern.end(); ++it) {
      auto a = actual.find(it.key());
      if (a == actual.end()) {
        if (proto3_default(*it)) continue;
        return false;
      }
      if (!subset_match_tol(*it, *a, rt)) return false;
    }
    return true;
  }
  if (pattern.is_array()) {
    if (!actual.is_array() || actual.size() != pattern.size()) return false;
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (!subset_match_tol(pattern[i], actual[i], rt)) return false;
    }
    return true;
  }
  if (pattern.is_string() && actual.is_string()) {
    auto p = parse_rfc3339(pattern.get<std::string>()), a = parse_rfc3339(actual.get<std::string>());
    if (p && a) return rt || *p == *a;
  }
  return pattern == actual;
}

// A stream pattern: every field equal; t_ms too in virtual time, and not at all in
// real time (where the list position checks the order).
bool pattern_match(const json& pattern, const json& flat, bool rt) {
  if (!pattern.is_object() || !flat.is_object()) return false;
  for (auto it = pattern.begin(); it != pattern.end(); ++it) {
    auto a = flat.find(it.key());
    if (a == flat.end()) return false;
    if (it.key() == "t_ms" && it->is_number_integer() && a->is_number_integer()) {
      if (!rt && it->get<int64_t>() != a->get<int64_t>()) return false;
    } else if (!json_subset_match(*it, *a)) {
      return false;
    }
  }
  return true;
}

// Collects failures, each at the level its field carries.
struct Sink {
  std::vector<ExpectFailure>& out;
  const FieldLevels& levels;
  void push_back(std::string text, const char* field) {
    auto it = levels.find(field);
    if (it == levels.end()) {
      out.push_back({std::move(text), ExpectLevel::kMust, ""});
    } else {
      out.push_back({std::move(text), it->second.level, it->second.basis});
    }
  }
};

void check_list(Sink& fails, const std::string& where, const char* what,
                const std::vector<json>& expected, const std::vector<json>& seen, bool rt) {
  if (expected.size() != seen.size()) {
    fails.push_back(where + ": expected " + std::to_string(expected.size()) + " " + what + ", saw " +
                        std::to_string(seen.size()) + ":" + describe_all(seen),
                    what);
    return;
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    if (!pattern_match(expected[i], seen[i], rt)) {
      fails.push_back(where + ": " + what + "[" + std::to_string(i) + "]: expected " + expected[i].dump() + ", saw " +
                          describe(seen[i]) + "; all:" + describe_all(seen),
                      what);
      return;
    }
  }
}

std::vector<json> of_kind(const ObservedStream& st, const char* event) {
  std::vector<json> out;
  for (const json& f : st.messages) {
    if (str_of(f, "event") == event) out.push_back(f);
  }
  return out;
}

void check_one_stream(Sink& fails, const std::string& where, const StreamExpect& e,
                      const ObservedStream& st, bool rt) {
  if (e.task_events) check_list(fails, where, "task_events", *e.task_events, of_kind(st, "task_event"), rt);
  if (e.agent_requests) check_list(fails, where, "agent_requests", *e.agent_requests, of_kind(st, "agent_request"), rt);
  if (e.frames) check_list(fails, where, "frames", *e.frames, of_kind(st, "manual_control_frame"), rt);
  if (e.heartbeats_ms && !rt) {  // in real time the heartbeat rules judge the gaps
    std::vector<int64_t> seen;
    for (const json& f : of_kind(st, "heartbeat")) seen.push_back(f["t_ms"].get<int64_t>());
    bool same = seen.size() == e.heartbeats_ms->size();
    for (size_t i = 0; same && i < seen.size(); ++i) same = seen[i] == (*e.heartbeats_ms)[i];
    if (!same) {
      fails.push_back(where + ": expected heartbeats at " + json(*e.heartbeats_ms).dump() + ", saw " + json(seen).dump(),
                      "heartbeats_ms");
    }
  }
  for (const json& p : e.never) {
    // "Nothing at t=200" says something only about time: in real time it says nothing.
    if (rt && p.size() == 1 && p.contains("t_ms")) continue;
    for (const json& f : st.messages) {
      if (pattern_match(p, f, rt)) {
        fails.push_back(where + ": saw " + describe(f) + ", which must never appear (" + p.dump() + ")", "never");
      }
    }
  }
  if (e.end && (!st.end || !pattern_match(*e.end, *st.end, rt))) {
    fails.push_back(where + ": expected the server to end it with " + e.end->dump() + ", got " +
                        (st.end ? st.end->dump() : "no end"),
                    "end");
  }
  if (!e.end && st.end) fails.push_back(where + ": the server ended it unexpectedly: " + st.end->dump(), "end");
}

}  // namespace

bool json_subset_match(const json& pattern, const json& actual) {
  if (pattern.is_object()) {
    if (!actual.is_object()) return false;
    for (auto it = pattern.begin(); it != pattern.end(); ++it) {
      auto a = actual.find(it.key());
      if (a == actual.end() || !json_subset_match(*it, *a)) return false;
    }
    return true;
  }
  if (pattern.is_array()) {
    if (!actual.is_array() || actual.size() != pattern.size()) return false;
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (!json_subset_match(pattern[i], actual[i])) return false;
    }
    return true;
  }
  return pattern == actual;
}

json flatten_stream_data(const json& data, int64_t t_ms) {
  json f = {{"t_ms", t_ms}};
  copy_if(f, "event", find_path(data, {"event"}));
  const std::string event = str_of(data, "event");
  if (event == "task_event") {
    copy_if(f, "eventType", find_path(data, {"taskEvent", "eventType"}));
    copy_if(f, "taskId", find_path(data, {"taskEvent", "task", "version", "taskId"}));
    copy_int_if(f, "statusVersion", find_path(data, {"taskEvent", "task", "version", "statusVersion"}));
    copy_if(f, "status", find_path(data, {"taskEvent", "task", "status", "status"}));
    copy_if(f, "errorCode", find_path(data, {"taskEvent", "task", "status", "taskError", "code"}));
  } else if (event == "agent_request") {
    if (const json* t = find_path(data, {"executeRequest", "task", "version", "taskId"})) {
      f["request"] = "execute";
      f["taskId"] = *t;
      copy_if(f, "statusVersion", find_path(data, {"executeRequest", "task", "version", "statusVersion"}));
      copy_if(f, "status", find_path(data, {"executeRequest", "task", "status", "status"}));
    } else if (const json* c = find_path(data, {"cancelRequest", "taskId"})) {
      f["request"] = "cancel";
      f["taskId"] = *c;
    } else if (const json* d = find_path(data, {"completeRequest", "taskId"})) {
      f["request"] = "complete";
      f["taskId"] = *d;
    }
  } else if (event == "manual_control_frame") {
    copy_if(f, "taskId", find_path(data, {"taskId"}));
    copy_int_if(f, "sequence", find_path(data, {"sequence"}));
    copy_int_if(f, "epochMicros", find_path(data, {"epochMicros"}));
  }
  return f;
}

std::string ExpectFailure::describe() const {
  if (level == ExpectLevel::kMust) return text;
  return std::string(to_name(level)) + " (" + basis + "): " + text;
}

std::vector<ExpectFailure> check_response(const Step& s, int status, const json& body, int64_t t_ms,
                                          bool real_time) {
  std::vector<ExpectFailure> out;
  if (!s.expect) return out;
  const ResponseExpect& e = *s.expect;
  Sink fails{out, e.levels};
  const std::string where = s.path + " (" + s.action + ")";
  if (e.status && *e.status != status) {
    fails.push_back(where + ": expected status " + std::to_string(*e.status) + ", got " + std::to_string(status) +
                        (body.is_null() ? "" : " with body " + body.dump()),
                    "status");
  }
  if (e.body && !subset_match_tol(*e.body, body, real_time)) {
    fails.push_back(where + ": body does not match " + e.body->dump() + "; got " + body.dump(), "body");
  }
  if (e.body_exact && !(subset_match_tol(*e.body_exact, body, real_time) &&
                        subset_match_tol(body, *e.body_exact, real_time))) {
    fails.push_back(where + ": body is not exactly " + e.body_exact->dump() + "; got " + body.dump(), "body_exact");
  }
  if (e.t_ms && !real_time && *e.t_ms != t_ms) {
    fails.push_back(where + ": expected the answer at t_ms " + std::to_string(*e.t_ms) + ", got it at " +
                        std::to_string(t_ms),
                    "t_ms");
  }
  return out;
}

std::vector<ExpectFailure> check_streams(const Scenario& sc, const std::map<std::string, ObservedStream>& seen,
                                         bool real_time) {
  std::vector<ExpectFailure> out;
  for (const auto& [name, e] : sc.expect_streams) {
    const std::string where = "stream \"" + name + "\" (" + e.path + ")";
    auto it = seen.find(name);
    if (it == seen.end()) {
      // As much as the open step's status expectation weighs: a refusal that step
      // allows at SHOULD or MAY is no MUST failure here either.
      FieldLevel level;
      for (const Step& s : sc.steps) {
        if (s.stream != name || !s.expect) continue;
        if (auto l = s.expect->levels.find("status"); l != s.expect->levels.end()) level = l->second;
        break;
      }
      out.push_back({where + ": the stream never opened", level.level, level.basis});
      continue;
    }
    Sink fails{out, e.levels};
    check_one_stream(fails, where, e, it->second, real_time);
  }
  return out;
}

}  // namespace th
