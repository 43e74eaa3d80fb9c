#include "conformance/http.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "conformance/http_reader.h"
#include "conformance/limits.h"

namespace th::conform {
namespace {

using Clock = std::chrono::steady_clock;

Deadline in_ms(int64_t ms) { return Clock::now() + std::chrono::milliseconds(ms); }

// A request target as it may go on the request line: no space or line end inside.
std::string wire_path(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '\r' || c == '\n' || c == '\t') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out.empty() ? "/" : out;
}

// The request's bytes: one request per connection (Connection: close).
std::string request_bytes(const Target& t, const Request& r) {
  std::string q = r.method + " " + wire_path(r.path) + " HTTP/1.1\r\n";
  const bool default_port = (t.scheme == "http" && t.port == 80) || (t.scheme == "https" && t.port == 443);
  q += "Host: " + t.host + (default_port ? "" : ":" + std::to_string(t.port)) + "\r\n";
  q += "User-Agent: taskconform\r\nAccept: */*\r\nConnection: close\r\n";  // Accept as the official SDKs send it
  for (const auto& [k, v] : t.headers) q += k + ": " + v + "\r\n";
  if (!r.authorization.empty()) q += "Authorization: " + r.authorization + "\r\n";
  if (!r.content_type.empty()) q += "Content-Type: " + r.content_type + "\r\n";
  if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
    q += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  }
  return q + "\r\n" + r.body;
}

ResponseReader::Bounds reader_bounds(const Limits& l, const Request& r) {
  ResponseReader::Bounds b;
  b.line_bytes_max = l.http_line_bytes_max;
  b.header_bytes_max = l.http_header_bytes_max;
  b.body_bytes_max = l.body_bytes_max;
  b.head_request = r.method == "HEAD";
  return b;
}

// Sends r on a fresh connection and reads the whole answer by the deadline.
Exchange send_once(Connection& conn, const Target& t, const RunClock& clock, const Request& r, int64_t deadline_ms) {
  const Limits l = limits();
  Exchange ex;
  ex.sent_us = clock.now_us();
  const Deadline deadline = in_ms(deadline_ms);
  std::string err;
  ResponseReader reader(reader_bounds(l, r));
  bool ok = conn.open(t.endpoint(), deadline, err) && conn.write_all(request_bytes(t, r), deadline, err);
  char buf[64 << 10];
  while (ok) {
    const long n = conn.read_some(buf, sizeof buf, deadline, err);
    if (n < 0) {
      ok = false;
    } else if (n == 0) {
      reader.finish();
      break;
    } else if (!reader.feed(std::string_view(buf, static_cast<size_t>(n)))) {
      break;
    }
  }
  ex.answered_us = clock.now_us();
  if (conn.timed_out()) {
    ex.error = "no answer within " + std::to_string(deadline_ms) + " ms";
  } else if (!ok) {
    ex.error = "the request failed: " + err;
  } else if (!reader.done()) {
    ex.error = "the answer is broken: " + reader.error();
  } else {
    ex.status = reader.status();
    ex.body = reader.body();
    ex.headers = reader.headers();
  }
  return ex;
}

}  // namespace

std::optional<Target> Target::parse(const std::string& url, std::string& error) {
  Target t;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    t.scheme = "http", rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    t.scheme = "https", rest = url.substr(8);
  } else {
    error = "the target must start with http:// or https:// (got \"" + url + "\")";
    return std::nullopt;
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const size_t colon = rest.rfind(':');
  if (rest.find('/') != std::string::npos) {
    error = "the target is a server's base address, without a path (got \"" + url + "\")";
    return std::nullopt;
  }
  t.host = colon == std::string::npos ? rest : rest.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : rest.substr(colon + 1);
  if (t.host.empty()) {
    error = "the target has no host (got \"" + url + "\")";
    return std::nullopt;
  }
  if (port.empty()) {
    t.port = t.scheme == "https" ? 443 : 80;
  } else if (port.size() <= 5 && std::all_of(port.begin(), port.end(), ::isdigit) && std::stoi(port) > 0 &&
             std::stoi(port) < 65536) {
    t.port = std::stoi(port);
  } else {
    error = "the target's port must be 1..65535 (got \"" + port + "\")";
    return std::nullopt;
  }
  return t;
}

std::string Exchange::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

namespace {
std::mutex g_pace_mu;
double g_min_gap_us = 0;
std::chrono::steady_clock::time_point g_next_start{};
}  // namespace

void set_max_requests_per_second(double rps) {
  std::lock_guard<std::mutex> lock(g_pace_mu);
  g_min_gap_us = rps > 0 ? 1e6 / rps : 0;
}

void pace_request() {
  std::chrono::steady_clock::time_point start;
  {
    std::lock_guard<std::mutex> lock(g_pace_mu);
    if (g_min_gap_us <= 0) return;
    const auto now = std::chrono::steady_clock::now();
    start = std::max(now, g_next_start);
    g_next_start = start + std::chrono::microseconds(static_cast<int64_t>(g_min_gap_us));
  }
  std::this_thread::sleep_until(start);
}

Exchange exchange(const Target& t, const RunClock& clock, const Request& r, int64_t deadline_ms) {
  pace_request();
  Connection conn;
  return send_once(conn, t, clock, r, deadline_ms);
}

