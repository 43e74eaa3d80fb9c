#include "sim/player.h"

#include <map>
#include <memory>

#include "sim/assert.h"
#include "sim/clock.h"
#include "sim/lattice_rest.h"
#include "sim/model.h"
#include "sim/rng.h"

namespace th {
namespace {

struct StreamState {
  std::string name;
  StreamHandle handle;
  bool stalled = false;
  bool gone = false;  // closed by the client or ended by the server
  std::vector<json> observed;  // flattened messages
  std::optional<json> end;     // {"t_ms","reason"} when the server ended it
};

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

class Player {
 public:
  Player(const Scenario& sc, uint64_t seed, TraceWriter& trace)
      : sc_(sc),
        trace_(trace),
        clock_(sc.server.start_time_ms),
        rng_(seed),
        service_(clock_, rng_, service_options(sc.server)),
        dialect_(service_, dialect_options(sc)) {}

  PlayResult run(uint64_t seed) {
    trace_.line({{"kind", "scenario"}, {"name", sc_.name}, {"seed", seed}, {"format", 1},
                 {"start_ms", sc_.server.start_time_ms}});
    for (const Step& s : sc_.steps) {
      clock_.advance_to(sc_.server.start_time_ms + s.at_ms);
      run_step(s);
    }
    clock_.advance_to(sc_.server.start_time_ms + sc_.end_ms);
    for (const Step& s : sc_.steps) {
      if (s.action == "agent_listen" && !answered_.count(s.index) && s.expect) {
        fail(s.path + ": expected an answer, but the listen was still held at end_ms " + std::to_string(sc_.end_ms));
      }
    }
    for (auto& [name, st] : streams_) drain(*st, /*force=*/false);
    check_streams();
    PlayResult r;
    r.failures = failures_;
    r.trace_hash = trace_.hash_hex();
    r.trace_lines = trace_.lines();
    return r;
  }

 private:
  static ServiceOptions service_options(const ServerConfig& c) {
    ServiceOptions o;
    o.stale_status_version = c.stale_status_version == "ignore" ? StalePolicy::kIgnore : StalePolicy::kReject;
    o.stream_queue_capacity = static_cast<size_t>(c.stream_queue_capacity);
    o.listen_hold_ms = c.listen_hold_ms;
    o.query_page_size = static_cast<size_t>(c.query_page_size);
    return o;
  }

  static DialectOptions dialect_options(const Scenario& sc) {
    DialectOptions o;
    for (const auto& [name, c] : sc.clients) {
      if (c.authorized && !c.token.empty()) o.tokens.insert(c.token);
    }
    o.max_body_bytes = static_cast<size_t>(sc.server.max_body_bytes);
    return o;
  }

  int64_t rel_ms() const { return clock_.now_ms() - sc_.server.start_time_ms; }
  void fail(std::string msg) { failures_.push_back(std::move(msg)); }

