#include "fuzz/generator.h"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <unordered_map>

#include <rapidcheck.h>
#include <rapidcheck/state.h>

namespace th::fuzz {
namespace {

using json = nlohmann::json;

constexpr int64_t kListenHoldMs = 2000;
constexpr int64_t kQueryPageSize = 3;
const std::vector<std::string> kAgents = {"agent-1", "agent-2"};
const std::vector<std::string> kTypes = {"type.googleapis.com/anduril.tasks.v2.Investigate",
                                         "type.googleapis.com/anduril.tasks.v2.VisualId",
                                         "type.googleapis.com/example.Survey"};
const std::vector<std::string> kPrefixes = {"type.googleapis.com/anduril.tasks.v2.", "type.googleapis.com/example."};
// The statuses an update may ask for; then the ones only the service sets.
const std::vector<std::string> kStatuses = {
    "STATUS_CREATED", "STATUS_SCHEDULED_IN_MANAGER", "STATUS_SENT",          "STATUS_MACHINE_RECEIPT",
    "STATUS_ACK",     "STATUS_WILCO",                "STATUS_EXECUTING",     "STATUS_WAITING_FOR_UPDATE",
    "STATUS_DONE_OK", "STATUS_DONE_NOT_OK",          "STATUS_REPLACED",      "STATUS_COMPLETE_REQUESTED",
    "STATUS_CANCEL_REQUESTED"};
constexpr int kAskable = 12;  // kStatuses[0, 12) may be asked for
enum Status : uint8_t { kCreated = 0, kScheduled = 1, kSent = 2, kDoneOk = 8, kDoneNotOk = 9, kCancelRequested = 12 };

bool terminal(int s) { return s == kDoneOk || s == kDoneNotOk; }
std::string task_name(int n) { return n < 0 ? "fz-unknown" : "fz-" + std::to_string(n); }

// What a client knows of one task it created.
struct KnownTask {
  int64_t version = 1;
  uint8_t status = kCreated;
  int8_t agent = -1;    // a system assignee that gets execute requests
  bool handed = false;  // given to an agent
  bool exists = false;  // a gap: its create was shrunk away
};

// The generator's state: what the clients did and can know, and the time. RapidCheck
// copies it for every command it draws, so it is flat: tasks are numbered (fz-N).
struct Model {
  int64_t t_ms = 0;
  int next_stream = 0;
  int next_query = 0;
  std::vector<KnownTask> tasks;  // by number (fz-N)
  std::vector<int> streams;      // open
  std::vector<int> queries;
  std::array<std::vector<int>, 2> queued;          // per agent: tasks waiting for it
  std::array<std::vector<int64_t>, 2> held_until;  // per agent: held listens' ends

