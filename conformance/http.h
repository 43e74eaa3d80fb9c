#pragma once
// The runner's side of the wire: plain requests with a deadline, and SSE streams read
// on their own thread, every chunk kept with its arrival time and parsed strictly.
// Every wait has a deadline; a dead or silent server gives an error, never a hang.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "conformance/connection.h"
#include "conformance/sse.h"
#include "conformance/stream_decoder.h"

namespace th::conform {

struct Target {
  std::string scheme = "http";  // http | https
  std::string host = "127.0.0.1";
  int port = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // --header K:V
  std::string ca_cert_path;
  // "http://host:port" or "https://host:port"; nullopt and a reason otherwise.
  static std::optional<Target> parse(const std::string& url, std::string& error);
  std::string url() const { return scheme + "://" + host + ":" + std::to_string(port); }
  Endpoint endpoint() const { return {host, port, scheme == "https", ca_cert_path}; }
};

// Microseconds on a monotonic clock since the run started.
class RunClock {
 public:
  RunClock() : start_(std::chrono::steady_clock::now()) {}
  int64_t now_us() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

struct Exchange {
  int status = 0;     // 0: no answer (see error)
  std::string error;  // deadline passed, connection refused, ...
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
  int64_t sent_us = 0;
  int64_t answered_us = 0;
  std::string header(const std::string& lower_name) const;
};

struct Request {
  std::string method;
  std::string path;
  std::string body;
  std::string content_type;
  std::string authorization;  // the whole header value; "" sends none
};

// At most this many requests a second start, across the whole runner (0: no bound):
// a real server is shared, and the suite must not be a load test.
void set_max_requests_per_second(double rps);
// Waits until the next request may start.
void pace_request();

// One request, one answer, within deadline_ms (connecting, sending, and reading the
// whole answer). An answer that is not HTTP, or breaks a bound (limits.h), is no
// answer: status 0 and the error says what was wrong.
Exchange exchange(const Target& t, const RunClock& clock, const Request& r, int64_t deadline_ms);

// One request on its own thread (a long poll), within limits().stream_ms_max; it can
// be abandoned at any time, and then its thread ends at once.
class AsyncExchange {
 public:
  AsyncExchange(const Target& t, const RunClock& clock, Request r);
  ~AsyncExchange();
  AsyncExchange(const AsyncExchange&) = delete;
  AsyncExchange& operator=(const AsyncExchange&) = delete;
  bool wait(int64_t ms);  // true when the answer (or the failure) is in
  const Exchange& result();  // after wait() returned true
  void cancel();  // hangs up and joins the thread

 private:
  struct Shared {
    Connection conn;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Exchange result;
  };
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

class StreamReader {
 public:
  // keep_chunks: keep the body's chunks as they arrived (chunks(), for cassettes).
  StreamReader(const Target& t, const RunClock& clock, Request r, bool keep_chunks = true);
  ~StreamReader();
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  // Waits for the status line; false when the deadline passed first.
  bool wait_open(int64_t deadline_ms);
  // Waits until at least `bytes` bytes of the body arrived (or the stream ended).
  bool wait_bytes(uint64_t bytes, int64_t deadline_ms);
  // Stops reading (pause) or reads again (resume): the bytes wait in the socket.
  void pause();
  void resume();
  // Closes the connection; the reader thread ends.
  void close();

  int status();
  std::string header(const std::string& lower_name);
  std::string body_if_error();  // the error body when the status was not 200
  std::vector<ReceivedEvent> take_events();
  bool ended();          // the server ended the body, or the connection dropped
  int64_t ended_at_us();  // when (0 while it has not)
  std::string end_note();  // the last comment, e.g. "end queue_overflow"
  uint64_t bytes();
  std::vector<std::string> faults();
  std::vector<std::string> malformed();  // bytes that are not UTF-8 outside data (SseParser)
  std::string error();  // the connection failed (not judged: the rules see what arrived)
  // Why the reader stopped on what the target sent: a bound of limits.h hit (naming its
  // option), the stream's time run out, or a broken HTTP answer. "" when none.
  std::string problem();
  // The body's chunks as they arrived (the first limits().recorded_stream_bytes_max
  // bytes; `truncated` says when more came).
  std::vector<Chunk> chunks(bool& truncated);

 private:
  void run(Request r);

  Target target_;
  const RunClock& clock_;
  Connection conn_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  StreamDecoder decoder_;  // under mu_
  std::string error_;
  std::string problem_;  // the stream's time ran out
  bool paused_ = false;
  bool closing_ = false;
  bool ended_ = false;
  int64_t ended_at_us_ = 0;
};

}  // namespace th::conform
