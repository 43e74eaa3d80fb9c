#include "sim/lattice_rest.h"

#include <cctype>
#include <vector>

#include "scenarios/format/strict_json.h"
#include "scenarios/format/timefmt.h"
#include "sim/assert.h"
#include "sim/variant.h"

namespace th {
namespace {

// ---- encoding ----------------------------------------------------------------

void put_if(json& out, const char* key, const json& v) {
  if (!v.is_null()) out[key] = v;
}

void put_if(json& out, const char* key, const std::string& v) {
  if (!v.empty()) out[key] = v;
}

json status_to_json(const StatusInfo& s) {
  json out = json::object();
  out["status"] = to_name(s.status);
  if (s.task_error) {
    out["taskError"] = {{"code", to_name(s.task_error->code)}, {"message", s.task_error->message}};
  }
  put_if(out, "progress", s.progress);
  put_if(out, "result", s.result);
  if (s.start_time_ms) out["startTime"] = format_rfc3339(*s.start_time_ms);
  put_if(out, "estimate", s.estimate);
  put_if(out, "allocation", s.allocation);
  return out;
}

// ---- decoding ----------------------------------------------------------------

// The end of reading an object: a field nobody asked for is a 400, unless the
// unknown-fields-ignored variant lets it pass (as proto3 JSON parsers may).
void done(const ObjectReader& r, bool strict) {
  if (strict) r.finish();
}

template <typename E>
E parse_enum(std::optional<E> (*parse)(std::string_view), const std::string& name,
             const std::string& path, const char* what) {
  auto v = parse(name);
  if (!v) throw JsonError(path, "unknown " + std::string(what) + " \"" + name + "\"");
  return *v;
}

int64_t parse_time(const std::string& text, const std::string& path) {
  auto ms = parse_rfc3339(text);
  if (!ms) throw JsonError(path, "must be an RFC 3339 timestamp, not \"" + text + "\"");
  return *ms;
}

json object_or_absent(ObjectReader& r, const char* key) {
  json v = r.opt_any(key);
  if (!v.is_null() && !v.is_object()) throw JsonError(r.field_path(key), "must be an object");
  return v;
}

CreateTaskRequest parse_create(const json& body, bool strict) {
  ObjectReader r(body, "body");
  CreateTaskRequest c;
  c.task_id = r.opt_string("taskId");
  c.display_name = r.string_or("displayName", "");
  c.description = r.string_or("description", "");
  c.specification = object_or_absent(r, "specification");
  c.author = object_or_absent(r, "author");
  if (auto rel = r.opt_object("relations")) {
    c.assignee = object_or_absent(*rel, "assignee");
    c.parent_task_id = rel->string_or("parentTaskId", "");
    done(*rel, strict);
  }
  c.is_executed_elsewhere = r.opt_bool("isExecutedElsewhere").value_or(false);
  if (const json* e = r.opt_array("initialEntities")) c.initial_entities = *e;
  c.retry_strategy = object_or_absent(r, "retryStrategy");
  c.delivery_constraints = object_or_absent(r, "deliveryConstraints");
  done(r, strict);
  return c;
}

StatusInfo parse_status_info(ObjectReader r, bool strict) {
  StatusInfo s;
  s.status = parse_enum(parse_task_status, r.required_string("status"), r.field_path("status"), "status");
  if (auto e = r.opt_object("taskError")) {
    TaskError te;
    if (auto code = e->opt_string("code")) te.code = parse_enum(parse_error_code, *code, e->field_path("code"), "error code");
    te.message = e->string_or("message", "");
    done(*e, strict);
    s.task_error = te;
  }
  s.progress = r.opt_any("progress");
  s.result = r.opt_any("result");
  s.estimate = r.opt_any("estimate");
  s.allocation = object_or_absent(r, "allocation");
  if (auto st = r.opt_string("startTime")) s.start_time_ms = parse_time(*st, r.field_path("startTime"));
  done(r, strict);
  return s;
}

UpdateStatusRequest parse_update(const json& body, bool strict) {
  ObjectReader r(body, "body");
  UpdateStatusRequest u;
  u.status_version = r.required_int("statusVersion");
  u.new_status = parse_status_info(r.required_object("newStatus"), strict);
  u.author = object_or_absent(r, "author");
  done(r, strict);
  return u;
}

json parse_cancel(const json& body, bool strict) {
  ObjectReader r(body, "body");
  json author = object_or_absent(r, "author");
  done(r, strict);
  return author;
}

TaskQuery parse_query(const json& body, bool strict) {
  ObjectReader r(body, "body");
  TaskQuery q;
  q.page_token = r.string_or("pageToken", "");
  if (auto p = r.opt_string("parentTaskId"); p && !p->empty()) q.parent_task_id = p;
  if (auto f = r.opt_object("statusFilter")) {
    q.status = parse_enum(parse_task_status, f->required_string("status"), f->field_path("status"), "status");
    done(*f, strict);
  }
  if (auto t = r.opt_object("updateTimeRange")) {
    if (auto s = t->opt_string("startTime")) q.update_start_ms = parse_time(*s, t->field_path("startTime"));
    if (auto e = t->opt_string("endTime")) q.update_end_ms = parse_time(*e, t->field_path("endTime"));
    done(*t, strict);
  }
  done(r, strict);
  return q;
}

void parse_task_type(ObjectReader t, StreamRequest& s, bool strict) {
  s.task_type_urls = t.opt_string_array("taskTypeUrls");
  s.task_type_prefix = t.opt_string("taskTypePrefix");
  done(t, strict);
}

void parse_status_filter(ObjectReader f, StreamRequest& s, bool strict) {
  StatusFilterSpec spec;
  if (const json* list = f.opt_array("statuses")) {
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string path = f.field_path("statuses") + "[" + std::to_string(i) + "]";
      if (!(*list)[i].is_string()) throw JsonError(path, "must be a status name");
      spec.statuses.push_back(parse_enum(parse_task_status, (*list)[i].get<std::string>(), path, "status"));
    }
  }
  if (auto ft = f.opt_string("filterType")) {
    spec.filter_type = parse_enum(parse_filter_type, *ft, f.field_path("filterType"), "filter type");
  }
  done(f, strict);
  s.status_filter = spec;
}

StreamRequest parse_stream_request(const json& body, bool strict) {
  ObjectReader r(body, "body");
  StreamRequest s;
  s.heartbeat_interval_ms = r.opt_int("heartbeatIntervalMs");
  s.rate_limit_ms = r.opt_int("rateLimit").value_or(0);
  s.exclude_preexisting_tasks = r.opt_bool("excludePreexistingTasks").value_or(false);
  if (auto t = r.opt_object("taskType")) parse_task_type(*t, s, strict);
  if (auto u = r.opt_string("updateStartTime")) s.update_start_time_ms = parse_time(*u, r.field_path("updateStartTime"));
  if (auto p = r.opt_string("parentTaskId"); p && !p->empty()) s.parent_task_id = p;
  s.assignee = object_or_absent(r, "assignee");
  if (auto f = r.opt_object("statusFilter")) parse_status_filter(*f, s, strict);
  done(r, strict);
  return s;
}

AgentSelector parse_selector(ObjectReader& r, bool strict) {
  ObjectReader sel = r.required_object("agentSelector");
  AgentSelector out;
  auto ids = sel.opt_string_array("entityIds");
  done(sel, strict);
  if (!ids || ids->empty()) throw JsonError(sel.field_path("entityIds"), "must name at least one agent");
  out.entity_ids.insert(ids->begin(), ids->end());
  return out;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(percent_decode(path.substr(start, slash - start)));
    start = slash + 1;
  }
  return parts;
}

