#include "conformance/rules.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "conformance/latency.h"
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

// ---- filters: what the documents settle, and what rests on a decision -------------
//
// Where the sources are silent, lattice-tasks.md records a decision ("Decisions where
// the sources are silent"). A case whose verdict hangs on one is judged by that
// decision's SHOULD rule and by no MUST rule, so a server that chose otherwise where
// the sources allow it still passes every MUST rule (design.md, "Levels").
enum Decision : unsigned {
  kAssigneeByIdentity = 1u << 0,    // the assignee filter matches a principal by identity
  kUpdateStartAndStatus = 1u << 1,  // updateStartTime: at or after; no filterType: inclusive
  kRateWindow = 1u << 2,            // only UPDATEs sent open a window; filters judge each update
};

// The cases a check judges: those that hang on exactly these decisions (none: the
// cases the documents settle, for the MUST rules).
struct Scope {
  unsigned decisions = 0;
  bool judges(unsigned hangs_on) const { return hangs_on == decisions; }
};
constexpr Scope kSettled{0};

// A principal's identity: system entityId (or serviceName), user userId, team entityId.
std::string identity(const json* p) {
  if (!p || !p->is_object()) return "";
  if (std::string e = str_at(*p, {"system", "entityId"}); !e.empty()) return "system:" + e;
  if (std::string s = str_at(*p, {"system", "serviceName"}); !s.empty()) return "service:" + s;
  if (std::string u = str_at(*p, {"user", "userId"}); !u.empty()) return "user:" + u;
  if (std::string t = str_at(*p, {"team", "entityId"}); !t.empty()) return "team:" + t;
  return "";
}

// Every field `want` names is present and equal in `have` (objects compared field by field).
bool names_fields_of(const json& want, const json* have) {
  if (!have) return false;
  if (!want.is_object()) return want == *have;
  if (!have->is_object()) return false;
  for (const auto& [k, v] : want.items()) {
    auto it = have->find(k);
    if (it == have->end() || !names_fields_of(v, &*it)) return false;
  }
  return true;
}

// A stream filter's verdict on a task: whether it lets the task through under our
// decisions, and which decisions that verdict hangs on (0: the documents settle it).
struct FilterVerdict {
  bool passes = true;
  unsigned hangs_on = 0;
};

// A stream request's filters, read once per stream: the rules ask for the verdict on
// every change of every task.
class StreamFilter {
 public:
  explicit StreamFilter(const json& req) {
    parent_ = str_at(req, {"parentTaskId"});
    if (const json* urls = at(req, {"taskType", "taskTypeUrls"}); urls && urls->is_array()) urls_ = urls;
    if (const json* prefix = at(req, {"taskType", "taskTypePrefix"}); prefix && prefix->is_string())
      prefix_ = prefix;
    if (const std::string& since = str_at(req, {"updateStartTime"}); !since.empty())
      since_ms_ = parse_rfc3339(since);
    if (const json* who = at(req, {"assignee"}); who && !who->is_null()) {
      who_ = who;
      who_identity_ = identity(who);
    }
    if (const json* f = at(req, {"statusFilter"}); f && f->is_object()) {
      status_filter_ = true;
      if (const json* list = at(*f, {"statuses"}); list && list->is_array()) statuses_ = list;
      kind_ = str_at(*f, {"filterType"});
    }
  }

  FilterVerdict verdict(const json& task) const {
    if (!parent_.empty())
      return {str_at(task, {"relations", "parentTaskId"}) == parent_, 0};  // excludes every other filter
    bool excluded = false;  // a filter the documents settle rejects the task
    FilterVerdict v;
    auto part = [&](bool ours, bool settled, unsigned decision) {
      if (settled && !ours) excluded = true;
      v.passes = v.passes && ours;
      if (!settled) v.hangs_on |= decision;
    };
    if (urls_ || prefix_) {
      const std::string& type = str_at(task, {"specification", "@type"});
      if (urls_) part(std::find(urls_->begin(), urls_->end(), json(type)) != urls_->end(), true, 0);
      if (prefix_) part(type.rfind(prefix_->get_ref<const std::string&>(), 0) == 0, true, 0);
    }
    // "tasks which have been updated since the given time" (seed 000): at the very
    // instant, "since" is ours to read (at or after).
    if (since_ms_) {
      if (auto b = parse_rfc3339(str_at(task, {"lastUpdateTime"})))
        part(*b >= *since_ms_, *b != *since_ms_, kUpdateStartAndStatus);
    }
    // "tasks assigned to a specific principal" (seed 000): which fields of a principal
    // count is ours to choose (its identity). Where matching by identity, by the fields
    // the filter names and by whole equality agree, the documents settle the verdict.
    if (who_) {
      const json* theirs = at(task, {"relations", "assignee"});
      const bool by_identity = !who_identity_.empty() && who_identity_ == identity(theirs);
      const bool by_fields = names_fields_of(*who_, theirs);
      const bool equal = theirs && *theirs == *who_;
      part(by_identity, by_identity == by_fields && by_fields == equal, kAssigneeByIdentity);
    }
    // "inclusive or exclusive" (seed 000): without a filterType, ours is inclusive.
    if (status_filter_) {
      const std::string& status = str_at(task, {"status", "status"});
      const bool listed =
          statuses_ && std::find(statuses_->begin(), statuses_->end(), json(status)) != statuses_->end();
      if (kind_ == "FILTER_TYPE_EXCLUSIVE") {
        part(!listed, true, 0);
      } else {
        part(listed, kind_ == "FILTER_TYPE_INCLUSIVE", kUpdateStartAndStatus);
      }
    }
    if (excluded) return {false, 0};
    return v;
  }

 private:
  std::string parent_;
  const json* urls_ = nullptr;
  const json* prefix_ = nullptr;
  std::optional<int64_t> since_ms_;
  const json* who_ = nullptr;
  std::string who_identity_;
  bool status_filter_ = false;
  const json* statuses_ = nullptr;
  std::string kind_;
};

// Why a stream request must be refused with 400, as the documents give it: rateLimit
// "if set, value must be >= 250" and parentTaskId "mutually exclusive with all other
// filter fields" (seed 000); one taskType form, and RFC 3339 timestamps (lattice-tasks.md).
std::optional<std::string> refused_by_documents(const json& req) {
  if (!req.is_object()) return std::nullopt;
  if (const json* r = at(req, {"rateLimit"}); r && r->is_number_integer()) {
    const int64_t v = r->get<int64_t>();
    if (v < 0 || (v > 0 && v < kMinRateLimitMs)) return "rateLimit " + std::to_string(v);
  }
  if (!str_at(req, {"parentTaskId"}).empty()) {
    for (const char* k : {"updateStartTime", "assignee", "statusFilter", "taskType"}) {
      if (const json* v = at(req, {k}); v && !v->is_null()) return std::string("parentTaskId with ") + k;
    }
  }
  if (at(req, {"taskType", "taskTypeUrls"}) && at(req, {"taskType", "taskTypePrefix"})) return "both taskType forms";
  if (const json* u = at(req, {"updateStartTime"});
      u && u->is_string() && !parse_rfc3339(u->get<std::string>())) {
    return "an updateStartTime that is not RFC 3339";
  }
  return std::nullopt;
}

// Refused by our decision only: "negative is 400" (lattice-tasks.md, heartbeats).
std::optional<std::string> refused_by_decision(const json& req) {
  if (!req.is_object() || refused_by_documents(req)) return std::nullopt;
  if (const json* h = at(req, {"heartbeatIntervalMs"});
      h && h->is_number_integer() && h->get<int64_t>() < 0) {
    return "a negative heartbeatIntervalMs";
  }
  return std::nullopt;
}

