#include "conformance/http_reader.h"

#include <algorithm>
#include <cctype>

#include "conformance/checked_json.h"

namespace th::conform {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string ResponseReader::header(const std::string& lower_name) const {
  auto it = headers_.find(lower_name);
  return it == headers_.end() ? "" : it->second;
}

bool ResponseReader::fail(std::string why) {
  state_ = State::kError;
  error_ = std::move(why);
  return false;
}

bool ResponseReader::take_line(std::string_view& in, std::string& line, const char* what) {
  const size_t lf = in.find('\n');
  const size_t take = lf == std::string_view::npos ? in.size() : lf;
  if (line_.size() + take > bounds_.line_bytes_max) {
    return fail(std::string("a line of the ") + what + " longer than " + std::to_string(bounds_.line_bytes_max) +
                " bytes (--max-http-line-bytes)");
  }
  line_.append(in.substr(0, take));
  if (lf == std::string_view::npos) {
    in.remove_prefix(in.size());
    return false;
  }
  in.remove_prefix(lf + 1);
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();  // CRLF, or a bare LF (RFC 9112 2.2)
  line = std::move(line_);
  line_.clear();
  return true;
}

bool ResponseReader::status_line(const std::string& line) {
  // HTTP/1.x SP 3DIGIT [SP reason]
  if (line.size() < 12 || line.compare(0, 7, "HTTP/1.") != 0 || !std::isdigit(static_cast<unsigned char>(line[7])) ||
      line[8] != ' ' || !digits(std::string_view(line).substr(9, 3)) || (line.size() > 12 && line[12] != ' ')) {
    return fail("not an HTTP/1.x status line: \"" + shown(line, 80) + "\"");
  }
  status_ = std::stoi(line.substr(9, 3));
  if (status_ < 100 || status_ > 599) return fail("status " + std::to_string(status_) + " is not an HTTP status");
  state_ = State::kHeaders;
  return true;
}

bool ResponseReader::header_line(const std::string& line) {
  header_bytes_ += line.size() + 2;
  if (header_bytes_ > bounds_.header_bytes_max) {
    return fail("headers longer than " + std::to_string(bounds_.header_bytes_max) + " bytes (--max-header-bytes)");
  }
  if (line.empty()) {
    if (status_ >= 100 && status_ < 200) {  // an interim answer: the real one follows
      headers_.clear();
      header_bytes_ = 0;
      state_ = State::kStatusLine;
      return true;
    }
    head_done_ = true;
    return start_body();
  }
  const size_t colon = line.find(':');
  if (colon == std::string::npos || colon == 0 ||
      !std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(colon), token_char)) {
    return fail("not a header line: \"" + shown(line, 80) + "\"");
  }
  const std::string name = lower(std::string_view(line).substr(0, colon));
  const std::string value = shown(trim(std::string_view(line).substr(colon + 1)), bounds_.line_bytes_max);
  auto [it, fresh] = headers_.emplace(name, value);
  if (!fresh) {
    if (name == "content-length" && it->second != value) return fail("two different Content-Length headers");
    if (name != "content-length") it->second += ", " + value;
  }
  return true;
}

bool ResponseReader::start_body() {
  const std::string te = lower(header("transfer-encoding"));
  const std::string cl = header("content-length");
  if (bounds_.head_request || status_ == 204 || status_ == 304) {
    state_ = State::kDone;
    return false;
  }
  if (!te.empty()) {
    if (te != "chunked") return fail("Transfer-Encoding \"" + shown(te, 80) + "\" is not one this client reads (chunked)");
    state_ = State::kChunkSize;
    return true;
  }
  if (!cl.empty()) {
    if (!digits(cl) || cl.size() > 18) return fail("Content-Length \"" + shown(cl, 40) + "\" is not a number of bytes");
    remaining_ = std::stoull(cl);
    if (bounds_.body_bytes_max > 0 && !on_body && remaining_ > bounds_.body_bytes_max) {
      return fail("a body of " + cl + " bytes, more than " + std::to_string(bounds_.body_bytes_max) + " (--max-body-bytes)");
    }
    state_ = remaining_ == 0 ? State::kDone : State::kBody;
    return state_ != State::kDone;
  }
  state_ = State::kBodyUntilClose;
  return true;
}

