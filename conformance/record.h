#pragma once
// What the runner sent and what it observed in one scenario: the only input of the
// rules. Times are ms of scenario time: virtual (the server's test clock) or real
// (since the scenario started), as `virtual_time` says.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenarios/format/scenario.h"

namespace th::conform {

using json = nlohmann::json;

enum class Auth { kNone, kValid, kInvalid };  // the Authorization the request carried

struct RequestRecord {
  size_t step = 0;
  std::string action;  // the scenario step's "do"
  std::string client;
  Auth auth = Auth::kValid;
  std::string method;
  std::string path;
  json body;  // parsed JSON, or the raw text as a string, or null
  bool body_is_json = false;
  int status = 0;
  json response;  // parsed JSON body, or the raw text as a string
  std::string content_type;
  int64_t sent_ms = 0;
  int64_t answered_ms = 0;
  std::string page_token_from_path;  // query pages: the path of the step it continues
  size_t continues_step = SIZE_MAX;  // query pages: the step whose token it used
};

struct EventRecord {
  int64_t t_ms = 0;
  json data;  // the parsed data; a string when it was not JSON
  bool data_is_json = true;
};

struct StreamRecord {
  std::string name;
  std::string kind;  // "tasks", "agent", "manual_control"
  std::string client;
  size_t step = 0;
  json request;  // the request body
  std::string task_id;  // manual control
  int64_t opened_ms = 0;
  int status = 0;
  std::string content_type;
  std::vector<EventRecord> events;
  std::optional<int64_t> ended_ms;  // the server ended it
  std::string end_reason;
  std::optional<int64_t> closed_ms;  // the client closed it
  // The client stopped reading it (the simulator's stall_stream): from then on what
  // arrives, and when, is the client's doing, so nothing after it is judged.
  std::optional<int64_t> stalled_ms;
  size_t cut_step = SIZE_MAX;  // the step that closed or stalled it
  // Real time: the tolerance for judging this stream, measured on the run's other
  // streams (never on this one: a late server must not widen its own tolerance).
  // -1: the record's tolerance_ms.
  int64_t tolerance_ms = -1;
  // Real time: the delivery latency measured for this stream (the median of its own
  // latency samples, else of the run's); 0 in virtual time.
  int64_t latency_ms = 0;
  std::vector<std::string> faults;   // SSE framing faults
  // Until when the client watched it: its end, its close, its first stall, or the
  // end of the run.
  int64_t watched_until_ms(int64_t run_end_ms) const;
  // Whether what happened at t_ms (done by `by_step`; SIZE_MAX: not by a step) happened
  // while the client watched. In the millisecond the client closed or stalled the
  // stream only what an earlier step did counts: the rest came after, in order.
  bool watched(int64_t t_ms, size_t by_step, int64_t run_end_ms) const;
};

struct RunRecord {
  std::string scenario;
  bool virtual_time = true;
  int64_t tolerance_ms = 0;  // 0 in virtual time; measured in real time
  // Real time: how long after its cause a message may arrive before it counts as
  // late (LATENCY-001) and before a rule may call it missing; 0 in virtual time.
  int64_t latency_budget_ms = 0;
  // false: a simulated trace, which has no HTTP bytes or headers; rules about the
  // transport (Content-Type, SSE framing) have nothing to judge.
  bool transport = true;
  int64_t end_ms = 0;
  std::vector<RequestRecord> requests;
  std::vector<StreamRecord> streams;
};

// The Authorization a scenario's client sends: none, a token the server was given, or
// one it was not.
Auth auth_of(const Scenario& sc, const std::string& client);

// The kind of stream a step opens ("tasks", "agent", "manual_control"); "" when the
// step opens none.
std::string stream_kind(const std::string& action);

}  // namespace th::conform
