#include "conformance/live_player.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "conformance/checked_json.h"
#include "conformance/ingest.h"
#include "conformance/isolate.h"
#include "conformance/limits.h"
#include "scenarios/format/expect.h"
#include "scenarios/format/strict_json.h"
#include "scenarios/format/timefmt.h"
#include "scenarios/format/wire.h"

namespace th::conform {
namespace {

using json = nlohmann::json;

// Test-only extensions a target was found not to have, by target URL: found once, at
// the first step that needed one, and every later scenario that needs it is skipped
// before it starts (a missing extension is never a failure of the target).
class MissingExtensions {
 public:
  void add(const std::string& target, const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    missing_[target] = what;
  }
  std::string find(const std::string& target) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = missing_.find(target);
    return it == missing_.end() ? "" : it->second;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> missing_;
};

MissingExtensions& missing_frames_extension() {
  static MissingExtensions m;
  return m;
}

constexpr const char* kFramesExtension = "POST /_harness/tasks/{taskId}/manual-control/frames";

bool needs_frames_extension(const Scenario& sc) {
  for (const Step& s : sc.steps) {
    if (s.action == "manual_control_frame") return true;
  }
  return false;
}

struct PlayError {
  std::string reason;
};

json parse_or_text(const std::string& body) { return ingest_text(body).value; }

// "7" as the test clock's X-Harness-Now-Ms sends it; nullopt for anything else.
std::optional<int64_t> ms_header(const std::string& v) {
  if (v.empty() || v.size() > 18 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(v);
}

struct LiveStream {
  std::unique_ptr<StreamReader> reader;
  std::string server_id;  // X-Harness-Stream-Id
  bool closed_by_client = false;
  ObservedStream seen;
  size_t record = 0;  // index in RunRecord::streams
};

struct PendingListen {
  const Step* step;
  std::unique_ptr<AsyncExchange> call;
  Request request;
  int64_t sent_ms = 0;
};

class LivePlayer {
 public:
  LivePlayer(const Scenario& sc, const Target& t, const PlayOptions& o) : sc_(sc), target_(t), options_(o) {
    if (options_.request_deadline_ms <= 0) options_.request_deadline_ms = limits().request_ms_max;
  }

  ScenarioRun run() {
    ScenarioRun out;
    const int64_t t0 = clock_.now_us();
    try {
      play();
      out.failures = failures_;
      out.findings = findings_;
      out.verdict = failures_.empty() ? Verdict::kPass : Verdict::kFail;
      if (!throttled_.empty()) {
        // A throttled server did not show its behaviour: nothing here can be judged.
        out.verdict = Verdict::kInconclusive;
        out.reason = throttled_;
      }
    } catch (const PlayError& e) {
      out.verdict = e.reason.rfind("skip: ", 0) == 0 ? Verdict::kSkip : Verdict::kError;
      out.reason = out.verdict == Verdict::kSkip ? e.reason.substr(6) : e.reason;
    } catch (const std::exception& e) {
      // The runner's own bug, never the target's verdict: still cleaned up and reported.
      out.verdict = Verdict::kError;
      out.internal_error = true;
      out.reason = "internal error of the runner: " + shown(e.what(), 300);
    }
    for (auto& [name, s] : streams_) s.reader->close();
    for (auto& l : listens_) l.call->cancel();
    out.wire = wire();
    if (const std::string left = cleanup(); !left.empty()) out.reason += (out.reason.empty() ? "" : "; ") + left;
    const std::string& tag = options_.isolation_tag;
    for (auto& [name, st] : streams_) {
      ObservedStream o = st.seen;
      for (json& m : o.messages) {
        auto id = m.find("taskId");
        if (!tag.empty() && id != m.end() && id->is_string() && id->get_ref<const std::string&>().rfind(tag, 0) == 0) {
          *id = id->get<std::string>().substr(tag.size());
        }
      }
      out.observed.emplace(name, std::move(o));
    }
    out.wall_ms = (clock_.now_us() - t0) / 1000;
    rec_.scenario = sc_.name;
    rec_.end_ms = real_ ? sc_.end_ms : now_rel_ms_;
    out.record = std::move(rec_);
    return out;
  }

 private:
  void play() {
    for (const Step& s : sc_.steps) {
      if (s.action == "stall_stream" || s.action == "resume_stream") {
        // A real server's socket buffers take what the model keeps in its bounded
        // queue, so a stalled client cannot be staged exactly over the network.
        throw PlayError{"skip: " + s.action + " needs the simulator (socket buffers hide a real server's queue)"};
      }
    }
    if (needs_frames_extension(sc_)) {
      if (const std::string why = missing_frames_extension().find(target_.url()); !why.empty()) {
        throw PlayError{"skip: the target lacks the test extension " + std::string(kFramesExtension) + " (" + why + ")"};
      }
    }
    real_ = options_.force_real_time || !has_test_clock();
    if (real_ && sc_.needs_test_clock) {
      throw PlayError{"skip: the scenario needs the test clock (" + sc_.needs_test_clock_why + ")"};
    }
    if (real_ && sc_.end_ms > options_.max_real_ms) {
      throw PlayError{"skip: needs " + std::to_string(sc_.end_ms / 1000) +
                      " s of real time (the target has no test clock; --max-real-ms raises the bound)"};
    }
    base_ms_ = real_ ? server_time_now() : clock_now_ms();
    t0_us_ = clock_.now_us();
    rec_.virtual_time = !real_;
    rec_.tolerance_ms = tol();
    const int64_t shift = base_ms_ - sc_.server.start_time_ms;
    if (!options_.isolation_tag.empty() || shift != 0) {
      std::string why;
      auto iso = isolate(sc_, options_.isolation_tag, shift, why);
      if (!iso) throw PlayError{"skip: " + why};
      sc_ = std::move(iso->scenario);
      if (!options_.isolation_tag.empty()) own_ = std::move(iso->task_ids);
    }
    for (const Step& s : sc_.steps) {
      if (options_.interrupted && options_.interrupted->load()) throw PlayError{"interrupted"};
      check_scenario_time();
      advance_to(s.at_ms);
      run_step(s);
      sync();
    }
    advance_to(sc_.end_ms);
    if (real_) std::this_thread::sleep_for(std::chrono::milliseconds(tol()));  // what fell due arrives
    sync();
    for (auto& p : listens_) {
      if (p.step->expect) failures_.push_back(p.step->path + ": expected an answer, but the listen was still held at end_ms");
    }
    std::map<std::string, ObservedStream> seen;
    for (auto& [name, st] : streams_) seen.emplace(name, st.seen);
    for (auto& f : check_streams(sc_, seen, real_)) note(std::move(f));
  }

  int64_t tol() const { return real_ ? options_.tolerance_ms : 0; }

  // Each wait has its deadline, but a target that answers every one just before it
  // could still hold a long scenario for hours: the scenario as a whole has one too.
  void check_scenario_time() const {
    const int64_t max_ms = limits().scenario_ms_max;
    if (clock_.now_us() - started_us_ > max_ms * 1000) {
      throw PlayError{"the scenario took longer than " + std::to_string(max_ms) + " ms (--max-scenario-ms)"};
    }
  }

  // A MUST expectation that failed fails the scenario; one that encodes a decision or a
  // preference is a finding at its level (design.md, "Levels").
  void note(ExpectFailure f) {
    if (f.level == ExpectLevel::kMust) {
      failures_.push_back(std::move(f.text));
    } else {
      findings_.push_back(std::move(f));
    }
  }

  // Scenario time now: the test clock's, or the wall clock's since the start.
  int64_t now_ms() const { return real_ ? (clock_.now_us() - t0_us_) / 1000 : now_rel_ms_; }

  bool has_test_clock() {
    Exchange ex = call({"GET", "/_harness/clock", "", "", harness_auth()});
    return ex.status != 404;
  }

  // The server's own time, in ms, from a heartbeat on a stream that matches nothing:
  // scenario timestamps are moved to the server's clock, never the runner's.
  int64_t server_time_now() {
    Request r{"POST", "/api/v1/tasks/stream",
              R"({"heartbeatIntervalMs":1,"parentTaskId":"~"})",  // small: some servers bound bodies
              "application/json", harness_auth()};
    StreamReader probe(target_, clock_, r, false);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.request_deadline_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& e : probe.take_events()) {
        const JsonText data = read_json(e.event.data, limits().json_depth_max);
        const std::optional<std::string> stamp = data.value ? string_at(*data.value, {"timestamp"}) : std::nullopt;
        if (auto ms = stamp ? parse_rfc3339(*stamp) : std::nullopt) {
          return *ms + (clock_.now_us() - e.at_us) / 1000;  // as of now
        }
      }
      if (const std::string why = probe.problem(); !why.empty()) {
        throw PlayError{"reading the target's clock from a heartbeat: " + why};
      }
      if (probe.ended()) break;
      probe.wait_bytes(probe.bytes() + 1, 100);
    }
    const std::string why = probe.error();
    throw PlayError{"the target sent no heartbeat on a 1 ms stream (status " + std::to_string(probe.status()) +
                    (why.empty() ? "" : ", " + why) + "): its clock cannot be read"};
  }

