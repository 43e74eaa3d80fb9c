#include "conformance/sse.h"

namespace th::conform {

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
    } else {
      partial_.push_back(c);
    }
  }
}

void SseParser::finish() {
  if (!bom_checked_) {
    bom_checked_ = true;
    std::string rest = std::move(bom_prefix_);
    feed(rest);
  }
  if (!partial_.empty() || pending_fields_) {
    faults_.push_back("the stream ended inside an event (no blank line after it): it is not dispatched");
  }
  partial_.clear();
}

void SseParser::line(std::string_view l) {
  if (l.empty()) {
    dispatch();
    return;
  }
  if (l.front() == ':') {
    ++comments_;
    std::string_view text = l.substr(1);
    if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    last_comment_ = text;
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
    faults_.push_back("unknown field \"" + std::string(name) + "\" ignored at byte " + std::to_string(offset_));
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
  if (!valid_utf8(e.data)) faults_.push_back("event " + std::to_string(events_.size()) + " carries invalid UTF-8");
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
