#include <catch2/catch.hpp>

#include "conformance/sse.h"

using th::conform::SseEvent;
using th::conform::SseParser;

namespace {

struct Seen {
  std::string type, data, id;
  bool operator==(const Seen& o) const { return type == o.type && data == o.data && id == o.id; }
};

std::vector<Seen> parse(const std::vector<std::string>& pieces, SseParser* out = nullptr) {
  SseParser p;
  for (const auto& piece : pieces) p.feed(piece);
  p.finish();
  std::vector<Seen> seen;
  for (const SseEvent& e : p.events()) seen.push_back({e.type, e.data, e.last_event_id});
  if (out) *out = p;
  return seen;
}

}  // namespace

// Written by hand from the WHATWG rules, not from the parser's output.
const std::string kCorpus =
    "\xEF\xBB\xBF"                       // a BOM, dropped
    ": a comment\r\n"                    // CRLF, a comment
    "data: one\n\n"                      // LF
    "data:two\r\rdata:  three\r\n\r\n"   // CR; no space; two spaces keep one
    "event: update\ndata\ndata: x\n\n"   // a field without a colon: empty data line
    "id: 7\ndata: with id\n\n"
    "retry: 2500\n\n"                    // retry alone dispatches nothing
    "data: a\ndata: b\n\n"               // multi-line data
    "id\ndata: id cleared\n\n"
    "event: lonely\n\n"                  // no data: nothing dispatched, type reset
    "data: tail\n\n"
    "data: never dispatched";            // no blank line before the end

const std::vector<Seen> kExpected = {
    {"message", "one", ""},
    {"message", "two", ""},
    {"message", " three", ""},
    {"update", "\nx", ""},
    {"message", "with id", "7"},
    {"message", "a\nb", "7"},
    {"message", "id cleared", ""},
    {"message", "tail", ""},
};

TEST_CASE("sse: the WHATWG rules, in one piece", "[sse]") {
  SseParser p;
  CHECK(parse({kCorpus}, &p) == kExpected);
  CHECK(p.retry_ms() == 2500);
  CHECK(p.comments() == 1);
  CHECK(p.last_comment() == "a comment");
  REQUIRE(p.faults().size() == 1);
  CHECK_THAT(p.faults()[0], Catch::Contains("ended inside an event"));
}

TEST_CASE("sse: split at every byte offset, the same events", "[sse]") {
  for (size_t cut = 0; cut <= kCorpus.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK(parse({kCorpus.substr(0, cut), kCorpus.substr(cut)}) == kExpected);
  }
}

TEST_CASE("sse: one byte at a time, the same events", "[sse]") {
  std::vector<std::string> bytes;
  for (char c : kCorpus) bytes.emplace_back(1, c);
  CHECK(parse(bytes) == kExpected);
}

TEST_CASE("sse: every pair of cuts around line ends", "[sse]") {
  const std::string s = "data: a\r\n\r\ndata: b\r\rdata: c\n\n";
  const std::vector<Seen> want = {{"message", "a", ""}, {"message", "b", ""}, {"message", "c", ""}};
  for (size_t i = 0; i <= s.size(); ++i) {
    for (size_t j = i; j <= s.size(); ++j) {
      INFO("cuts " << i << ", " << j);
      CHECK(parse({s.substr(0, i), s.substr(i, j - i), s.substr(j)}) == want);
    }
  }
}

TEST_CASE("sse: only a leading BOM is dropped, and only one", "[sse]") {
  CHECK(parse({"\xEF\xBB\xBF\xEF\xBB\xBF" "data: x\n\n"}).empty());  // the 2nd BOM starts a field name
  CHECK(parse({"data: \xEF\xBB\xBFx\n\n"}) == std::vector<Seen>{{"message", "\xEF\xBB\xBFx", ""}});
  CHECK(parse({"\xEF", "\xBB", "\xBF", "data: y\n\n"}) == std::vector<Seen>{{"message", "y", ""}});
}

TEST_CASE("sse: faults are recorded, never thrown", "[sse]") {
  SseParser p;
  parse({"data: \xC3\x28\n\n", "bogus: 1\n\n"}, &p);
  REQUIRE(p.faults().size() == 2);
  CHECK_THAT(p.faults()[0], Catch::Contains("invalid UTF-8"));
  CHECK_THAT(p.faults()[1], Catch::Contains("unknown field \"bogus\""));
  CHECK(th::conform::valid_utf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"));
  CHECK_FALSE(th::conform::valid_utf8("\xC0\xAF"));          // overlong
  CHECK_FALSE(th::conform::valid_utf8("\xED\xA0\x80"));      // a surrogate
  CHECK_FALSE(th::conform::valid_utf8("\xE2\x82"));          // cut short
}

// Bounds (limits.h): a line or an event beyond its bound stops the parser for good with
// the option's name, and memory stays within the bound whatever follows.
TEST_CASE("sse: a line longer than its bound stops the parser, naming the option", "[sse][bound]") {
  SseParser p;
  p.set_bounds(64, 1024);
  p.feed("data: {\"event\":\"heartbeat\"}\n\n");
  p.feed("data: " + std::string(100, 'x'));
  CHECK(p.overflow().find("--max-sse-line-bytes") != std::string::npos);
  p.feed("\n\ndata: later\n\n");  // ignored
  p.finish();
  CHECK(p.events().size() == 1);
}

TEST_CASE("sse: an event's data beyond its bound stops the parser", "[sse][bound]") {
  SseParser p;
  p.set_bounds(64, 100);
  for (int i = 0; i < 5; ++i) p.feed("data: " + std::string(40, 'y') + "\n");
  CHECK(p.overflow().find("--max-sse-event-bytes") != std::string::npos);
  CHECK(p.events().empty());
}

TEST_CASE("sse: bytes that are not UTF-8 outside data are malformed; a fault's text is safe to print", "[sse]") {
  SseParser p;
  p.feed(": comment \xff\xfe\n");
  p.feed("na\xc3me: v\n");
  p.feed("data: {}\n\n");
  REQUIRE(p.malformed().size() == 2);
  CHECK(p.malformed()[0].find("\\xff") != std::string::npos);
  CHECK(th::conform::valid_utf8(p.last_comment()));
  for (const auto& f : p.faults()) CHECK(th::conform::valid_utf8(f));
}

TEST_CASE("sse: take_events hands each event over once", "[sse]") {
  SseParser p;
  p.feed("data: 1\n\ndata: 2\n\n");
  CHECK(p.take_events().size() == 2);
  p.feed("data: 3\n\n");
  const auto rest = p.take_events();
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].data == "3");
}

TEST_CASE("sse: a flood of faults is kept to a bound", "[sse][bound]") {
  SseParser p;
  for (int i = 0; i < 10'000; ++i) p.feed("bogus: field\n");
  CHECK(p.faults().size() <= 101);
}