  // Leaves a shared server as it was found, as far as the API allows: every task the
  // run created and did not finish is cancelled (best effort, errors ignored), within
  // one request deadline in all; a target that stops answering is left alone. Returns
  // what could not be cancelled ("" when all was).
  std::string cleanup() {
    if (options_.isolation_tag.empty() || created_.empty()) return "";
    std::string auth;
    try {
      auth = harness_auth();
    } catch (const PlayError&) {
      return "";
    }
    const int64_t until_us = clock_.now_us() + options_.request_deadline_ms * 1000;
    size_t done = 0;
    for (const auto& id : created_) {
      const int64_t left_ms = (until_us - clock_.now_us()) / 1000;
      if (left_ms <= 0) break;
      const Exchange ex = exchange(target_, clock_, {"PUT", "/api/v1/tasks/" + id + "/cancel", "{}", "application/json", auth},
                                   std::min(left_ms, options_.request_deadline_ms));
      if (ex.status == 0) break;  // not answering: the rest would wait for nothing
      ++done;
    }
    if (done == created_.size()) return "";
    return std::to_string(created_.size() - done) + " of the " + std::to_string(created_.size()) +
           " tasks the run created could not be cancelled (the target did not answer within " +
           std::to_string(options_.request_deadline_ms) + " ms)";
  }

