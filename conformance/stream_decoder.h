#pragma once
// A stream's answer decoded from its bytes as they arrive: the HTTP answer
// (ResponseReader) and, for a 200, its body as Server-Sent Events (SseParser), with
// every bound of limits.h applied. No socket and no thread: StreamReader feeds it what
// its connection reads, the fuzzer feeds it bytes.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/http_reader.h"
#include "conformance/limits.h"
#include "conformance/sse.h"

namespace th::conform {

// A piece of a stream's body as it arrived: the cassettes keep chunk boundaries.
struct Chunk {
  int64_t at_us = 0;
  std::string bytes;
};

struct ReceivedEvent {
  SseEvent event;
  int64_t at_us = 0;  // when the chunk that completed it arrived
};

class StreamDecoder {
 public:
  // keep_chunks: keep the body's chunks as they arrived (up to recorded_stream_bytes_max).
  explicit StreamDecoder(const Limits& l, bool head_request = false, bool keep_chunks = true);

  // The next bytes of the connection, arrived at at_us. False once no more are taken:
  // the answer ended, a bound was hit (problem()), or it is broken.
  bool feed(std::string_view bytes, int64_t at_us);
  // The connection ended at at_us. closed_by_peer: the target closed it, so an answer
  // it cut short is a problem; otherwise the runner gave up on it (its own close, a
  // deadline) and only the events already whole count.
  void finish(int64_t at_us, bool closed_by_peer = true);

  bool head_done() const { return reader_.head_done(); }
  int status() const { return reader_.head_done() ? reader_.status() : 0; }
  const std::map<std::string, std::string>& headers() const { return reader_.headers(); }
  const std::string& error_body() const { return error_body_; }
  // The events dispatched since the last call.
  std::vector<ReceivedEvent> take_events();
  const SseParser& parser() const { return parser_; }
  // What the target sent that the decoder refuses after the answer's head: a bound hit
  // (naming its option) or broken framing. "" when none.
  const std::string& problem() const { return problem_; }
  // The answer broke before its head was whole: there is no answer ("" when there is).
  std::string no_answer() const;
  const std::vector<Chunk>& chunks() const { return chunks_; }
  bool chunks_truncated() const { return chunks_truncated_; }

 private:
  bool body(std::string_view data);

  Limits limits_;
  bool keep_chunks_;
  ResponseReader reader_;
  SseParser parser_;
  int64_t at_us_ = 0;
  std::vector<ReceivedEvent> events_;
  uint64_t events_seen_ = 0;
  std::vector<Chunk> chunks_;
  size_t chunk_bytes_ = 0;
  bool chunks_truncated_ = false;
  std::string error_body_;
  std::string problem_;
};

}  // namespace th::conform
