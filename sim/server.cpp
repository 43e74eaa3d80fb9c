#include "sim/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <thread>

#include "sim/assert.h"
#include "sim/clock.h"
#include "sim/rng.h"
#include "scenarios/format/strict_json.h"
#include "scenarios/format/timefmt.h"

namespace th {
namespace {

constexpr int kListenBacklog = 4096;  // Debian's library listens with a backlog of 5
constexpr auto kBarrierWait = std::chrono::seconds(10);
// A stream's snapshot cursor gives at most this many messages to one write round, so
// a large snapshot is serialized a slice at a time as the socket drains.
constexpr size_t kBacklogBatch = 256;
// The busy-store variant: its foreign tasks, the other client's pace, and the slices
// the test clock advances in so that streams drain as the foreign changes happen.
constexpr int kForeignTasks = 10'000;
constexpr int64_t kChurnEveryMs = 50;
constexpr int64_t kAdvanceSliceMs = 1000;

void write_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

HttpResponse json_response(int status, json body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::unique_ptr<httplib::Server> make_http(const ServerOptions& o) {
  if (!o.tls_cert_path.empty()) {
    return std::make_unique<httplib::SSLServer>(o.tls_cert_path.c_str(), o.tls_key_path.c_str());
  }
  return std::make_unique<httplib::Server>();
}

// One event's "data: " lines. The split-data mutant wraps long data at 64 bytes, as if
// SSE's multi-line data were free line wrapping: the client joins the lines with "\n",
// which lands inside a JSON string and breaks the event.
std::string data_lines(const std::string& data, Mutant mutant, const char* eol) {
  constexpr size_t kWrapBytes = 64;
  if (mutant != Mutant::kDataSplitOverLinesWrongly) return "data: " + data + eol;
  std::string out;
  for (size_t at = 0; at < data.size(); at += kWrapBytes) out += "data: " + data.substr(at, kWrapBytes) + eol;
  return out;
}

// The multiline-data variant: a new data: line after every comma between JSON tokens.
// The client joins the lines with "\n", which JSON allows between tokens; a comma
// inside a string is left alone.
std::string multiline_data_lines(const std::string& data, const char* eol) {
  std::string out = "data: ";
  bool in_string = false, escaped = false;
  for (char c : data) {
    out += c;
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == ',') {
      out += eol;
      out += "data: ";
    }
  }
  return out + eol;
}

const TaskStatus kForeignStatuses[] = {
    TaskStatus::kCreated, TaskStatus::kScheduledInManager, TaskStatus::kSent,      TaskStatus::kMachineReceipt,
    TaskStatus::kAck,     TaskStatus::kWilco,              TaskStatus::kExecuting, TaskStatus::kWaitingForUpdate,
};

std::string foreign_id(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "foreign-%05llu", static_cast<unsigned long long>(i));
  return buf;
}

// What a variant changes in the options it stands for.
void apply_variants(ServerOptions& o) {
  auto on = [&](Variant v) { return o.variants.count(v) > 0; };
  if (on(Variant::kStaleVersion409)) o.service.stale_status_version = StalePolicy::kConflict;
  if (on(Variant::kStaleVersionIgnored)) o.service.stale_status_version = StalePolicy::kIgnore;
  if (on(Variant::kTerminalChange409)) o.service.terminal_conflict = true;
  if (on(Variant::kPreexistingReversed)) o.service.preexisting_reversed = true;
  if (on(Variant::kHeartbeatTimerRestarts)) o.service.heartbeat_restarts = true;
  if (on(Variant::kSeveralEventsPerWrite)) o.chunking = SseChunking::kCoalesce;
  if (on(Variant::kBusyStore)) o.service.snapshot_cursor = true;
  if (on(Variant::kRepeatedFrameAccepted)) o.service.repeated_frame_accepted = true;
}

}  // namespace