// Refused by our preference only: strict bodies (scenarios/README.md), here an enum
// name the API does not have. proto3's JSON parsers may be told to ignore those.
std::optional<std::string> refused_by_preference(const json& req) {
  if (!req.is_object() || refused_by_documents(req) || refused_by_decision(req)) return std::nullopt;
  if (const json* list = at(req, {"statusFilter", "statuses"}); list && list->is_array()) {
    for (const auto& s : *list) {
      if (s.is_string() && !kStatuses.count(s.get<std::string>()))
        return "an unknown status name " + s.dump();
    }
  }
  if (const json* ft = at(req, {"statusFilter", "filterType"}); ft && ft->is_string() && !kFilterTypes.count(ft->get<std::string>())) {
    return "an unknown filterType " + ft->dump();
  }
  return std::nullopt;
}

// A stream's heartbeat interval as the documents give it: heartbeatIntervalMs when
// positive; when absent, the task stream's default of 30000 (seed 000). Nothing for 0
// or a bad value, nor for an agent or manual-control stream without one: no default
// is documented for those (the gRPC agent stream reads 0 as "no heartbeats").
std::optional<int64_t> documented_interval(const StreamRecord& s) {
  const json* h = at(s.request, {"heartbeatIntervalMs"});
  if (!h || h->is_null())
    return s.kind == "tasks" ? std::optional<int64_t>(kDefaultHeartbeatMs) : std::nullopt;
  const int64_t v = int_at(s.request, {"heartbeatIntervalMs"}, -1);
  return v > 0 ? std::optional<int64_t>(v) : std::nullopt;
}

