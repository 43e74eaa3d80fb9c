// Fuzz target: the SSE parser. Whatever bytes a stream carries, the parser ends without
// a crash, within its bounds, with text that is safe to print, and the events it
// makes do not depend on where the bytes were cut (a server may write any boundary).
// The first byte picks the cut.
#include <cstdint>
#include <string_view>

#include "conformance/sse.h"
#include "fuzz/targets/check.h"

using th::conform::SseParser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t step = 1 + data[0] % 23;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  constexpr size_t kLine = 2048, kEvent = 8192;
  SseParser whole, pieces;
  whole.set_bounds(kLine, kEvent);
  pieces.set_bounds(kLine, kEvent);
  whole.feed(in);
  whole.finish();
  for (size_t at = 0; at < in.size(); at += step) pieces.feed(in.substr(at, step));
  pieces.finish();

  FUZZ_CHECK(whole.events().size() == pieces.events().size());
  for (size_t i = 0; i < whole.events().size(); ++i) {
    const auto &a = whole.events()[i], &b = pieces.events()[i];
    FUZZ_CHECK(a.type == b.type && a.data == b.data && a.last_event_id == b.last_event_id && a.end_offset == b.end_offset);
    FUZZ_CHECK(a.data.size() < kEvent);
    FUZZ_CHECK(a.end_offset <= in.size());
  }
  FUZZ_CHECK(whole.faults() == pieces.faults());
  FUZZ_CHECK(whole.overflow() == pieces.overflow());
  FUZZ_CHECK(whole.bytes() == pieces.bytes());
  FUZZ_CHECK(whole.bytes() <= in.size());
  FUZZ_CHECK(whole.faults().size() <= 101 && whole.malformed().size() <= 101);
  FUZZ_CHECK(th::conform::valid_utf8(whole.last_comment()));
  for (const auto& f : whole.faults()) FUZZ_CHECK(th::conform::valid_utf8(f));
  for (const auto& f : whole.malformed()) FUZZ_CHECK(th::conform::valid_utf8(f));
  return 0;
}
