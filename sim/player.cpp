#include "sim/player.h"

#include <map>
#include <memory>
#include <unordered_map>

#include "scenarios/format/expect.h"
#include "scenarios/format/wire.h"
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
  bool observed = true;  // its messages go to `seen`
  ObservedStream seen;
};

class Player {
 public:
  Player(const Scenario& sc, uint64_t seed, TraceWriter& trace, bool observe_all)
      : sc_(sc),
        observe_all_(observe_all),
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
    for (const auto& [name, st] : streams_) r.streams.emplace(name, st->seen);
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
    WireRequest w = step_request(sc_, s, responses_by_id_);
    return HttpRequest{w.method, w.target, w.content_type, w.authorization, w.body};
  }

  void run_step(const Step& s) {
    if (s.action == "advance") return;
    if (s.action == "close_stream" || s.action == "stall_stream" || s.action == "resume_stream") {
      stream_control(s);
      return;
    }
    if (step_skipped(s, responses_by_id_)) return;  // the page it continues was the last
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
    // The model follows every decision and preference: in the simulator a mismatch at
    // any level is a bug in the model or the scenario.
    for (auto& f : th::check_response(s, res.status, res.body, rel_ms())) fail(f.describe());
  }

  void attach_stream(const Step& s, uint64_t id, const std::shared_ptr<Outbox>& box) {
    auto st = std::make_unique<StreamState>();
    st->name = s.stream;
    st->observed = observe_all_ || sc_.expect_streams.count(s.stream) > 0;
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
      const std::string text = sse_data(*m);  // canonical JSON: keys sorted, no spaces
      const json& data = parse_once(text);
      trace_.sse_line(st.name, rel_ms(), text, data);
      if (st.observed) st.seen.messages.push_back(flatten_stream_data(data, rel_ms()));
    }
    if (box.ended()) {
      st.gone = true;
      const int64_t end_ms = box.end_time_ms() - sc_.server.start_time_ms;
      st.seen.end = json{{"t_ms", end_ms}, {"reason", box.end_reason()}};
      trace_.line({{"kind", "stream_end"}, {"stream", st.name}, {"t_ms", rel_ms()}, {"reason", box.end_reason()}});
    }
  }

  // The same event goes to many streams in one instant: its text is parsed once. The
  // cache holds one millisecond's texts, so it stays small.
  const json& parse_once(const std::string& text) {
    if (parsed_at_ms_ != rel_ms() || parsed_.size() >= 4096) {
      parsed_.clear();
      parsed_at_ms_ = rel_ms();
    }
    auto it = parsed_.find(text);
    if (it == parsed_.end()) it = parsed_.emplace(text, json::parse(text)).first;
    return it->second;
  }

  void check_streams() {
    std::map<std::string, ObservedStream> seen;
    for (const auto& [name, st] : streams_) seen.emplace(name, st->seen);
    for (auto& f : th::check_streams(sc_, seen)) fail(f.describe());
  }

  const Scenario& sc_;
  bool observe_all_;
  TraceWriter& trace_;
  VirtualClock clock_;
  Rng rng_;
  TaskService service_;
  RestDialect dialect_;
  std::map<std::string, std::unique_ptr<StreamState>> streams_;
  std::map<std::string, json> responses_by_id_;
  std::map<size_t, bool> answered_;
  std::unordered_map<std::string, json> parsed_;
  int64_t parsed_at_ms_ = -1;
  std::vector<std::string> failures_;
};

}  // namespace

PlayResult play_scenario(const Scenario& sc, uint64_t seed, TraceWriter& trace, bool observe_all) {
  Player p(sc, seed, trace, observe_all);
  return p.run(seed);
}

}  // namespace th
