#pragma once
// A test client for the reference server: reads one SSE stream on its own thread,
// splits events on blank lines, and keeps each event's JSON and the chunk sizes.
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
        buf_.append(data, len);
        size_t end;
        while ((end = buf_.find("\n\n")) != std::string::npos) {
          const std::string ev = buf_.substr(0, end);
          buf_.erase(0, end + 2);
          if (ev.rfind("data: ", 0) == 0) {
            events_.push_back(nlohmann::json::parse(ev.substr(6)));
            times_.push_back(std::chrono::steady_clock::now());
          }
        }
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
  httplib::Client cli_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string buf_;
  std::vector<nlohmann::json> events_;
  std::vector<std::chrono::steady_clock::time_point> times_;
  std::vector<size_t> chunks_;
  int status_ = 0;
  std::string content_type_, cache_control_;
  bool finished_ = false;
};

}  // namespace th::test
