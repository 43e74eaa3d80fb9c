#include "conformance/isolate.h"

#include <algorithm>
#include <map>

#include "scenarios/format/timefmt.h"

namespace th::conform {
namespace {

using json = nlohmann::json;

bool valid_id(const std::string& id) {
  return id.size() >= 5 && id.size() <= 36 && std::all_of(id.begin(), id.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
         });
}

// Every task id a scenario names: taskId and parentTaskId in bodies, task_id fields.
void collect(const json& j, std::set<std::string>& ids) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if ((it.key() == "taskId" || it.key() == "parentTaskId") && it->is_string()) ids.insert(it->get<std::string>());
      collect(*it, ids);
    }
  } else if (j.is_array()) {
    for (const auto& e : j) collect(e, ids);
  }
}

// Every agent a scenario names (an assignee's entityId, a selector's entityIds): on a
// shared server another run's held listen for "agent-1" would take this run's tasks.
void collect_agents(const json& j, std::set<std::string>& agents) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "entityId" && it->is_string()) agents.insert(it->get<std::string>());
      if (it.key() == "entityIds" && it->is_array()) {
        for (const auto& e : *it) {
          if (e.is_string()) agents.insert(e.get<std::string>());
        }
      }
      collect_agents(*it, agents);
    }
  } else if (j.is_array()) {
    for (const auto& e : j) collect_agents(e, agents);
  }
}

// A task type unique to the run: the tag goes in after the scheme's host ("a/b" ->
// "a/TAGb"), the same way in types and in type filters, so prefixes still match.
std::string tag_type(const std::string& type, const std::string& tag) {
  const size_t slash = type.find('/');
  return slash == std::string::npos ? tag + type : type.substr(0, slash + 1) + tag + type.substr(slash + 1);
}

struct Rewriter {
  std::map<std::string, std::string> ids;
  int64_t shift_ms = 0;
  std::string tag;

  std::string str(const std::string& s) const {
    if (auto it = ids.find(s); it != ids.end()) return it->second;
    if (shift_ms != 0) {
      if (auto t = parse_rfc3339(s)) return format_rfc3339(*t + shift_ms);
    }
    return s;
  }
  void value(json& j) const {
    if (j.is_string()) {
      j = str(j.get<std::string>());
    } else if (j.is_object()) {
      for (auto it = j.begin(); it != j.end(); ++it) {
        const bool type = it.key() == "@type" || it.key() == "taskTypePrefix" || it.key() == "taskTypeUrls";
        if (type && !tag.empty()) {
          types(*it);
        } else {
          value(*it);
        }
      }
    } else if (j.is_array()) {
      for (auto& e : j) value(e);
    }
  }
  void types(json& j) const {
    if (j.is_string()) j = tag_type(j.get<std::string>(), tag);
    if (j.is_array()) for (auto& e : j) types(e);
  }
  // Raw bodies and paths: replace each id where it stands whole.
  std::string text(std::string s) const {
    for (const auto& [from, to] : ids) {
      for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
        const bool left = at == 0 || !valid_id(std::string(1, s[at - 1]) + "xxxx");
        const bool right = at + from.size() == s.size() || !valid_id(std::string(1, s[at + from.size()]) + "xxxx");
        if (left && right) s.replace(at, from.size(), to);
      }
    }
    return s;
  }
};

}  // namespace

std::optional<Isolated> isolate(const Scenario& sc, const std::string& tag, int64_t shift_ms, std::string& why) {
  std::set<std::string> named, agents;
  for (const Step& s : sc.steps) {
    if (s.body) collect(*s.body, named);
    if (s.body) collect_agents(*s.body, agents);
    if (!s.task_id.empty()) named.insert(s.task_id);
  }
  Rewriter rw;
  rw.shift_ms = shift_ms;
  rw.tag = tag;
  Isolated out;
  for (const auto& id : named) {
    if (!valid_id(id)) continue;  // an invalid id stays invalid: the scenario tests that
    // An id with no room for the tag (a test of the 36-character bound) keeps its
    // length: the tag takes the place of its first characters.
    const std::string unique = tag.size() + id.size() <= 36 ? tag + id : tag + id.substr(std::min(tag.size(), id.size()));
    if (unique.size() > 36 || !valid_id(unique) || out.task_ids.count(unique)) {
      why = "task id \"" + id + "\" cannot be made unique to the run within 36 characters; run it on a fresh server";
      return std::nullopt;
    }
    rw.ids[id] = unique;
    out.task_ids.insert(unique);
  }
  for (const auto& agent : agents) {
    if (!named.count(agent) && !agent.empty()) rw.ids[agent] = tag + agent;
  }
  out.scenario = sc;
  for (Step& s : out.scenario.steps) {
    if (s.body) rw.value(*s.body);
    if (s.has_body_text) s.body_text = rw.text(s.body_text);
    s.task_id = rw.str(s.task_id);
    s.target = rw.text(s.target);
    if (s.expect) {
      if (s.expect->body) rw.value(*s.expect->body);
      if (s.expect->body_exact) rw.value(*s.expect->body_exact);
    }
  }
  for (auto& [name, e] : out.scenario.expect_streams) {
    for (auto* list : {&e.task_events, &e.agent_requests, &e.frames}) {
      if (*list) for (auto& p : **list) rw.value(p);
    }
    for (auto& p : e.never) rw.value(p);
  }
  out.scenario.server.start_time_ms += shift_ms;
  return out;
}

std::string non_default_server_options(const Scenario& sc) {
  const ServerConfig d;
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : ", ") + s; };
  if (sc.server.stale_status_version != d.stale_status_version) add("stale_status_version " + sc.server.stale_status_version);
  if (sc.server.stream_queue_capacity != d.stream_queue_capacity) add("stream_queue_capacity " + std::to_string(sc.server.stream_queue_capacity));
  if (sc.server.listen_hold_ms != d.listen_hold_ms) add("listen_hold_ms " + std::to_string(sc.server.listen_hold_ms));
  if (sc.server.query_page_size != d.query_page_size) add("query_page_size " + std::to_string(sc.server.query_page_size));
  if (sc.server.max_body_bytes != d.max_body_bytes) add("max_body_bytes " + std::to_string(sc.server.max_body_bytes));
  return out;
}

}  // namespace th::conform