  std::string harness_auth() const {
    for (const auto& [name, c] : sc_.clients) {
      if (c.authorized && !c.token.empty()) return options_.authorization.at(name);
    }
    throw PlayError{"skip: the scenario has no authorized client to drive the test clock"};
  }

  Exchange call(const Request& r) {
    Exchange ex = exchange(target_, clock_, r, options_.request_deadline_ms);
    if (ex.status == 0) throw PlayError{r.method + " " + r.path + ": " + ex.error};
    return ex;
  }

  int64_t clock_now_ms() {
    Exchange ex = call({"GET", "/_harness/clock", "", "", harness_auth()});
    const Ingested j = ingest_text(ex.body);
    const std::optional<int64_t> now = int_at(j.value, {"nowMs"});
    if (ex.status != 200 || string_at(j.value, {"mode"}) != "virtual" || !now) {
      throw PlayError{"GET /_harness/clock answered " + std::to_string(ex.status) + " with " + shown(ex.body) +
                      " (a test clock answers {\"mode\":\"virtual\",\"nowMs\":N})"};
    }
    return *now;
  }

  json wire() {
    json w = {{"baseMs", base_ms_}, {"streams", json::object()}};
    for (auto& [name, st] : streams_) {
      bool truncated = false;
      json chunks = json::array();
      if (options_.keep_wire) {
        for (const Chunk& c : st.reader->chunks(truncated)) chunks.push_back({{"tUs", c.at_us - t0_us_}, {"bytes", c.bytes}});
      }
      const StreamRecord& r = rec_.streams[st.record];
      w["streams"][name] = {{"status", r.status}, {"contentType", r.content_type}, {"truncated", truncated}, {"chunks", chunks}};
    }
    return w;
  }