HttpResponse error_response(ErrorKind kind, const std::string& message) {
  HttpResponse res;
  res.status = http_status(kind);
  res.body = error_body(kind, message);
  return res;
}

HttpResponse method_not_allowed(const std::string& method, const std::string& allow) {
  HttpResponse res = error_response(ErrorKind::kMethodNotAllowed,
                                    "method " + method + " is not allowed here; use " + allow);
  res.allow = allow;
  return res;
}

HttpResponse task_response(const Result<TaskPtr>& r, int ok_status = 200) {
  if (!r.ok()) return error_response(r.error().kind, r.error().message);
  HttpResponse res;
  res.status = ok_status;
  res.body = task_to_json(*r.value());
  return res;
}

HttpResponse stream_response(const Result<StreamHandle>& r) {
  if (!r.ok()) return error_response(r.error().kind, r.error().message);
  HttpResponse res;
  res.stream = r.value();
  return res;
}

bool is_json_content_type(const std::string& ct) {
  std::string base = ct.substr(0, ct.find(';'));
  while (!base.empty() && std::isspace(static_cast<unsigned char>(base.back()))) base.pop_back();
  for (char& c : base) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return base == "application/json";
}

}  // namespace

json task_to_json(const Task& t) {
  json out = json::object();
  out["version"] = {{"taskId", t.task_id},
                    {"definitionVersion", t.definition_version},
                    {"statusVersion", t.status_version}};
  put_if(out, "displayName", t.display_name);
  put_if(out, "description", t.description);
  put_if(out, "specification", t.specification);
  put_if(out, "createdBy", t.created_by);
  put_if(out, "lastUpdatedBy", t.last_updated_by);
  out["lastUpdateTime"] = format_rfc3339(t.last_update_time_ms);
  out["status"] = status_to_json(t.status);
  if (t.scheduled_time_ms) out["scheduledTime"] = format_rfc3339(*t.scheduled_time_ms);
  json relations = json::object();
  put_if(relations, "assignee", t.assignee);
  put_if(relations, "parentTaskId", t.parent_task_id);
  if (!relations.empty()) out["relations"] = relations;
  out["isExecutedElsewhere"] = t.is_executed_elsewhere;
  out["createTime"] = format_rfc3339(t.create_time_ms);
  put_if(out, "initialEntities", t.initial_entities);
  put_if(out, "owner", t.owner);
  put_if(out, "retryStrategy", t.retry_strategy);
  put_if(out, "deliveryConstraints", t.delivery_constraints);
  return out;
}

