#pragma once
// The reference server: the model behind cpp-httplib, speaking lattice-rest over HTTP
// and Server-Sent Events. All model calls and the clock's timer callbacks run under
// one mutex. Each open stream is written by the worker thread that serves it, which
// sleeps on the stream's own condition variable until its outbox has something.
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "sim/lattice_rest.h"
#include "sim/model.h"
#include "sim/variant.h"

namespace httplib {
class Server;
}

namespace th {

class VirtualClock;
class TimeSource;

enum class SseChunking {
  kNormal,    // one write per event
  kCoalesce,  // every event ready at once in one write
  kSplit,     // each event split across several writes, mid-line
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  std::set<std::string> tokens;
  size_t max_body_bytes = 1 << 20;
  uint64_t seed = 1;
  ServiceOptions service;
  bool virtual_clock = false;  // with the /_harness/clock test extension
  int64_t virtual_start_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  SseChunking chunking = SseChunking::kNormal;
  size_t worker_threads = 0;  // 0: streams + listens + 64 for plain requests
  std::string tls_cert_path;  // both set: HTTPS
  std::string tls_key_path;
  Mutant mutant = Mutant::kNone;  // one deliberate bug (tasksim serve --mutant NAME)
  // Legal choices another correct server could make (tasksim serve --variant NAME,
  // variant.h). A variant overrides the option it stands for (stale_status_version,
  // chunking). Empty: the reference behaviour.
  VariantSet variants;
  // The system clock's source of time (nullptr: the machine's); tests step its wall clock.
  const TimeSource* time_source = nullptr;
};

class ReferenceServer {
 public:
  explicit ReferenceServer(ServerOptions options);
  ~ReferenceServer();
  ReferenceServer(const ReferenceServer&) = delete;
  ReferenceServer& operator=(const ReferenceServer&) = delete;

  // Binds; returns the port, or 0 with the reason in error().
  int bind();
  const std::string& error() const { return error_; }
  // Serves until stop(); call once, after bind().
  void serve();
  // Ends every stream (reason server_shutdown) and listen, then stops. Any thread.
  void stop();
  bool tls() const { return !options_.tls_cert_path.empty(); }

 private:
  struct LiveStream {
    StreamHandle handle;
    std::condition_variable cv;
    size_t writes_in_flight = 0;  // popped from the outbox, not yet on the socket
    bool opened = false;          // the opening comment (and so the headers) went out
    uint64_t events_framed = 0;   // for the no-blank-line mutant
    uint64_t event_ids = 0;       // the comments-and-ids variant's last id: N
    bool blank_line_owed = false;  // for the blank-line-before-each-event mutant
    uint64_t bytes_written = 0;   // reported by the test clock, so a client can catch up
  };

  void handle(const void* request, void* response);
  HttpResponse answer_or_hold(std::unique_lock<std::mutex>& lock, const HttpRequest& req);
  HttpResponse clock_extension(std::unique_lock<std::mutex>& lock, const HttpRequest& req, const std::string& path);
  void serve_stream(void* response, const StreamHandle& h);
  std::vector<std::string> frame(const std::vector<std::string>& events, LiveStream& live) const;
  std::string event_text(const std::string& data, LiveStream& live) const;
  // The writes as they go on the socket: cut into 7-byte writes by that variant.
  std::vector<std::string> writes_of(std::vector<std::string> writes) const;
  bool all_written() const;
  bool on(Variant v) const { return options_.variants.count(v) > 0; }
  // The remote-server variant, which only the system clock can show.
  bool remote() const { return on(Variant::kRemoteServer) && virtual_clock_ == nullptr; }
  void sleep_until_ms(int64_t due_ms) const;
  const char* eol() const { return on(Variant::kCrlfLineEnds) ? "\r\n" : "\n"; }
  void preload_foreign_tasks();
  void churn_foreign_task();

  ServerOptions options_;
  std::mutex mu_;  // guards the model, the clock's callbacks, streams_ and stopping_
  std::condition_variable listen_cv_;
  std::condition_variable written_cv_;  // a stream wrote, or ended
  std::unique_ptr<Clock> clock_;
  VirtualClock* virtual_clock_ = nullptr;  // == clock_ in virtual mode
  std::unique_ptr<Rng> rng_;
  std::unique_ptr<TaskService> service_;
  std::unique_ptr<RestDialect> dialect_;
  std::unique_ptr<httplib::Server> http_;
  std::map<uint64_t, std::shared_ptr<LiveStream>> streams_;
  bool stopping_ = false;
  bool serving_ = false;  // serve() got past its check of stopping_
  int64_t listens_held_ = 0;  // long polls waiting for an answer
  // The busy-store variant: the other client's randomness and its next change; and the
  // test clock advancing in slices, one advance at a time (see clock_extension).
  std::unique_ptr<Rng> foreign_rng_;
  std::optional<TimerId> churn_timer_;
  int64_t advance_slice_ms_ = 0;  // 0: in one step
  bool advancing_ = false;
  std::string error_;
};

}  // namespace th
