#include "conformance/stream_decoder.h"

namespace th::conform {
namespace {

ResponseReader::Bounds bounds_of(const Limits& l, bool head_request) {
  ResponseReader::Bounds b;
  b.line_bytes_max = l.http_line_bytes_max;
  b.header_bytes_max = l.http_header_bytes_max;
  b.body_bytes_max = 0;  // the sink below bounds the body
  b.head_request = head_request;
  return b;
}

}  // namespace

StreamDecoder::StreamDecoder(const Limits& l, bool head_request, bool keep_chunks)
    : limits_(l), keep_chunks_(keep_chunks), reader_(bounds_of(l, head_request)) {
  parser_.set_bounds(l.sse_line_bytes_max, l.sse_event_bytes_max);
  reader_.on_body = [this](std::string_view data) { return body(data); };
}

bool StreamDecoder::body(std::string_view data) {
  if (reader_.status() != 200) {  // an error answer's body, for the rules (bounded)
    if (error_body_.size() + data.size() > limits_.body_bytes_max) {
      problem_ = "an error body longer than " + std::to_string(limits_.body_bytes_max) + " bytes (--max-body-bytes)";
      return false;
    }
    error_body_.append(data);
    return true;
  }
  if (!keep_chunks_) {
    // nothing kept
  } else if (chunk_bytes_ + data.size() <= limits_.recorded_stream_bytes_max) {
    chunks_.push_back({at_us_, std::string(data)});
    chunk_bytes_ += data.size();
  } else {
    chunks_truncated_ = true;
  }
  if (parser_.bytes() + data.size() > limits_.stream_bytes_max) {
    problem_ = "the stream sent more than " + std::to_string(limits_.stream_bytes_max) + " bytes (--max-stream-bytes)";
    return false;
  }
  parser_.feed(data);
  for (auto& e : parser_.take_events()) {
    if (++events_seen_ > limits_.stream_events_max) {
      problem_ = "the stream sent more than " + std::to_string(limits_.stream_events_max) + " events (--max-events-per-stream)";
      return false;
    }
    events_.push_back({std::move(e), at_us_});
  }
  if (!parser_.overflow().empty()) {
    problem_ = parser_.overflow();
    return false;
  }
  return true;
}

bool StreamDecoder::feed(std::string_view bytes, int64_t at_us) {
  at_us_ = at_us;
  if (!problem_.empty()) return false;
  const bool more = reader_.feed(bytes);
  if (reader_.failed() && reader_.head_done() && problem_.empty()) problem_ = "the answer is broken: " + reader_.error();
  return more && problem_.empty();
}

void StreamDecoder::finish(int64_t at_us, bool closed_by_peer) {
  at_us_ = at_us;
  if (closed_by_peer && problem_.empty() && !reader_.failed() && !reader_.done()) {
    reader_.finish();
    if (reader_.failed() && reader_.head_done()) problem_ = "the answer is broken: " + reader_.error();
  }
  parser_.finish();
  for (auto& e : parser_.take_events()) events_.push_back({std::move(e), at_us});
}

std::string StreamDecoder::no_answer() const {
  return reader_.failed() && !reader_.head_done() ? "the answer is broken: " + reader_.error() : "";
}

std::vector<ReceivedEvent> StreamDecoder::take_events() {
  std::vector<ReceivedEvent> out = std::move(events_);
  events_.clear();
  return out;
}

}  // namespace th::conform
