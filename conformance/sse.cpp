#include "conformance/sse.h"

#include "conformance/checked_json.h"

namespace th::conform {

namespace {
// Faults are kept up to a bound (a hostile stream could send millions); the last
// entry then says more were dropped.
constexpr size_t kFaultsMax = 100;
void note(std::vector<std::string>& list, std::string text) {
  if (list.size() < kFaultsMax) {
    list.push_back(std::move(text));
  } else if (list.size() == kFaultsMax) {
    list.push_back("(more faults of this stream not kept)");
  }
}
}  // namespace

std::vector<SseEvent> SseParser::take_events() {
  std::vector<SseEvent> out = std::move(events_);
  events_.clear();
  return out;
}

void SseParser::feed(std::string_view bytes) {
  if (!bom_checked_) {
    // One UTF-8 BOM at the very start of the stream is dropped; it may arrive split.
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    bom_prefix_.append(bytes);
    if (bom_prefix_.size() < kBom.size() && kBom.substr(0, bom_prefix_.size()) == bom_prefix_) return;
    bom_checked_ = true;
    std::string all = std::move(bom_prefix_);
    bom_prefix_.clear();
    std::string_view rest = all;
    if (rest.substr(0, kBom.size()) == kBom) {
      rest.remove_prefix(kBom.size());
      offset_ += kBom.size();
    }
    feed(rest);
    return;
  }
  if (!overflow_.empty()) return;
  for (char c : bytes) {
    ++offset_;
    if (c == '\n' && after_cr_) {  // the LF of a CRLF: the line already ended
      after_cr_ = false;
      continue;
    }
    after_cr_ = c == '\r';
    if (c == '\r' || c == '\n') {
      line(partial_);
      partial_.clear();
      if (!overflow_.empty()) return;
    } else {
      partial_.push_back(c);
      if (line_bytes_max_ > 0 && partial_.size() > line_bytes_max_) {
        overflow_ = "an SSE line longer than " + std::to_string(line_bytes_max_) + " bytes (--max-sse-line-bytes)";
        partial_.clear();
        partial_.shrink_to_fit();
        return;
      }
    }
  }
}

void SseParser::finish() {
  if (!bom_checked_) {
    bom_checked_ = true;
    std::string rest = std::move(bom_prefix_);
    feed(rest);
  }
  if (!overflow_.empty()) return;
  if (!partial_.empty() || pending_fields_) {
    note(faults_, "the stream ended inside an event (no blank line after it): it is not dispatched");
  }
  partial_.clear();
}

void SseParser::line(std::string_view l) {
  if (l.empty()) {
    dispatch();
    return;
  }
  const bool data_line = l.substr(0, 5) == "data:" || l == "data";
  if (!data_line && !valid_utf8(l)) {
    note(malformed_, "bytes that are not UTF-8 in a line at byte " + std::to_string(offset_) + ": \"" + shown(l, 80) + "\"");
  }
  if (l.front() == ':') {
    ++comments_;
    std::string_view text = l.substr(1);
    if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    last_comment_ = shown(text, 200);
    return;
  }
  const size_t colon = l.find(':');
  if (colon == std::string_view::npos) {
    field(l, "");
    return;
  }
  std::string_view value = l.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  field(l.substr(0, colon), value);
}

void SseParser::field(std::string_view name, std::string_view value) {
  pending_fields_ = true;
  if (name == "event") {
    type_ = value;
  } else if (name == "data") {
    if (event_bytes_max_ > 0 && data_.size() + value.size() + 1 > event_bytes_max_) {
      overflow_ = "an SSE event's data longer than " + std::to_string(event_bytes_max_) + " bytes (--max-sse-event-bytes)";
      return;
    }
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos) last_event_id_ = value;
  } else if (name == "retry") {
    bool digits = !value.empty();
    int64_t ms = 0;
    for (char c : value) {
      if (c < '0' || c > '9' || ms > (INT64_MAX - 9) / 10) {
        digits = false;
        break;
      }
      ms = ms * 10 + (c - '0');
    }
    if (digits) retry_ms_ = ms;
  } else {
    note(faults_, "unknown field \"" + shown(name, 80) + "\" ignored at byte " + std::to_string(offset_));
  }
}

void SseParser::dispatch() {
  pending_fields_ = false;
  if (!has_data_) {  // nothing to dispatch: reset the buffers only
    type_.clear();
    data_.clear();
    return;
  }
  SseEvent e;
  e.type = type_.empty() ? "message" : type_;
  e.data = data_.substr(0, data_.size() - 1);  // the last LF goes
  e.last_event_id = last_event_id_;
  e.end_offset = offset_;
  if (!valid_utf8(e.data)) note(faults_, "event " + std::to_string(dispatched_) + " carries invalid UTF-8");
  ++dispatched_;
  events_.push_back(std::move(e));
  type_.clear();
  data_.clear();
  has_data_ = false;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c >> 5) == 0x6) {
      n = 1, cp = c & 0x1F;
    } else if ((c >> 4) == 0xE) {
      n = 2, cp = c & 0x0F;
    } else if ((c >> 3) == 0x1E) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // No overlong forms, no surrogates, nothing past U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace th::conform
