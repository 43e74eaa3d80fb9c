#include "conformance/rules.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "scenarios/format/timefmt.h"

namespace th::conform {
namespace {

// ---- facts from the API notes, written here on their own ----------------------

const std::set<std::string> kStatuses = {
    "STATUS_INVALID", "STATUS_CREATED", "STATUS_SCHEDULED_IN_MANAGER", "STATUS_SENT", "STATUS_MACHINE_RECEIPT",
    "STATUS_ACK", "STATUS_WILCO", "STATUS_EXECUTING", "STATUS_WAITING_FOR_UPDATE", "STATUS_DONE_OK",
    "STATUS_DONE_NOT_OK", "STATUS_REPLACED", "STATUS_CANCEL_REQUESTED", "STATUS_COMPLETE_REQUESTED",
    "STATUS_VERSION_REJECTED"};
const std::set<std::string> kFilterTypes = {"FILTER_TYPE_INVALID", "FILTER_TYPE_INCLUSIVE", "FILTER_TYPE_EXCLUSIVE"};
constexpr int64_t kDefaultHeartbeatMs = 30000;
constexpr int64_t kMinRateLimitMs = 250;

bool terminal(const std::string& status) { return status == "STATUS_DONE_OK" || status == "STATUS_DONE_NOT_OK"; }

const json* at(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

// A reference into the record (no copy: the rules call this in their inner loops).
const std::string& str_at(const json& j, std::initializer_list<const char*> path) {
  static const std::string kEmpty;
  const json* v = at(j, path);
  return v && v->is_string() ? v->get_ref<const std::string&>() : kEmpty;
}

int64_t int_at(const json& j, std::initializer_list<const char*> path, int64_t fallback) {
  const json* v = at(j, path);
  if (!v) return fallback;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_string()) {
    try {
      return std::stoll(v->get<std::string>());
    } catch (...) {
      return fallback;
    }
  }
  return fallback;
}

struct TaskView {
  std::string id;
  int64_t version = 0;
  std::string status;
  const json* raw = nullptr;
};

std::optional<TaskView> task_view(const json* task) {
  if (!task || !task->is_object()) return std::nullopt;
  TaskView v{str_at(*task, {"version", "taskId"}), int_at(*task, {"version", "statusVersion"}, 0),
             str_at(*task, {"status", "status"}), task};
  if (v.id.empty()) return std::nullopt;
  return v;
}

bool is_task_event(const EventRecord& e) { return e.data_is_json && str_at(e.data, {"event"}) == "task_event"; }
bool is_heartbeat(const EventRecord& e) { return e.data_is_json && str_at(e.data, {"event"}) == "heartbeat"; }
std::string event_type(const EventRecord& e) { return str_at(e.data, {"taskEvent", "eventType"}); }
std::optional<TaskView> event_task(const EventRecord& e) { return task_view(at(e.data, {"taskEvent", "task"})); }

// A principal's identity: system entityId (or serviceName), user userId, team entityId.
std::string identity(const json* p) {
  if (!p || !p->is_object()) return "";
  if (std::string e = str_at(*p, {"system", "entityId"}); !e.empty()) return "system:" + e;
  if (std::string s = str_at(*p, {"system", "serviceName"}); !s.empty()) return "service:" + s;
  if (std::string u = str_at(*p, {"user", "userId"}); !u.empty()) return "user:" + u;
  if (std::string t = str_at(*p, {"team", "entityId"}); !t.empty()) return "team:" + t;
  return "";
}

// Whether a stream request's filters let a task through (lattice-tasks.md).
bool passes(const json& req, const json& task) {
  if (const std::string parent = str_at(req, {"parentTaskId"}); !parent.empty()) {
    return str_at(task, {"relations", "parentTaskId"}) == parent;
  }
  const std::string type = str_at(task, {"specification", "@type"});
  if (const json* urls = at(req, {"taskType", "taskTypeUrls"}); urls && urls->is_array()) {
    if (std::find(urls->begin(), urls->end(), json(type)) == urls->end()) return false;
  }
  if (const json* prefix = at(req, {"taskType", "taskTypePrefix"}); prefix && prefix->is_string()) {
    if (type.rfind(prefix->get<std::string>(), 0) != 0) return false;
  }
  if (const std::string since = str_at(req, {"updateStartTime"}); !since.empty()) {
    auto a = parse_rfc3339(since), b = parse_rfc3339(str_at(task, {"lastUpdateTime"}));
    if (a && b && *b < *a) return false;
  }
  if (const json* who = at(req, {"assignee"}); who && !who->is_null()) {
    if (identity(who).empty() || identity(who) != identity(at(task, {"relations", "assignee"}))) return false;
  }
  if (const json* f = at(req, {"statusFilter"}); f && f->is_object()) {
    const json* list = at(*f, {"statuses"});
    const std::string status = str_at(task, {"status", "status"});
    const bool listed = list && list->is_array() && std::find(list->begin(), list->end(), json(status)) != list->end();
    const bool exclusive = str_at(*f, {"filterType"}) == "FILTER_TYPE_EXCLUSIVE";
    if (listed == exclusive) return false;
  }
  return true;
}

// The reasons lattice-tasks.md gives for refusing a stream request (400).
std::optional<std::string> invalid_stream_request(const json& req) {
  if (!req.is_object()) return std::nullopt;
  if (const json* r = at(req, {"rateLimit"}); r && r->is_number_integer()) {
    const int64_t v = r->get<int64_t>();
    if (v < 0 || (v > 0 && v < kMinRateLimitMs)) return "rateLimit " + std::to_string(v);
  }
  if (const json* h = at(req, {"heartbeatIntervalMs"}); h && h->is_number_integer() && h->get<int64_t>() < 0) {
    return "a negative heartbeatIntervalMs";
  }
  if (!str_at(req, {"parentTaskId"}).empty()) {
    for (const char* k : {"updateStartTime", "assignee", "statusFilter", "taskType"}) {
      if (const json* v = at(req, {k}); v && !v->is_null()) return std::string("parentTaskId with ") + k;
    }
  }
  if (at(req, {"taskType", "taskTypeUrls"}) && at(req, {"taskType", "taskTypePrefix"})) return "both taskType forms";
  if (const json* list = at(req, {"statusFilter", "statuses"}); list && list->is_array()) {
    for (const auto& s : *list) {
      if (!s.is_string() || !kStatuses.count(s.get<std::string>())) return "an unknown status name " + s.dump();
    }
  }
  if (const json* ft = at(req, {"statusFilter", "filterType"}); ft && ft->is_string() && !kFilterTypes.count(ft->get<std::string>())) {
    return "an unknown filterType " + ft->dump();
  }
  if (const json* u = at(req, {"updateStartTime"}); u && u->is_string() && !parse_rfc3339(u->get<std::string>())) {
    return "an updateStartTime that is not RFC 3339";
  }
  return std::nullopt;
}

int64_t heartbeat_interval(const StreamRecord& s) {
  const int64_t asked = int_at(s.request, {"heartbeatIntervalMs"}, 0);
  return asked > 0 ? asked : kDefaultHeartbeatMs;
}

int64_t rate_limit(const StreamRecord& s) { return int_at(s.request, {"rateLimit"}, 0); }

// What a request was, from the wire (a scenario may send any request as raw "http").
std::string path_only(const std::string& path) { return path.substr(0, path.find('?')); }
bool is_create(const RequestRecord& q) { return q.method == "POST" && path_only(q.path) == "/api/v1/tasks"; }
bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
bool is_task_path(const std::string& p) { return p.rfind("/api/v1/tasks/", 0) == 0; }
bool is_status_update(const RequestRecord& q) { return q.method == "PUT" && is_task_path(q.path) && ends_with(path_only(q.path), "/status"); }
bool is_cancel(const RequestRecord& q) { return q.method == "PUT" && is_task_path(q.path) && ends_with(path_only(q.path), "/cancel"); }
bool is_get(const RequestRecord& q) {
  const std::string p = path_only(q.path);
  return q.method == "GET" && is_task_path(p) && p.find('/', 14) == std::string::npos;
}
bool is_listen(const RequestRecord& q) { return q.method == "POST" && path_only(q.path) == "/api/v1/agent/listen"; }

// Every state of a task the runner learned from an answer or an agent request:
// (time, task JSON), in the order learned.
struct Change {
  int64_t t_ms;
  size_t step;  // SIZE_MAX: learned from a stream
  TaskView task;
};

std::vector<Change> known_changes(const RunRecord& r) {
  std::vector<Change> out;
  for (const auto& q : r.requests) {
    const bool changes = (is_create(q) && q.status == 201) || ((is_status_update(q) || is_cancel(q)) && q.status == 200);
    if (!changes) continue;
    if (auto t = task_view(&q.response)) out.push_back({q.answered_ms, q.step, *t});
  }
  for (const auto& q : r.requests) {
    if (is_listen(q) && q.status == 200) {
      if (auto t = task_view(at(q.response, {"executeRequest", "task"}))) out.push_back({q.answered_ms, SIZE_MAX, *t});
    }
  }
  for (const auto& s : r.streams) {
    if (s.kind != "agent") continue;
    for (const auto& e : s.events) {
      if (auto t = task_view(at(e.data, {"executeRequest", "task"}))) out.push_back({e.t_ms, SIZE_MAX, *t});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Change& a, const Change& b) { return a.t_ms < b.t_ms; });
  // A state learned again (a repeated cancel answers the task unchanged) is no change.
  std::set<std::pair<std::string, int64_t>> seen;
  std::erase_if(out, [&](const Change& c) { return !seen.insert({c.task.id, c.task.version}).second; });
  return out;
}

// ---- a small accumulator ---------------------------------------------------------

struct Tally {
  int checked = 0;
  std::vector<Violation> violations;
  std::vector<std::string> too_little;
  void fail(std::string where, int64_t t, std::string msg) { violations.push_back({std::move(where), t, std::move(msg)}); }
  RuleResult result(const std::string& what) const {
    RuleResult r;
    if (!violations.empty()) {
      r.outcome = Outcome::kFail;
      r.evidence = std::to_string(violations.size()) + " violation(s) in " + std::to_string(checked) + " " + what;
    } else if (checked > 0) {
      r.outcome = Outcome::kPass;
      r.evidence = std::to_string(checked) + " " + what + " checked";
    } else if (!too_little.empty()) {
      r.outcome = Outcome::kInconclusive;
      r.evidence = too_little.front();
    }
    r.violations = violations;
    return r;
  }
};

// A stream's task events parsed once, by task id: the rules that look up each change's
// events would otherwise parse every event once per change.
struct TaskEvent {
  int64_t t_ms;
  std::string type;
  TaskView task;
};
using EventsByTask = std::map<std::string, std::vector<TaskEvent>>;

EventsByTask index_task_events(const StreamRecord& s) {
  EventsByTask out;
  for (const auto& e : s.events) {
    if (!is_task_event(e)) continue;
    if (auto task = event_task(e)) out[task->id].push_back({e.t_ms, event_type(e), *task});
  }
  return out;
}

const std::vector<TaskEvent>& events_of(const EventsByTask& index, const std::string& id) {
  static const std::vector<TaskEvent> kNone;
  auto it = index.find(id);
  return it == index.end() ? kNone : it->second;
}

std::vector<const StreamRecord*> task_streams(const RunRecord& r) {
  std::vector<const StreamRecord*> out;
  for (const auto& s : r.streams) {
    if (s.kind == "tasks" && s.status == 200) out.push_back(&s);
  }
  return out;
}

// ---- ordering --------------------------------------------------------------------

RuleResult preexisting_first(const RunRecord& r) {
  Tally t;
  for (const auto* s : task_streams(r)) {
    bool live_seen = false;
    for (const auto& e : s->events) {
      if (!is_task_event(e)) continue;
      const std::string type = event_type(e);
      if (type == "EVENT_TYPE_PREEXISTING" && live_seen) {
        t.fail(s->name, e.t_ms, "a PREEXISTING event after a live one");
      }
      if (type == "EVENT_TYPE_CREATED" || type == "EVENT_TYPE_UPDATE") live_seen = true;
    }
    ++t.checked;
  }
  return t.result("task streams");
}

RuleResult versions_rise(const RunRecord& r) {
  Tally t;
  for (const auto* s : task_streams(r)) {
    std::map<std::string, int64_t> last;
    for (const auto& e : s->events) {
      auto task = is_task_event(e) ? event_task(e) : std::nullopt;
      if (!task) continue;
      auto it = last.find(task->id);
      if (it != last.end()) {
        ++t.checked;
        const bool update = event_type(e) == "EVENT_TYPE_UPDATE";
        if (task->version < it->second || (update && task->version == it->second)) {
          t.fail(s->name, e.t_ms,
                 task->id + " went from statusVersion " + std::to_string(it->second) + " to " + std::to_string(task->version));
        }
      }
      last[task->id] = std::max(last[task->id], task->version);
    }
  }
  return t.result("successive events of one task");
}

RuleResult no_duplicates(const RunRecord& r) {
  Tally t;
  for (const auto* s : task_streams(r)) {
    std::set<std::tuple<std::string, int64_t, std::string>> seen;
    for (const auto& e : s->events) {
      auto task = is_task_event(e) ? event_task(e) : std::nullopt;
      if (!task) continue;
      ++t.checked;
      if (!seen.insert({task->id, task->version, event_type(e)}).second) {
        t.fail(s->name, e.t_ms, event_type(e) + " of " + task->id + " v" + std::to_string(task->version) + " twice");
      }
    }
  }
  return t.result("task events");
}

RuleResult no_event_before_task(const RunRecord& r) {
  Tally t;
  std::map<std::string, int64_t> created_at;  // the runner's own creates: when they were sent
  for (const auto& q : r.requests) {
    if (is_create(q) && q.status == 201) {
      if (auto v = task_view(&q.response)) created_at.emplace(v->id, q.sent_ms);
    }
  }
  for (const auto* s : task_streams(r)) {
    for (const auto& e : s->events) {
      auto task = is_task_event(e) ? event_task(e) : std::nullopt;
      if (!task || !created_at.count(task->id)) continue;
      ++t.checked;
      if (e.t_ms < created_at[task->id]) t.fail(s->name, e.t_ms, "an event for " + task->id + " before it was created");
    }
  }
  return t.result("events of tasks the runner created");
}

// ---- preexisting -----------------------------------------------------------------

RuleResult preexisting_not_terminal(const RunRecord& r) {
  Tally t;
  for (const auto* s : task_streams(r)) {
    for (const auto& e : s->events) {
      if (!is_task_event(e) || event_type(e) != "EVENT_TYPE_PREEXISTING") continue;
      ++t.checked;
      if (auto task = event_task(e); task && terminal(task->status)) {
        t.fail(s->name, e.t_ms, "terminal task " + task->id + " (" + task->status + ") sent as PREEXISTING");
      }
    }
  }
  return t.result("PREEXISTING events");
}

RuleResult exclude_preexisting(const RunRecord& r) {
  Tally t;
  for (const auto* s : task_streams(r)) {
    const json* ex = at(s->request, {"excludePreexistingTasks"});
    if (!ex || !ex->is_boolean() || !ex->get<bool>()) continue;
    ++t.checked;
    for (const auto& e : s->events) {
      if (is_task_event(e) && event_type(e) == "EVENT_TYPE_PREEXISTING") {
        t.fail(s->name, e.t_ms, "a PREEXISTING event on a stream that excluded them");
      }
    }
  }
  return t.result("streams with excludePreexistingTasks");
}

RuleResult all_preexisting(const RunRecord& r) {
  Tally t;
  const auto changes = known_changes(r);
  for (const auto* s : task_streams(r)) {
    const json* ex = at(s->request, {"excludePreexistingTasks"});
    if (ex && ex->is_boolean() && ex->get<bool>()) continue;
    std::map<std::string, TaskView> before;  // latest known state before the stream opened
    std::set<std::string> unsure;  // changed by a hand-over in the opening's millisecond
    for (const auto& c : changes) {
      const bool earlier = c.step != SIZE_MAX ? c.step < s->step : c.t_ms < s->opened_ms;
      auto known = before.find(c.task.id);
      if (earlier && (known == before.end() || known->second.version < c.task.version)) before.insert_or_assign(c.task.id, c.task);
      if (c.step == SIZE_MAX && c.t_ms == s->opened_ms) unsure.insert(c.task.id);
    }
    std::set<std::string> pre;
    for (const auto& e : s->events) {
      if (is_task_event(e) && event_type(e) == "EVENT_TYPE_PREEXISTING") {
        if (auto task = event_task(e)) pre.insert(task->id);
      }
    }
    for (const auto& [id, task] : before) {
      if (terminal(task.status) || !passes(s->request, *task.raw) || unsure.count(id)) continue;
      ++t.checked;
      if (!pre.count(id)) t.fail(s->name, s->opened_ms, "existing task " + id + " was not sent as PREEXISTING");
    }
  }
  return t.result("existing tasks that pass a stream's filters");
}

// ---- rate limits -----------------------------------------------------------------

// Timing against a rate limit means little when the tolerance is a fifth of it.
bool limit_too_fine(const RunRecord& r, const StreamRecord& s, int64_t limit, Tally& t) {
  if (r.tolerance_ms * 5 <= limit) return false;
  t.too_little.push_back(s.name + ": tolerance " + std::to_string(r.tolerance_ms) + " ms exceeds 20% of the " +
                         std::to_string(limit) + " ms rate limit");
  return true;
}

RuleResult rate_spacing(const RunRecord& r) {
  Tally t;
  for (const auto* s : task_streams(r)) {
    const int64_t limit = rate_limit(*s);
    if (limit <= 0 || limit_too_fine(r, *s, limit, t)) continue;
    std::map<std::string, int64_t> last;
    for (const auto& e : s->events) {
      if (!is_task_event(e) || event_type(e) != "EVENT_TYPE_UPDATE") continue;
      auto task = event_task(e);
      if (!task) continue;
      if (auto it = last.find(task->id); it != last.end()) {
        ++t.checked;
        if (e.t_ms - it->second < limit - r.tolerance_ms) {
          t.fail(s->name, e.t_ms,
                 "two UPDATEs of " + task->id + " " + std::to_string(e.t_ms - it->second) + " ms apart; the limit is " +
                     std::to_string(limit) + " ms");
        }
      }
      last[task->id] = e.t_ms;
    }
  }
  return t.result("pairs of UPDATEs of one task on rate-limited streams");
}

// Every change of a task that passes a stream's filters must be reflected on the
// stream within one window (its own state or a later one): the trailing edge carries
// the latest state and loses nothing.
RuleResult trailing_latest(const RunRecord& r) {
  Tally t;
  const auto changes = known_changes(r);
  for (const auto* s : task_streams(r)) {
    const EventsByTask index = index_task_events(*s);
    const int64_t limit = std::max<int64_t>(rate_limit(*s), 0);
    const int64_t until = s->watched_until_ms(r.end_ms);
    for (const auto& c : changes) {
      const bool live = c.step != SIZE_MAX ? c.step > s->step : c.t_ms > s->opened_ms;
      if (!live || !s->watched(c.t_ms, c.step, r.end_ms) || !passes(s->request, *c.task.raw)) continue;
      if (c.t_ms + limit + r.tolerance_ms > until) {
        t.too_little.push_back(s->name + " closed before the trailing edge of " + c.task.id);
        continue;
      }
      ++t.checked;
      bool seen = false;
      for (const auto& e : events_of(index, c.task.id)) {
        if (e.task.version >= c.task.version && e.t_ms <= c.t_ms + limit + r.tolerance_ms) seen = true;
      }
      if (!seen) {
        t.fail(s->name, c.t_ms,
               c.task.id + " statusVersion " + std::to_string(c.task.version) + " (" + c.task.status +
                   ") was not reflected" + (limit ? " within the rate-limit window" : ""));
      }
    }
  }
  return t.result("changes of tasks that pass a stream's filters");
}

RuleResult leading_edge(const RunRecord& r) {
  Tally t;
  const auto changes = known_changes(r);
  for (const auto* s : task_streams(r)) {
    const int64_t limit = rate_limit(*s);
    if (limit <= 0 || limit_too_fine(r, *s, limit, t)) continue;
    const EventsByTask index = index_task_events(*s);
    for (const auto& c : changes) {
      const bool live = c.step != SIZE_MAX ? c.step > s->step : c.t_ms > s->opened_ms;
      const bool watched = s->watched(c.t_ms + r.tolerance_ms, c.step, r.end_ms);
      if (!live || !watched || c.task.version <= 1 || !passes(s->request, *c.task.raw)) continue;
      // Quiet before it: no UPDATE of an earlier version sent within one window. An
      // earlier version sent in the same millisecond opened the window too.
      bool quiet = true;
      for (const auto& e : events_of(index, c.task.id)) {
        if (e.task.version < c.task.version && e.type == "EVENT_TYPE_UPDATE" && e.t_ms <= c.t_ms &&
            e.t_ms > c.t_ms - limit - r.tolerance_ms) {
          quiet = false;
        }
      }
      if (!quiet) continue;
      ++t.checked;
      bool on_time = false;
      // In real time the event may overtake the answer to the update that caused it.
      for (const auto& e : events_of(index, c.task.id)) {
        if (e.task.version >= c.task.version && e.t_ms + r.tolerance_ms >= c.t_ms && e.t_ms <= c.t_ms + r.tolerance_ms) {
          on_time = true;
        }
      }
      if (!on_time) t.fail(s->name, c.t_ms, "the leading UPDATE of " + c.task.id + " v" + std::to_string(c.task.version) + " was held back");
    }
  }
  return t.result("leading-edge updates on rate-limited streams");
}

RuleResult created_not_limited(const RunRecord& r) {
  Tally t;
  for (const auto* s : task_streams(r)) {
    if (rate_limit(*s) <= 0) continue;
    const EventsByTask index = index_task_events(*s);
    for (const auto& q : r.requests) {
      if (!is_create(q) || q.status != 201 || q.step < s->step) continue;
      auto task = task_view(&q.response);
      // The answer may show a later state (a hand-over in the same instant): the
      // CREATED event carries the task as created, which is then not known here.
      if (task && task->version != 1) continue;
      if (!task || !passes(s->request, *task->raw) || !s->watched(q.answered_ms, q.step, r.end_ms)) continue;
      ++t.checked;
      bool seen = false;
      for (const auto& e : events_of(index, task->id)) {
        if (e.type == "EVENT_TYPE_CREATED" && e.t_ms <= q.answered_ms + r.tolerance_ms) seen = true;
      }
      if (!seen) t.fail(s->name, q.answered_ms, "the CREATED event of " + task->id + " was late or missing");
    }
  }
  return t.result("CREATED events on rate-limited streams");
}

// ---- heartbeats ------------------------------------------------------------------

RuleResult heartbeat_gaps(const RunRecord& r, bool first_only) {
  Tally t;
  for (const auto& s : r.streams) {
    if (s.status != 200) continue;
    const int64_t interval = heartbeat_interval(s);
    const int64_t until = s.watched_until_ms(r.end_ms);
    if (r.tolerance_ms * 5 > interval) {  // the bound would be mostly tolerance
      t.too_little.push_back(s.name + ": tolerance " + std::to_string(r.tolerance_ms) + " ms exceeds 20% of the " +
                             std::to_string(interval) + " ms interval");
      continue;
    }
    int64_t prev = s.opened_ms;
    bool first = true;
    for (const auto& e : s.events) {
      if (!is_heartbeat(e)) continue;
      ++t.checked;
      if (e.t_ms - prev > interval + r.tolerance_ms) {
        t.fail(s.name, e.t_ms, (first ? "the first heartbeat came " : "a heartbeat came ") +
                                   std::to_string(e.t_ms - prev) + " ms after the " + (first ? "open" : "last one") +
                                   "; the interval is " + std::to_string(interval) + " ms");
      }
      prev = e.t_ms;
      first = false;
      if (first_only) break;
    }
    if (first_only && !first) continue;
    if (until - prev > interval + r.tolerance_ms) {
      ++t.checked;
      t.fail(s.name, until, "no heartbeat for " + std::to_string(until - prev) + " ms; the interval is " +
                                std::to_string(interval) + " ms");
    } else if (first && until - s.opened_ms < interval) {
      t.too_little.push_back(s.name + " was watched for less than one interval");
    }
  }
  return t.result("heartbeat intervals");
}

// ---- filters ---------------------------------------------------------------------

RuleResult no_excluded_event(const RunRecord& r) {
  Tally t;
  for (const auto* s : task_streams(r)) {
    for (const auto& e : s->events) {
      auto task = is_task_event(e) ? event_task(e) : std::nullopt;
      if (!task) continue;
      ++t.checked;
      if (!passes(s->request, *task->raw)) {
        t.fail(s->name, e.t_ms, event_type(e) + " of " + task->id + " (" + task->status + ") does not pass the stream's filters");
      }
    }
  }
  return t.result("task events against their stream's filters");
}

RuleResult every_change_arrives(const RunRecord& r) {
  Tally t;
  const auto changes = known_changes(r);
  for (const auto* s : task_streams(r)) {
    if (rate_limit(*s) > 0) continue;  // coalescing: STREAM-RL-002's business
    const EventsByTask index = index_task_events(*s);
    std::set<std::pair<std::string, int64_t>> done;
    for (const auto& c : changes) {
      const bool live = c.step != SIZE_MAX ? c.step > s->step : c.t_ms > s->opened_ms;
      if (!live || !passes(s->request, *c.task.raw) || !done.insert({c.task.id, c.task.version}).second) continue;
      if (!s->watched(c.t_ms + r.tolerance_ms, c.step, r.end_ms)) {
        t.too_little.push_back(s->name + " closed right after a change of " + c.task.id);
        continue;
      }
      ++t.checked;
      bool seen = false;
      for (const auto& e : events_of(index, c.task.id)) {
        if (e.task.version == c.task.version) seen = true;
      }
      if (!seen) {
        t.fail(s->name, c.t_ms, c.task.id + " statusVersion " + std::to_string(c.task.version) + " (" + c.task.status +
                                    ") passes the filters but never arrived");
      }
    }
  }
  return t.result("changes that pass a stream's filters");
}

RuleResult invalid_requests_rejected(const RunRecord& r) {
  Tally t;
  for (const auto& q : r.requests) {
    if (q.method != "POST" || path_only(q.path) != "/api/v1/tasks/stream" || q.auth != Auth::kValid || !q.body_is_json) continue;
    if (auto why = invalid_stream_request(q.body)) {
      ++t.checked;
      if (q.status != 400) t.fail("step " + std::to_string(q.step), q.answered_ms, "a stream request with " + *why + " got " + std::to_string(q.status) + ", not 400");
    }
  }
  return t.result("invalid stream requests");
}

// ---- SSE framing -----------------------------------------------------------------

RuleResult event_stream_type(const RunRecord& r) {
  Tally t;
  if (!r.transport) return t.result("streams");
  for (const auto& s : r.streams) {
    if (s.status != 200) continue;
    ++t.checked;
    if (s.content_type.rfind("text/event-stream", 0) != 0) t.fail(s.name, s.opened_ms, "Content-Type is \"" + s.content_type + "\"");
  }
  return t.result("streams");
}

RuleResult data_is_json(const RunRecord& r) {
  Tally t;
  for (const auto& s : r.streams) {
    for (const auto& e : s.events) {
      ++t.checked;
      if (!e.data_is_json || !e.data.is_object() || !e.data.contains("event")) {
        t.fail(s.name, e.t_ms, "an event whose data is not a JSON object with \"event\" (SDKs drop it silently)");
      }
    }
  }
  return t.result("events");
}

RuleResult no_framing_faults(const RunRecord& r) {
  Tally t;
  if (!r.transport) return t.result("streams");
  for (const auto& s : r.streams) {
    if (s.status != 200) continue;
    ++t.checked;
    for (const auto& f : s.faults) {
      if (f.find("ended inside an event") != std::string::npos && s.closed_ms) continue;  // we hung up mid-event
      t.fail(s.name, s.watched_until_ms(r.end_ms), f);
    }
  }
  return t.result("streams");
}

// ---- error codes -----------------------------------------------------------------

RuleResult no_5xx(const RunRecord& r) {
  Tally t;
  for (const auto& q : r.requests) {
    ++t.checked;
    if (q.status >= 500) t.fail("step " + std::to_string(q.step), q.answered_ms, q.method + " " + q.path + " got " + std::to_string(q.status));
  }
  return t.result("requests");
}

RuleResult unauthorized_401(const RunRecord& r) {
  Tally t;
  for (const auto& q : r.requests) {
    if (q.auth == Auth::kValid || q.path.rfind("/api/v1/", 0) != 0) continue;
    ++t.checked;
    if (q.status != 401) {
      t.fail("step " + std::to_string(q.step), q.answered_ms,
             std::string(q.auth == Auth::kNone ? "no token" : "a bad token") + " got " + std::to_string(q.status));
    }
  }
  return t.result("requests without a valid token");
}

RuleResult error_body_shape(const RunRecord& r) {
  Tally t;
  for (const auto& q : r.requests) {
    if (q.status < 400 || q.status >= 500) continue;
    ++t.checked;
    if (!q.response.is_object() || !q.response.contains("code") || !q.response.contains("message") ||
        !q.response["message"].is_string()) {
      t.fail("step " + std::to_string(q.step), q.answered_ms, "a " + std::to_string(q.status) + " without {code, message}");
    }
  }
  return t.result("error answers");
}

std::set<std::string> created_ids(const RunRecord& r, size_t before_step) {
  std::set<std::string> ids;
  for (const auto& q : r.requests) {
    if (q.step < before_step && is_create(q) && q.status == 201) {
      if (auto v = task_view(&q.response)) ids.insert(v->id);
    }
  }
  return ids;
}

std::string path_task_id(const std::string& path) {
  const std::string prefix = "/api/v1/tasks/";
  if (path.rfind(prefix, 0) != 0) return "";
  std::string rest = path.substr(prefix.size());
  return rest.substr(0, rest.find('/'));
}

RuleResult unknown_task_404(const RunRecord& r) {
  Tally t;
  const std::set<std::string> known = created_ids(r, SIZE_MAX);
  for (const auto& q : r.requests) {
    if (q.auth != Auth::kValid) continue;
    if (!is_get(q) && !is_status_update(q) && !is_cancel(q)) continue;
    const std::string id = path_task_id(q.path);
    if (id.empty() || known.count(id)) continue;
    ++t.checked;
    if (q.status != 404) t.fail("step " + std::to_string(q.step), q.answered_ms, q.method + " of unknown task " + id + " got " + std::to_string(q.status));
  }
  return t.result("requests for unknown tasks");
}

RuleResult duplicate_409(const RunRecord& r) {
  Tally t;
  for (const auto& q : r.requests) {
    if (!is_create(q) || q.auth != Auth::kValid || !q.body.is_object()) continue;
    const std::string id = str_at(q.body, {"taskId"});
    if (id.empty() || !created_ids(r, q.step).count(id)) continue;
    ++t.checked;
    if (q.status != 409) t.fail("step " + std::to_string(q.step), q.answered_ms, "a second create of " + id + " got " + std::to_string(q.status));
  }
  return t.result("creates of existing ids");
}

// ---- task semantics --------------------------------------------------------------

// The runner's view of each task's version, from the answers it got, in step order.
template <typename Fn>
void walk_updates(const RunRecord& r, Fn fn) {
  std::map<std::string, TaskView> current;
  std::vector<const RequestRecord*> ordered;
  for (const auto& q : r.requests) ordered.push_back(&q);
  std::stable_sort(ordered.begin(), ordered.end(), [](auto* a, auto* b) { return a->answered_ms < b->answered_ms; });
  for (const auto* q : ordered) {
    auto answer = q->status < 300 ? task_view(&q->response) : std::nullopt;
    if (is_status_update(*q) || is_cancel(*q)) {
      const std::string id = path_task_id(q->path);
      auto it = current.find(id);
      if (it != current.end()) fn(*q, it->second, answer);
    }
    if (answer && (is_create(*q) || is_status_update(*q) || is_cancel(*q) || is_get(*q))) {
      current[answer->id] = *answer;
    }
    if (is_listen(*q)) {
      if (auto t = task_view(at(q->response, {"executeRequest", "task"}))) current[t->id] = *t;
    }
  }
}

RuleResult version_plus_one(const RunRecord& r) {
  Tally t;
  walk_updates(r, [&](const RequestRecord& q, const TaskView& before, const std::optional<TaskView>& after) {
    if (!is_status_update(q) || q.status != 200 || !after || terminal(before.status)) return;
    if (int_at(q.body, {"statusVersion"}, -1) != before.version) return;
    ++t.checked;
    if (after->version != before.version + 1) {
      t.fail("step " + std::to_string(q.step), q.answered_ms,
             "an accepted update took statusVersion from " + std::to_string(before.version) + " to " + std::to_string(after->version));
    }
  });
  return t.result("accepted status updates");
}

RuleResult stale_unchanged(const RunRecord& r) {
  Tally t;
  walk_updates(r, [&](const RequestRecord& q, const TaskView& before, const std::optional<TaskView>& after) {
    if (!is_status_update(q) || q.auth != Auth::kValid || terminal(before.status)) return;
    const int64_t asked = int_at(q.body, {"statusVersion"}, -1);
    if (asked < 0 || asked == before.version) return;
    ++t.checked;
    if (q.status >= 200 && q.status < 300 && (!after || after->version != before.version || after->status != before.status)) {
      t.fail("step " + std::to_string(q.step), q.answered_ms, "an update with stale statusVersion " + std::to_string(asked) + " changed the task");
    }
  });
  return t.result("stale status updates");
}

RuleResult terminal_immutable(const RunRecord& r) {
  Tally t;
  walk_updates(r, [&](const RequestRecord& q, const TaskView& before, const std::optional<TaskView>& after) {
    if (!terminal(before.status) || q.auth != Auth::kValid) return;
    ++t.checked;
    if (after && (after->version != before.version || after->status != before.status)) {
      t.fail("step " + std::to_string(q.step), q.answered_ms, q.action + " changed terminal task " + before.id);
    }
  });
  return t.result("changes asked of terminal tasks");
}

std::set<std::string> handed_over_before(const RunRecord& r, int64_t t_ms) {
  std::set<std::string> ids;
  for (const auto& q : r.requests) {
    if (is_listen(q) && q.answered_ms <= t_ms) {
      if (auto v = task_view(at(q.response, {"executeRequest", "task"}))) ids.insert(v->id);
    }
  }
  for (const auto& s : r.streams) {
    if (s.kind != "agent") continue;
    for (const auto& e : s.events) {
      if (e.t_ms > t_ms) continue;
      if (auto v = task_view(at(e.data, {"executeRequest", "task"}))) ids.insert(v->id);
    }
  }
  return ids;
}

RuleResult cancel_before_sent(const RunRecord& r) {
  Tally t;
  walk_updates(r, [&](const RequestRecord& q, const TaskView& before, const std::optional<TaskView>& after) {
    if (!is_cancel(q) || q.status != 200 || !after || terminal(before.status) ||
        before.status == "STATUS_CANCEL_REQUESTED" || handed_over_before(r, q.answered_ms).count(before.id)) {
      return;
    }
    ++t.checked;
    if (after->status != "STATUS_DONE_NOT_OK" || str_at(*after->raw, {"status", "taskError", "code"}) != "ERROR_CODE_CANCELLED") {
      t.fail("step " + std::to_string(q.step), q.answered_ms,
             "cancelling unsent task " + before.id + " gave " + after->status + " / " + str_at(*after->raw, {"status", "taskError", "code"}));
    }
  });
  return t.result("cancels of tasks not yet sent");
}

RuleResult cancel_after_sent(const RunRecord& r) {
  Tally t;
  walk_updates(r, [&](const RequestRecord& q, const TaskView& before, const std::optional<TaskView>& after) {
    if (!is_cancel(q) || q.status != 200 || !after || terminal(before.status) ||
        !handed_over_before(r, q.answered_ms).count(before.id)) {
      return;
    }
    ++t.checked;
    if (after->status != "STATUS_CANCEL_REQUESTED") {
      t.fail("step " + std::to_string(q.step), q.answered_ms, "cancelling sent task " + before.id + " gave " + after->status);
    }
  });
  return t.result("cancels of tasks already sent");
}

RuleResult query_pages_once(const RunRecord& r) {
  Tally t;
  std::map<size_t, std::set<std::string>> chain_of;  // step -> ids seen in its chain so far
  for (const auto& q : r.requests) {
    if (q.method != "POST" || path_only(q.path) != "/api/v1/tasks/query" || q.status != 200) continue;
    // A page continues a query only when the page before gave a token ("" starts over).
    bool continues = false;
    for (const auto& prev : r.requests) {
      if (prev.step == q.continues_step && !str_at(prev.response, {"nextPageToken"}).empty()) continues = true;
    }
    std::set<std::string> seen = continues ? chain_of[q.continues_step] : std::set<std::string>{};
    if (const json* tasks = at(q.response, {"tasks"}); tasks && tasks->is_array()) {
      for (const auto& task : *tasks) {
        auto v = task_view(&task);
        if (!v) continue;
        if (continues) ++t.checked;
        if (!seen.insert(v->id).second) t.fail("step " + std::to_string(q.step), q.answered_ms, v->id + " on two pages of one query");
      }
    }
    chain_of[q.step] = seen;
  }
  return t.result("tasks on later pages of a query");
}

// ---- agents and manual control ---------------------------------------------------

RuleResult handover_to_assignee(const RunRecord& r) {
  Tally t;
  auto check = [&](const std::string& where, int64_t t_ms, const json& selector_body, const json& data) {
    auto task = task_view(at(data, {"executeRequest", "task"}));
    if (!task) return;
    ++t.checked;
    const std::string entity = str_at(*task->raw, {"relations", "assignee", "system", "entityId"});
    const json* ids = at(selector_body, {"agentSelector", "entityIds"});
    const bool selected = ids && ids->is_array() && std::find(ids->begin(), ids->end(), json(entity)) != ids->end();
    const json* elsewhere = at(*task->raw, {"isExecutedElsewhere"});
    if (!selected) t.fail(where, t_ms, task->id + " (assignee \"" + entity + "\") went to an agent that did not select it");
    if (elsewhere && elsewhere->is_boolean() && elsewhere->get<bool>()) t.fail(where, t_ms, task->id + " is executed elsewhere yet was handed over");
  };
  for (const auto& q : r.requests) {
    if (is_listen(q) && q.status == 200) check("step " + std::to_string(q.step), q.answered_ms, q.body, q.response);
  }
  for (const auto& s : r.streams) {
    if (s.kind != "agent") continue;
    for (const auto& e : s.events) check(s.name, e.t_ms, s.request, e.data);
  }
  return t.result("hand-overs");
}

RuleResult handover_sent(const RunRecord& r) {
  Tally t;
  // States a client set itself (answers to its creates, updates and cancels).
  std::set<std::pair<std::string, int64_t>> set_by_client;
  for (const auto& c : known_changes(r)) {
    if (c.step != SIZE_MAX) set_by_client.insert({c.task.id, c.task.version});
  }
  auto check = [&](const std::string& where, int64_t t_ms, const json& data) {
    auto task = task_view(at(data, {"executeRequest", "task"}));
    if (!task) return;
    // Handed over in a state a client had already moved it to (past SCHEDULED): the
    // hand-over had nothing to move (the notes move only CREATED and SCHEDULED_IN_MANAGER).
    if (task->status != "STATUS_SENT" && set_by_client.count({task->id, task->version}) &&
        task->status != "STATUS_CREATED" && task->status != "STATUS_SCHEDULED_IN_MANAGER") {
      return;
    }
    ++t.checked;
    if (task->status != "STATUS_SENT") t.fail(where, t_ms, task->id + " was handed over in " + task->status + ", not STATUS_SENT");
  };
  for (const auto& q : r.requests) {
    if (is_listen(q) && q.status == 200) check("step " + std::to_string(q.step), q.answered_ms, q.response);
  }
  for (const auto& s : r.streams) {
    if (s.kind == "agent") for (const auto& e : s.events) check(s.name, e.t_ms, e.data);
  }
  return t.result("hand-overs");
}

// After a cancel turned a sent task CANCEL_REQUESTED, its agent receives the cancel
// request (by listen or agent stream) before its queue runs dry: a listen sent after
// the cancel that comes back empty ({}) proves the cancel request was never queued.
// Other requests may come first (queued before the cancel), so they prove nothing.
RuleResult cancel_reaches_agent(const RunRecord& r) {
  Tally t;
  const auto changes = known_changes(r);
  walk_updates(r, [&](const RequestRecord& q, const TaskView& before, const std::optional<TaskView>& after) {
    if (!is_cancel(q) || q.status != 200 || !after || after->status != "STATUS_CANCEL_REQUESTED" ||
        before.status == "STATUS_CANCEL_REQUESTED") {
      return;
    }
    const std::string entity = str_at(*after->raw, {"relations", "assignee", "system", "entityId"});
    auto selects = [&](const json& selector) {
      const json* ids = at(selector, {"agentSelector", "entityIds"});
      return ids && ids->is_array() && std::find(ids->begin(), ids->end(), json(entity)) != ids->end();
    };
    bool cancelled = false;
    std::optional<int64_t> dry_ms;  // when a later listen found nothing waiting
    for (const auto& l : r.requests) {
      if (!is_listen(l) || l.status != 200 || l.answered_ms < q.answered_ms || !selects(l.body)) continue;
      if (str_at(l.response, {"cancelRequest", "taskId"}) == before.id) cancelled = true;
      const bool empty = l.response.is_object() && l.response.empty();
      if (empty && l.step > q.step && !dry_ms) dry_ms = l.answered_ms;
    }
    for (const auto& s : r.streams) {
      if (s.kind != "agent" || !selects(s.request)) continue;
      for (const auto& e : s.events) {
        if (e.t_ms >= q.answered_ms && str_at(e.data, {"cancelRequest", "taskId"}) == before.id) cancelled = true;
      }
    }
    // A task that ends before its agent asks has its request withdrawn (as the notes
    // withdraw an execute request): the dry queue then proves nothing.
    for (const auto& c : changes) {
      if (dry_ms && c.task.id == before.id && terminal(c.task.status) && c.task.version > after->version && c.t_ms <= *dry_ms) {
        dry_ms.reset();
      }
    }
    if (!cancelled && !dry_ms) return;  // the agent never asked after it ran dry: nothing to judge
    ++t.checked;
    if (!cancelled) {
      t.fail("step " + std::to_string(q.step), *dry_ms,
             "after cancelling sent task " + before.id + ", its agent's queue ran dry without a cancel request for it");
    }
  });
  return t.result("cancels of sent tasks");
}

RuleResult manual_control_ends(const RunRecord& r) {
  Tally t;
  const auto changes = known_changes(r);
  for (const auto& s : r.streams) {
    if (s.kind != "manual_control" || s.status != 200) continue;
    for (const auto& c : changes) {
      if (c.task.id != s.task_id || !terminal(c.task.status) || c.t_ms < s.opened_ms) continue;
      if (s.closed_ms && *s.closed_ms < c.t_ms + r.tolerance_ms) continue;
      ++t.checked;
      if (!s.ended_ms || *s.ended_ms > c.t_ms + r.tolerance_ms) {
        t.fail(s.name, c.t_ms, "the stream went on after " + s.task_id + " reached " + c.task.status);
      }
      break;
    }
  }
  return t.result("manual-control streams whose task ended");
}

RuleResult frames_in_order(const RunRecord& r) {
  Tally t;
  for (const auto& s : r.streams) {
    if (s.kind != "manual_control") continue;
    std::pair<int64_t, int64_t> last{-1, -1};
    for (const auto& e : s.events) {
      if (str_at(e.data, {"event"}) != "manual_control_frame") continue;
      ++t.checked;
      const std::pair<int64_t, int64_t> now{int_at(e.data, {"epochMicros"}, 0), int_at(e.data, {"sequence"}, 0)};
      if (now <= last) t.fail(s.name, e.t_ms, "frame (" + std::to_string(now.first) + ", " + std::to_string(now.second) + ") out of order");
      last = now;
    }
  }
  return t.result("frames");
}

Rule rule(std::string id, Level level, std::string family, std::string sentence, std::string least,
          std::function<RuleResult(const RunRecord&)> fn) {
  return Rule{std::move(id), level, std::move(family), std::move(sentence), std::move(least), std::move(fn), Basis::kDocumented, ""};
}

}  // namespace

const char* to_name(Level l) {
  switch (l) {
    case Level::kMust: return "MUST";
    case Level::kShould: return "SHOULD";
    case Level::kMay: return "MAY";
  }
  return "MUST";
}

const char* to_name(Basis b) {
  switch (b) {
    case Basis::kDocumented: return "documented";
    case Basis::kDecision: return "decision";
    case Basis::kPreference: return "preference";
  }
  return "documented";
}

const std::vector<Rule>& rule_catalog() {
  static const std::vector<Rule> kRules = {
      rule("STREAM-ORD-001", Level::kMust, "ordering",
           "The stream delivers all existing non-terminal tasks when first connected, followed by real-time updates.",
           "a task stream", preexisting_first),
      rule("STREAM-ORD-002", Level::kMust, "ordering",
           "Events of one task come in version order: statusVersion never falls, and each UPDATE raises it.",
           "two events of one task on a stream", versions_rise),
      rule("STREAM-ORD-003", Level::kMust, "ordering", "No event is delivered twice.", "a task event", no_duplicates),
      rule("STREAM-ORD-004", Level::kMust, "ordering", "No event arrives for a task before it was created.",
           "an event of a task the runner created", no_event_before_task),
      rule("STREAM-PRE-001", Level::kMust, "ordering", "Preexisting tasks are the non-terminal ones.",
           "a PREEXISTING event", preexisting_not_terminal),
      rule("STREAM-PRE-002", Level::kMust, "filters",
           "excludePreexistingTasks: only tasks created or updated after the stream is initiated.",
           "a stream with excludePreexistingTasks true", exclude_preexisting),
      rule("STREAM-PRE-003", Level::kMust, "ordering",
           "If unset or false, the stream includes all preexisting (non-terminal) tasks that pass its filters.",
           "a task that existed when a stream opened", all_preexisting),
      rule("STREAM-RL-001", Level::kMust, "rate limits",
           "rateLimit: the time after an update for a given task before another one will be sent for the same task.",
           "two UPDATEs of one task on a rate-limited stream", rate_spacing),
      rule("STREAM-RL-002", Level::kMust, "rate limits",
           "Updates inside a window are coalesced: the latest state goes out when the window ends; none is lost.",
           "a change watched for one window after it", trailing_latest),
      rule("STREAM-RL-003", Level::kMust, "rate limits",
           "The first update of a task goes out at once (leading edge).", "an update after a quiet window",
           leading_edge),
      rule("STREAM-RL-004", Level::kMust, "rate limits", "The rate limit applies to UPDATE events only; CREATED is never held.",
           "a create while a rate-limited stream is open", created_not_limited),
      rule("STREAM-HB-001", Level::kMust, "heartbeats",
           "A heartbeat arrives within heartbeatIntervalMs (default 30000) of the stream's start.",
           "a stream watched for one interval", [](const RunRecord& r) { return heartbeat_gaps(r, true); }),
      rule("STREAM-HB-002", Level::kMust, "heartbeats",
           "Heartbeats arrive at least every heartbeatIntervalMs (default 30000 when absent or 0), also under traffic.",
           "a stream watched for one interval", [](const RunRecord& r) { return heartbeat_gaps(r, false); }),
      rule("STREAM-FLT-001", Level::kMust, "filters",
           "taskType, statusFilter, assignee, parentTaskId and updateStartTime exclude every task they do not match.",
           "a task event", no_excluded_event),
      rule("STREAM-FLT-002", Level::kMust, "filters",
           "Every creation and status change of a task that passes the filters reaches the stream.",
           "a change while a stream without rate limit was open", every_change_arrives),
      rule("STREAM-REQ-001", Level::kMust, "error codes",
           "Invalid stream requests are refused with 400: rateLimit below 250, parentTaskId with another filter, both "
           "taskType forms, unknown enum names, negative intervals.",
           "an invalid stream request", invalid_requests_rejected),
      rule("SSE-001", Level::kMust, "framing", "Streams answer with Content-Type text/event-stream.", "a stream",
           event_stream_type),
      rule("SSE-002", Level::kMust, "framing",
           "Each event's data is a JSON object naming its kind in \"event\" (clients drop anything else silently).",
           "an event", data_is_json),
      rule("SSE-003", Level::kShould, "framing", "The event stream is well formed: every event ends with a blank line.",
           "a stream", no_framing_faults),
      rule("ERR-001", Level::kMust, "error codes", "A client's mistake never gets a 5xx (SDKs retry 5xx).", "a request",
           no_5xx),
      rule("ERR-002", Level::kMust, "error codes", "A missing or bad bearer token gets 401.",
           "a request without a valid token", unauthorized_401),
      rule("ERR-003", Level::kShould, "error codes", "Error answers carry a JSON body {code, message}.", "a 4xx answer",
           error_body_shape),
      rule("ERR-004", Level::kMust, "error codes", "An unknown task gets 404.", "a request for an unknown task",
           unknown_task_404),
      rule("ERR-005", Level::kShould, "error codes", "Creating a task with an existing taskId gets 409.",
           "a create of an existing id", duplicate_409),
      rule("TASK-VER-001", Level::kMust, "task semantics", "statusVersion rises by exactly 1 on every accepted status change.",
           "an accepted status update", version_plus_one),
      rule("TASK-VER-002", Level::kMust, "task semantics",
           "A status update with a stale statusVersion leaves the task unchanged (rejected or ignored).",
           "a stale status update", stale_unchanged),
      rule("TASK-TERM-001", Level::kMust, "task semantics", "Terminal statuses (DONE_OK, DONE_NOT_OK) accept no change.",
           "a change asked of a terminal task", terminal_immutable),
      rule("TASK-CANCEL-001", Level::kMust, "task semantics",
           "Cancelling a task before it was sent ends it: DONE_NOT_OK with ERROR_CODE_CANCELLED.",
           "a cancel of an unsent task", cancel_before_sent),
      rule("TASK-CANCEL-002", Level::kMust, "task semantics",
           "Cancelling a task after it was sent asks its agent: the task shows CANCEL_REQUESTED.",
           "a cancel of a sent task", cancel_after_sent),
      rule("TASK-QUERY-001", Level::kMust, "task semantics", "Every task appears at most once across the pages of one query.",
           "a second page", query_pages_once),
      rule("AGENT-001", Level::kMust, "agents",
           "Requests go to the agent the task is assigned to, and never for a task executed elsewhere.", "a hand-over",
           handover_to_assignee),
      rule("AGENT-003", Level::kMust, "agents",
           "After a sent task is cancelled, its agent receives a cancel request for it.",
           "a cancel request received, or an agent queue run dry after a cancel", cancel_reaches_agent),
      rule("AGENT-002", Level::kShould, "agents", "Handing a task to its agent moves it to STATUS_SENT.", "a hand-over",
           handover_sent),
      rule("MC-001", Level::kMust, "agents", "A manual-control stream ends when its task reaches a terminal status.",
           "a terminal status while a manual-control stream is open", manual_control_ends),
      rule("MC-002", Level::kMust, "agents", "Manual-control frames arrive in (epoch, sequence) order.", "a frame",
           frames_in_order),
  };
  return kRules;
}

std::vector<JudgedRule> judge_record(const RunRecord& r) {
  std::vector<JudgedRule> out;
  for (const Rule& rule : rule_catalog()) out.push_back({&rule, rule.check(r)});
  return out;
}

std::string describe(const Rule& rule, const Violation& v) {
  return rule.id + " (" + to_name(rule.level) + ") " + v.where + " at " + std::to_string(v.t_ms) + " ms: " + v.message;
}

}  // namespace th::conform
