// Fuzz target: the HTTP answer reader and a stream's decoder. Whatever bytes a server
// answers with, the reader ends done or with an error that says what (safe to print),
// within its bounds, and the outcome does not depend on where the bytes were cut. The
// first byte picks the cut.
#include <cstdint>
#include <string_view>

#include "conformance/checked_json.h"
#include "conformance/http_reader.h"
#include "conformance/sse.h"
#include "conformance/stream_decoder.h"
#include "fuzz/targets/check.h"

using namespace th::conform;

namespace {

ResponseReader::Bounds small_bounds() {
  ResponseReader::Bounds b;
  b.line_bytes_max = 512;
  b.header_bytes_max = 4096;
  b.body_bytes_max = 16384;
  return b;
}

void read(ResponseReader& r, std::string_view in, size_t step) {
  for (size_t at = 0; at < in.size(); at += step) {
    if (!r.feed(in.substr(at, step))) break;
  }
  r.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t step = 1 + data[0] % 29;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  ResponseReader whole(small_bounds()), pieces(small_bounds());
  read(whole, in, in.size() + 1);
  read(pieces, in, step);
  FUZZ_CHECK(whole.done() != whole.failed());
  FUZZ_CHECK(whole.done() == pieces.done() && whole.error() == pieces.error());
  FUZZ_CHECK(whole.status() == pieces.status() && whole.body() == pieces.body() && whole.headers() == pieces.headers());
  FUZZ_CHECK(whole.body().size() <= small_bounds().body_bytes_max);
  FUZZ_CHECK(valid_utf8(whole.error()));
  if (whole.head_done()) FUZZ_CHECK(whole.status() >= 200 && whole.status() <= 599);
  for (const auto& [k, v] : whole.headers()) FUZZ_CHECK(valid_utf8(k) && valid_utf8(v));

  // The same bytes as a stream's answer, through the runner's stream decoder.
  Limits l;
  l.http_line_bytes_max = 512;
  l.http_header_bytes_max = 4096;
  l.body_bytes_max = 4096;
  l.sse_line_bytes_max = 1024;
  l.sse_event_bytes_max = 4096;
  l.stream_bytes_max = 32768;
  l.stream_events_max = 64;
  l.recorded_stream_bytes_max = 8192;
  StreamDecoder d(l);
  size_t events = 0;
  for (size_t at = 0; at < in.size(); at += step) {
    const bool more = d.feed(in.substr(at, step), static_cast<int64_t>(at));
    events += d.take_events().size();
    if (!more) break;
  }
  d.finish(static_cast<int64_t>(in.size()));
  events += d.take_events().size();
  FUZZ_CHECK(events <= l.stream_events_max);
  FUZZ_CHECK(d.error_body().size() <= l.body_bytes_max);
  FUZZ_CHECK(valid_utf8(d.problem()) && valid_utf8(d.no_answer()));
  size_t kept = 0;
  for (const auto& c : d.chunks()) kept += c.bytes.size();
  FUZZ_CHECK(kept <= l.recorded_stream_bytes_max);
  return 0;
}