json frame_to_json(const ManualControlFrame& f) {
  json out = {{"taskId", f.task_id},
              {"epochMicros", f.epoch_micros},
              {"sequence", f.sequence},
              {"creationTime", format_rfc3339(f.creation_time_ms)}};
  put_if(out, "specification", f.specification);
  return out;
}

json error_body(ErrorKind kind, const std::string& message) {
  return {{"code", to_code(kind)}, {"message", message}};
}

json agent_request_to_json(const AgentRequest* r) {
  if (!r) return json::object();
  switch (r->kind) {
    case AgentRequest::Kind::kExecute:
      return {{"executeRequest", {{"task", task_to_json(*r->task)}}}};
    case AgentRequest::Kind::kCancel: {
      json c = {{"taskId", r->task_id}};
      put_if(c, "assignee", r->assignee);
      put_if(c, "author", r->author);
      return {{"cancelRequest", c}};
    }
    case AgentRequest::Kind::kComplete:
      return {{"completeRequest", {{"taskId", r->task_id}}}};
  }
  return json::object();
}

std::string sse_data(const StreamMessage& m, Mutant mutant) {
  json out;
  switch (m.kind) {
    case StreamMessage::Kind::kHeartbeat:
      out = {{"event", "heartbeat"}, {"timestamp", format_rfc3339(m.time_ms)}};
      break;
    case StreamMessage::Kind::kTaskEvent: {
      // The REST dialect has no views: every event is the manager's view. Spliced
      // around the snapshot's memoized text, keys in the order dump() gives them.
      const auto task = m.task->wire_text.get([&] { return task_to_json(*m.task).dump(); });
      std::string text = R"({"event":"task_event","taskEvent":{"eventType":")";
      text += to_name(m.event_type);
      text += R"(","task":)";
      text += *task;
      // The whole-seconds mutant stamps the event from a seconds clock (a time_t).
      const int64_t time_ms = mutant == Mutant::kEventTimeWholeSeconds ? m.time_ms - m.time_ms % 1000 : m.time_ms;
      text += R"(,"time":")" + format_rfc3339(time_ms) + "\"}}";
      return text;
    }
    case StreamMessage::Kind::kAgentRequest:
      out = agent_request_to_json(m.agent_request.get());
      out["event"] = "agent_request";
      break;
    case StreamMessage::Kind::kManualControlFrame:
      out = frame_to_json(*m.frame);
      out["event"] = "manual_control_frame";
      break;
  }
  return out.dump();
}