// ... and as lattice-tasks.md decides: absent or 0 means 30000 (not for the agent
// stream, whose 0 the gRPC documents read as "no heartbeats").
std::optional<int64_t> decided_interval(const StreamRecord& s) {
  if (auto v = documented_interval(s)) return v;
  if (s.kind == "agent") return std::nullopt;
  const json* h = at(s.request, {"heartbeatIntervalMs"});
  if (!h || h->is_null() || int_at(s.request, {"heartbeatIntervalMs"}, -1) == 0) return kDefaultHeartbeatMs;
  return std::nullopt;
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

// When a change happened, seen from one stream: before it opened, after (live), or
// while it opened: a hand-over the runner learned within the tolerance of the opening,
// which the server may have made before or after it registered the stream.
enum class Timing { kBefore, kOpening, kLive };

Timing timing(const Change& c, const StreamRecord& s, int64_t tolerance_ms) {
  if (c.step != SIZE_MAX) return c.step < s.step ? Timing::kBefore : Timing::kLive;
  if (c.t_ms < s.opened_ms - tolerance_ms) return Timing::kBefore;
  if (c.t_ms > s.opened_ms + tolerance_ms) return Timing::kLive;
  return Timing::kOpening;
}

// The tasks whose latest state when a stream opened came from a change made while it
// opened (a later one the runner made before the open settles the state).
std::set<std::string> changed_while_opening(const std::vector<Change>& changes, const StreamRecord& s,
                                            int64_t tolerance_ms) {
  std::map<std::string, std::pair<int64_t, bool>> latest;  // id -> (version, made while opening)
  for (const auto& c : changes) {
    const Timing when = timing(c, s, tolerance_ms);
    if (when == Timing::kLive) continue;
    auto& l = latest[c.task.id];
    if (c.task.version > l.first) l = {c.task.version, when == Timing::kOpening};
  }
  std::set<std::string> ids;
  for (const auto& [id, l] : latest) {
    if (l.second) ids.insert(id);
  }
  return ids;
}

// The real-time tolerance for judging one stream: measured on the run's other streams
// (a server must not widen its own tolerance by being late), else the record's.
int64_t tol(const RunRecord& r, const StreamRecord& s) { return s.tolerance_ms >= 0 ? s.tolerance_ms : r.tolerance_ms; }

// Real time: when the server sent what a change caused, as the client can tell it
// (design.md, "Real time"): the arrival of the same task version on an unlimited
// stream of the run (the limited stream's twin), which carries the same delivery
// latency; without a twin, the change's time plus the latency budget. In virtual
// time, the change's time.
std::optional<int64_t> twin_arrival(const RunRecord& r, const StreamRecord& limited, const std::string& id,
                                    int64_t version) {
  if (r.virtual_time) return std::nullopt;
  std::optional<int64_t> twin;
  for (const auto& other : r.streams) {
    if (&other == &limited || other.kind != "tasks" || other.status != 200 || int_at(other.request, {"rateLimit"}, 0) > 0) continue;
    for (const auto& e : other.events) {
      if (!e.data_is_json || str_at(e.data, {"event"}) != "task_event") continue;
      const json* task = at(e.data, {"taskEvent", "task"});
      if (!task || str_at(*task, {"version", "taskId"}) != id || int_at(*task, {"version", "statusVersion"}, 0) != version) continue;
      twin = twin ? std::min(*twin, e.t_ms) : e.t_ms;
    }
  }
  return twin;
}

int64_t sent_ref(const RunRecord& r, const StreamRecord& limited, const std::string& id, int64_t version, int64_t change_ms) {
  const auto twin = twin_arrival(r, limited, id, version);
  return twin ? *twin : change_ms + r.latency_budget_ms;
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

// A live UPDATE repeating the version a PREEXISTING event already carried is a change
// sent twice; for a task changed while the stream opened, "never twice" is our decision
// (STREAM-PRE-004), so this rule leaves that case alone.
RuleResult versions_rise(const RunRecord& r) {
  Tally t;
  std::optional<std::vector<Change>> changes;  // looked up only for a repeated version
  for (const auto* s : task_streams(r)) {
    std::optional<std::set<std::string>> opening;
    auto changed_while_open = [&](const std::string& id) {
      if (!changes) changes = known_changes(r);
      if (!opening) opening = changed_while_opening(*changes, *s, tol(r, *s));
      return opening->count(id) > 0;
    };
    std::map<std::string, int64_t> last;
    std::set<std::pair<std::string, int64_t>> preexisting;
    for (const auto& e : s->events) {
      auto task = is_task_event(e) ? event_task(e) : std::nullopt;
      if (!task) continue;
      auto it = last.find(task->id);
      if (it != last.end()) {
        const bool update = event_type(e) == "EVENT_TYPE_UPDATE";
        const bool repeated = update && task->version == it->second;
        if (!(repeated && preexisting.count({task->id, task->version}) && changed_while_open(task->id))) {
          ++t.checked;
          if (task->version < it->second || repeated) {
            t.fail(s->name, e.t_ms,
                   task->id + " went from statusVersion " + std::to_string(it->second) + " to " +
                       std::to_string(task->version));
          }
        }
      }
      last[task->id] = std::max(last[task->id], task->version);
      if (event_type(e) == "EVENT_TYPE_PREEXISTING") preexisting.insert({task->id, task->version});
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

bool excludes_preexisting(const StreamRecord& s) {
  const json* ex = at(s.request, {"excludePreexistingTasks"});
  return ex && ex->is_boolean() && ex->get<bool>();
}

// Every task that existed, not terminal, when the stream opened and passes its filters
// is sent as PREEXISTING. A task changed while the stream opened is left to
// STREAM-PRE-004 (our decision); one whose filter verdict rests on a decision, to that
// decision's rule.
void all_preexisting(const RunRecord& r, const std::vector<Change>& changes, Scope scope, Tally& t) {
  for (const auto* s : task_streams(r)) {
    if (excludes_preexisting(*s)) continue;
    std::map<std::string, TaskView> before;  // latest known state before the stream opened
    for (const auto& c : changes) {
      if (timing(c, *s, tol(r, *s)) != Timing::kBefore) continue;
      auto known = before.find(c.task.id);
      if (known == before.end() || known->second.version < c.task.version)
        before.insert_or_assign(c.task.id, c.task);
    }
    const std::set<std::string> opening = changed_while_opening(changes, *s, tol(r, *s));
    std::set<std::string> pre;
    for (const auto& e : s->events) {
      if (is_task_event(e) && event_type(e) == "EVENT_TYPE_PREEXISTING") {
        if (auto task = event_task(e)) pre.insert(task->id);
      }
    }
    const StreamFilter filter(s->request);
    for (const auto& [id, task] : before) {
      if (opening.count(id)) continue;
      const FilterVerdict v = filter.verdict(*task.raw);
      if (terminal(task.status) || !scope.judges(v.hangs_on) || !v.passes) continue;
      ++t.checked;
      if (!pre.count(id)) t.fail(s->name, s->opened_ms, "existing task " + id + " was not sent as PREEXISTING");
    }
  }
}

// lattice-tasks.md decides: "the snapshot is taken when the stream is registered. A task
// changed while the stream opens arrives exactly once as PREEXISTING or live, never
// lost, never twice."
RuleResult changed_while_opening_once(const RunRecord& r) {
  Tally t;
  // Only a hand-over (a listen's answer, an agent stream's event) can be made while a
  // stream opens: the runner's own requests come one after another.
  const bool handovers = std::any_of(r.requests.begin(), r.requests.end(),
                                     [](const RequestRecord& q) { return is_listen(q); }) ||
                         std::any_of(r.streams.begin(), r.streams.end(),
                                     [](const StreamRecord& s) { return s.kind == "agent"; });
  if (!handovers) return t.result("tasks changed while a stream opened");
  const auto changes = known_changes(r);
  for (const auto* s : task_streams(r)) {
    if (excludes_preexisting(*s)) continue;
    const std::set<std::string> opening = changed_while_opening(changes, *s, tol(r, *s));
    std::map<std::string, TaskView> after;  // the latest state each such change left
    for (const auto& c : changes) {
      if (!opening.count(c.task.id) || timing(c, *s, tol(r, *s)) != Timing::kOpening ||
          !s->watched(c.t_ms, c.step, r.end_ms)) {
        continue;
      }
      auto known = after.find(c.task.id);
      if (known == after.end() || known->second.version < c.task.version)
        after.insert_or_assign(c.task.id, c.task);
    }
    if (after.empty()) continue;
    const EventsByTask index = index_task_events(*s);
    const int64_t until = s->watched_until_ms(r.end_ms);
    const StreamFilter filter(s->request);
    for (const auto& [id, task] : after) {
      const FilterVerdict v = filter.verdict(*task.raw);
      if (terminal(task.status) || v.hangs_on != 0 || !v.passes) continue;
      if (until <= s->opened_ms + tol(r, *s)) {
        t.too_little.push_back(s->name + " closed as it opened");
        continue;
      }
      ++t.checked;
      bool arrived = false;
      std::set<int64_t> versions;
      for (const auto& e : events_of(index, id)) {
        if (e.task.version >= task.version) arrived = true;
        if (!versions.insert(e.task.version).second) {
          t.fail(s->name, e.t_ms,
                 id + " statusVersion " + std::to_string(e.task.version) +
                     ", changed as the stream opened, arrived twice");
        }
      }
      if (!arrived) {
        t.fail(s->name, s->opened_ms,
               id + " statusVersion " + std::to_string(task.version) +
                   ", changed as the stream opened, never arrived");
      }
    }
  }
  return t.result("tasks changed while a stream opened");
}

// ---- rate limits -----------------------------------------------------------------
//
// Seed 000: rateLimit is "the time interval, in milliseconds, after an update for a
// given task before another one will be sent for the same task". lattice-tasks.md
// states as fact that it limits UPDATE events only, that the first update of a task
// goes out at once, and that later updates inside the window are coalesced, the latest
// going out when the window ends (worked example, 1000 ms: updates at 0, 500, 900 and
// 2100 go out at 0, 1000 (900's state) and 2100). That CREATED, PREEXISTING and
// excluded updates open no window, and that an excluded update does not replace a
// pending one, are decisions (STREAM-RL-005).

// Timing against a rate limit means little when the tolerance is a fifth of it.
bool limit_too_fine(const RunRecord& r, const StreamRecord& s, int64_t limit, Tally& t) {
  if (tol(r, s) * 5 <= limit) return false;
  t.too_little.push_back(s.name + ": tolerance " + std::to_string(tol(r, s)) + " ms exceeds 20% of the " +
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
        if (e.t_ms - it->second < limit - tol(r, *s)) {
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

using ChangesByTask = std::map<std::string, std::vector<const Change*>>;

ChangesByTask index_changes(const std::vector<Change>& changes) {
  ChangesByTask out;
  for (const auto& c : changes) out[c.task.id].push_back(&c);
  return out;
}

// Whether any change of the task other than `c`, of a version in (low, high) and made
// in [from_ms, to_ms], is one the stream's filters may exclude (or the documents do
// not settle): what the window does with it is our decision.
bool excluded_change_between(const StreamFilter& filter, const ChangesByTask& by_task, const Change& c,
                             int64_t low, int64_t high, int64_t from_ms, int64_t to_ms) {
  auto it = by_task.find(c.task.id);
  if (it == by_task.end()) return false;
  for (const Change* o : it->second) {
    if (o->task.version <= low || o->task.version >= high || o->t_ms < from_ms || o->t_ms > to_ms) continue;
    const FilterVerdict v = filter.verdict(*o->task.raw);
    if (v.hangs_on != 0 || !v.passes) return true;
  }
  return false;
}

// Every change of a task that passes a stream's filters is reflected on the stream
// within one window (its own state or a later one): the trailing edge carries the
// latest state and loses nothing. When a later change inside that window is excluded,
// whether the pending state still goes out is our decision (filters judge each update
// when it happens), so that case hangs on kRateWindow.
void trailing_latest(const RunRecord& r, const std::vector<Change>& changes, Scope scope, Tally& t) {
  const ChangesByTask by_task = index_changes(changes);
  for (const auto* s : task_streams(r)) {
    const EventsByTask index = index_task_events(*s);
    const int64_t limit = std::max<int64_t>(rate_limit(*s), 0);
    const int64_t until = s->watched_until_ms(r.end_ms);
    const StreamFilter filter(s->request);
    for (const auto& c : changes) {
      if (timing(c, *s, tol(r, *s)) != Timing::kLive || !s->watched(c.t_ms, c.step, r.end_ms)) continue;
      const FilterVerdict v = filter.verdict(*c.task.raw);
      if (!v.passes || (!scope.judges(v.hangs_on) && !scope.judges(v.hangs_on | kRateWindow))) continue;
      bool seen = false;
      // In real time a window's end is placed by the twin's copy, which carries the same
      // latency; with no window (or no twin) the latency budget is what may pass.
      const auto twin = limit > 0 ? twin_arrival(r, *s, c.task.id, c.task.version) : std::nullopt;
      const int64_t due = (twin ? *twin : c.t_ms + r.latency_budget_ms) + limit + tol(r, *s);
      for (const auto& e : events_of(index, c.task.id)) {
        if (e.task.version >= c.task.version && e.t_ms <= due) seen = true;
      }
      // Reflected, it holds under every reading; missing, it hangs on the decision.
      const bool excluded_later =
          limit > 0 && excluded_change_between(filter, by_task, c, c.task.version, INT64_MAX, c.t_ms,
                                               c.t_ms + limit + tol(r, *s));
      const unsigned window = excluded_later ? kRateWindow : 0u;
      if (!scope.judges(v.hangs_on | (seen ? 0u : window)) && !scope.judges(v.hangs_on | window)) continue;
      if (due > until && !seen) {
        t.too_little.push_back(s->name + " closed before the trailing edge of " + c.task.id);
        continue;
      }
      ++t.checked;
      if (!seen) {
        t.fail(s->name, c.t_ms,
               c.task.id + " statusVersion " + std::to_string(c.task.version) + " (" + c.task.status +
                   ") was not reflected" + (limit ? " within the rate-limit window" : ""));
      }
    }
  }
}

// An update after a quiet window goes out at once. Quiet by the documents: no UPDATE
// of the task sent within one window before it, nor a PREEXISTING event, nor a change
// the filters excluded; a CREATED event only before the task's first update. Anything
// else that came within the window opens none only by our decision (kRateWindow).
void leading_edge(const RunRecord& r, const std::vector<Change>& changes, Scope scope, Tally& t) {
  const ChangesByTask by_task = index_changes(changes);
  for (const auto* s : task_streams(r)) {
    const int64_t limit = rate_limit(*s);
    if (limit <= 0) continue;
    std::optional<bool> too_fine;  // asked once, when the stream has a case to judge
    const EventsByTask index = index_task_events(*s);
    const StreamFilter filter(s->request);
    for (const auto& c : changes) {
      const bool watched = s->watched(c.t_ms + tol(r, *s), c.step, r.end_ms);
      if (timing(c, *s, tol(r, *s)) != Timing::kLive || !watched || c.task.version <= 1) continue;
      const FilterVerdict v = filter.verdict(*c.task.raw);
      if (!v.passes || (!scope.judges(v.hangs_on) && !scope.judges(v.hangs_on | kRateWindow))) continue;
      // The window before it. An earlier version sent in the same millisecond opened it too.
      // In real time, on the arrival clock: when the change's twin copy arrived; with
      // no twin, the window is placed at the change and the deadline gets the budget.
      const auto twin = twin_arrival(r, *s, c.task.id, c.task.version);
      const int64_t base = twin ? *twin : c.t_ms;
      const int64_t sent = twin ? *twin : c.t_ms + r.latency_budget_ms;
      const int64_t from = base - limit - tol(r, *s);
      bool quiet = true;
      unsigned hangs = v.hangs_on;
      for (const auto& e : events_of(index, c.task.id)) {
        if (e.task.version >= c.task.version || e.t_ms > base || e.t_ms <= from) continue;
        if (e.type == "EVENT_TYPE_UPDATE") quiet = false;
        if (e.type == "EVENT_TYPE_PREEXISTING" || (e.type == "EVENT_TYPE_CREATED" && c.task.version > 2))
          hangs |= kRateWindow;
      }
      // Updates only (versions above 1): the creation is the CREATED event's business.
      if (excluded_change_between(filter, by_task, c, 1, c.task.version, from + 1, c.t_ms))
        hangs |= kRateWindow;
      if (!quiet) continue;
      bool on_time = false;
      // In real time the event may overtake the answer to the update that caused it,
      // and it is compared with its twin's copy, which has the same latency.
      const int64_t earliest = std::min(c.t_ms, base);
      for (const auto& e : events_of(index, c.task.id)) {
        if (e.task.version >= c.task.version && e.t_ms + tol(r, *s) >= earliest && e.t_ms <= sent + tol(r, *s)) {
          on_time = true;
        }
      }
      // On time, it holds under every reading; held back, it hangs on what opened a window.
      if (!scope.judges(on_time ? v.hangs_on : hangs) && !scope.judges(hangs)) continue;
      if (!too_fine) too_fine = limit_too_fine(r, *s, limit, t);
      if (*too_fine) break;
      ++t.checked;
      if (!on_time) t.fail(s->name, c.t_ms, "the leading UPDATE of " + c.task.id + " v" + std::to_string(c.task.version) + " was held back");
    }
  }
}

void created_not_limited(const RunRecord& r, Scope scope, Tally& t) {
  for (const auto* s : task_streams(r)) {
    if (rate_limit(*s) <= 0) continue;
    const EventsByTask index = index_task_events(*s);
    const StreamFilter filter(s->request);
    for (const auto& q : r.requests) {
      if (!is_create(q) || q.status != 201 || q.step < s->step) continue;
      auto task = task_view(&q.response);
      // The answer may show a later state (a hand-over in the same instant): the
      // CREATED event carries the task as created, which is then not known here.
      if (!task || task->version != 1 || !s->watched(q.answered_ms, q.step, r.end_ms)) continue;
      const FilterVerdict v = filter.verdict(*task->raw);
      if (!v.passes || !scope.judges(v.hangs_on)) continue;
      ++t.checked;
      bool seen = false;
      for (const auto& e : events_of(index, task->id)) {
        if (e.type == "EVENT_TYPE_CREATED" && e.t_ms <= sent_ref(r, *s, task->id, 1, q.answered_ms) + tol(r, *s)) seen = true;
      }
      if (!seen) t.fail(s->name, q.answered_ms, "the CREATED event of " + task->id + " was late or missing");
    }
  }
}

// ---- heartbeats ------------------------------------------------------------------
//
// The documents: "heartbeat messages are sent periodically to maintain the
// connection", at "the frequency" heartbeatIntervalMs sets. A stream that sends nothing
// else must send a heartbeat at least every interval: that is documented. Whether task
// events move the heartbeats (a server may restart its timer at every message it
// sends) is not: lattice-tasks.md decides they are due every interval from the start
// "whatever else is sent" (STREAM-HB-003).

// A bound mostly made of tolerance judges nothing.
bool interval_too_fine(const RunRecord& r, const StreamRecord& s, int64_t interval, Tally& t) {
  if (tol(r, s) * 5 <= interval) return false;
  t.too_little.push_back(s.name + ": tolerance " + std::to_string(tol(r, s)) +
                         " ms exceeds 20% of the " + std::to_string(interval) + " ms interval");
  return true;
}

// A stream silent since it opened sends a heartbeat within one interval. When something
// else came first, when the first heartbeat was due is our decision (STREAM-HB-003).
// When a stream's first message could arrive: its open plus, in real time, the
// delivery latency measured for it (a remote server's heartbeat arrives that much later
// on the client's clock, as everything else does).
int64_t start_ms(const StreamRecord& s) { return s.opened_ms + s.latency_ms; }

RuleResult first_heartbeat(const RunRecord& r) {
  Tally t;
  for (const auto& s : r.streams) {
    if (s.status != 200) continue;
    const auto interval = documented_interval(s);
    if (!interval || interval_too_fine(r, s, *interval, t)) continue;
    const int64_t until = s.watched_until_ms(r.end_ms);
    const int64_t due = start_ms(s) + *interval + tol(r, s);
    const EventRecord* first =
        !s.events.empty() && s.events.front().t_ms <= until ? &s.events.front() : nullptr;
    if (first && first->t_ms <= due) {
      if (!is_heartbeat(*first)) continue;  // traffic first: not idle
      ++t.checked;
      continue;
    }
    if (!first && until <= due) {
      t.too_little.push_back(s.name + " was watched for less than one interval");
      continue;
    }
    ++t.checked;
    const int64_t silent = (first ? first->t_ms : until) - start_ms(s);
    t.fail(s.name, first ? first->t_ms : until,
           (first && is_heartbeat(*first) ? "the first heartbeat came " : "nothing came for ") +
               std::to_string(silent) + " ms after the open; the interval is " + std::to_string(*interval) +
               " ms");
  }
  return t.result("streams idle from their start");
}

// While a stream sends nothing else, a heartbeat comes at least every interval: no
// silence, from the open to the end of watching, is longer than one interval.
RuleResult idle_heartbeats(const RunRecord& r) {
  Tally t;
  for (const auto& s : r.streams) {
    if (s.status != 200) continue;
    const auto interval = documented_interval(s);
    if (!interval || interval_too_fine(r, s, *interval, t)) continue;
    const int64_t until = s.watched_until_ms(r.end_ms);
    if (until - start_ms(s) < *interval) {
      t.too_little.push_back(s.name + " was watched for less than one interval");
      continue;
    }
    int64_t prev = start_ms(s);
    auto silence = [&](int64_t end_ms, const std::string& what) {
      ++t.checked;
      if (end_ms - prev > *interval + tol(r, s)) {
        t.fail(s.name, end_ms,
               "nothing for " + std::to_string(end_ms - prev) + " ms before " + what +
                   "; an idle stream owes a heartbeat every " + std::to_string(*interval) + " ms");
      }
    };
    for (const auto& e : s.events) {
      if (e.t_ms > until) break;
      silence(e.t_ms, is_heartbeat(e) ? "a heartbeat" : "an event");
      prev = e.t_ms;
    }
    silence(until, "the end of watching");
  }
  return t.result("silences on streams");
}

// lattice-tasks.md decides: heartbeats are "due every interval from the moment the
// stream's response starts, whatever else is sent"; absent or 0 means 30000. Judges
// what the rules above leave: the spans between heartbeats with other events in them,
// and every span of a stream whose interval is ours (0).
RuleResult heartbeats_whatever_else(const RunRecord& r) {
  Tally t;
  for (const auto& s : r.streams) {
    if (s.status != 200) continue;
    const auto interval = decided_interval(s);
    if (!interval) continue;
    const bool ours = !documented_interval(s);
    const int64_t until = s.watched_until_ms(r.end_ms);
    int64_t prev = start_ms(s);
    bool traffic = false, first = true, too_fine_asked = false, too_fine = false;
    auto judge = [&](int64_t end_ms, const std::string& what) {
      if (!traffic && !ours) return;
      if (!too_fine_asked) {
        too_fine_asked = true;
        too_fine = interval_too_fine(r, s, *interval, t);
      }
      if (too_fine) return;
      ++t.checked;
      if (end_ms - prev > *interval + tol(r, s)) {
        t.fail(s.name, end_ms,
               what + " " + std::to_string(end_ms - prev) + " ms after the " +
                   (first ? "open" : "last heartbeat") + "; heartbeats are due every " +
                   std::to_string(*interval) + " ms whatever else is sent");
      }
    };
    for (const auto& e : s.events) {
      if (e.t_ms > until) break;
      if (!is_heartbeat(e)) {
        traffic = true;
        continue;
      }
      judge(e.t_ms, first ? "the first heartbeat came" : "a heartbeat came");
      prev = e.t_ms;
      traffic = false;
      first = false;
    }
    if (until - prev > *interval + tol(r, s)) {
      judge(until, "no heartbeat for");
    } else if (first && (traffic || ours) && until - start_ms(s) < *interval) {
      t.too_little.push_back(s.name + " was watched for less than one interval");
    }
  }
  return t.result("heartbeat intervals with other events in them");
}

// ---- filters ---------------------------------------------------------------------

void no_excluded_event(const RunRecord& r, Scope scope, Tally& t) {
  for (const auto* s : task_streams(r)) {
    const StreamFilter filter(s->request);
    for (const auto& e : s->events) {
      auto task = is_task_event(e) ? event_task(e) : std::nullopt;
      if (!task) continue;
      const FilterVerdict v = filter.verdict(*task->raw);
      if (!scope.judges(v.hangs_on)) continue;
      ++t.checked;
      if (!v.passes) {
        t.fail(s->name, e.t_ms, event_type(e) + " of " + task->id + " (" + task->status + ") does not pass the stream's filters");
      }
    }
  }
}

void every_change_arrives(const RunRecord& r, const std::vector<Change>& changes, Scope scope, Tally& t) {
  for (const auto* s : task_streams(r)) {
    if (rate_limit(*s) > 0) continue;  // coalescing: STREAM-RL-002's business
    const EventsByTask index = index_task_events(*s);
    const StreamFilter filter(s->request);
    std::set<std::pair<std::string, int64_t>> done;
    for (const auto& c : changes) {
      if (timing(c, *s, tol(r, *s)) != Timing::kLive) continue;
      const FilterVerdict v = filter.verdict(*c.task.raw);
      if (!v.passes || !scope.judges(v.hangs_on) || !done.insert({c.task.id, c.task.version}).second)
        continue;
      bool seen = false;
      for (const auto& e : events_of(index, c.task.id)) {
        if (e.task.version == c.task.version) seen = true;
      }
      // Missing is a finding only after the stream was watched for the budget.
      if (!seen && !s->watched(c.t_ms + tol(r, *s) + r.latency_budget_ms, c.step, r.end_ms)) {
        t.too_little.push_back(s->name + " closed right after a change of " + c.task.id);
        continue;
      }
      ++t.checked;
      if (!seen) {
        t.fail(s->name, c.t_ms, c.task.id + " statusVersion " + std::to_string(c.task.version) + " (" + c.task.status +
                                    ") passes the filters but never arrived");
      }
    }
  }
}

// The checks of a stream's filters and rate limit, over the cases that hang on exactly
// `scope`'s decisions: a decision's SHOULD rule judges what the MUST rules leave to it.
RuleResult stream_cases(const RunRecord& r, Scope scope, const std::string& what) {
  Tally t;
  const auto changes = known_changes(r);
  trailing_latest(r, changes, scope, t);
  leading_edge(r, changes, scope, t);
  if (scope.decisions != kRateWindow) {  // the others judge no case that hangs on the window
    all_preexisting(r, changes, scope, t);
    created_not_limited(r, scope, t);
    no_excluded_event(r, scope, t);
    every_change_arrives(r, changes, scope, t);
  }
  return t.result(what);
}

// Whether any task stream could have a case hanging on `decision`: the SHOULD rules
// skip the work on records that cannot.
bool may_hang_on(const RunRecord& r, unsigned decision) {
  for (const auto* s : task_streams(r)) {
    const json& q = s->request;
    if (!str_at(q, {"parentTaskId"}).empty()) continue;
    if (decision == kAssigneeByIdentity && at(q, {"assignee"}) && !at(q, {"assignee"})->is_null())
      return true;
    if (decision == kUpdateStartAndStatus) {
      if (!str_at(q, {"updateStartTime"}).empty()) return true;
      const std::string& kind = str_at(q, {"statusFilter", "filterType"});
      if (at(q, {"statusFilter"}) && kind != "FILTER_TYPE_INCLUSIVE" && kind != "FILTER_TYPE_EXCLUSIVE")
        return true;
    }
    if (decision == kRateWindow && rate_limit(*s) > 0) return true;
  }
  return false;
}

RuleResult decided_filter_cases(const RunRecord& r, unsigned decision, const std::string& what) {
  if (!may_hang_on(r, decision)) return {};
  return stream_cases(r, Scope{decision}, what);
}

RuleResult requests_refused(const RunRecord& r, std::optional<std::string> (*why_refused)(const json&)) {
  Tally t;
  for (const auto& q : r.requests) {
    if (q.method != "POST" || path_only(q.path) != "/api/v1/tasks/stream" || q.auth != Auth::kValid || !q.body_is_json) continue;
    if (auto why = why_refused(q.body)) {
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

// The SSE parser's faults (conformance/sse.cpp) split by what the SSE standard, which
// seed 000 names for the stream, says of them: an event the stream ends inside of is
// never dispatched, and a stream is UTF-8; an unknown field is legal and ignored.
bool fault_breaks_sse(const std::string& fault) {
  return fault.rfind("unknown field", 0) != 0;
}

RuleResult framing_faults(const RunRecord& r, bool breaking) {
  Tally t;
  if (!r.transport) return t.result("streams");
  for (const auto& s : r.streams) {
    if (s.status != 200) continue;
    ++t.checked;
    for (const auto& f : s.faults) {
      if (fault_breaks_sse(f) != breaking) continue;
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

// One of the endpoints lattice-tasks.md lists, with its method: "on every endpoint" a
// missing or bad token is 401. Elsewhere (an unknown path, a known path with another
// method) whether the token or the route is looked at first is not documented.
bool is_endpoint(const RequestRecord& q) {
  const std::string p = path_only(q.path);
  if (is_create(q) || is_get(q) || is_status_update(q) || is_cancel(q)) return true;
  if (q.method != "POST") return false;
  return p == "/api/v1/tasks/query" || p == "/api/v1/tasks/stream" || p == "/api/v1/agent/listen" ||
         p == "/api/v1/agent/stream" || (is_task_path(p) && ends_with(p, "/manual-control/stream"));
}

RuleResult unauthorized_401(const RunRecord& r) {
  Tally t;
  for (const auto& q : r.requests) {
    if (q.auth == Auth::kValid || !is_endpoint(q)) continue;
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

// A request the documents make about a task and nothing else: a well-formed taskId
// (lattice-tasks.md: [A-Za-z0-9_.-]{5,36}; "query" and "stream" name other endpoints)
// and a well-formed body. Whether a malformed one is 400 or 404 is not documented.
bool well_formed_task_request(const RequestRecord& q, const std::string& id) {
  const bool id_chars = std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
  if (id == "query" || id == "stream" || id.size() < 5 || id.size() > 36 || !id_chars) return false;
  if (is_get(q)) return true;
  if (is_cancel(q)) return q.body.is_null() || (q.body_is_json && q.body.is_object());
  if (!q.body_is_json || !q.body.is_object() || int_at(q.body, {"statusVersion"}, -1) < 0) return false;
  return kStatuses.count(str_at(q.body, {"newStatus", "status"})) > 0;
}

RuleResult unknown_task_404(const RunRecord& r) {
  Tally t;
  const std::set<std::string> known = created_ids(r, SIZE_MAX);
  for (const auto& q : r.requests) {
    if (q.auth != Auth::kValid) continue;
    if (!is_get(q) && !is_status_update(q) && !is_cancel(q)) continue;
    const std::string id = path_task_id(q.path);
    if (id.empty() || known.count(id) || !well_formed_task_request(q, id)) continue;
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
    // Stale: older than the task's. A version from the future is not what the
    // documents speak of.
    const int64_t asked = int_at(q.body, {"statusVersion"}, -1);
    if (asked < 0 || asked >= before.version) return;
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

// lattice-tasks.md: "Cancel before the task was sent to its agent: task goes to
// DONE_NOT_OK with taskError.code = ERROR_CODE_CANCELLED." A task no agent was handed
// that is still CREATED or SCHEDULED_IN_MANAGER was surely not sent. One a client
// moved on (SENT, EXECUTING, ...) without a hand-over may count as sent to a server
// that reads the status: that it does not is our preference (`preferred`).
RuleResult cancel_before_sent(const RunRecord& r, bool preferred) {
  Tally t;
  walk_updates(r, [&](const RequestRecord& q, const TaskView& before, const std::optional<TaskView>& after) {
    if (!is_cancel(q) || q.status != 200 || !after || terminal(before.status) ||
        before.status == "STATUS_CANCEL_REQUESTED" ||
        handed_over_before(r, q.answered_ms + r.tolerance_ms).count(before.id)) {
      return;
    }
    const bool unsent_status =
        before.status == "STATUS_CREATED" || before.status == "STATUS_SCHEDULED_IN_MANAGER";
    if (unsent_status == preferred) return;
    ++t.checked;
    if (after->status != "STATUS_DONE_NOT_OK" || str_at(*after->raw, {"status", "taskError", "code"}) != "ERROR_CODE_CANCELLED") {
      t.fail("step " + std::to_string(q.step), q.answered_ms,
             "cancelling unsent task " + before.id + " (" + before.status + ") gave " + after->status +
                 " / " + str_at(*after->raw, {"status", "taskError", "code"}));
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

// ---- latency ---------------------------------------------------------------------

RuleResult latency_within_budget(const RunRecord& r) {
  Tally t;
  for (const auto& s : r.streams) {
    if (rate_limit(s) > 0) continue;  // a window holds updates back on purpose
    for (const auto& c : caused_events(r, s)) {
      ++t.checked;
      const int64_t late_ms = c.arrived_ms - c.cause_sent_ms;
      if (late_ms > r.latency_budget_ms) {
        t.fail(s.name, c.arrived_ms,
               "arrived " + std::to_string(late_ms) + " ms after the request that caused it was sent; the budget is " +
                   std::to_string(r.latency_budget_ms) + " ms");
      }
    }
  }
  return t.result("events with a known cause");
}

RuleResult manual_control_ends(const RunRecord& r) {
  Tally t;
  const auto changes = known_changes(r);
  for (const auto& s : r.streams) {
    if (s.kind != "manual_control" || s.status != 200) continue;
    for (const auto& c : changes) {
      if (c.task.id != s.task_id || !terminal(c.task.status) || c.t_ms < s.opened_ms) continue;
      // In real time the end may come up to the latency budget late: LATENCY-001's
      // business, not this rule's.
      const int64_t due = c.t_ms + tol(r, s) + r.latency_budget_ms;
      if (s.closed_ms && *s.closed_ms < due) continue;
      ++t.checked;
      if (!s.ended_ms || *s.ended_ms > due) {
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

Rule rule(std::string id, Level level, Basis basis, std::string source, std::string family,
          std::string sentence, std::string least, std::function<RuleResult(const RunRecord&)> fn) {
  return Rule{
      std::move(id),    level,        basis, std::move(source), std::move(family), std::move(sentence),
      std::move(least), std::move(fn)};
}

// The checks of the filters and the rate limit, over the cases the documents settle.
template <void (*Check)(const RunRecord&, Scope, Tally&)>
RuleResult settled(const RunRecord& r, const char* what) {
  Tally t;
  Check(r, kSettled, t);
  return t.result(what);
}

template <void (*Check)(const RunRecord&, const std::vector<Change>&, Scope, Tally&)>
RuleResult settled_changes(const RunRecord& r, const char* what) {
  Tally t;
  Check(r, known_changes(r), kSettled, t);
  return t.result(what);
}

constexpr Basis kDoc = Basis::kDocumented;
constexpr Basis kDec = Basis::kDecision;
constexpr Basis kPref = Basis::kPreference;

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
    case Basis::kDocumented:
      return "documented";
    case Basis::kDecision:
      return "decision";
    case Basis::kPreference:
      return "preference";
  }
  return "documented";
}

const std::vector<Rule>& rule_catalog() {
  static const std::vector<Rule> kRules = {
      rule("STREAM-ORD-001", Level::kMust, kDoc,
           "seed 000: \"The stream delivers all existing non-terminal tasks when first connected, followed "
           "by real-time updates for task creation and status changes\"",
           "ordering",
           "The stream delivers all existing non-terminal tasks when first connected, followed by real-time "
           "updates.",
           "a task stream", preexisting_first),
      rule("STREAM-ORD-002", Level::kMust, kDoc,
           "lattice-tasks.md, Task: \"statusVersion rises by exactly 1 on every accepted status change\"; "
           "seed 000: \"real-time updates for task creation and status changes\"",
           "ordering",
           "Events of one task come in version order: statusVersion never falls, and each UPDATE raises it.",
           "two events of one task on a stream", versions_rise),
      rule("STREAM-ORD-003", Level::kMust, kDoc,
           "seed 000: \"followed by real-time updates for task creation and status changes\" (one event per "
           "change)",
           "ordering", "No event is delivered twice.", "a task event", no_duplicates),
      rule("STREAM-ORD-004", Level::kMust, kDoc,
           "seed 000: \"real-time updates for task creation and status changes\"", "ordering",
           "No event arrives for a task before it was created.", "an event of a task the runner created",
           no_event_before_task),
      rule("STREAM-PRE-001", Level::kMust, kDoc,
           "seed 000: \"delivers all existing non-terminal tasks when first connected\"; lattice-tasks.md, "
           "Status values: \"Terminal: DONE_OK and DONE_NOT_OK\"",
           "ordering", "Preexisting tasks are the non-terminal ones.", "a PREEXISTING event",
           preexisting_not_terminal),
      rule("STREAM-PRE-002", Level::kMust, kDoc,
           "seed 000, excludePreexistingTasks: \"Optional flag to only include tasks created or updated "
           "after the stream is initiated, and not any previous preexisting tasks\"",
           "filters", "excludePreexistingTasks: only tasks created or updated after the stream is initiated.",
           "a stream with excludePreexistingTasks true", exclude_preexisting),
      rule("STREAM-PRE-003", Level::kMust, kDoc,
           "seed 000, excludePreexistingTasks: \"If unset or false, the stream will include any new tasks "
           "and task updates, as well as all preexisting tasks\"",
           "ordering",
           "If unset or false, the stream includes all preexisting (non-terminal) tasks that pass its "
           "filters.",
           "a task that existed when a stream opened",
           [](const RunRecord& r) {
             return settled_changes<all_preexisting>(r, "existing tasks that pass a stream's filters");
           }),
      rule("STREAM-PRE-004", Level::kShould, kDec,
           "lattice-tasks.md decisions: \"Preexisting: the snapshot is taken when the stream is registered. "
           "A task changed while the stream opens arrives exactly once as PREEXISTING or live, never lost, "
           "never twice.\"",
           "ordering",
           "A task changed while the stream opens arrives exactly once, as PREEXISTING or live: never lost, "
           "never twice.",
           "a hand-over as a stream opened", changed_while_opening_once),
      rule("STREAM-RL-001", Level::kMust, kDoc,
           "seed 000, rateLimit: \"The time interval, in milliseconds, after an update for a given task "
           "before another one will be sent for the same task\"",
           "rate limits",
           "rateLimit: the time after an update for a given task before another one will be sent for the "
           "same task.",
           "two UPDATEs of one task on a rate-limited stream", rate_spacing),
      rule(
          "STREAM-RL-002", Level::kMust, kDoc,
          "lattice-tasks.md, stream tasks: \"later updates inside the window are coalesced and the latest "
          "one goes out when the window ends (trailing edge)\"; worked example: \"send 900's state at 1000\"",
          "rate limits",
          "Updates inside a window are coalesced: the latest state goes out when the window ends; none is "
          "lost.",
          "a change watched for one window after it",
          [](const RunRecord& r) {
            return settled_changes<trailing_latest>(r, "changes of tasks that pass a stream's filters");
          }),
      rule("STREAM-RL-003", Level::kMust, kDoc,
           "lattice-tasks.md, stream tasks: \"the first update of a task goes out at once (leading edge)\"; "
           "worked example: \"send 0 at 0 ... send 2100 at 2100\"",
           "rate limits", "The first update of a task goes out at once (leading edge).",
           "an update after a quiet window",
           [](const RunRecord& r) {
             return settled_changes<leading_edge>(r, "leading-edge updates on rate-limited streams");
           }),
      rule("STREAM-RL-004", Level::kMust, kDoc,
           "lattice-tasks.md, stream tasks: \"It limits UPDATE events per task only\"", "rate limits",
           "The rate limit applies to UPDATE events only; CREATED is never held.",
           "a create while a rate-limited stream is open",
           [](const RunRecord& r) {
             return settled<created_not_limited>(r, "CREATED events on rate-limited streams");
           }),
      rule("STREAM-RL-005", Level::kShould, kDec,
           "lattice-tasks.md decisions: \"Rate limit: the window is per task and is opened by every UPDATE "
           "sent, leading or trailing. CREATED and PREEXISTING events are never limited and open no window. "
           "Filters judge each update when it happens: an excluded update is not sent and does not replace a "
           "pending one\"",
           "rate limits",
           "Only UPDATEs sent open a task's window (CREATED, PREEXISTING and excluded updates do not), and "
           "an excluded update does not replace a pending one.",
           "an update after a PREEXISTING event or an excluded update",
           [](const RunRecord& r) {
             return decided_filter_cases(r, kRateWindow, "updates whose window is ours to read");
           }),
      rule("STREAM-HB-001", Level::kMust, kDoc,
           "seed 000: \"heartbeat messages are sent periodically to maintain the connection\"; "
           "heartbeatIntervalMs: \"determines the frequency at which to send heartbeat events. Defaults to "
           "30000\"",
           "heartbeats",
           "A stream that sends nothing else sends a heartbeat within heartbeatIntervalMs (default 30000) of "
           "its start.",
           "a stream watched for one interval", first_heartbeat),
      rule("STREAM-HB-002", Level::kMust, kDoc,
           "seed 000: \"heartbeat messages are sent periodically to maintain the connection\"; "
           "heartbeatIntervalMs: \"determines the frequency at which to send heartbeat events. Defaults to "
           "30000\"",
           "heartbeats",
           "While a stream sends nothing else, heartbeats arrive at least every heartbeatIntervalMs (default "
           "30000).",
           "a stream watched for one interval", idle_heartbeats),
      rule("STREAM-HB-003", Level::kShould, kDec,
           "lattice-tasks.md decisions: \"Heartbeats: due every interval from the moment the stream's "
           "response starts, whatever else is sent ... Absent or 0 means 30000\"",
           "heartbeats",
           "Heartbeats are due every heartbeatIntervalMs from the stream's start, whatever else is sent "
           "(absent or 0: 30000).",
           "a heartbeat interval with other events in it", heartbeats_whatever_else),
      rule("STREAM-FLT-001", Level::kMust, kDoc,
           "seed 000: taskType \"only returns tasks with specific types\", updateStartTime \"returns tasks "
           "which have been updated since the given time\", parentTaskId, assignee \"tasks assigned to a "
           "specific principal\", statusFilter \"(inclusive or exclusive)\"",
           "filters",
           "taskType, statusFilter, assignee, parentTaskId and updateStartTime exclude every task they do "
           "not match.",
           "a task event",
           [](const RunRecord& r) {
             return settled<no_excluded_event>(r, "task events against their stream's filters");
           }),
      rule("STREAM-FLT-002", Level::kMust, kDoc,
           "seed 000: \"followed by real-time updates for task creation and status changes\"", "filters",
           "Every creation and status change of a task that passes the filters reaches the stream.",
           "a change while a stream without rate limit was open",
           [](const RunRecord& r) {
             return settled_changes<every_change_arrives>(r, "changes that pass a stream's filters");
           }),
      rule("STREAM-FLT-003", Level::kShould, kDec,
           "lattice-tasks.md decisions: \"Principals in the assignee filter match by identity (a system's "
           "entityId, a user's userId); the other fields of the principal do not count.\"",
           "filters",
           "The assignee filter matches a principal by identity (a system's entityId, a user's userId); its "
           "other fields do not count.",
           "a task whose assignee matches the filter's by identity only",
           [](const RunRecord& r) {
             return decided_filter_cases(r, kAssigneeByIdentity,
                                         "events and changes the assignee's identity decides");
           }),
      rule("STREAM-FLT-004", Level::kShould, kDec,
           "lattice-tasks.md decisions: \"updateStartTime: a task passes when its lastUpdateTime is at or "
           "after it. statusFilter without filterType: inclusive.\"",
           "filters",
           "updateStartTime lets through a task updated exactly at that time (at or after), and a "
           "statusFilter without filterType is inclusive.",
           "a task updated at updateStartTime, or a statusFilter without filterType",
           [](const RunRecord& r) {
             return decided_filter_cases(r, kUpdateStartAndStatus,
                                         "events and changes these readings decide");
           }),
      rule("STREAM-REQ-001", Level::kMust, kDoc,
           "seed 000: rateLimit \"If set, value must be >= 250\", parentTaskId \"mutually exclusive with all "
           "other filter fields\", Errors: 400; lattice-tasks.md: taskType is \"either {taskTypeUrls:[...]} "
           "or {taskTypePrefix:...}\", timestamps \"as RFC 3339 strings\"",
           "error codes",
           "Invalid stream requests are refused with 400: rateLimit below 250, parentTaskId with another "
           "filter, both taskType forms, an updateStartTime that is not RFC 3339.",
           "an invalid stream request",
           [](const RunRecord& r) { return requests_refused(r, refused_by_documents); }),
      rule("STREAM-REQ-002", Level::kShould, kDec,
           "lattice-tasks.md decisions: \"Heartbeats: ... Absent or 0 means 30000 (proto3: 0 is unset); "
           "negative is 400.\"",
           "error codes", "A negative heartbeatIntervalMs is refused with 400.",
           "a stream request with a negative interval",
           [](const RunRecord& r) { return requests_refused(r, refused_by_decision); }),
      rule("STREAM-REQ-003", Level::kMay, kPref,
           "scenarios/README.md: \"Request bodies are strict\" (proto3 JSON parsers may be told to ignore "
           "unknown enum names)",
           "error codes",
           "A stream request naming a status or filterType the API does not have is refused with 400.",
           "a stream request with an unknown enum name",
           [](const RunRecord& r) { return requests_refused(r, refused_by_preference); }),
      rule("SSE-001", Level::kMust, kDoc,
           "seed 000: \"delivers task updates in real-time using Server-Sent Events (SSE)\" (SSE's media "
           "type is text/event-stream)",
           "framing", "Streams answer with Content-Type text/event-stream.", "a stream", event_stream_type),
      rule("SSE-002", Level::kMust, kDoc,
           "lattice-tasks.md, the official Python SDK: \"parses each event's data as JSON and picks the type "
           "by its event key; an event whose data is not valid JSON, or does not fit the type, is skipped\"",
           "framing",
           "Each event's data is a JSON object naming its kind in \"event\" (clients drop anything else "
           "silently).",
           "an event", data_is_json),
      rule("SSE-003", Level::kMust, kDoc,
           "seed 000: \"using Server-Sent Events (SSE)\"; the SSE standard dispatches an event at its blank "
           "line (one the stream ends inside of is discarded) and decodes the stream as UTF-8",
           "framing",
           "The event stream is well formed: every event ends with a blank line, and the stream is UTF-8.",
           "a stream", [](const RunRecord& r) { return framing_faults(r, true); }),
      rule("SSE-004", Level::kMay, kPref,
           "our preference, recorded nowhere: the SSE standard lets a client ignore a field it does not know",
           "framing", "The event stream carries no fields clients ignore.", "a stream",
           [](const RunRecord& r) { return framing_faults(r, false); }),
      rule("ERR-001", Level::kMust, kDoc,
           "lattice-tasks.md, Transport: \"The SDKs retry 408, 409, 429 and 5xx, so a server must never "
           "answer a client mistake with 5xx.\"",
           "error codes", "A client's mistake never gets a 5xx (SDKs retry 5xx).", "a request", no_5xx),
      rule("ERR-002", Level::kMust, kDoc,
           "seed 000, Errors: \"401 Unauthorized Error\"; lattice-tasks.md: \"Auth: Authorization: Bearer "
           "<token> on every endpoint. Missing or bad token: 401.\"",
           "error codes", "A missing or bad bearer token gets 401 on every endpoint.",
           "a request without a valid token", unauthorized_401),
      rule("ERR-003", Level::kShould, kDec,
           "lattice-tasks.md decisions: \"the JSON body {code, message} is SHOULD (the SDKs need JSON to "
           "raise their typed errors)\"",
           "error codes", "Error answers carry a JSON body {code, message}.", "a 4xx answer",
           error_body_shape),
      rule("ERR-004", Level::kMust, kDoc,
           "lattice-tasks.md: \"GET /tasks/{taskId} -> 200 Task, 404 if unknown\"; \"Documented statuses are "
           "400 (bad request), 401 (unauthorized), 404 (not found)\"",
           "error codes", "An unknown task gets 404.", "a well-formed request for an unknown task",
           unknown_task_404),
      rule("ERR-005", Level::kShould, kDec,
           "lattice-tasks.md decisions: \"405, 409, 413 and 415 are SHOULD\"; POST /tasks: \"Duplicate id: "
           "undocumented (409 is the sane answer; make it a rule at SHOULD)\"",
           "error codes", "Creating a task with an existing taskId gets 409.", "a create of an existing id",
           duplicate_409),
      rule("TASK-VER-001", Level::kMust, kDoc,
           "lattice-tasks.md, Task: \"statusVersion rises by exactly 1 on every accepted status change\"",
           "task semantics", "statusVersion rises by exactly 1 on every accepted status change.",
           "an accepted status update", version_plus_one),
      rule("TASK-VER-002", Level::kMust, kDoc,
           "lattice-tasks.md, Task: \"Status update with a stale statusVersion: the public docs contradict "
           "each other (ignored vs rejected) ... conformance checks that the task does not change\"",
           "task semantics",
           "A status update with a stale (older) statusVersion leaves the task unchanged (rejected or "
           "ignored).",
           "a stale status update", stale_unchanged),
      rule("TASK-TERM-001", Level::kMust, kDoc,
           "lattice-tasks.md, Status values: \"Terminal: DONE_OK and DONE_NOT_OK (no change is accepted "
           "after them)\"",
           "task semantics", "Terminal statuses (DONE_OK, DONE_NOT_OK) accept no change.",
           "a change asked of a terminal task", terminal_immutable),
      rule("TASK-CANCEL-001", Level::kMust, kDoc,
           "lattice-tasks.md, Task: \"Cancel before the task was sent to its agent: task goes to DONE_NOT_OK "
           "with taskError.code = ERROR_CODE_CANCELLED\"",
           "task semantics",
           "Cancelling a task before it was sent ends it: DONE_NOT_OK with ERROR_CODE_CANCELLED.",
           "a cancel of a CREATED or SCHEDULED_IN_MANAGER task no agent was handed",
           [](const RunRecord& r) { return cancel_before_sent(r, false); }),
      rule("TASK-CANCEL-002", Level::kMust, kDoc,
           "lattice-tasks.md, Task: \"After it was sent: the agent receives a cancel request ... and the "
           "task shows CANCEL_REQUESTED until the agent reports a terminal status\"",
           "task semantics",
           "Cancelling a task after it was sent asks its agent: the task shows CANCEL_REQUESTED.",
           "a cancel of a sent task", cancel_after_sent),
      rule("TASK-CANCEL-003", Level::kMay, kPref,
           "our reading, recorded in no decision: \"sent\" means handed over (scenarios/README.md, "
           "Hand-over), not the status a client gave the task",
           "task semantics",
           "A task no agent was handed counts as unsent whatever status a client gave it: cancelling it ends "
           "it (DONE_NOT_OK, ERROR_CODE_CANCELLED).",
           "a cancel of a task a client moved past SCHEDULED_IN_MANAGER, never handed over",
           [](const RunRecord& r) { return cancel_before_sent(r, true); }),
      rule("TASK-QUERY-001", Level::kMust, kDoc,
           "lattice-tasks.md, Task: \"Every task appears exactly once across the pages of one query even "
           "while tasks change.\"",
           "task semantics", "Every task appears at most once across the pages of one query.",
           "a second page", query_pages_once),
      rule("AGENT-001", Level::kMust, kDoc,
           "lattice-tasks.md: \"Delivery to agents: a task whose relations.assignee is a system principal "
           "with an entityId, and whose isExecutedElsewhere is false, is queued for that agent.\"",
           "agents",
           "Requests go to the agent the task is assigned to, and never for a task executed elsewhere.",
           "a hand-over", handover_to_assignee),
      rule("AGENT-003", Level::kMust, kDoc,
           "lattice-tasks.md: \"After it was sent: the agent receives a cancel request (over /agent/listen "
           "or /agent/stream)\"; /agent/listen \"answers at once when a request for one of those agents is "
           "waiting\"",
           "agents", "After a sent task is cancelled, its agent receives a cancel request for it.",
           "a cancel request received, or an agent queue run dry after a cancel", cancel_reaches_agent),
      rule("AGENT-002", Level::kShould, kDec,
           "lattice-tasks.md decisions: \"Hand-over moving a task to STATUS_SENT: SHOULD (our reading)\"",
           "agents", "Handing a task to its agent moves it to STATUS_SENT.", "a hand-over", handover_sent),
      rule("MC-001", Level::kMust, kDoc,
           "lattice-tasks.md, POST /tasks/{taskId}/manual-control/stream: \"ends when the task reaches a "
           "terminal status\"",
           "agents", "A manual-control stream ends when its task reaches a terminal status.",
           "a terminal status while a manual-control stream is open", manual_control_ends),
      rule("MC-002", Level::kMay, kPref,
           "scenarios/README.md: \"Manual-control frames of a task must rise in (epochMicros, sequence)\"; "
           "neither seed 001 nor the notes say so",
           "agents", "Manual-control frames arrive in (epoch, sequence) order.", "a frame", frames_in_order),
      rule("LATENCY-001", Level::kShould, kDec,
           "design.md, \"Real time: latency is not a verdict\": absolute times are judged only against a latency "
           "budget the user sets (--max-latency-ms, default 1000); with the test clock the budget is 0",
           "latency",
           "Every task event arrives within the latency budget of the request that caused it.",
           "a task event on a stream without a rate limit whose cause the runner sent", latency_within_budget),
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