  bool has_task(int n) const { return n >= 0 && n < static_cast<int>(tasks.size()) && tasks[n].exists; }
  bool has_stream(int n) const { return std::find(streams.begin(), streams.end(), n) != streams.end(); }
  void expire_listens() {
    for (auto& ends : held_until) std::erase_if(ends, [&](int64_t end) { return end <= t_ms; });
  }
  // The notes' hand-over: a CREATED or SCHEDULED_IN_MANAGER task moves to SENT.
  void hand_over(int n) {
    KnownTask& k = tasks.at(n);
    k.handed = true;
    if (k.status == kCreated || k.status == kScheduled) {
      k.status = kSent;
      ++k.version;
    }
  }
};

// Where the steps go: the scenario being written.
struct Builder {
  json steps = json::array();
  void add(const Model& m, json step) {
    step["at_ms"] = m.t_ms;
    steps.push_back(std::move(step));
  }
};

using Cmd = rc::state::Command<Model, Builder>;

template <typename T>
const T& pick(const std::vector<T>& v) {
  return v.at(*rc::gen::inRange<size_t>(0, v.size()));
}

int pick_task(const Model& m) {
  return m.tasks.empty() ? -1 : *rc::gen::inRange<int>(0, static_cast<int>(m.tasks.size()));
}

struct Advance : Cmd {
  int64_t gap_ms = *rc::gen::weightedOneOf<int64_t>({{4, rc::gen::inRange<int64_t>(1, 300)},
                                                     {3, rc::gen::inRange<int64_t>(300, 3000)},
                                                     {1, rc::gen::inRange<int64_t>(3000, 40000)}});
  void apply(Model& m) const override {
    m.t_ms += gap_ms;
    m.expire_listens();
  }
  void run(const Model&, Builder&) const override {}  // time passes between steps
  void show(std::ostream& os) const override { os << "advance " << gap_ms << " ms"; }
};

struct Create : Cmd {
  int n;
  json body;
  int8_t agent = -1;
  explicit Create(const Model& m) : n(static_cast<int>(m.tasks.size())) {
    body = {{"taskId", task_name(n)}};
    if (*rc::gen::inRange(0, 10) < 7) body["specification"] = {{"@type", pick(kTypes)}};
    if (*rc::gen::inRange(0, 10) < 4) {
      const int8_t who = static_cast<int8_t>(*rc::gen::inRange(0, 2));
      body["relations"]["assignee"] = {{"system", {{"entityId", kAgents[who]}}}};
      if (*rc::gen::inRange(0, 10) < 2) {
        body["isExecutedElsewhere"] = true;
      } else {
        agent = who;
      }
    }
    if (!m.tasks.empty() && *rc::gen::inRange(0, 10) < 2) body["relations"]["parentTaskId"] = task_name(pick_task(m));
  }
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.has_task(n)); }
  void apply(Model& m) const override {
    if (n >= static_cast<int>(m.tasks.size())) m.tasks.resize(n + 1);
    m.tasks[n] = KnownTask{};
    m.tasks[n].exists = true;
    m.tasks[n].agent = agent;
    if (agent < 0) return;
    auto& held = m.held_until[agent];
    if (!held.empty()) {
      held.erase(held.begin());
      m.hand_over(n);
    } else {
      m.queued[agent].push_back(n);
    }
  }
  void run(const Model& m, Builder& b) const override {
    b.add(m, {{"client", "op"}, {"do", "create_task"}, {"body", body}});
  }
  void show(std::ostream& os) const override { os << "create " << body.dump(); }
};

struct CreateDuplicate : Cmd {
  int n;
  explicit CreateDuplicate(const Model& m) : n(pick_task(m)) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(m.has_task(n)); }
  void run(const Model& m, Builder& b) const override {
    b.add(m, {{"client", "op"}, {"do", "create_task"}, {"body", {{"taskId", task_name(n)}}}});
  }
  void show(std::ostream& os) const override { os << "create again " << task_name(n); }
};

enum class UpdateKind { kValid, kStale, kInvalid, kUnknownTask };

struct UpdateStatus : Cmd {
  int n;
  UpdateKind kind = *rc::gen::weightedOneOf<UpdateKind>({{14, rc::gen::just(UpdateKind::kValid)},
                                                         {3, rc::gen::just(UpdateKind::kStale)},
                                                         {2, rc::gen::just(UpdateKind::kInvalid)},
                                                         {1, rc::gen::just(UpdateKind::kUnknownTask)}});
  uint8_t status = static_cast<uint8_t>(*rc::gen::inRange(0, kAskable));
  int64_t stale_by = *rc::gen::inRange<int64_t>(1, 3);
  explicit UpdateStatus(const Model& m) : n(pick_task(m)) {
    if (kind == UpdateKind::kUnknownTask) n = -1;
  }
  void checkPreconditions(const Model& m) const override { RC_PRE(kind == UpdateKind::kUnknownTask || m.has_task(n)); }
  void apply(Model& m) const override {
    if (kind != UpdateKind::kValid) return;
    KnownTask& k = m.tasks.at(n);
    if (terminal(k.status)) return;  // refused
    k.status = status;
    ++k.version;
  }
  void run(const Model& m, Builder& b) const override {
    const int64_t known = n < 0 ? 1 : m.tasks.at(n).version;
    json body = {{"statusVersion", kind == UpdateKind::kStale ? known - stale_by : known},
                 {"newStatus", {{"status", kind == UpdateKind::kInvalid ? "STATUS_INVALID" : kStatuses[status]}}}};
    b.add(m, {{"client", "op"}, {"do", "update_status"}, {"task_id", task_name(n)}, {"body", body}});
  }
  void show(std::ostream& os) const override { os << "update " << task_name(n) << " to " << kStatuses[status]; }
};