void use_integer_code(json& body) {
  if (!body.is_object()) return;
  auto it = body.find("code");
  if (it != body.end() && it->is_string()) *it = integer_error_code(it->get<std::string>());
}

HttpResponse RestDialect::handle(const HttpRequest& req, ListenCallback on_listen_answer) {
  HttpResponse res = answer(req, on_listen_answer);
  if (options_.integer_error_codes && res.status >= 400) use_integer_code(res.body);
  return res;
}

HttpResponse RestDialect::answer(const HttpRequest& req, ListenCallback& on_listen_answer) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  const bool api = path.rfind("/api/v1/", 0) == 0;
  const bool harness = path.rfind("/_harness/", 0) == 0;
  if (!api && !harness) return error_response(ErrorKind::kNotFound, "no endpoint at " + path);
  if (!authorized(req)) {
    // Never echo the token: it may be a real secret sent to the wrong server.
    return error_response(ErrorKind::kUnauthenticated,
                          req.authorization.empty() ? "missing Authorization: Bearer <token> header"
                                                    : "the bearer token is not valid for this server");
  }
  return route(req, path, on_listen_answer);
}

bool RestDialect::authorized(const HttpRequest& req) const {
  const std::string prefix = "Bearer ";
  if (req.authorization.rfind(prefix, 0) != 0) return false;
  const std::string token = req.authorization.substr(prefix.size());
  if (options_.mutant == Mutant::kBadTokenAccepted) return !token.empty();
  return !token.empty() && options_.tokens.count(token) > 0;
}

HttpResponse RestDialect::with_body(const HttpRequest& req,
                                    const std::function<HttpResponse(const json&)>& fn) {
  if (req.body.size() > options_.max_body_bytes) {
    return error_response(ErrorKind::kPayloadTooLarge,
                          "the body has " + std::to_string(req.body.size()) + " bytes; the limit is " +
                              std::to_string(options_.max_body_bytes));
  }
  json body = json::object();
  if (!req.body.empty()) {
    if (!is_json_content_type(req.content_type)) {
      return error_response(ErrorKind::kUnsupportedMediaType,
                            "the body must be application/json, not " +
                                (req.content_type.empty() ? std::string("untyped") : req.content_type));
    }
    try {
      body = parse_strict(req.body, "body");
    } catch (const JsonError& e) {
      if (options_.mutant == Mutant::kMalformedJson500) {
        HttpResponse bug;
        bug.status = 500;
        bug.body = json{{"code", "INTERNAL"}, {"message", "could not parse"}};
        return bug;
      }
      return error_response(ErrorKind::kInvalidArgument, e.what());
    }
  }
  try {
    return fn(body);
  } catch (const JsonError& e) {
    return error_response(ErrorKind::kInvalidArgument, e.what());
  }
}

