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
  void feed(std::string_view bytes);
  // The stream ended: an event without its blank line is never dispatched (a fault).
  void finish();

  std::vector<SseEvent>& events() { return events_; }
  const std::vector<std::string>& faults() const { return faults_; }
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
  std::vector<std::string> faults_;
};

// True when the bytes are well-formed UTF-8.
bool valid_utf8(std::string_view s);

}  // namespace th::conform
