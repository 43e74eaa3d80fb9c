#pragma once
// One TCP connection to a target, plain or TLS, where every operation has a deadline
// and any thread may cancel() it: a pending or later connect, read or write then
// returns at once. The runner's requests, streams and long polls stand on it.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace th::conform {

using Deadline = std::chrono::steady_clock::time_point;

struct Endpoint {
  std::string host;
  int port = 0;
  bool tls = false;
  std::string ca_cert_path;  // TLS: verify against this file, else the system's store
};

class Connection {
 public:
  Connection();
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects (and completes the TLS handshake) by the deadline; false and why not.
  bool open(const Endpoint& e, Deadline deadline, std::string& error);
  bool write_all(std::string_view bytes, Deadline deadline, std::string& error);
  // Waits for bytes until the deadline: > 0 bytes read, 0 the peer closed, -1 an error,
  // the deadline or a cancel (error says which; timed_out() tells the deadline).
  long read_some(char* buf, size_t size, Deadline deadline, std::string& error);
  bool timed_out() const { return timed_out_; }
  // Any thread, any time (also before open): every wait returns, now and later.
  void cancel();
  bool cancelled() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool timed_out_ = false;
};

}  // namespace th::conform
