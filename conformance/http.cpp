#include "conformance/http.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>

namespace th::conform {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

httplib::Headers headers_of(const Target& t, const Request& r) {
  httplib::Headers h;
  for (const auto& [k, v] : t.headers) h.emplace(k, v);
  if (!r.authorization.empty()) h.emplace("Authorization", r.authorization);
  h.emplace("Accept", "*/*");  // as the official SDKs send it
  return h;
}

httplib::Request wire_request(const Target& t, const Request& r) {
  httplib::Request req;
  req.method = r.method;
  req.path = r.path;
  req.headers = headers_of(t, r);
  req.body = r.body;
  if (!r.content_type.empty()) req.set_header("Content-Type", r.content_type);
  return req;
}

// Sends req on cli; the answer's status, body and headers, or why there was none.
Exchange send_once(httplib::Client& cli, const RunClock& clock, httplib::Request& req) {
  Exchange ex;
  ex.sent_us = clock.now_us();
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool ok = cli.send(req, res, err);
  ex.answered_us = clock.now_us();
  if (!ok) {
    ex.error = "the request failed: " + httplib::to_string(err);
    return ex;
  }
  ex.status = res.status;
  ex.body = res.body;
  for (const auto& [k, v] : res.headers) ex.headers[lower(k)] = v;
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

std::unique_ptr<httplib::Client> make_client(const Target& t) {
  auto c = std::make_unique<httplib::Client>(t.url());
  if (!t.ca_cert_path.empty()) {
    c->set_ca_cert_path(t.ca_cert_path);
    c->enable_server_certificate_verification(true);
  }
  c->set_tcp_nodelay(true);
  c->set_connection_timeout(5, 0);
  return c;
}

Exchange exchange(const Target& t, const RunClock& clock, const Request& r, int64_t deadline_ms) {
  pace_request();
  auto cli = make_client(t);
  // The library's timeouts bound each read, not the whole exchange: a watchdog does.
  cli->set_read_timeout(deadline_ms / 1000 + 1, 0);
  cli->set_write_timeout(deadline_ms / 1000 + 1, 0);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, std::chrono::milliseconds(deadline_ms), [&] { return done; })) cli->stop();
  });
  httplib::Request req = wire_request(t, r);
  Exchange ex = send_once(*cli, clock, req);
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  watchdog.join();
  if (ex.status == 0 && ex.answered_us - ex.sent_us >= deadline_ms * 1000) {
    ex.error = "no answer within " + std::to_string(deadline_ms) + " ms";
  }
  return ex;
}

AsyncExchange::AsyncExchange(const Target& t, const RunClock& clock, Request r) : shared_(std::make_shared<Shared>()) {
  shared_->client = make_client(t);
  pace_request();
  shared_->client->set_read_timeout(3600, 0);  // held as long as the server holds it
  thread_ = std::thread([s = shared_, clock, t, r = std::move(r)] {
    httplib::Request req = wire_request(t, r);
    Exchange ex = send_once(*s->client, clock, req);
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
  // stop() only reaches a socket that exists: repeat it for a while (bounded).
  for (int attempt = 0; attempt < 40; ++attempt) {
    shared_->client->stop();
    if (wait(50)) {
      thread_.join();
      return;
    }
  }
  thread_.detach();
}

StreamReader::StreamReader(const Target& t, const RunClock& clock, Request r)
    : target_(t), clock_(clock), client_(make_client(t)) {
  pace_request();
  client_->set_read_timeout(3600, 0);  // silence is judged by the rules, not here
  thread_ = std::thread([this, r = std::move(r)] { run(r); });
}

StreamReader::~StreamReader() { close(); }

void StreamReader::run(Request r) {
  httplib::Request req = wire_request(target_, r);
  req.response_handler = [this](const httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = res.status;
    for (const auto& [k, v] : res.headers) headers_[lower(k)] = v;
    cv_.notify_all();
    return true;
  };
  req.content_receiver = [this](const char* data, size_t len, uint64_t, uint64_t) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !paused_ || closing_; });
    if (closing_) return false;
    if (status_ != 200) {
      error_body_.append(data, len);
      return true;
    }
    const int64_t at = clock_.now_us();
    if (chunk_bytes_ + len <= kChunkBytesMax) {
      chunks_.push_back({at, std::string(data, len)});
      chunk_bytes_ += len;
    } else {
      chunks_truncated_ = true;
    }
    const size_t before = parser_.events().size();
    parser_.feed(std::string_view(data, len));
    auto& evs = parser_.events();
    for (size_t i = before; i < evs.size(); ++i) events_.push_back({evs[i], at});
    cv_.notify_all();
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool ok = client_->send(req, res, err);
  std::lock_guard<std::mutex> lock(mu_);
  if (status_ == 0) status_ = ok ? res.status : 0;
  if (!ok && !closing_) error_ = "the stream failed: " + httplib::to_string(err);
  if (status_ != 200 && error_body_.empty()) error_body_ = res.body;
  parser_.finish();
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
  return cv_.wait_for(lock, std::chrono::milliseconds(deadline_ms), [this] { return status_ != 0 || ended_; }) &&
         status_ != 0;
}

bool StreamReader::wait_bytes(uint64_t bytes, int64_t deadline_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(deadline_ms),
                      [&] { return parser_.bytes() >= bytes || ended_; });
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
  client_->stop();
  if (thread_.joinable()) thread_.join();
}

int StreamReader::status() {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

std::string StreamReader::header(const std::string& lower_name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = headers_.find(lower_name);
  return it == headers_.end() ? "" : it->second;
}

std::string StreamReader::body_if_error() {
  std::lock_guard<std::mutex> lock(mu_);
  return error_body_;
}

std::vector<ReceivedEvent> StreamReader::take_events() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ReceivedEvent> out(events_.begin() + static_cast<std::ptrdiff_t>(taken_), events_.end());
  taken_ = events_.size();
  return out;
}

bool StreamReader::ended() {
  std::lock_guard<std::mutex> lock(mu_);
  return ended_;
}

std::string StreamReader::end_note() {
  std::lock_guard<std::mutex> lock(mu_);
  return parser_.last_comment();
}

uint64_t StreamReader::bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return parser_.bytes();
}

std::vector<std::string> StreamReader::faults() {
  std::lock_guard<std::mutex> lock(mu_);
  return parser_.faults();
}

std::vector<Chunk> StreamReader::chunks(bool& truncated) {
  std::lock_guard<std::mutex> lock(mu_);
  truncated = chunks_truncated_;
  return chunks_;
}

std::string StreamReader::error() {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

}  // namespace th::conform
