// A hostile test server: just enough of the Lattice REST API to get a run going (a
// valid heartbeat on the runner's clock probe, tasks created and read back), and in
// each mode one class of malformed bytes where the runner reads them. The runner must
// end every run against it with a verdict or a clear refusal, its reports written,
// within its time bounds (conformance/tests/hostile.sh).
//   hostile_server MODE    prints "listening on http://127.0.0.1:PORT", serves until killed
//   hostile_server --list  the modes, one a line
// Raw sockets on purpose: a friendly HTTP library would refuse to send what these send.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const std::map<std::string, std::string> kModes = {
    {"numeric-task-id", "tasks name themselves with a number: \"taskId\": 12345"},
    {"string-status-version", "statusVersion is a string: \"statusVersion\": \"1\""},
    {"null-tasks", "a created task is null, a query's tasks are null, a task event's task is null"},
    {"data-string", "event data that is a JSON string"},
    {"data-number", "event data that is a JSON number"},
    {"data-array", "event data that is a JSON array"},
    {"task-event-not-object", "a task_event whose taskEvent is a string"},
    {"invalid-utf8", "bytes that are not UTF-8 in event data, bodies and comments"},
    {"truncated-json", "event data and bodies cut off mid-JSON"},
    {"deep-json", "event data and bodies nested 100,000 levels deep"},
    {"huge-line", "a 64 MiB data: line without a line end"},
    {"trickle", "stream answers that come one byte a second"},
    {"half-answers", "answers that promise 1,000 bytes, send 10 and hang"},
    {"heartbeat-flood", "heartbeats as fast as the socket takes them"},
    {"broken-http", "answers that are not HTTP"},
    {"endless-headers", "a stream answer whose headers never end"},
    {"broken-chunks", "a stream whose chunked coding breaks"},
    {"plain-text-errors", "error answers in text/plain (a finding of ERR-003, not malformed)"},
};

std::string g_mode;
std::atomic<uint64_t> g_next_id{1};