ReferenceServer::ReferenceServer(ServerOptions options) : options_(std::move(options)) {
  if (options_.virtual_clock) {
    auto vc = std::make_unique<VirtualClock>(options_.virtual_start_ms);
    virtual_clock_ = vc.get();
    clock_ = std::move(vc);
  } else {
    clock_ = std::make_unique<SystemClock>(mu_, options_.time_source ? *options_.time_source : machine_time());
  }
  rng_ = std::make_unique<Rng>(options_.seed);
  apply_variants(options_);
  options_.service.mutant = options_.mutant;
  service_ = std::make_unique<TaskService>(*clock_, *rng_, options_.service);
  DialectOptions d;
  d.mutant = options_.mutant;
  d.tokens = options_.tokens;
  d.max_body_bytes = options_.max_body_bytes;
  d.integer_error_codes = on(Variant::kIntegerErrorCodes);
  d.ignore_unknown_fields = on(Variant::kUnknownFieldsIgnored);
  dialect_ = std::make_unique<RestDialect>(*service_, d);
  if (on(Variant::kBusyStore)) preload_foreign_tasks();

  http_ = make_http(options_);
  // Each open stream or held listen occupies a worker for its whole life.
  // The library starts every pool thread at once, so the bounds of the model decide
  // the pool: a stream or listen beyond them gets 429 instead of waiting for a worker.
  const size_t workers = options_.worker_threads
                             ? options_.worker_threads
                             : options_.service.stream_count_max + options_.service.listen_count_max + 64;
  http_->new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  http_->set_tcp_nodelay(true);
  // The dialect answers oversized bodies with its JSON 413; the library's own bound
  // only stops bodies far beyond it (and the error handler gives those JSON too).
  http_->set_payload_max_length(options_.max_body_bytes * 4 + 4096);
  auto route = [this](const httplib::Request& req, httplib::Response& res) { handle(&req, &res); };
  http_->Get(".*", route);
  http_->Post(".*", route);
  http_->Put(".*", route);
  http_->Delete(".*", route);
  http_->Patch(".*", route);
  http_->Options(".*", route);
  const bool integer_codes = on(Variant::kIntegerErrorCodes);
  http_->set_error_handler([integer_codes](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;  // ours: already JSON
    const ErrorKind kind = res.status == 413 ? ErrorKind::kPayloadTooLarge
                           : res.status == 404 ? ErrorKind::kNotFound
                           : res.status == 405 ? ErrorKind::kMethodNotAllowed
                                               : ErrorKind::kInvalidArgument;
    const std::string message = res.status == 413 ? "the body is larger than this server accepts"
                                                  : "the request could not be served as sent";
    json body = error_body(kind, message);
    if (integer_codes) use_integer_code(body);
    res.set_content(body.dump(), "application/json");
  });
  http_->set_exception_handler([integer_codes](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    // Never leak an exception's text; a 500 here is the server's bug, not the client's.
    res.status = 500;
    res.set_content(integer_codes ? R"({"code":13,"message":"internal error"})"
                                  : R"({"code":"INTERNAL","message":"internal error"})",
                    "application/json");
  });
}

ReferenceServer::~ReferenceServer() {
  stop();
  std::lock_guard<std::mutex> lock(mu_);
  if (churn_timer_) clock_->cancel(*churn_timer_);
  churn_timer_.reset();
  service_.reset();  // cancels the model's timers before the clock goes
}