  // Moves the server's clock to the scenario time t_ms and waits for what fell due.
  void advance_to(int64_t t_ms) {
    if (t_ms < now_rel_ms_) throw PlayError{"scenario time runs backwards"};
    if (real_) {
      const int64_t wait_us = t0_us_ + t_ms * 1000 - clock_.now_us();
      if (wait_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(wait_us));
    } else {
      // A client reads as time passes: a long gap goes in slices, each read to its end,
      // so no stream queues more than a slice's messages (one jump of minutes could
      // overflow a queue, which no reader in real time would see).
      constexpr int64_t kSliceMs = 5000;
      while (t_ms - now_rel_ms_ > kSliceMs) {
        check_scenario_time();
        advance(kSliceMs);
        now_rel_ms_ += kSliceMs;
        sync();
      }
      advance(t_ms - now_rel_ms_);
    }
    now_rel_ms_ = t_ms;
  }

  // The test clock's answer: {"barrier":"written","streams":{ID: bytes},"listensHeld":N}.
  void advance(int64_t ms) {
    Exchange ex = call({"POST", "/_harness/clock/advance", json{{"ms", ms}}.dump(), "application/json", harness_auth()});
    const Ingested j = ingest_text(ex.body);
    if (ex.status != 200 || !j.is_json || string_at(j.value, {"barrier"}) != "written") {
      throw PlayError{"the test clock could not deliver what fell due: answered " + std::to_string(ex.status) + " with " +
                      shown(ex.body)};
    }
    advance_streams_.clear();
    if (const json* streams = find(j.value, {"streams"}); streams && streams->is_object()) {
      for (auto it = streams->begin(); it != streams->end(); ++it) {
        if (!it->is_number_unsigned()) {
          throw PlayError{"POST /_harness/clock/advance answered with $.streams." + shown(it.key(), 40) +
                          ": expected a number of bytes, saw " + seen(*it)};
        }
        advance_streams_[it.key()] = it->get<uint64_t>();
      }
    } else if (find(j.value, {"streams"})) {
      throw PlayError{"POST /_harness/clock/advance answered with $.streams: expected an object, saw " +
                      seen(*find(j.value, {"streams"}))};
    }
    const json* held = find(j.value, {"listensHeld"});
    if (held && !held->is_number_integer()) {
      throw PlayError{"POST /_harness/clock/advance answered with $.listensHeld: expected an integer, saw " + seen(*held)};
    }
    listens_held_ = held ? held->get<int64_t>() : 0;
    listens_counted_ = held != nullptr;
  }

  // Waits until every stream has read every byte the server wrote, and every
  // answered long poll has arrived; then takes in what arrived.
  void sync() {
    if (real_) {  // no barrier in real time: take in what has arrived
      collect_listens();
      for (auto& [name, st] : streams_) take(name, st);
      return;
    }
    advance(0);
    for (auto& [name, st] : streams_) {
      if (st.closed_by_client || st.server_id.empty()) continue;
      auto written = advance_streams_.find(st.server_id);
      if (written == advance_streams_.end()) {
        // The server is done with it (it ended it): wait until its end has arrived, so
        // the end is seen at the time it happened, not a step later.
        if (!st.reader->ended() && !st.reader->wait_bytes(UINT64_MAX, options_.request_deadline_ms)) {
          throw PlayError{"stream \"" + name + "\" was ended by the server but its end did not arrive"};
        }
        continue;
      }
      const uint64_t want = written->second;
      if (!st.reader->wait_bytes(want, options_.request_deadline_ms)) {
        throw PlayError{"stream \"" + name + "\" did not deliver the " + std::to_string(want) + " bytes written"};
      }
    }
    const int64_t held = listens_held();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.request_deadline_ms);
    while (static_cast<int64_t>(listens_.size()) > held) {
      if (!collect_listens() && std::chrono::steady_clock::now() > deadline) {
        throw PlayError{"an answered listen did not arrive"};
      }
    }
    for (auto& [name, st] : streams_) take(name, st);
  }

  // The long polls the server holds, by its last advance answer; every one the
  // runner has open when the server does not say.
  int64_t listens_held() const { return listens_counted_ ? listens_held_ : static_cast<int64_t>(listens_.size()); }