struct Cancel : Cmd {
  int n;
  explicit Cancel(const Model& m) : n(pick_task(m)) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(m.has_task(n)); }
  void apply(Model& m) const override {
    KnownTask& k = m.tasks.at(n);
    if (terminal(k.status) || k.status == kCancelRequested) return;
    k.status = k.handed ? kCancelRequested : kDoneNotOk;
    ++k.version;
  }
  void run(const Model& m, Builder& b) const override {
    b.add(m, {{"client", "op"}, {"do", "cancel_task"}, {"task_id", task_name(n)}});
  }
  void show(std::ostream& os) const override { os << "cancel " << task_name(n); }
};

struct Get : Cmd {
  int n;
  int who = *rc::gen::inRange(0, 12);  // now and then without a token, or a wrong one
  explicit Get(const Model& m) : n(*rc::gen::inRange(0, 5) == 0 ? -1 : pick_task(m)) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(n < 0 || m.has_task(n)); }
  void run(const Model& m, Builder& b) const override {
    const char* client = who == 0 ? "anonymous" : who == 1 ? "intruder" : "op";
    b.add(m, {{"client", client}, {"do", "get_task"}, {"task_id", task_name(n)}});
  }
  void show(std::ostream& os) const override { os << "get " << task_name(n); }
};

json status_filter() {
  json statuses = json::array();
  const int n = *rc::gen::inRange(1, 4);
  for (int i = 0; i < n; ++i) statuses.push_back(kStatuses[*rc::gen::inRange(0, kAskable)]);
  return {{"statuses", statuses},
          {"filterType", *rc::gen::element<std::string>("FILTER_TYPE_INCLUSIVE", "FILTER_TYPE_EXCLUSIVE")}};
}

struct Query : Cmd {
  int n;
  int continues = -1;  // an earlier query whose next page this asks
  json body = json::object();
  explicit Query(const Model& m) : n(m.next_query) {
    if (!m.queries.empty() && *rc::gen::inRange(0, 2) == 0) {
      continues = pick(m.queries);
    } else if (*rc::gen::inRange(0, 3) == 0) {
      body["statusFilter"] = status_filter();
    }
  }
  void checkPreconditions(const Model& m) const override {
    RC_PRE(continues < 0 || std::find(m.queries.begin(), m.queries.end(), continues) != m.queries.end());
  }
  void apply(Model& m) const override {
    m.next_query = std::max(m.next_query, n + 1);
    m.queries.push_back(n);
  }
  void run(const Model& m, Builder& b) const override {
    json step = {{"id", "q" + std::to_string(n)}, {"client", "op"}, {"do", "query_tasks"}, {"body", body}};
    if (continues >= 0) step["page_token_from"] = "q" + std::to_string(continues);
    b.add(m, std::move(step));
  }
  void show(std::ostream& os) const override { os << "query q" << n << " " << continues << body.dump(); }
};

// A stream request with random options, now and then an invalid one (`valid` false).
json stream_body(const Model& m, bool& valid) {
  json b = json::object();
  valid = true;
  const int r = *rc::gen::inRange(0, 20);
  if (r < 6) b["rateLimit"] = *rc::gen::inRange<int64_t>(250, 2500);
  if (r == 6) {
    b["rateLimit"] = *rc::gen::inRange<int64_t>(1, 250);  // below the floor: 400
    valid = false;
  }
  if (*rc::gen::inRange(0, 2) == 0) b["heartbeatIntervalMs"] = *rc::gen::inRange<int64_t>(200, 6000);
  if (*rc::gen::inRange(0, 4) == 0) b["excludePreexistingTasks"] = true;
  if (*rc::gen::inRange(0, 5) == 0) b["statusFilter"] = status_filter();
  const int t = *rc::gen::inRange(0, 8);
  if (t == 0) b["taskType"] = {{"taskTypeUrls", json::array({pick(kTypes)})}};
  if (t == 1) b["taskType"] = {{"taskTypePrefix", pick(kPrefixes)}};
  if (*rc::gen::inRange(0, 8) == 0) b["assignee"] = {{"system", {{"entityId", pick(kAgents)}}}};
  if (!m.tasks.empty() && *rc::gen::inRange(0, 10) == 0) {
    // Alone it selects children; with another filter it is refused (400).
    if (*rc::gen::inRange(0, 2) == 0) b = json::object();
    valid = valid && b.empty();
    b["parentTaskId"] = task_name(pick_task(m));
  }
  return b;
}