// The busy-store variant: a store another client has filled, all of it live (so a
// stream without filters starts with 10,000 PREEXISTING events), a mix of task
// types, statuses and assignees; a quarter of those assigned wait for agents that
// never come. Seeded: the same store for the same --seed, drawn from a generator of
// its own so the ids the server makes for its clients stay the same.
void ReferenceServer::preload_foreign_tasks() {
  static const char* const kTypes[] = {
      "type.googleapis.com/anduril.tasks.v2.Investigate", "type.googleapis.com/anduril.tasks.v2.Monitor",
      "type.googleapis.com/anduril.tasks.v2.VisualId", "type.googleapis.com/acme.tasks.Survey"};
  std::lock_guard<std::mutex> lock(mu_);
  foreign_rng_ = std::make_unique<Rng>(options_.seed ^ 0x5eed'f0e1'd2c3'b4a5ULL);
  Rng& rng = *foreign_rng_;
  const json author = {{"system", {{"serviceName", "foreign-client"}}}};
  for (uint64_t i = 0; i < kForeignTasks; ++i) {
    CreateTaskRequest c;
    c.task_id = foreign_id(i);
    c.display_name = "foreign task " + std::to_string(i);
    c.specification = {{"@type", kTypes[rng.below(std::size(kTypes))]}};
    c.author = author;
    switch (i % 10) {
      case 0: c.assignee = {{"system", {{"entityId", "foreign-agent-" + std::to_string(rng.below(25))}}}}; break;
      case 1:
      case 2:
        c.assignee = {{"system", {{"entityId", "foreign-asset-" + std::to_string(rng.below(100))}}}};
        c.is_executed_elsewhere = true;
        break;
      case 3: c.assignee = {{"user", {{"userId", "foreign-user-" + std::to_string(rng.below(50))}}}}; break;
      default: break;
    }
    auto created = service_->create_task(c);
    TH_ASSERT(created.ok(), "a foreign task fits in an empty store");
    const TaskStatus status = kForeignStatuses[rng.below(std::size(kForeignStatuses))];
    if (status == TaskStatus::kCreated) continue;
    UpdateStatusRequest u;
    u.status_version = created.value()->status_version;
    u.new_status.status = status;
    u.author = author;
    const bool updated = service_->update_status(c.task_id.value(), u).ok();
    TH_ASSERT(updated, "a foreign task takes its first status");
  }
  churn_timer_ = clock_->schedule_after(kChurnEveryMs, [this] { churn_foreign_task(); });
  advance_slice_ms_ = kAdvanceSliceMs;
}

// The other client: one foreign task moves to another live status (under mu_, as
// every timer callback runs), then the next change is due.
void ReferenceServer::churn_foreign_task() {
  churn_timer_.reset();
  Rng& rng = *foreign_rng_;
  const std::string id = foreign_id(rng.below(kForeignTasks));
  auto task = service_->get_task(id);
  if (task.ok() && !is_terminal(task.value()->status.status)) {
    // Always another status: one foreign UPDATE per tick.
    const size_t n = std::size(kForeignStatuses);
    const size_t from = static_cast<size_t>(
        std::find(std::begin(kForeignStatuses), std::end(kForeignStatuses), task.value()->status.status) -
        std::begin(kForeignStatuses));
    const TaskStatus to = kForeignStatuses[(from + 1 + rng.below(n - 1)) % n];
    UpdateStatusRequest u;
    u.status_version = task.value()->status_version;
    u.new_status.status = to;
    u.author = {{"system", {{"serviceName", "foreign-client"}}}};
    service_->update_status(id, u);  // a refusal (a client ended it, say) is the other client's business
  }
  churn_timer_ = clock_->schedule_after(kChurnEveryMs, [this] { churn_foreign_task(); });
}

int ReferenceServer::bind() {
  if (!http_->is_valid()) {
    error_ = "cannot load the TLS certificate " + options_.tls_cert_path + " and key " + options_.tls_key_path;
    return 0;
  }
  int fd = -1;
  http_->set_socket_options([&fd](int sock) {
    fd = sock;
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  int port = options_.port;
  if (port == 0) {
    port = http_->bind_to_any_port(options_.host);
  } else if (!http_->bind_to_port(options_.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    error_ = "cannot listen on " + options_.host + ":" + std::to_string(options_.port);
    return 0;
  }
  if (fd >= 0) ::listen(fd, kListenBacklog);
  return port;
}

void ReferenceServer::serve() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    serving_ = true;
  }
  http_->listen_after_bind();
}

void ReferenceServer::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    if (service_) service_->end_all_streams("server_shutdown");
    for (auto& [id, s] : streams_) s->cv.notify_all();
  }
  listen_cv_.notify_all();
  written_cv_.notify_all();
  bool serving = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    serving = serving_;
  }
  // The library's stop() does nothing before its loop runs, and the loop would then
  // run forever: wait (briefly) until it does.
  for (int i = 0; serving && !http_->is_running() && i < 5000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  http_->stop();
}

void ReferenceServer::handle(const void* request, void* response) {
  const auto& req = *static_cast<const httplib::Request*>(request);
  auto& res = *static_cast<httplib::Response*>(response);
  HttpRequest r{req.method, req.target, req.get_header_value("Content-Type"),
                req.get_header_value("Authorization"), req.body};
  const std::string path = req.path;
  std::unique_lock<std::mutex> lock(mu_);
  HttpResponse out;
  if (path.rfind("/_harness/clock", 0) == 0) {
    out = clock_extension(lock, r, path);
  } else {
    // Whether this is a long poll is the dialect's routing decision (it says so with
    // a listen id), never a second guess from the path's spelling here.
    out = answer_or_hold(lock, r);
  }
  // With the test clock, every answer says when (in virtual time) it was given.
  const int64_t answered_ms = out.answered_at_ms >= 0 ? out.answered_at_ms : clock_->now_ms();
  lock.unlock();
  if (out.status >= 400 && on(Variant::kIntegerErrorCodes)) use_integer_code(out.body);  // the test clock's too
  if (virtual_clock_) res.set_header("X-Harness-Now-Ms", std::to_string(answered_ms));
  if (out.stream && out.status == 200) {
    serve_stream(response, *out.stream);
    return;
  }
  if (!out.allow.empty()) res.set_header("Allow", out.allow);
  if (remote()) std::this_thread::sleep_for(std::chrono::milliseconds(kRemoteAnswerDelayMs));
  write_json(res, out.status, out.body);
}

