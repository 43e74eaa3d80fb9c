// The runner's HTTP answer reader and its checked JSON readers, on bytes written by
// hand (label unit): every broken or oversized answer is an error that says what.
#include <catch2/catch.hpp>

#include <cstdio>

#include "conformance/checked_json.h"
#include "conformance/http_reader.h"
#include "conformance/ingest.h"
#include "conformance/limits.h"
#include "conformance/sse.h"
#include "conformance/stream_decoder.h"

using namespace th::conform;

namespace {

// Feeds the answer in pieces of `step` bytes, then the close.
ResponseReader read(const std::string& bytes, size_t step = 1, ResponseReader::Bounds b = {}) {
  ResponseReader r(b);
  for (size_t at = 0; at < bytes.size(); at += step) {
    if (!r.feed(std::string_view(bytes).substr(at, step))) break;
  }
  r.finish();
  return r;
}

}  // namespace

TEST_CASE("http reader: Content-Length, chunked and close-delimited bodies, in any pieces", "[http]") {
  for (size_t step : {size_t{1}, size_t{3}, size_t{1000}}) {
    auto a = read("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", step);
    CHECK(a.done());
    CHECK(a.status() == 201);
    CHECK(a.header("content-type") == "application/json");
    CHECK(a.body() == "{}");
    auto c = read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n", step);
    CHECK(c.done());
    CHECK(c.body() == "abcde");
    auto u = read("HTTP/1.0 200 OK\nX: y\n\nuntil close", step);  // bare LF line ends are read too
    CHECK(u.done());
    CHECK(u.body() == "until close");
  }
  auto interim = read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
  CHECK(interim.done());
  CHECK(interim.status() == 204);
}