bool ResponseReader::body_bytes(std::string_view bytes) {
  if (bytes.empty()) return true;
  body_bytes_ += bytes.size();
  if (on_body) {
    if (!on_body(bytes)) {
      stopped_ = true;
      state_ = State::kDone;
      return false;
    }
    return true;
  }
  if (bounds_.body_bytes_max > 0 && body_.size() + bytes.size() > bounds_.body_bytes_max) {
    return fail("a body longer than " + std::to_string(bounds_.body_bytes_max) + " bytes (--max-body-bytes)");
  }
  body_.append(bytes);
  return true;
}

bool ResponseReader::chunk_size(const std::string& line) {
  std::string_view size = std::string_view(line).substr(0, line.find(';'));  // chunk extensions are ignored
  size = trim(size);
  if (size.empty() || size.size() > 15 || !std::all_of(size.begin(), size.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
    return fail("not a chunk size: \"" + shown(line, 40) + "\"");
  }
  remaining_ = std::stoull(std::string(size), nullptr, 16);
  state_ = remaining_ == 0 ? State::kTrailers : State::kChunkData;
  return true;
}

bool ResponseReader::feed(std::string_view in) {
  std::string line;
  while (!in.empty()) {
    switch (state_) {
      case State::kDone:
      case State::kError: return false;
      case State::kStatusLine:
        if (!take_line(in, line, "status line")) return state_ != State::kError;
        if (!status_line(line)) return false;
        break;
      case State::kHeaders:
      case State::kTrailers:
        if (!take_line(in, line, "headers")) return state_ != State::kError;
        if (state_ == State::kTrailers) {
          header_bytes_ += line.size() + 2;
          if (header_bytes_ > bounds_.header_bytes_max) {
            return fail("trailers beyond " + std::to_string(bounds_.header_bytes_max) + " header bytes (--max-header-bytes)");
          }
          if (line.empty()) state_ = State::kDone;
          break;
        }
        if (!header_line(line)) return false;
        break;
      case State::kBody:
      case State::kChunkData: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size()));
        remaining_ -= n;
        if (!body_bytes(in.substr(0, n))) return false;
        in.remove_prefix(n);
        if (remaining_ == 0) state_ = state_ == State::kBody ? State::kDone : State::kChunkEnd;
        break;
      }
      case State::kBodyUntilClose:
        if (!body_bytes(in)) return false;
        in.remove_prefix(in.size());
        break;
      case State::kChunkEnd:
        if (!take_line(in, line, "chunked body")) return state_ != State::kError;
        if (!line.empty()) return fail("a chunk not followed by its line end");
        state_ = State::kChunkSize;
        break;
      case State::kChunkSize:
        if (!take_line(in, line, "chunked body")) return state_ != State::kError;
        if (!chunk_size(line)) return false;
        break;
    }
  }
  return state_ != State::kDone && state_ != State::kError;
}

void ResponseReader::finish() {
  switch (state_) {
    case State::kDone:
    case State::kError: return;
    case State::kBodyUntilClose: state_ = State::kDone; return;
    case State::kStatusLine:
      fail(line_.empty() ? "the connection closed without an answer" : "the connection closed inside the status line");
      return;
    case State::kHeaders: fail("the connection closed inside the headers"); return;
    case State::kBody:
      fail("the connection closed " + std::to_string(remaining_) + " bytes before the end of the body (Content-Length)");
      return;
    default: fail("the connection closed inside the chunked body, before its last chunk"); return;
  }
}

}  // namespace th::conform