void ReferenceServer::sleep_until_ms(int64_t due_ms) const {
  const int64_t wait_ms = due_ms - clock_->now_ms();
  if (wait_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(wait_ms, 1000)));
}

// Every request goes through the dialect with a callback for a long poll's answer; a
// request the dialect routed to a long poll (it returns a listen id) is held here
// until that answer comes or the server stops.
HttpResponse ReferenceServer::answer_or_hold(std::unique_lock<std::mutex>& lock, const HttpRequest& req) {
  auto answer = std::make_shared<std::optional<HttpResponse>>();
  // Counted as held from the hold until the answer is given, not until this thread
  // wakes to send it: the test clock reports the count, and a runner that saw an
  // answered listen still counted would stop waiting for its answer.
  auto counted = std::make_shared<bool>(false);
  HttpResponse first = dialect_->handle(req, [this, answer, counted](HttpResponse a) {
    a.answered_at_ms = clock_->now_ms();  // under the lock, maybe inside a timer
    *answer = std::move(a);
    if (*counted) --listens_held_;
    *counted = false;
    listen_cv_.notify_all();
  });
  if (!first.listen_id) return first;
  if (!answer->has_value()) {
    ++listens_held_;
    *counted = true;
  }
  listen_cv_.wait(lock, [&] { return answer->has_value() || stopping_; });
  if (*counted) --listens_held_;
  *counted = false;
  if (answer->has_value()) return **answer;
  service_->abandon_listen(*first.listen_id);
  return json_response(200, json::object());  // shutting down: nothing was handed over
}

// GET /_harness/clock and POST /_harness/clock/advance {"ms":N}: only with a virtual
// clock. An advance answers after every event that fell due is on its socket.
HttpResponse ReferenceServer::clock_extension(std::unique_lock<std::mutex>& lock, const HttpRequest& req,
                                              const std::string& path) {
  if (!dialect_->authorized(req)) return json_response(401, error_body(ErrorKind::kUnauthenticated, "missing or invalid bearer token"));
  if (!virtual_clock_) {
    return json_response(404, error_body(ErrorKind::kNotFound, "this server runs on the system clock; no test clock"));
  }
  auto now = [this] {
    const int64_t ms = virtual_clock_->now_ms();
    return json{{"mode", "virtual"}, {"nowMs", ms}, {"now", format_rfc3339(ms)}};
  };
  if (path == "/_harness/clock") {
    if (req.method != "GET") return json_response(405, error_body(ErrorKind::kMethodNotAllowed, "use GET"));
    return json_response(200, now());
  }
  if (path != "/_harness/clock/advance") return json_response(404, error_body(ErrorKind::kNotFound, "no endpoint at " + path));
  if (req.method != "POST") return json_response(405, error_body(ErrorKind::kMethodNotAllowed, "use POST"));
  int64_t ms = 0;
  try {
    const json body = parse_strict(req.body.empty() ? "{}" : req.body, "body");
    ObjectReader r(body, "body");
    ms = r.required_int("ms");
    r.finish();
    if (ms < 0 || ms > 86'400'000LL * 365) throw JsonError("body.ms", "must be from 0 to one year of ms");
  } catch (const JsonError& e) {
    return json_response(400, error_body(ErrorKind::kInvalidArgument, e.what()));
  }
  bool done = false;
  if (advance_slice_ms_ > 0) {
    // A busy store changes all the time: advanced in one step, a long advance would
    // queue more foreign changes than a stream may hold unread, where a client reading
    // in real time would have kept up. So time moves a slice at a time, each written
    // before the next; the same timers fire at the same instants. One advance at a
    // time, so that two clients' advances still add up.
    const auto deadline = std::chrono::steady_clock::now() + kBarrierWait;
    written_cv_.wait_until(lock, deadline, [this] { return !advancing_ || stopping_; });
    advancing_ = true;
    const int64_t target = virtual_clock_->now_ms() + ms;
    while (virtual_clock_->now_ms() < target && !stopping_) {
      virtual_clock_->advance_to(std::min(target, virtual_clock_->now_ms() + advance_slice_ms_));
      written_cv_.wait_until(lock, deadline, [this] { return all_written() || stopping_; });
    }
    virtual_clock_->advance_to(target);  // a zero advance still fires what is due now
    done = written_cv_.wait_until(lock, deadline, [this] { return all_written() || stopping_; });
    advancing_ = false;
    written_cv_.notify_all();
  } else {
    virtual_clock_->advance_to(virtual_clock_->now_ms() + ms);
    done = written_cv_.wait_for(lock, kBarrierWait, [this] { return all_written() || stopping_; });
  }
  json out = now();
  out["barrier"] = done ? "written" : "timeout";
  out["streams"] = json::object();
  for (const auto& [id, s] : streams_) out["streams"][std::to_string(id)] = s->bytes_written;
  out["listensHeld"] = listens_held_;
  return json_response(200, out);
}