struct OpenStream : Cmd {
  int n;
  bool valid = true;
  json body;
  explicit OpenStream(const Model& m) : n(m.next_stream), body(stream_body(m, valid)) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.has_stream(n)); }
  void apply(Model& m) const override {
    m.next_stream = std::max(m.next_stream, n + 1);
    if (valid) m.streams.push_back(n);  // a refused one cannot be closed
  }
  void run(const Model& m, Builder& b) const override {
    b.add(m, {{"client", "watch"}, {"do", "open_stream"}, {"stream", "s" + std::to_string(n)}, {"body", body}});
  }
  void show(std::ostream& os) const override { os << "open s" << n << " " << body.dump(); }
};

struct CloseStream : Cmd {
  int n;
  explicit CloseStream(const Model& m) : n(m.streams.empty() ? -1 : pick(m.streams)) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(m.has_stream(n)); }
  void apply(Model& m) const override { std::erase(m.streams, n); }
  void run(const Model& m, Builder& b) const override {
    b.add(m, {{"do", "close_stream"}, {"stream", "s" + std::to_string(n)}});
  }
  void show(std::ostream& os) const override { os << "close s" << n; }
};

struct Listen : Cmd {
  int agent = *rc::gen::inRange(0, 2);
  void apply(Model& m) const override {
    auto& q = m.queued[agent];
    std::erase_if(q, [&](int n) { return terminal(m.tasks.at(n).status); });  // withdrawn
    if (q.empty()) {
      m.held_until[agent].push_back(m.t_ms + kListenHoldMs);
      return;
    }
    m.hand_over(q.front());
    q.erase(q.begin());
  }
  void run(const Model& m, Builder& b) const override {
    b.add(m, {{"client", "agent"}, {"do", "agent_listen"}, {"body", {{"agentSelector", {{"entityIds", {kAgents[agent]}}}}}}});
  }
  void show(std::ostream& os) const override { os << "listen " << kAgents[agent]; }
};

// Weights by repetition: updates and time gaps are the bulk of a real workload.
auto command_gen(const Model& m) {
  return rc::state::gen::execOneOfWithArgs<Advance, Advance, Advance, Create, Create, UpdateStatus, UpdateStatus,
                                           UpdateStatus, UpdateStatus, Cancel, Get, Query, OpenStream, OpenStream,
                                           CloseStream, Listen, CreateDuplicate>()(m);
}

rc::Gen<rc::state::Commands<Cmd>> workload_gen() { return rc::state::gen::commands(Model{}, command_gen); }