  HttpRequest build_request(const Step& s) {
    HttpRequest r;
    const std::string task = "/api/v1/tasks/" + s.task_id;
    static const std::map<std::string, std::pair<const char*, std::string>> kRoutes = {
        {"create_task", {"POST", "/api/v1/tasks"}},     {"query_tasks", {"POST", "/api/v1/tasks/query"}},
        {"open_stream", {"POST", "/api/v1/tasks/stream"}}, {"agent_listen", {"POST", "/api/v1/agent/listen"}},
        {"open_agent_stream", {"POST", "/api/v1/agent/stream"}}};
    if (auto it = kRoutes.find(s.action); it != kRoutes.end()) {
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
      TH_ASSERT(s.action == "http", "every request action has a route");
      r.method = s.method, r.target = s.target;
    }
    json body = s.body.value_or(json());
    if (!s.page_token_from.empty()) {
      if (body.is_null()) body = json::object();
      const json& prev = responses_by_id_[s.page_token_from];
      body["pageToken"] = prev.is_object() ? prev.value("nextPageToken", "") : "";
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
    const ClientSpec& c = sc_.clients.at(s.client);
    if (!c.token.empty()) r.authorization = "Bearer " + c.token;
    return r;
  }

  void run_step(const Step& s) {
    if (s.action == "advance") return;
    if (s.action == "close_stream" || s.action == "stall_stream" || s.action == "resume_stream") {
      stream_control(s);
      return;
    }
    const HttpRequest req = build_request(s);
    json line = {{"kind", "request"}, {"step", s.index}, {"client", s.client}, {"method", req.method},
                 {"path", req.target}, {"t_ms", rel_ms()}};
    // What was sent, as sent: JSON bodies as JSON, raw ones as text.
    if (s.has_body_text) {
      line["body_text"] = req.body;
    } else if (!req.body.empty()) {
      line["body"] = json::parse(req.body);
    }
    trace_.line(line);
    HttpResponse res = dialect_.handle(req, [this, &s](HttpResponse answer) {
      answered_[s.index] = true;
      record_response(s, answer);
    });
    if (res.listen_id) return;  // the answer comes (or came) through the callback
    if (res.stream && res.status == 200) {
      record_response(s, res);
      attach_stream(s, res.stream->id, res.stream->outbox);
      return;
    }
    record_response(s, res);
  }

  void record_response(const Step& s, const HttpResponse& res) {
    json line = {{"kind", "response"}, {"step", s.index}, {"client", s.client}, {"status", res.status},
                 {"t_ms", rel_ms()}};
    if (!res.stream) line["body"] = res.body;
    trace_.line(line);
    if (!s.id.empty()) responses_by_id_[s.id] = res.body;
    if (s.expect) check_response(s, res);
  }

  void check_response(const Step& s, const HttpResponse& res) {
    const ResponseExpect& e = *s.expect;
    const std::string where = s.path + " (" + s.action + ")";
    if (e.status && *e.status != res.status) {
      fail(where + ": expected status " + std::to_string(*e.status) + ", got " + std::to_string(res.status) +
           (res.body.is_null() ? "" : " with body " + res.body.dump()));
    }
    if (e.body && !json_subset_match(*e.body, res.body)) {
      fail(where + ": body does not match " + e.body->dump() + "; got " + res.body.dump());
    }
    if (e.body_exact && *e.body_exact != res.body) {
      fail(where + ": body is not exactly " + e.body_exact->dump() + "; got " + res.body.dump());
    }
    if (e.t_ms && *e.t_ms != rel_ms()) {
      fail(where + ": expected the answer at t_ms " + std::to_string(*e.t_ms) + ", got it at " + std::to_string(rel_ms()));
    }
  }

  void attach_stream(const Step& s, uint64_t id, const std::shared_ptr<Outbox>& box) {
    auto st = std::make_unique<StreamState>();
    st->name = s.stream;
    st->handle = StreamHandle{id, box};
    StreamState* raw = st.get();
    streams_.emplace(s.stream, std::move(st));
    box->set_on_ready([this, raw] { drain(*raw, false); });
    drain(*raw, false);
  }

  void stream_control(const Step& s) {
    auto it = streams_.find(s.stream);
    if (it == streams_.end()) {
      fail(s.path + ": stream \"" + s.stream + "\" was never opened (its open request failed)");
      return;
    }
    StreamState& st = *it->second;
    if (s.action == "stall_stream") {
      st.stalled = true;
    } else if (s.action == "resume_stream") {
      st.stalled = false;
      drain(st, false);
    } else if (!st.gone) {
      st.gone = true;
      st.handle.outbox->set_on_ready(nullptr);
      service_.close_stream(st.handle.id);
      trace_.line({{"kind", "stream_closed"}, {"stream", st.name}, {"t_ms", rel_ms()}});
    }
  }

  void drain(StreamState& st, bool force) {
    if ((st.stalled && !force) || st.gone) return;
    Outbox& box = *st.handle.outbox;
    while (auto m = box.pop()) {
      const json data = json::parse(sse_data(*m));
      trace_.line({{"kind", "sse"}, {"stream", st.name}, {"t_ms", rel_ms()}, {"data", data}});
      st.observed.push_back(flatten_stream_data(data, rel_ms()));
    }
    if (box.ended()) {
      st.gone = true;
      const int64_t end_ms = box.end_time_ms() - sc_.server.start_time_ms;
      st.end = json{{"t_ms", end_ms}, {"reason", box.end_reason()}};
      trace_.line({{"kind", "stream_end"}, {"stream", st.name}, {"t_ms", rel_ms()}, {"reason", box.end_reason()}});
    }
  }

  void check_list(const std::string& where, const char* what, const std::vector<json>& expected,
                  const std::vector<json>& seen) {
    if (expected.size() != seen.size()) {
      fail(where + ": expected " + std::to_string(expected.size()) + " " + what + ", saw " +
           std::to_string(seen.size()) + ":" + describe_all(seen));
      return;
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      if (!json_subset_match(expected[i], seen[i])) {
        fail(where + ": " + what + "[" + std::to_string(i) + "]: expected " + expected[i].dump() + ", saw " +
             describe(seen[i]) + "; all:" + describe_all(seen));
        return;
      }
    }
  }

  std::vector<json> of_kind(const StreamState& st, const char* event) {
    std::vector<json> out;
    for (const json& f : st.observed) {
      if (f.value("event", "") == event) out.push_back(f);
    }
    return out;
  }

  void check_streams() {
    for (const auto& [name, e] : sc_.expect_streams) {
      const std::string where = "stream \"" + name + "\" (" + e.path + ")";
      auto it = streams_.find(name);
      if (it == streams_.end()) {
        fail(where + ": the stream never opened");
        continue;
      }
      const StreamState& st = *it->second;
      if (e.task_events) check_list(where, "task_events", *e.task_events, of_kind(st, "task_event"));
      if (e.agent_requests) check_list(where, "agent_requests", *e.agent_requests, of_kind(st, "agent_request"));
      if (e.frames) check_list(where, "frames", *e.frames, of_kind(st, "manual_control_frame"));
      if (e.heartbeats_ms) {
        std::vector<int64_t> seen;
        for (const json& f : of_kind(st, "heartbeat")) seen.push_back(f["t_ms"].get<int64_t>());
        if (seen != *e.heartbeats_ms) {
          fail(where + ": expected heartbeats at " + json(*e.heartbeats_ms).dump() + ", saw " + json(seen).dump());
        }
      }
      for (const json& p : e.never) {
        for (const json& f : st.observed) {
          if (json_subset_match(p, f)) fail(where + ": saw " + describe(f) + ", which must never appear (" + p.dump() + ")");
        }
      }
      if (e.end && (!st.end || !json_subset_match(*e.end, *st.end))) {
        fail(where + ": expected the server to end it with " + e.end->dump() + ", got " + (st.end ? st.end->dump() : "no end"));
      }
      if (!e.end && st.end) fail(where + ": the server ended it unexpectedly: " + st.end->dump());
    }
  }

  const Scenario& sc_;
  TraceWriter& trace_;
  VirtualClock clock_;
  Rng rng_;
  TaskService service_;
  RestDialect dialect_;
  std::map<std::string, std::unique_ptr<StreamState>> streams_;
  std::map<std::string, json> responses_by_id_;
  std::map<size_t, bool> answered_;
  std::vector<std::string> failures_;
};

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
  const std::string event = data.value("event", "");
  if (event == "task_event") {
    copy_if(f, "eventType", find_path(data, {"taskEvent", "eventType"}));
    copy_if(f, "taskId", find_path(data, {"taskEvent", "task", "version", "taskId"}));
    copy_if(f, "statusVersion", find_path(data, {"taskEvent", "task", "version", "statusVersion"}));
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
    copy_if(f, "sequence", find_path(data, {"sequence"}));
    copy_if(f, "epochMicros", find_path(data, {"epochMicros"}));
  }
  return f;
}

PlayResult play_scenario(const Scenario& sc, uint64_t seed, TraceWriter& trace) {
  Player p(sc, seed, trace);
  return p.run(seed);
}

}  // namespace th
