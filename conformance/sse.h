#pragma once
// A strict Server-Sent Events parser after the WHATWG HTML "event stream
// interpretation": CR, LF and CRLF line ends (also split across reads), one leading
// BOM, comments, fields without a colon, one leading space stripped from a value,
// multi-line data, `event`, `id` and `retry`, dispatch on a blank line. It also
// records what a strict client should complain about (framing faults), without
// ever failing: the rules decide what a fault means.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace th::conform {

struct SseEvent {
  std::string type;  // "message" unless an event field named it
  std::string data;  // data lines joined with LF
  std::string last_event_id;
  uint64_t end_offset = 0;  // byte offset just past the blank line that dispatched it
};

class SseParser {
 public:
  // Bounds on one line and on one event's data (0: none). A bound hit stops the parser
  // for good: overflow() says which, and later bytes are ignored.
  void set_bounds(size_t line_bytes_max, size_t event_bytes_max) {
    line_bytes_max_ = line_bytes_max;
    event_bytes_max_ = event_bytes_max;
  }
  void feed(std::string_view bytes);
  // The stream ended: an event without its blank line is never dispatched (a fault).
  void finish();

  std::vector<SseEvent>& events() { return events_; }
  // The events dispatched since the last call (they leave events()).
  std::vector<SseEvent> take_events();
  // Framing faults a strict client complains about (SSE-003), with their place; any
  // text from the stream in them is made safe to print.
  const std::vector<std::string>& faults() const { return faults_; }
  // Bytes that are not UTF-8 outside an event's data (the stream is UTF-8; in data they
  // make the data not JSON, which SSE-002 judges): malformed, not just a fault.
  const std::vector<std::string>& malformed() const { return malformed_; }
  const std::string& overflow() const { return overflow_; }
  std::optional<int64_t> retry_ms() const { return retry_ms_; }
  uint64_t comments() const { return comments_; }
  // The text of the last comment line, without its colon and one leading space.
  const std::string& last_comment() const { return last_comment_; }
  uint64_t bytes() const { return offset_; }

 private:
  void line(std::string_view l);
  void field(std::string_view name, std::string_view value);
  void dispatch();

  std::string partial_;     // bytes of the current line
  bool after_cr_ = false;   // the last byte was CR: an LF now ends nothing
  bool bom_checked_ = false;
  std::string bom_prefix_;  // the first bytes, until we know whether they are a BOM
  std::string data_;
  std::string type_;
  std::string last_event_id_;
  bool has_data_ = false;
  bool pending_fields_ = false;  // fields seen since the last dispatch
  std::optional<int64_t> retry_ms_;
  uint64_t comments_ = 0;
  std::string last_comment_;
  uint64_t offset_ = 0;
  std::vector<SseEvent> events_;
  uint64_t dispatched_ = 0;
  std::vector<std::string> faults_;
  std::vector<std::string> malformed_;
  size_t line_bytes_max_ = 0;
  size_t event_bytes_max_ = 0;
  std::string overflow_;
};

// True when the bytes are well-formed UTF-8.
bool valid_utf8(std::string_view s);

}  // namespace th::conform
