#pragma once
// The trace: canonical JSON Lines (keys sorted, no spaces), one observation a line,
// with virtual time in ms. Hashed as it is written and streamed to a file if asked,
// never held, so a long run costs no memory for it.
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace th {

// 64-bit FNV-1a: fast and stable across builds; a fingerprint, not a MAC.
class Fnv1a64 {
 public:
  void update(const char* data, size_t size) {
    for (size_t i = 0; i < size; ++i) {
      h_ ^= static_cast<unsigned char>(data[i]);
      h_ *= 0x100000001b3ULL;
    }
  }
  uint64_t value() const { return h_; }
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h_));
    return buf;
  }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

class TraceWriter {
 public:
  // `keep`, when given, also receives every line as JSON (for judging a short run
  // without parsing its text again); it grows with the run, so only for short runs.
  explicit TraceWriter(std::ostream* out = nullptr, std::vector<nlohmann::json>* keep = nullptr)
      : out_(out), keep_(keep) {}
  // nlohmann's object keeps keys sorted, so dump() is canonical.
  void line(nlohmann::json j) {
    raw_line(j.dump());
    if (keep_) keep_->push_back(std::move(j));
  }
  // An SSE line written from its data's canonical text: the bytes line() would write,
  // without serializing the data again (the golden trace hashes pin the equality).
  void sse_line(const std::string& stream, int64_t t_ms, const std::string& data_text, const nlohmann::json& data) {
    raw_line("{\"data\":" + data_text + ",\"kind\":\"sse\",\"stream\":" + nlohmann::json(stream).dump() +
             ",\"t_ms\":" + std::to_string(t_ms) + "}");
    if (keep_) keep_->push_back({{"kind", "sse"}, {"stream", stream}, {"t_ms", t_ms}, {"data", data}});
  }
  void raw_line(const std::string& s) {
    hash_.update(s.data(), s.size());
    hash_.update("\n", 1);
    ++lines_;
    bytes_ += s.size() + 1;
    if (out_) *out_ << s << '\n';
  }
  std::string hash_hex() const { return hash_.hex(); }
  uint64_t lines() const { return lines_; }
  uint64_t bytes() const { return bytes_; }

 private:
  std::ostream* out_;
  std::vector<nlohmann::json>* keep_;
  Fnv1a64 hash_;
  uint64_t lines_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace th