bool ReferenceServer::all_written() const {
  for (const auto& [id, s] : streams_) {
    if (!s->handle.outbox->empty() || s->writes_in_flight > 0) return false;
  }
  return true;
}

// One event's lines, without the blank line that ends it.
std::string ReferenceServer::event_text(const std::string& data, LiveStream& live) const {
  std::string text;
  if (on(Variant::kCommentsAndIds)) {
    // What other SSE servers send: a comment, the event's id and its type ("message",
    // the type a browser's EventSource gives when there is none).
    const std::string id = std::to_string(++live.event_ids);
    text += ": event " + id + eol();
    text += "id: " + id + eol();
    text += std::string("event: message") + eol();
  }
  if (on(Variant::kMultilineData)) return text + multiline_data_lines(data, eol());
  return text + data_lines(data, options_.mutant, eol());
}

std::vector<std::string> ReferenceServer::writes_of(std::vector<std::string> writes) const {
  if (!on(Variant::kWrites7Bytes)) return writes;
  constexpr size_t kWriteBytes = 7;
  std::vector<std::string> out;
  for (const auto& w : writes) {
    for (size_t at = 0; at < w.size(); at += kWriteBytes) out.push_back(w.substr(at, kWriteBytes));
  }
  return out;
}

// The SSE bytes for a batch of events, cut into writes as the chunking mode says.
std::vector<std::string> ReferenceServer::frame(const std::vector<std::string>& events, LiveStream& live) const {
  std::vector<std::string> writes;
  std::string all;
  for (const auto& e : events) {
    // The no-blank-line mutant leaves every other event without its blank line.
    const bool drop_blank = options_.mutant == Mutant::kNoBlankLine && live.events_framed++ % 2 == 0;
    std::string one = event_text(e, live) + (drop_blank ? "" : eol());
    // The blank-line-before-each-event mutant writes an event's blank line before the
    // next one (a separator, not a terminator): each event is dispatched only when the
    // next arrives, and when the server ends the stream (with no end note) its last
    // event never is.
    if (options_.mutant == Mutant::kBlankLineBeforeEachEvent) {
      one = (live.blank_line_owed ? eol() : "") + event_text(e, live);
      live.blank_line_owed = true;
    }
    switch (options_.chunking) {
      case SseChunking::kNormal: writes.push_back(std::move(one)); break;
      case SseChunking::kCoalesce: all += one; break;
      case SseChunking::kSplit:
        // Mid-line, then between the two line ends: the places parsers get wrong.
        writes.push_back(one.substr(0, one.size() / 2));
        writes.push_back(one.substr(one.size() / 2, one.size() - one.size() / 2 - 1));
        writes.push_back("\n");
        break;
    }
  }
  if (!all.empty()) writes.push_back(std::move(all));
  return writes;
}