AsyncExchange::AsyncExchange(const Target& t, const RunClock& clock, Request r) : shared_(std::make_shared<Shared>()) {
  pace_request();
  thread_ = std::thread([s = shared_, clock, t, r = std::move(r)] {
    // Held as long as the server holds it, within the bound on a stream's life.
    Exchange ex = send_once(s->conn, t, clock, r, limits().stream_ms_max);
    std::lock_guard<std::mutex> lock(s->mu);
    s->result = std::move(ex);
    s->done = true;
    s->cv.notify_all();
  });
}

AsyncExchange::~AsyncExchange() { cancel(); }

bool AsyncExchange::wait(int64_t ms) {
  std::unique_lock<std::mutex> lock(shared_->mu);
  return shared_->cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return shared_->done; });
}

const Exchange& AsyncExchange::result() {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return shared_->result;
}

void AsyncExchange::cancel() {
  if (!thread_.joinable()) return;
  shared_->conn.cancel();  // every wait of the connection returns at once
  thread_.join();
}

StreamReader::StreamReader(const Target& t, const RunClock& clock, Request r, bool keep_chunks)
    : target_(t), clock_(clock), decoder_(limits(), r.method == "HEAD", keep_chunks) {
  pace_request();
  thread_ = std::thread([this, r = std::move(r)] { run(r); });
}

StreamReader::~StreamReader() { close(); }

void StreamReader::run(Request r) {
  const Limits l = limits();
  const Deadline answer_by = in_ms(l.request_ms_max);
  const Deadline stream_by = in_ms(l.stream_ms_max);
  std::string err;
  bool ok = conn_.open(target_.endpoint(), answer_by, err) && conn_.write_all(request_bytes(target_, r), answer_by, err);
  bool head_done = false;
  std::vector<char> buf(64 << 10);
  while (ok) {
    {
      // Paused: the bytes wait in the socket (the server's writes block), as with a
      // client that stopped reading; within the stream's time.
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, stream_by, [this] { return !paused_ || closing_; });
      if (closing_) break;
    }
    const long n = conn_.read_some(buf.data(), buf.size(), head_done ? stream_by : std::min(answer_by, stream_by), err);
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    bool more = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      more = decoder_.feed(std::string_view(buf.data(), static_cast<size_t>(n)), clock_.now_us());
      head_done = decoder_.head_done();
    }
    cv_.notify_all();
    if (!more) break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!closing_) {
    if (conn_.timed_out()) {
      if (head_done) {
        problem_ = "the stream stayed open longer than " + std::to_string(l.stream_ms_max) + " ms (--max-stream-ms)";
      } else {
        error_ = "no answer within " + std::to_string(l.request_ms_max) + " ms";
      }
    } else if (!ok) {
      error_ = "the stream failed: " + err;
    }
  }
  decoder_.finish(clock_.now_us(), ok && !closing_);
  if (error_.empty()) error_ = decoder_.no_answer();
  ended_ = true;
  ended_at_us_ = clock_.now_us();
  cv_.notify_all();
}

int64_t StreamReader::ended_at_us() {
  std::lock_guard<std::mutex> lock(mu_);
  return ended_at_us_;
}

bool StreamReader::wait_open(int64_t deadline_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(deadline_ms), [this] { return decoder_.head_done() || ended_; }) &&
         decoder_.head_done();
}

bool StreamReader::wait_bytes(uint64_t bytes, int64_t deadline_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(deadline_ms),
                      [&] { return decoder_.parser().bytes() >= bytes || ended_; });
}

void StreamReader::pause() {
  std::lock_guard<std::mutex> lock(mu_);
  paused_ = true;
}

void StreamReader::resume() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    paused_ = false;
  }
  cv_.notify_all();
}

void StreamReader::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  conn_.cancel();
  if (thread_.joinable()) thread_.join();
}

int StreamReader::status() {
  std::lock_guard<std::mutex> lock(mu_);
  return decoder_.status();
}

std::string StreamReader::header(const std::string& lower_name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = decoder_.headers().find(lower_name);
  return it == decoder_.headers().end() ? "" : it->second;
}

std::string StreamReader::body_if_error() {
  std::lock_guard<std::mutex> lock(mu_);
  return decoder_.error_body();
}

std::vector<ReceivedEvent> StreamReader::take_events() {
  std::lock_guard<std::mutex> lock(mu_);
  return decoder_.take_events();  // handed over, not kept twice
}

bool StreamReader::ended() {
  std::lock_guard<std::mutex> lock(mu_);
  return ended_;
}

std::string StreamReader::end_note() {
  std::lock_guard<std::mutex> lock(mu_);
  return decoder_.parser().last_comment();
}

uint64_t StreamReader::bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return decoder_.parser().bytes();
}

std::vector<std::string> StreamReader::faults() {
  std::lock_guard<std::mutex> lock(mu_);
  return decoder_.parser().faults();
}

std::vector<Chunk> StreamReader::chunks(bool& truncated) {
  std::lock_guard<std::mutex> lock(mu_);
  truncated = decoder_.chunks_truncated();
  return decoder_.chunks();
}

std::string StreamReader::error() {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

std::vector<std::string> StreamReader::malformed() {
  std::lock_guard<std::mutex> lock(mu_);
  return decoder_.parser().malformed();
}

std::string StreamReader::problem() {
  std::lock_guard<std::mutex> lock(mu_);
  return decoder_.problem().empty() ? problem_ : decoder_.problem();
}

}  // namespace th::conform