bool send_all(int fd, const std::string& s) {
  size_t at = 0;
  while (at < s.size()) {
    const ssize_t n = ::send(fd, s.data() + at, s.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return false;
    at += static_cast<size_t>(n);
  }
  return true;
}

std::string now_rfc3339() {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string deep(size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }

// A task as the mode spells it (raw text: some modes are not expressible as a json value).
std::string task_text(const std::string& id, int version) {
  json t = {{"version", {{"taskId", id}, {"statusVersion", version}}},
            {"status", {{"status", "STATUS_CREATED"}}},
            {"displayName", "hostile"},
            {"createTime", now_rfc3339()},
            {"lastUpdateTime", now_rfc3339()}};
  if (g_mode == "numeric-task-id") t["version"]["taskId"] = 12345;
  if (g_mode == "string-status-version") t["version"]["statusVersion"] = std::to_string(version);
  if (g_mode == "null-tasks") return "null";
  if (g_mode == "invalid-utf8") return R"({"version":{"taskId":")" + id + R"(","statusVersion":1},"displayName":"bad )" + "\xff\xfe" + R"("})";
  if (g_mode == "truncated-json") return t.dump().substr(0, 25);
  if (g_mode == "deep-json") return deep(100'000);
  return t.dump();
}

std::string answer(int status, const std::string& body, const std::string& type = "application/json") {
  const char* reason = status == 200 ? "OK" : status == 201 ? "Created" : status == 404 ? "Not Found" : "Error";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

std::string not_found(const std::string& what) {
  if (g_mode == "plain-text-errors") return answer(404, "no such thing: " + what + "\n", "text/plain");
  return answer(404, json{{"code", "NOT_FOUND"}, {"message", "no " + what}}.dump());
}

std::string event(const std::string& data) { return "data: " + data + "\n\n"; }
std::string heartbeat() { return event(json{{"event", "heartbeat"}, {"timestamp", now_rfc3339()}}.dump()); }

// The malformed event of the mode ("" when the mode's harm is elsewhere).
std::string bad_event() {
  const std::string task = task_text("hostile-" + std::to_string(g_next_id++), 1);
  const std::string task_event = R"({"event":"task_event","taskEvent":{"eventType":"EVENT_TYPE_CREATED","time":")" +
                                 now_rfc3339() + R"(","task":)" + task + "}}";
  if (g_mode == "numeric-task-id" || g_mode == "string-status-version" || g_mode == "null-tasks") return event(task_event);
  if (g_mode == "data-string") return event(R"("just a string")");
  if (g_mode == "data-number") return event("42");
  if (g_mode == "data-array") return event(R"([{"event":"heartbeat"}])");
  if (g_mode == "task-event-not-object") return event(R"({"event":"task_event","taskEvent":"oops"})");
  if (g_mode == "invalid-utf8") return ": comment \xff\n" + event(R"({"event":"heartbeat","timestamp":"\xc3\x28"})");
  if (g_mode == "truncated-json") return event(R"({"event":"task_event","taskEvent":{"eventTy)");
  if (g_mode == "deep-json") return event(deep(100'000));
  return "";
}

// A stream: the probe (parentTaskId "~") gets valid heartbeats only; the others get the
// mode's harm after one valid heartbeat.
void stream(int fd, bool probe) {
  const auto until = std::chrono::steady_clock::now() + 120s;
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n";
  if (!probe && g_mode == "endless-headers") {
    if (!send_all(fd, head)) return;
    for (uint64_t i = 0; std::chrono::steady_clock::now() < until; ++i) {
      if (!send_all(fd, "X-Endless-" + std::to_string(i) + ": " + std::string(100, 'h') + "\r\n")) return;
    }
    return;
  }
  if (!probe && g_mode == "broken-chunks") {
    send_all(fd, head + "Transfer-Encoding: chunked\r\n\r\n");
    const std::string hb = heartbeat();
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", hb.size());
    send_all(fd, size + hb + "\r\nnot-a-size\r\n");
    std::this_thread::sleep_for(1s);
    return;
  }
  if (!probe && g_mode == "trickle") {  // the answer itself, one byte a second
    const std::string all = head + "Connection: close\r\n\r\n: stream open\n\n" + heartbeat();
    for (size_t i = 0; i < all.size() && std::chrono::steady_clock::now() < until; ++i) {
      if (!send_all(fd, all.substr(i, 1))) return;
      std::this_thread::sleep_for(1s);
    }
    return;
  }
  if (!send_all(fd, head + "Connection: close\r\n\r\n: stream open\n\n" + heartbeat())) return;
  if (probe) {
    while (std::chrono::steady_clock::now() < until && send_all(fd, heartbeat())) std::this_thread::sleep_for(50ms);
    return;
  }
  if (g_mode == "huge-line") {
    send_all(fd, "data: ");
    const std::string block(1 << 20, 'a');
    for (int i = 0; i < 64; ++i) {
      if (!send_all(fd, block)) return;
    }
    while (std::chrono::steady_clock::now() < until && send_all(fd, "a")) std::this_thread::sleep_for(1s);
    return;
  }
  if (g_mode == "heartbeat-flood") {
    const std::string hb = heartbeat();
    std::string burst;
    for (int i = 0; i < 100; ++i) burst += hb;
    while (std::chrono::steady_clock::now() < until && send_all(fd, burst)) {
    }
    return;
  }
  const std::string bad = bad_event();
  if (!bad.empty() && !send_all(fd, bad)) return;
  while (std::chrono::steady_clock::now() < until && send_all(fd, heartbeat())) std::this_thread::sleep_for(200ms);
}

void serve(int fd) {
  std::string req;
  char buf[4096];
  size_t head_end = std::string::npos;
  while ((head_end = req.find("\r\n\r\n")) == std::string::npos && req.size() < (1 << 20)) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    req.append(buf, static_cast<size_t>(n));
  }
  if (head_end == std::string::npos) return;
  size_t length = 0;
  const std::string head = req.substr(0, head_end);
  for (const char* name : {"Content-Length: ", "content-length: "}) {
    if (auto at = head.find(name); at != std::string::npos) length = std::stoul(head.substr(at + std::strlen(name)));
  }
  while (req.size() < head_end + 4 + length) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    req.append(buf, static_cast<size_t>(n));
  }
  const std::string body = req.substr(head_end + 4, length);
  const std::string line = head.substr(0, head.find("\r\n"));
  const std::string method = line.substr(0, line.find(' '));
  std::string path = line.substr(line.find(' ') + 1);
  path = path.substr(0, path.find(' '));

  // The runner's own probes are always answered well: the harm is in what it judges.
  if (path.rfind("/api/v1/tasks/taskconform-", 0) == 0) return (void)send_all(fd, not_found("such task"));
  if (path.rfind("/_harness/", 0) == 0) return (void)send_all(fd, not_found("test extension"));
  const bool probe = body.find(R"("parentTaskId":"~")") != std::string::npos;
  if (path.find("/stream") != std::string::npos && method == "POST") return stream(fd, probe);

  if (g_mode == "broken-http") return (void)send_all(fd, "this is not HTTP at all\r\n\r\n");
  if (g_mode == "half-answers") {
    send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"version\"");
    std::this_thread::sleep_for(120s);
    return;
  }
  if (path == "/api/v1/tasks" && method == "POST") {
    const json b = json::parse(body, nullptr, false);
    std::string id = "hostile-" + std::to_string(g_next_id++);
    if (b.is_object() && b.contains("taskId") && b["taskId"].is_string()) id = b["taskId"].get<std::string>();
    return (void)send_all(fd, answer(201, task_text(id, 1)));
  }
  if (path == "/api/v1/tasks/query") {
    const std::string tasks = g_mode == "null-tasks" ? "null" : "[" + task_text("hostile-q", 1) + "]";
    return (void)send_all(fd, answer(200, R"({"tasks":)" + tasks + R"(,"nextPageToken":""})"));
  }
  if (path == "/api/v1/agent/listen") {
    std::this_thread::sleep_for(100ms);
    return (void)send_all(fd, answer(200, "{}"));
  }
  if (path.rfind("/api/v1/tasks/", 0) == 0) {
    const std::string id = path.substr(14, path.find('/', 14) - 14);
    if (method == "GET" || method == "PUT") return (void)send_all(fd, answer(200, task_text(id, 2)));
  }
  send_all(fd, not_found("endpoint at " + path));
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc == 2 && std::string(argv[1]) == "--list") {
    for (const auto& [name, what] : kModes) std::printf("%s\t%s\n", name.c_str(), what.c_str());
    return 0;
  }
  if (argc != 2 || !kModes.count(argv[1])) {
    std::fprintf(stderr, "usage: hostile_server MODE | --list\n");
    return 2;
  }
  g_mode = argv[1];
  const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  int yes = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(lfd, 128) != 0) {
    std::perror("hostile_server: cannot listen");
    return 1;
  }
  socklen_t len = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("listening on http://127.0.0.1:%d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  while (true) {
    const int fd = ::accept(lfd, nullptr, nullptr);
    if (fd < 0) continue;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    std::thread([fd] {
      serve(fd);
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
    }).detach();
  }
}
