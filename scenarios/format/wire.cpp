#include "scenarios/format/wire.h"

#include <map>
#include <utility>

namespace th {

bool is_request_action(const std::string& a) {
  return a != "close_stream" && a != "stall_stream" && a != "resume_stream" && a != "advance";
}

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