HttpResponse RestDialect::route(const HttpRequest& req, const std::string& path, ListenCallback& cb) {
  const std::vector<std::string> p = split_path(path);
  const std::string& m = req.method;
  const size_t n = p.size();
  auto is = [&](size_t i, const char* s) { return i < n && p[i] == s; };
  const bool strict = !options_.ignore_unknown_fields;

  if (p[0] == "_harness") {
    // POST /_harness/tasks/{id}/manual-control/frames: an operator's frame (test extension).
    if (n == 5 && is(1, "tasks") && is(3, "manual-control") && is(4, "frames")) {
      if (m != "POST") return method_not_allowed(m, "POST");
      return with_body(req, [&](const json& body) {
        ObjectReader r(body, "body");
        ManualControlFrame f;
        f.task_id = p[2];
        f.epoch_micros = r.required_int("epochMicros");
        f.sequence = r.required_int("sequence");
        f.specification = r.opt_any("specification");
        done(r, strict);
        auto res = service_.send_manual_control_frame(std::move(f));
        if (!res.ok()) return error_response(res.error().kind, res.error().message);
        HttpResponse out;
        out.body = frame_to_json(*res.value());
        return out;
      });
    }
    return error_response(ErrorKind::kNotFound, "no endpoint at " + path);
  }

  // p[0] == "api", p[1] == "v1"
  if (n == 3 && is(2, "tasks")) {
    if (m != "POST") return method_not_allowed(m, "POST");
    return with_body(req, [&](const json& b) { return task_response(service_.create_task(parse_create(b, strict)), 201); });
  }
  if (n == 4 && is(2, "tasks") && (is(3, "query") || is(3, "stream")) && m == "POST") {
    if (p[3] == "query") {
      return with_body(req, [&](const json& b) {
        auto page = service_.query_tasks(parse_query(b, strict));
        if (!page.ok()) return error_response(page.error().kind, page.error().message);
        HttpResponse res;
        res.body = {{"tasks", json::array()}, {"nextPageToken", page.value().next_page_token}};
        for (const TaskPtr& t : page.value().tasks) res.body["tasks"].push_back(task_to_json(*t));
        return res;
      });
    }
    return with_body(req, [&](const json& b) { return stream_response(service_.open_task_stream(parse_stream_request(b, strict))); });
  }
  if (n == 4 && is(2, "tasks")) {
    if (m != "GET") return method_not_allowed(m, p[3] == "query" || p[3] == "stream" ? "GET, POST" : "GET");
    return task_response(service_.get_task(p[3]));
  }
  if (n == 5 && is(2, "tasks") && (is(4, "status") || is(4, "cancel"))) {
    if (m != "PUT") return method_not_allowed(m, "PUT");
    if (p[4] == "status") {
      return with_body(req, [&](const json& b) { return task_response(service_.update_status(p[3], parse_update(b, strict))); });
    }
    return with_body(req, [&](const json& b) { return task_response(service_.cancel_task(p[3], parse_cancel(b, strict))); });
  }
  if (n == 6 && is(2, "tasks") && is(4, "manual-control") && is(5, "stream")) {
    if (m != "POST") return method_not_allowed(m, "POST");
    return with_body(req, [&](const json& b) {
      ObjectReader r(b, "body");
      const int64_t hb = r.opt_int("heartbeatIntervalMs").value_or(0);
      done(r, strict);
      return stream_response(service_.open_manual_control_stream(p[3], hb));
    });
  }
  if (n == 4 && is(2, "agent") && (is(3, "listen") || is(3, "stream"))) {
    if (m != "POST") return method_not_allowed(m, "POST");
    if (p[3] == "stream") {
      return with_body(req, [&](const json& b) {
        ObjectReader r(b, "body");
        AgentSelector sel = parse_selector(r, strict);
        const int64_t hb = r.opt_int("heartbeatIntervalMs").value_or(0);
        done(r, strict);
        return stream_response(service_.open_agent_stream(sel, hb));
      });
    }
    return with_body(req, [&](const json& b) {
      ObjectReader r(b, "body");
      AgentSelector sel = parse_selector(r, strict);
      done(r, strict);
      // A long poll: its answer goes to the caller's callback, so a caller that gave
      // none would leave a waiter that takes the agent's next task for nobody.
      TH_ASSERT(cb, "a long poll routed for a caller with nowhere to send its answer");
      auto id = service_.listen_as_agent(sel, [cb](std::shared_ptr<const AgentRequest> a) {
        HttpResponse res;
        res.body = agent_request_to_json(a.get());
        if (cb) cb(std::move(res));
      });
      if (!id.ok()) return error_response(id.error().kind, id.error().message);
      HttpResponse res;
      res.listen_id = id.value();
      return res;
    });
  }
  return error_response(ErrorKind::kNotFound, "no endpoint at " + path);
}

}  // namespace th
