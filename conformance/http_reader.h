#pragma once
// The runner's own reader of HTTP/1.1 answers, fed bytes as they arrive: the status
// line, the headers, and the body framed by Content-Length, chunked transfer coding or
// the connection's close. Every line and the headers and body are bounded (limits.h),
// every byte is checked, and a broken answer is an error that says what was wrong,
// never an exception or unbounded memory. No socket here: the fuzzer feeds it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace th::conform {

class ResponseReader {
 public:
  struct Bounds {
    size_t line_bytes_max = 8 << 10;      // the status line, a header line, a chunk-size line
    size_t header_bytes_max = 64 << 10;   // every header line of the answer
    size_t body_bytes_max = 16 << 20;     // the body kept by body(); 0: no bound (a sink counts)
    bool head_request = false;            // an answer to HEAD has no body
  };
  explicit ResponseReader(Bounds b) : bounds_(b) {}

  // Body bytes go here when set (a stream), else they are kept (body()). The sink may
  // return false to stop reading: the reader then ends without an error of its own.
  std::function<bool(std::string_view)> on_body;

  // Takes the next bytes of the connection. False once the answer is complete, the
  // sink stopped, or it is broken (error()); later bytes are ignored.
  bool feed(std::string_view bytes);
  // The connection closed: a body delimited by the close is complete; an answer cut
  // short is an error.
  void finish();

  bool head_done() const { return head_done_; }
  int status() const { return status_; }
  // Names in lower case; values as shown() makes them safe (repeated names joined by ", ").
  const std::map<std::string, std::string>& headers() const { return headers_; }
  std::string header(const std::string& lower_name) const;
  bool done() const { return state_ == State::kDone; }
  bool stopped() const { return stopped_; }
  bool failed() const { return state_ == State::kError; }
  const std::string& error() const { return error_; }
  const std::string& body() const { return body_; }
  uint64_t body_bytes() const { return body_bytes_; }

 private:
  enum class State { kStatusLine, kHeaders, kBody, kBodyUntilClose, kChunkSize, kChunkData, kChunkEnd, kTrailers, kDone, kError };

  bool fail(std::string why);
  // Takes one line (without its line end) from the input; false when it is not whole yet.
  bool take_line(std::string_view& in, std::string& line, const char* what);
  bool status_line(const std::string& line);
  bool header_line(const std::string& line);
  bool start_body();
  bool body_bytes(std::string_view bytes);
  bool chunk_size(const std::string& line);

  Bounds bounds_;
  State state_ = State::kStatusLine;
  std::string line_;  // the line being read
  size_t header_bytes_ = 0;
  bool head_done_ = false;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::string error_;
  std::string body_;
  uint64_t body_bytes_ = 0;
  uint64_t remaining_ = 0;  // of a Content-Length body or of a chunk
  bool stopped_ = false;
};

}  // namespace th::conform