TEST_CASE("http reader: broken answers are errors that say what", "[http]") {
  CHECK(read("").error() == "the connection closed without an answer");
  CHECK(read("SSH-2.0-OpenSSH\r\n").error().find("not an HTTP/1.x status line") != std::string::npos);
  CHECK(read("HTTP/1.1 999 What\r\n\r\n").error().find("not an HTTP status") != std::string::npos);
  CHECK(read("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n").error().find("not a header line") != std::string::npos);
  CHECK(read("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").error().find("7 bytes before the end") != std::string::npos);
  CHECK(read("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").failed());
  CHECK(read("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").failed());
  CHECK(read("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n").failed());
  CHECK(read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").error().find("not a chunk size") != std::string::npos);
  CHECK(read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX").failed());
  CHECK(read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n").error().find("before its last chunk") !=
        std::string::npos);
  for (const auto& e : {read("HTTP/1.1 200 \xff\xfe\r\n\r\n"), read("\xff\xfe garbage\r\n")}) {
    CHECK(valid_utf8(e.error()));
  }
}

TEST_CASE("http reader: every bound is an error naming its option", "[http][bound]") {
  ResponseReader::Bounds b;
  b.line_bytes_max = 64;
  b.header_bytes_max = 256;
  b.body_bytes_max = 100;
  CHECK(read("HTTP/1.1 200 " + std::string(100, 'x'), 7, b).error().find("--max-http-line-bytes") != std::string::npos);
  std::string many = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 50; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  CHECK(read(many, 5, b).error().find("--max-header-bytes") != std::string::npos);
  CHECK(read("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", 5, b).error().find("--max-body-bytes") != std::string::npos);
  CHECK(read("HTTP/1.1 200 OK\r\n\r\n" + std::string(1000, 'b'), 50, b).error().find("--max-body-bytes") != std::string::npos);
  // A sink counts a stream's bytes itself and may stop the reader.
  ResponseReader s(b);
  size_t got = 0;
  s.on_body = [&](std::string_view d) {
    got += d.size();
    return got < 500;
  };
  s.feed("HTTP/1.1 200 OK\r\n\r\n");
  for (int i = 0; i < 100 && s.feed(std::string(10, 's')); ++i) {
  }
  CHECK(s.stopped());
  CHECK(got == 500);
}

TEST_CASE("checked json: depth, broken text, and what was seen", "[json]") {
  CHECK(read_json("[[[1]]]", 3).value);
  const auto deep = read_json(std::string(100'000, '[') + std::string(100'000, ']'), 64);
  CHECK_FALSE(deep.value);
  CHECK(deep.too_deep);
  CHECK(deep.error.find("--max-json-depth") != std::string::npos);
  CHECK(read_json("\"[[[[\"", 2).value);  // brackets inside a string do not nest
  const auto truncated = read_json("{\"event\":\"task_ev", 64);
  CHECK_FALSE(truncated.value);
  CHECK(truncated.error.find("not JSON") == 0);
  CHECK_FALSE(read_json("\"\xff\"", 64).value);  // nlohmann refuses bytes that are not UTF-8
  CHECK(valid_utf8(read_json("{\"a\":\"\xff\xfe\"}", 64).error));
  CHECK(shown("a\nb\xff", 10) == "a\\nb\\xff");
  CHECK(shown(std::string(300, 'z'), 5) == "zzzzz... (295 more bytes)");
  CHECK(seen(nlohmann::json(5)) == "the number 5");
  CHECK(seen(nlohmann::json::array({1, 2})) == "an array of 2");
}

TEST_CASE("checked json: shapes name the path and what was seen", "[json]") {
  using nlohmann::json;
  const json good = {{"event", "task_event"},
                     {"taskEvent",
                      {{"eventType", "EVENT_TYPE_CREATED"},
                       {"task", {{"version", {{"taskId", "t-1"}, {"statusVersion", 1}}}, {"status", {{"status", "STATUS_CREATED"}}}}}}}};
  CHECK_FALSE(event_problem(good));
  json numeric_id = good;
  numeric_id["taskEvent"]["task"]["version"]["taskId"] = 5;
  CHECK(event_problem(numeric_id) == "$.taskEvent.task.version.taskId: expected a string, saw the number 5");
  json string_version = good;
  string_version["taskEvent"]["task"]["version"]["statusVersion"] = "1";
  CHECK(event_problem(string_version) == "$.taskEvent.task.version.statusVersion: expected an integer, saw the string \"1\"");
  json null_task = good;
  null_task["taskEvent"]["task"] = nullptr;
  CHECK(event_problem(null_task) == "$.taskEvent.task: expected a task (an object), saw null");
  CHECK(event_problem(json{{"event", "task_event"}, {"taskEvent", "x"}}) ==
        "$.taskEvent: expected an object, saw the string \"x\"");
  CHECK(event_problem(json{{"event", 7}}) == "$.event: expected a string, saw the number 7");
  CHECK_FALSE(event_problem(json("a string")));  // not an object: SSE-002's verdict
  CHECK(body_problem("query_tasks", json{{"tasks", nullptr}}) == "$.tasks: expected an array of tasks, saw null");
  CHECK(body_problem("create_task", json()) == "$: expected a task (an object), saw null");
  CHECK(body_problem("query_tasks", json{{"tasks", json::array({json{{"version", {{"taskId", 3}}}}})}}) ==
        "$.tasks[0].version.taskId: expected a string, saw the number 3");
  CHECK_FALSE(event_problem(json{{"event", "manual_control_frame"}, {"epochMicros", "1700000000000000"}}));
}

TEST_CASE("checked json: make_valid_utf8 leaves no byte a dump() would refuse", "[json]") {
  nlohmann::json j = {{"a", std::string("\xff")}, {std::string("k\xfe"), {1, std::string("\xc3")}}};
  make_valid_utf8(j);
  CHECK_NOTHROW(j.dump());
}

TEST_CASE("stream decoder: events, and each bound an error naming its option", "[http][bound]") {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  auto chunk = [](const std::string& s) {
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", s.size());
    return size + s + "\r\n";
  };
  const std::string three = chunk("data: 1\n\ndata: 2\n\n") + chunk("data: 3\n\n");
  Limits l;
  StreamDecoder ok(l);
  ok.feed(head + three + "0\r\n\r\n", 5);
  ok.finish(6);
  CHECK(ok.status() == 200);
  CHECK(ok.take_events().size() == 3);
  CHECK(ok.problem().empty());

  l.stream_events_max = 2;
  StreamDecoder many(l);
  CHECK_FALSE(many.feed(head + three, 1));
  CHECK(many.problem().find("--max-events-per-stream") != std::string::npos);
  CHECK(many.take_events().size() == 2);

  Limits small;
  small.stream_bytes_max = 1024;
  StreamDecoder big(small);
  big.feed(head, 1);
  bool more = true;
  for (int i = 0; i < 100 && more; ++i) more = big.feed(chunk("data: " + std::string(100, 'x') + "\n\n"), 2);
  CHECK(big.problem().find("--max-stream-bytes") != std::string::npos);

  StreamDecoder cut(Limits{});
  cut.feed(head + chunk("data: 1\n\n"), 1);
  cut.finish(2, true);  // the target closed it before the last chunk
  CHECK(cut.problem().find("before its last chunk") != std::string::npos);
  StreamDecoder given_up(Limits{});
  given_up.feed(head + chunk("data: 1\n\n"), 1);
  given_up.finish(2, false);  // the runner closed it: no finding
  CHECK(given_up.problem().empty());

  StreamDecoder refused(Limits{});
  refused.feed("HTTP/1.1 400 Bad Request\r\nContent-Length: 9\r\n\r\nnot json!", 1);
  refused.finish(2);
  CHECK(refused.status() == 400);
  CHECK(refused.error_body() == "not json!");

  StreamDecoder junk(Limits{});
  junk.feed("\x16\x03\x01 a TLS hello, not HTTP\r\n", 1);
  CHECK(junk.no_answer().find("not an HTTP/1.x status line") != std::string::npos);
}

TEST_CASE("ingest: what ends a scenario and what is a verdict", "[json]") {
  CHECK(ingest_body("create_task", 201, "<html>oops</html>").problem);                // a 2xx the runner reads
  CHECK_FALSE(ingest_body("create_task", 404, "not found").problem);                 // ERR-003's to judge
  CHECK_FALSE(ingest_body("http", 200, "anything").problem);                          // a raw step
  CHECK(ingest_body("get_task", 404, std::string(1000, '[')).problem);                // too deep at any status
  CHECK_FALSE(ingest_event("\"a string\"").problem);                                  // SSE-002's verdict
  CHECK(ingest_event("{\"event\":\"task_event\",\"taskEvent\":7}").problem);
  const Ingested text = ingest_text("\xff\xfe plain");
  CHECK_FALSE(text.is_json);
  CHECK(valid_utf8(text.value.get<std::string>()));
}

TEST_CASE("limits: each option takes a number in its range and names itself", "[bound]") {
  Limits l;
  std::string error;
  std::vector<std::string> args = {"--max-json-depth", "100", "--max-json-depth", "3", "--other"};
  size_t i = 0;
  CHECK(parse_limit_option(args, i, l, error));
  CHECK(error.empty());
  CHECK(l.json_depth_max == 100);
  i = 2;
  CHECK(parse_limit_option(args, i, l, error));
  CHECK(error.find("--max-json-depth takes 8..") == 0);
  i = 4;
  CHECK_FALSE(parse_limit_option(args, i, l, error));
  CHECK(limits_usage().find("--max-sse-line-bytes") != std::string::npos);
}