void ReferenceServer::serve_stream(void* response, const StreamHandle& h) {
  auto& res = *static_cast<httplib::Response*>(response);
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_header("Connection", "close");  // one stream per connection
  // With the test clock, a client matches this id with the byte counts an advance
  // reports, to know it has read everything that fell due.
  if (virtual_clock_) res.set_header("X-Harness-Stream-Id", std::to_string(h.id));
  auto live = std::make_shared<LiveStream>();
  live->handle = h;
  {
    std::lock_guard<std::mutex> lock(mu_);
    streams_.emplace(h.id, live);
    LiveStream* raw = live.get();
    h.outbox->set_on_ready([raw] { raw->cv.notify_one(); });
  }
  // The text-plain mutant leaves the media type at a framework's default.
  const char* media_type = options_.mutant == Mutant::kStreamTextPlain ? "text/plain" : "text/event-stream";
  res.set_chunked_content_provider(
      media_type,
      [this, live](size_t, httplib::DataSink& sink) {
        if (!live->opened) {
          if (remote()) std::this_thread::sleep_for(std::chrono::milliseconds(kRemoteStreamDelayMs));
          // The library sends the headers with the first write: a comment (ignored by
          // SSE parsers) tells the client at once that its stream is open.
          const std::string open = std::string(": stream open") + eol() + eol();
          for (const auto& w : writes_of({open})) {
            if (!sink.write(w.data(), w.size())) return false;
          }
          std::lock_guard<std::mutex> guard(mu_);
          live->opened = true;
          live->bytes_written += open.size();
          return true;
        }
        std::unique_lock<std::mutex> lock(mu_);
        Outbox& box = *live->handle.outbox;
        // Block until there is something to write: a provider that returns without
        // writing is called again at once.
        live->cv.wait_for(lock, std::chrono::seconds(1), [&] { return !box.empty() || box.ended() || stopping_; });
        std::vector<StreamMessage> messages;
        // A snapshot cursor gives a slice per round; what is queued behind it waits.
        size_t from_backlog = 0;
        // A remote server's messages go one at a time, each at its own time + the delay.
        while ((from_backlog < kBacklogBatch || !box.backlog_pending()) && !(remote() && !messages.empty())) {
          from_backlog += box.backlog_pending() ? 1 : 0;
          auto m = box.pop();
          if (!m) break;
          messages.push_back(std::move(*m));
        }
        const bool ended = (box.ended() || stopping_) && (!remote() || box.empty());
        const int64_t due_ms = messages.empty() ? box.end_time_ms() : messages.front().time_ms;
        // The out-of-version-order mutant drains a burst newest first (a stack, not a queue).
        if (options_.mutant == Mutant::kEventsOutOfVersionOrder) std::reverse(messages.begin(), messages.end());
        live->writes_in_flight += messages.size();
        lock.unlock();
        if (remote() && (!messages.empty() || ended)) sleep_until_ms(due_ms + kRemoteStreamDelayMs);
        // Serialize outside the lock: snapshots are immutable, and 1,000 streams
        // turning one update into JSON must not take turns.
        std::vector<std::string> events;
        events.reserve(messages.size());
        for (const auto& m : messages) events.push_back(sse_data(m, options_.mutant));
        // A client that went away is seen only when a write fails: probe idle streams.
        if (events.empty() && !ended) return sink.is_writable();
        std::vector<std::string> writes = frame(events, *live);
        if (ended && options_.mutant != Mutant::kBlankLineBeforeEachEvent) {
          // Why the stream ends, as a comment: parsers ignore it, people and the
          // conformance runner read it.
          std::lock_guard<std::mutex> guard(mu_);
          const std::string reason = box.ended() ? box.end_reason() : "server_shutdown";
          writes.push_back(": end " + reason + eol() + eol());
        }
        writes = writes_of(std::move(writes));
        bool ok = true;
        uint64_t written = 0;
        for (const auto& w : writes) {
          if (!(ok = sink.write(w.data(), w.size()))) break;
          written += w.size();
        }
        lock.lock();
        live->writes_in_flight -= events.size();
        live->bytes_written += written;
        lock.unlock();
        written_cv_.notify_all();
        if (!ok) return false;  // the client went away
        if (ended) sink.done();
        return true;
      },
      [this, live](bool) {
        std::lock_guard<std::mutex> lock(mu_);
        live->handle.outbox->set_on_ready(nullptr);
        streams_.erase(live->handle.id);
        if (service_) service_->close_stream(live->handle.id);
        written_cv_.notify_all();
      });
}

}  // namespace th