json to_scenario(const rc::state::Commands<Cmd>& cmds, const std::string& name, bool default_server = false) {
  Model m;
  Builder b;
  for (const auto& c : cmds) {
    c->run(m, b);
    c->apply(m);
  }
  if (b.steps.empty()) b.add(m, {{"do", "advance"}});  // a scenario has at least one step
  json doc = {{"format", 1},
          {"name", name},
          {"title", "a generated workload"},
          {"description", "Written by the workload generator; judged by every rule, with no scripted expectations."},
          {"rules", json::array({"*"})},
          {"server", {{"listen_hold_ms", kListenHoldMs}, {"query_page_size", kQueryPageSize}}},
          {"clients",
           {{"op", {{"token", "tok-op"}}},
            {"watch", {{"token", "tok-watch"}}},
            {"agent", {{"token", "tok-agent"}}},
            {"anonymous", json::object()},
            {"intruder", {{"token", "tok-intruder"}, {"authorized", false}}}}},
          {"steps", b.steps},
          // Room after the last step for windows to close and holds to end.
          {"end_ms", m.t_ms + 3000}};
  if (!default_server) return doc;
  doc.erase("server");
  // On a shared server a listen left held would take the next run's tasks and skew the
  // runner's count of held listens: run until the default hold (300 s) has ended.
  int64_t last_listen_ms = -1;
  for (const auto& st : b.steps) {
    if (st["do"] == "agent_listen") last_listen_ms = st["at_ms"].get<int64_t>();
  }
  if (last_listen_ms >= 0) doc["end_ms"] = std::max(doc["end_ms"].get<int64_t>(), last_listen_ms + 301'000);
  return doc;
}

struct Quiet : rc::detail::TestListener {
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

}  // namespace

std::string scenario_file_text(const json& scenario) {
  std::string out = "{\n";
  bool first = true;
  for (const auto& [key, value] : scenario.items()) {
    out += first ? "" : ",\n";
    first = false;
    out += "  " + json(key).dump() + ": ";
    if (key != "steps" || value.empty()) {
      out += value.dump();
      continue;
    }
    out += "[\n";
    for (size_t i = 0; i < value.size(); ++i) out += "    " + value[i].dump() + (i + 1 < value.size() ? ",\n" : "\n");
    out += "  ]";
  }
  return out + "\n}\n";
}

// The steps a command adds (Advance adds none: it moves the clock).
size_t steps_of(const rc::state::Commands<Cmd>& cmds) {
  size_t n = 0;
  for (const auto& c : cmds) n += dynamic_cast<const Advance*>(c.get()) == nullptr;
  return n;
}

json generate_scenario(uint64_t seed, int max_steps) {
  // RapidCheck draws a sequence's length at random; a workload of exactly max_steps
  // steps is drawn in segments instead, each from the state the previous one left
  // (so the whole stays one consistent workload), then cut to length.
  rc::state::Commands<Cmd> cmds;
  Model state;
  for (uint64_t segment = 0; steps_of(cmds) < static_cast<size_t>(max_steps) && segment < 64; ++segment) {
    const int want = max_steps - static_cast<int>(steps_of(cmds));
    // exec gives the commands the context they draw their fields in.
    const auto gen = rc::gen::exec([&state] { return *rc::state::gen::commands(state, command_gen); });
    const auto more = gen(rc::Random(seed + segment * 0x9E3779B97F4A7C15ULL), 2 * want).value();
    for (const auto& c : more) c->apply(state);
    cmds.insert(cmds.end(), more.begin(), more.end());
  }
  json doc = to_scenario(cmds, "FUZZ-" + std::to_string(seed));
  auto& steps = doc["steps"];
  if (steps.size() > static_cast<size_t>(max_steps)) {
    steps.erase(steps.begin() + max_steps, steps.end());
    doc["end_ms"] = steps.back()["at_ms"].get<int64_t>() + 3000;
  }
  return doc;
}

FuzzResult fuzz(const FuzzOptions& options, const CaseCheck& check) {
  FuzzResult out;
  const std::string name = "FUZZ-" + std::to_string(options.seed);
  auto property = [&](const rc::state::Commands<Cmd>& cmds) {
    json doc = to_scenario(cmds, name, options.default_server);
    std::vector<std::string> failures = check(doc);
    ++out.cases;
    if (failures.empty()) {
      if (!out.failed) ++out.passed;
      return;
    }
    // RapidCheck adopts every failing candidate while shrinking, so the last failing
    // one is the smallest it found.
    out.failed = true;
    out.scenario = std::move(doc);
    out.failures = std::move(failures);
    RC_FAIL(out.failures.front());
  };
  rc::detail::TestParams params;
  params.seed = options.seed;
  params.maxSuccess = options.runs;
  params.maxSize = options.max_steps;
  params.disableShrinking = !options.shrink;
  rc::detail::TestMetadata meta;
  meta.id = name;
  Quiet listener;  // the verdict and the reproduction are ours to print
  const std::unordered_map<std::string, rc::detail::Reproduce> no_reproduce;  // not RC_PARAMS: the seed is ours
  const auto result = rc::detail::checkProperty(rc::detail::toProperty([&] { property(*workload_gen()); }), meta,
                                                params, listener, no_reproduce);
  rc::detail::Error error;
  if (result.match(error)) out.error = error.description;
  rc::detail::GaveUpResult gave_up;
  if (result.match(gave_up)) out.error = "gave up: " + gave_up.description;
  return out;
}

}  // namespace th::fuzz