  // Takes in answered listens; true when one was.
  bool collect_listens() {
    bool any = false;
    for (auto it = listens_.begin(); it != listens_.end();) {
      if (!it->call->wait(1)) {
        ++it;
        continue;
      }
      const Exchange ex = it->call->result();
      if (ex.status == 0) throw PlayError{it->step->path + ": the listen failed: " + ex.error};
      const std::string at = ex.header("x-harness-now-ms");
      const std::optional<int64_t> at_ms = ms_header(at);
      if (!real_ && !at.empty() && !at_ms) {
        throw PlayError{it->step->path + ": X-Harness-Now-Ms \"" + shown(at, 40) + "\" is not a number of ms"};
      }
      const int64_t t_ms = real_ ? (ex.answered_us - t0_us_) / 1000 : at_ms ? *at_ms - base_ms_ : now_rel_ms_;
      const Step& step = *it->step;
      const Request request = it->request;
      const int64_t sent_ms = it->sent_ms;
      it = listens_.erase(it);
      record(step, request, sent_ms, ex.status, ex.body, t_ms, ex.header("content-type"));
      any = true;
    }
    return any;
  }

  // A long poll just sent: wait until the server holds it or has answered it, so
  // that later syncs can tell "held" from "answered, on its way".
  void settle_listen() {
    if (real_) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.request_deadline_ms);
    const auto grace = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    while (true) {
      collect_listens();
      advance(0);
      if (listens_counted_) {
        if (static_cast<int64_t>(listens_.size()) <= listens_held()) return;
      } else if (listens_.empty() || std::chrono::steady_clock::now() > grace) {
        return;  // a test clock that does not count held listens: unanswered in the grace is held
      }
      if (std::chrono::steady_clock::now() > deadline) throw PlayError{"a listen was neither held nor answered"};
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  int64_t event_time(const json& data) const {
    std::optional<std::string> t = string_at(data, {"timestamp"});
    if (auto te = string_at(data, {"taskEvent", "time"})) t = te;
    if (auto ms = t ? parse_rfc3339(*t) : std::nullopt) return *ms - base_ms_;
    return now_rel_ms_;  // agent requests and frames: caused by the step just played
  }

  // Takes in what a stream delivered. Data that is not JSON, or not an object, is kept
  // as seen (SSE-002 judges it); data whose fields have the wrong types, a bound hit,
  // or bytes that are not UTF-8 end the scenario in ERROR with where and what was seen.
  void take(const std::string& name, LiveStream& st) {
    StreamRecord& rec = rec_.streams[st.record];
    for (ReceivedEvent& e : st.reader->take_events()) {
      const size_t index = rec.events.size();
      Ingested data = ingest_event(e.event.data);
      if (data.problem && !data.is_json) {  // too deep to read
        rec.events.push_back({now_rel_ms_, std::move(data.value), false});
        throw PlayError{"stream \"" + name + "\" event " + std::to_string(index) + ": " + *data.problem};
      }
      if (!data.is_json) {
        failures_.push_back("stream \"" + name + "\": an event's data is not JSON: " + data.why_not + "; data: " +
                            shown(e.event.data));
        rec.events.push_back({now_rel_ms_, std::move(data.value), false});
        continue;
      }
      const int64_t t = real_ ? (e.at_us - t0_us_) / 1000 : event_time(data.value);
      if (data.problem) {
        rec.events.push_back({t, std::move(data.value), true});
        throw PlayError{"stream \"" + name + "\" event " + std::to_string(index) + ": " + *data.problem};
      }
      json flat = flatten_stream_data(data.value, t);
      rec.events.push_back({t, std::move(data.value), true});
      // On a shared server, other clients' tasks pass by: the scenario judges its own.
      const std::optional<std::string> id = string_at(flat, {"taskId"});
      if (!options_.isolation_tag.empty() && id && !own_.count(*id)) continue;
      st.seen.messages.push_back(std::move(flat));
    }
    if (const std::string why = st.reader->problem(); !why.empty()) throw PlayError{"stream \"" + name + "\": " + why};
    if (const auto bad = st.reader->malformed(); !bad.empty()) throw PlayError{"stream \"" + name + "\": " + bad.front()};
    // With the test clock the server's ": end REASON" comment marks the end when its
    // bytes are read (the barrier waited for them); the connection's close may be
    // noticed a moment later, under load after the next step.
    const bool end_said = !real_ && st.reader->end_note().rfind("end ", 0) == 0;
    if ((st.reader->ended() || end_said) && !st.closed_by_client && !st.seen.end) {
      std::string note = st.reader->end_note();
      const std::string reason = note.rfind("end ", 0) == 0 ? note.substr(4) : "connection_closed";
      const int64_t end_ms = real_ ? (st.reader->ended_at_us() - t0_us_) / 1000 : now_rel_ms_;
      st.seen.end = json{{"t_ms", end_ms}, {"reason", reason}};
      rec_.streams[st.record].ended_ms = end_ms;
      rec_.streams[st.record].end_reason = reason;
    }
    rec_.streams[st.record].faults = st.reader->faults();
  }

  // Records one answer (its body as the target sent it, parsed or as text), checks the
  // step's expectations, and then the body's shape: a 2xx body that is not JSON, or
  // whose fields have the wrong types, ends the scenario in ERROR with where and what
  // was seen (a 4xx body that is not {code, message} is ERR-003's to judge).
  void record(const Step& s, const Request& r, int64_t sent_ms, int status, const std::string& body_text, int64_t t_ms,
              const std::string& content_type) {
    const Ingested parsed = ingest_body(s.action, status, body_text);
    const json& body = parsed.value;
    const std::optional<std::string>& problem = parsed.problem;
    if (!problem && !s.id.empty()) responses_by_id_[s.id] = body;
    if (!problem) {
      for (auto& f : check_response(s, status, body, t_ms, real_)) note(std::move(f));
    }
    if ((status == 429 || status == 503) && throttled_.empty()) {
      throttled_ = s.path + " got " + std::to_string(status) + ": the target is throttling or unavailable";
    }
    if (!problem && r.method == "POST" && r.path == "/api/v1/tasks" && status == 201) {
      const std::string id = string_at(body, {"version", "taskId"}).value_or("");
      if (!id.empty()) {
        own_.insert(id);  // generated ids too
        created_.push_back(id);
      }
    }
    RequestRecord q;
    q.step = s.index;
    q.action = s.action;
    q.client = s.client;
    q.auth = auth_of(sc_, s.client);
    q.method = r.method;
    q.path = r.path;
    q.body = parse_or_text(r.body);
    q.body_is_json = !r.body.empty() && !q.body.is_string();
    q.status = status;
    q.response = body;
    q.content_type = content_type;
    q.sent_ms = sent_ms;
    q.answered_ms = t_ms;
    if (!s.page_token_from.empty()) {
      for (const Step& prev : sc_.steps) {
        if (prev.id == s.page_token_from) q.continues_step = prev.index;
      }
    }
    rec_.requests.push_back(std::move(q));
    if (problem) {
      throw PlayError{s.path + ": " + r.method + " " + r.path + " answered " + std::to_string(status) + " with " + *problem};
    }
  }

  Request request_for(const Step& s) {
    WireRequest w = step_request(sc_, s, responses_by_id_);
    return Request{w.method, w.target, w.body, w.content_type, options_.authorization.at(s.client)};
  }

  void run_step(const Step& s) {
    if (s.action == "advance") return;
    if (s.action == "close_stream") {
      auto it = streams_.find(s.stream);
      if (it == streams_.end()) {
        failures_.push_back(s.path + ": stream \"" + s.stream + "\" was never opened (its open request failed)");
        return;
      }
      take(it->first, it->second);
      it->second.closed_by_client = true;
      it->second.reader->close();
      rec_.streams[it->second.record].closed_ms = now_ms();
      rec_.streams[it->second.record].cut_step = s.index;
      return;
    }
    if (step_skipped(s, responses_by_id_)) return;  // the page it continues was the last
    const Request r = request_for(s);
    if (s.action == "open_stream" || s.action == "open_agent_stream" || s.action == "open_manual_control_stream") {
      open_stream(s, r);
    } else if (s.action == "agent_listen") {
      listens_.push_back({&s, std::make_unique<AsyncExchange>(target_, clock_, r), r, now_ms()});
      settle_listen();
    } else {
      Exchange ex = call(r);
      if (s.action == "manual_control_frame") check_frames_extension(s, ex.status);
      const int64_t sent_ms = real_ ? (ex.sent_us - t0_us_) / 1000 : now_rel_ms_;
      const int64_t answered_ms = real_ ? (ex.answered_us - t0_us_) / 1000 : now_rel_ms_;
      record(s, r, sent_ms, ex.status, ex.body, answered_ms, ex.header("content-type"));
    }
  }

  // An operator's frame for a task this run created that the target answers as an
  // unknown route: the target lacks the test extension, so the scenario cannot be
  // staged there. Skipped, and remembered for the rest of the run.
  void check_frames_extension(const Step& s, int status) {
    if (status != 404 && status != 405 && status != 501) return;
    if (std::find(created_.begin(), created_.end(), s.task_id) == created_.end()) return;
    const std::string why = "answered " + std::to_string(status) + " for a task the run created";
    missing_frames_extension().add(target_.url(), why);
    throw PlayError{"skip: the target lacks the test extension " + std::string(kFramesExtension) + " (" + why + ")"};
  }

  void open_stream(const Step& s, const Request& r) {
    auto reader = std::make_unique<StreamReader>(target_, clock_, r, options_.keep_wire);
    if (!reader->wait_open(options_.request_deadline_ms)) {
      const std::string why = reader->error();
      throw PlayError{s.path + ": no answer to the stream request (" +
                      (why.empty() ? "no answer within " + std::to_string(options_.request_deadline_ms) + " ms" : why) + ")"};
    }
    const int status = reader->status();
    if (status != 200) {
      reader->wait_bytes(UINT64_MAX, options_.request_deadline_ms);  // the error body, to its end
      if (const std::string why = reader->problem(); !why.empty()) throw PlayError{s.path + ": " + why};
      record(s, r, now_ms(), status, reader->body_if_error(), now_ms(), reader->header("content-type"));
      return;
    }
    record(s, r, now_ms(), status, "", now_ms(), reader->header("content-type"));
    StreamRecord sr;
    sr.name = s.stream;
    sr.kind = stream_kind(s.action);
    sr.client = s.client;
    sr.step = s.index;
    sr.request = parse_or_text(r.body);
    sr.task_id = s.task_id;
    sr.opened_ms = now_ms();
    sr.status = status;
    sr.content_type = reader->header("content-type");
    rec_.streams.push_back(std::move(sr));
    LiveStream st;
    st.server_id = reader->header("x-harness-stream-id");
    st.reader = std::move(reader);
    st.record = rec_.streams.size() - 1;
    streams_.emplace(s.stream, std::move(st));
  }

  Scenario sc_;  // a copy: isolation rewrites it
  Target target_;
  PlayOptions options_;
  RunClock clock_;
  int64_t started_us_ = clock_.now_us();
  bool real_ = false;       // played on the wall clock (no test clock)
  int64_t t0_us_ = 0;       // the runner's clock at scenario time 0
  int64_t base_ms_ = 0;     // the server's time at scenario time 0
  int64_t now_rel_ms_ = 0;  // scenario time now
  std::map<std::string, uint64_t> advance_streams_;  // the last advance: bytes written per stream id
  int64_t listens_held_ = 0;                          // the last advance: long polls held
  bool listens_counted_ = false;                      // whether the last advance said
  std::map<std::string, LiveStream> streams_;
  std::vector<PendingListen> listens_;
  std::map<std::string, json> responses_by_id_;
  std::vector<std::string> failures_;
  std::vector<ExpectFailure> findings_;  // expectations below MUST that did not hold
  RunRecord rec_;
  std::set<std::string> own_;         // the run's task ids (isolated runs)
  std::string throttled_;             // why the run cannot be judged (429/503)
  std::vector<std::string> created_;  // to cancel at the end
};

}  // namespace

const char* to_name(Verdict v) {
  switch (v) {
    case Verdict::kPass: return "PASS";
    case Verdict::kFail: return "FAIL";
    case Verdict::kInconclusive: return "INCONCLUSIVE";
    case Verdict::kSkip: return "SKIP";
    case Verdict::kError: return "ERROR";
    case Verdict::kNotRun: return "NOT RUN";
  }
  return "ERROR";
}

ScenarioRun play_live(const Scenario& sc, const Target& target, const PlayOptions& options) {
  LivePlayer p(sc, target, options);
  return p.run();
}

}  // namespace th::conform
