#include "scenarios/format/wire.h"

#include <map>
#include <optional>
#include <utility>

#include "scenarios/format/timefmt.h"

namespace th {

bool is_request_action(const std::string& a) {
  return a != "close_stream" && a != "stall_stream" && a != "resume_stream" && a != "advance";
}

bool step_skipped(const Step& s, const std::map<std::string, nlohmann::json>& responses_by_id) {
  if (!s.if_more_pages) return false;
  auto prev = responses_by_id.find(s.page_token_from);
  if (prev == responses_by_id.end() || !prev->second.is_object()) return true;
  const auto token = prev->second.find("nextPageToken");
  return token == prev->second.end() || !token->is_string() || token->get_ref<const std::string&>().empty();
}

namespace {

const nlohmann::json* find_field(const nlohmann::json& j, const std::vector<std::string>& path) {
  const nlohmann::json* cur = &j;
  for (const auto& k : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

// The answer's time as the server wrote it (an offset of 0 keeps its precision), or
// moved by plus_ms; nullopt when the answer has no timestamp there.
std::optional<std::string> time_from(const TimeFrom& t, const std::map<std::string, nlohmann::json>& responses_by_id) {
  auto prev = responses_by_id.find(t.step);
  if (prev == responses_by_id.end()) return std::nullopt;
  const nlohmann::json* v = find_field(prev->second, t.field);
  if (!v || !v->is_string()) return std::nullopt;
  const auto ms = parse_rfc3339(v->get_ref<const std::string&>());
  if (!ms) return std::nullopt;
  if (t.plus_ms == 0) return v->get<std::string>();
  return format_rfc3339(*ms + t.plus_ms);
}

void set_times(nlohmann::json& body, const Step& s, const std::map<std::string, nlohmann::json>& responses_by_id) {
  for (const TimeFrom& t : s.times_from) {
    auto value = time_from(t, responses_by_id);
    if (!value) continue;
    if (body.is_null()) body = nlohmann::json::object();
    nlohmann::json* cur = &body;
    for (size_t i = 0; i + 1 < t.body_path.size() && cur->is_object(); ++i) {
      nlohmann::json& next = (*cur)[t.body_path[i]];
      if (next.is_null()) next = nlohmann::json::object();
      cur = &next;
    }
    if (cur->is_object()) (*cur)[t.body_path.back()] = *value;
  }
}

}  // namespace

WireRequest step_request(const Scenario& sc, const Step& s, const std::map<std::string, nlohmann::json>& responses_by_id) {
  WireRequest r;
  const std::string task = "/api/v1/tasks/" + s.task_id;
  static const std::map<std::string, std::pair<const char*, const char*>> kFixed = {
      {"create_task", {"POST", "/api/v1/tasks"}},
      {"query_tasks", {"POST", "/api/v1/tasks/query"}},
      {"open_stream", {"POST", "/api/v1/tasks/stream"}},
      {"agent_listen", {"POST", "/api/v1/agent/listen"}},
      {"open_agent_stream", {"POST", "/api/v1/agent/stream"}}};
  if (auto it = kFixed.find(s.action); it != kFixed.end()) {
    r.method = it->second.first;
    r.target = it->second.second;
  } else if (s.action == "get_task") {
    r.method = "GET", r.target = task;
  } else if (s.action == "update_status") {
    r.method = "PUT", r.target = task + "/status";
  } else if (s.action == "cancel_task") {
    r.method = "PUT", r.target = task + "/cancel";
  } else if (s.action == "open_manual_control_stream") {
    r.method = "POST", r.target = task + "/manual-control/stream";
  } else if (s.action == "manual_control_frame") {
    r.method = "POST", r.target = "/_harness/tasks/" + s.task_id + "/manual-control/frames";
  } else {
    r.method = s.method, r.target = s.target;  // "http"
  }
  nlohmann::json body = s.body.value_or(nlohmann::json());
  if (!s.page_token_from.empty()) {
    if (body.is_null()) body = nlohmann::json::object();
    auto prev = responses_by_id.find(s.page_token_from);
    const bool has = prev != responses_by_id.end() && prev->second.is_object();
    body["pageToken"] = has ? prev->second.value("nextPageToken", "") : "";
  }
  set_times(body, s, responses_by_id);
  if (s.has_body_text) {
    r.body = s.body_text;
  } else if (!body.is_null()) {
    r.body = body.dump();
  } else if (r.method != "GET" && s.action != "http") {
    r.body = "{}";
  }
  r.content_type = s.action == "http" ? s.content_type : "application/json";
  if (s.action == "http" && r.content_type.empty() && s.body) r.content_type = "application/json";
  const ClientSpec& c = sc.clients.at(s.client);
  if (!c.token.empty()) r.authorization = "Bearer " + c.token;
  return r;
}

}  // namespace th
