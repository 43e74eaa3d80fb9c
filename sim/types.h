#pragma once
// The Lattice Task Manager's vocabulary: one definition of each enum and its wire
// names, the Task, and the Result type the model answers with.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

namespace th {

using json = nlohmann::json;

enum class TaskStatus : int {
  kInvalid = 0,
  kCreated = 1,
  kScheduledInManager = 2,
  kSent = 3,
  kMachineReceipt = 4,
  kAck = 5,
  kWilco = 6,
  kExecuting = 7,
  kWaitingForUpdate = 8,
  kDoneOk = 9,
  kDoneNotOk = 10,
  kReplaced = 11,
  kCancelRequested = 12,
  kCompleteRequested = 13,
  kVersionRejected = 14,
};
inline constexpr int kTaskStatusCount = 15;

enum class ErrorCode : int { kInvalid = 0, kCancelled = 1, kRejected = 2, kTimeout = 3, kFailed = 4 };
enum class EventType : int { kInvalid = 0, kCreated = 1, kUpdate = 2, kPreexisting = 3 };
enum class FilterType : int { kInvalid = 0, kInclusive = 1, kExclusive = 2 };
enum class TaskView : int { kInvalid = 0, kManager = 1, kAgent = 2 };

std::string_view to_name(TaskStatus s);
std::string_view to_name(ErrorCode c);
std::string_view to_name(EventType e);
std::string_view to_name(FilterType f);
std::string_view to_name(TaskView v);
std::optional<TaskStatus> parse_task_status(std::string_view name);
std::optional<ErrorCode> parse_error_code(std::string_view name);
std::optional<FilterType> parse_filter_type(std::string_view name);
std::optional<TaskView> parse_task_view(std::string_view name);

// DONE_OK and DONE_NOT_OK: no change is accepted after them.
inline bool is_terminal(TaskStatus s) {
  return s == TaskStatus::kDoneOk || s == TaskStatus::kDoneNotOk;
}

struct TaskError {
  ErrorCode code = ErrorCode::kInvalid;
  std::string message;
};

struct StatusInfo {
  TaskStatus status = TaskStatus::kCreated;
  std::optional<TaskError> task_error;
  json progress;    // google.protobuf.Any as JSON, or null
  json result;      // ditto
  json estimate;    // ditto
  json allocation;  // {activeAgents:[...]}, or null
  std::optional<int64_t> start_time_ms;
};

// A memo of one immutable snapshot's serialized form, shared by every stream that
// sends it (1,000 streams, one update: one serialization). Copies start empty,
// because a copy is made to be changed.
class TextMemo {
 public:
  TextMemo() = default;
  TextMemo(const TextMemo&) {}
  TextMemo& operator=(const TextMemo&) {
    std::lock_guard<std::mutex> lock(mu_);
    text_.reset();
    return *this;
  }
  template <typename Make>
  std::shared_ptr<const std::string> get(Make make) const {
    std::lock_guard<std::mutex> lock(mu_);
    if (!text_) text_ = std::make_shared<const std::string>(make());
    return text_;
  }

 private:
  mutable std::mutex mu_;
  mutable std::shared_ptr<const std::string> text_;
};

struct Task {
  std::string task_id;
  int64_t definition_version = 1;
  int64_t status_version = 1;
  std::string display_name;
  std::string description;
  json specification;  // {"@type": URL, ...} or null
  json created_by;     // principal or null
  json last_updated_by;
  int64_t last_update_time_ms = 0;
  StatusInfo status;
  std::optional<int64_t> scheduled_time_ms;
  json assignee;  // principal or null
  std::string parent_task_id;
  bool is_executed_elsewhere = false;
  int64_t create_time_ms = 0;
  json initial_entities;  // array or null
  json owner;             // or null
  json retry_strategy;    // opaque, kept as sent
  json delivery_constraints;

  // Model bookkeeping, not part of the wire form.
  uint64_t create_seq = 0;   // creation order: snapshot and paging order
  bool handed_over = false;  // delivered to its agent ("sent")
  TextMemo wire_text;        // the dialect's serialization of this snapshot

  // The specification's type URL, "" when there is none.
  std::string type_url() const;
};

// Expected failures travel as values (LevelDB's Status); bugs are assertions.
enum class ErrorKind {
  kInvalidArgument,     // 400
  kFailedPrecondition,  // 400: valid request, wrong state (terminal, stale version)
  kUnauthenticated,     // 401
  kNotFound,            // 404
  kMethodNotAllowed,    // 405
  kAlreadyExists,       // 409
  kPayloadTooLarge,     // 413
  kUnsupportedMediaType,// 415
  kResourceExhausted,   // 429: a bound of the service was reached
  kAborted,             // 409: a conflict with the task's state (only legal variants use it)
};
std::string_view to_code(ErrorKind k);
int http_status(ErrorKind k);

struct Error {
  ErrorKind kind;
  std::string message;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  const T& value() const { return std::get<0>(v_); }
  T& value() { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

inline Error invalid_argument(std::string m) { return {ErrorKind::kInvalidArgument, std::move(m)}; }
inline Error failed_precondition(std::string m) { return {ErrorKind::kFailedPrecondition, std::move(m)}; }
inline Error not_found(std::string m) { return {ErrorKind::kNotFound, std::move(m)}; }

// Principals ({system{...}}, {user{userId}}, {team{...}}) are compared by identity:
// the system's entityId (or serviceName when it has no entityId), the user's userId,
// the team's entityId. onBehalfOf and descriptive fields do not count. "" = none.
std::string principal_identity(const json& principal);
// The entityId an agent is addressed by: only a system principal has one.
std::string principal_entity_id(const json& principal);

}  // namespace th
