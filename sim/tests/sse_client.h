#pragma once
// A test client for the reference server: reads one SSE stream on its own thread,
// parses it as the SSE spec says, and keeps each event's JSON, the raw bytes and the
// chunk sizes.
// Every wait has a deadline; stop() always ends the read.
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace th::test {

class SseClient {
 public:
  SseClient(int port, std::string path, std::string body, std::string token = "tok")
      : cli_("127.0.0.1", port) {
    cli_.set_read_timeout(30, 0);
    thread_ = std::thread([this, path = std::move(path), body = std::move(body), token = std::move(token)] {
      httplib::Request req;
      req.method = "POST";
      req.path = path;
      req.body = body;
      req.set_header("Content-Type", "application/json");
      req.set_header("Accept", "*/*");  // as the official SDKs send it
      req.set_header("Authorization", "Bearer " + token);
      req.response_handler = [this](const httplib::Response& r) {
        std::lock_guard<std::mutex> lock(mu_);
        status_ = r.status;
        content_type_ = r.get_header_value("Content-Type");
        cache_control_ = r.get_header_value("Cache-Control");
        return true;
      };
      req.content_receiver = [this](const char* data, size_t len, uint64_t, uint64_t) {
        std::lock_guard<std::mutex> lock(mu_);
        chunks_.push_back(len);
        raw_.append(data, len);
        feed(data, len);
        cv_.notify_all();
        return true;
      };
      httplib::Response res;
      httplib::Error err;
      cli_.send(req, res, err);
      std::lock_guard<std::mutex> lock(mu_);
      if (status_ == 0) status_ = res.status;
      finished_ = true;
      cv_.notify_all();
    });
  }
  ~SseClient() { stop(); }

  bool wait_events(size_t n, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, deadline, [&] { return events_.size() >= n || finished_; }) && events_.size() >= n;
  }
  bool wait_finished(std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, deadline, [&] { return finished_; });
  }
  bool wait_status(std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, deadline, [&] { return status_ != 0 || finished_; });
  }
  void stop() {
    cli_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::vector<nlohmann::json> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::vector<nlohmann::json> events_of(const std::string& kind) {
    std::vector<nlohmann::json> out;
    for (auto& e : events()) {
      if (e.value("event", "") == kind) out.push_back(e);
    }
    return out;
  }
  // When each event was complete at the client, in the order of events().
  std::vector<std::chrono::steady_clock::time_point> times() {
    std::lock_guard<std::mutex> lock(mu_);
    return times_;
  }
  std::vector<size_t> chunks() {
    std::lock_guard<std::mutex> lock(mu_);
    return chunks_;
  }
  // Every byte of the body as it came.
  std::string raw() {
    std::lock_guard<std::mutex> lock(mu_);
    return raw_;
  }
  // Beside each event of events(): its id and event fields and its number of data lines.
  struct Meta {
    std::string id, type;
    size_t data_lines = 0;
  };
  std::vector<Meta> metas() {
    std::lock_guard<std::mutex> lock(mu_);
    return metas_;
  }
  std::vector<std::string> comments() {
    std::lock_guard<std::mutex> lock(mu_);
    return comments_;
  }
  // Events whose data was not JSON (kept out of events()).
  size_t bad_events() {
    std::lock_guard<std::mutex> lock(mu_);
    return bad_events_;
  }
  int status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }
  std::string content_type() {
    std::lock_guard<std::mutex> lock(mu_);
    return content_type_;
  }
  std::string cache_control() {
    std::lock_guard<std::mutex> lock(mu_);
    return cache_control_;
  }
  bool finished() {
    std::lock_guard<std::mutex> lock(mu_);
    return finished_;
  }

 private:
  // The SSE grammar, as far as servers use it: lines end with \r\n, \n or \r; a
  // blank line dispatches the event; data lines are joined with \n; a line starting
  // with ':' is a comment. Called with mu_ held.
  void feed(const char* data, size_t len) {
    buf_.append(data, len);
    size_t at = 0;
    for (;;) {
      const size_t eol = buf_.find_first_of("\r\n", at);
      if (eol == std::string::npos) break;
      if (buf_[eol] == '\r' && eol + 1 == buf_.size()) break;  // its \n may come next
      const std::string line = buf_.substr(at, eol - at);
      at = eol + (buf_[eol] == '\r' && buf_[eol + 1] == '\n' ? 2 : 1);
      on_line(line);
    }
    buf_.erase(0, at);
  }
  void on_line(const std::string& line) {
    if (line.empty()) {
      if (pending_.data_lines > 0) {
        try {
          events_.push_back(nlohmann::json::parse(data_));
          times_.push_back(std::chrono::steady_clock::now());
          metas_.push_back(pending_);
        } catch (const nlohmann::json::exception&) {
          ++bad_events_;
        }
      }
      data_.clear();
      pending_.data_lines = 0;
      pending_.type.clear();  // the id stays until another is sent, as in the spec
      return;
    }
    if (line[0] == ':') {
      comments_.push_back(line.substr(1));
      return;
    }
    const size_t colon = line.find(':');
    const std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (field == "data") {
      if (pending_.data_lines++ > 0) data_ += "\n";
      data_ += value;
    } else if (field == "id") {
      pending_.id = value;
    } else if (field == "event") {
      pending_.type = value;
    }
  }

  httplib::Client cli_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string buf_, raw_, data_;
  Meta pending_;
  std::vector<Meta> metas_;
  std::vector<std::string> comments_;
  size_t bad_events_ = 0;
  std::vector<nlohmann::json> events_;
  std::vector<std::chrono::steady_clock::time_point> times_;
  std::vector<size_t> chunks_;
  int status_ = 0;
  std::string content_type_, cache_control_;
  bool finished_ = false;
};

}  // namespace th::test
