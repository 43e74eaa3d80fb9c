#include "sim/types.h"

#include <array>

namespace th {
namespace {

constexpr std::array<std::string_view, kTaskStatusCount> kStatusNames = {
    "STATUS_INVALID",         "STATUS_CREATED",           "STATUS_SCHEDULED_IN_MANAGER",
    "STATUS_SENT",            "STATUS_MACHINE_RECEIPT",   "STATUS_ACK",
    "STATUS_WILCO",           "STATUS_EXECUTING",         "STATUS_WAITING_FOR_UPDATE",
    "STATUS_DONE_OK",         "STATUS_DONE_NOT_OK",       "STATUS_REPLACED",
    "STATUS_CANCEL_REQUESTED","STATUS_COMPLETE_REQUESTED","STATUS_VERSION_REJECTED",
};
constexpr std::array<std::string_view, 5> kErrorCodeNames = {
    "ERROR_CODE_INVALID", "ERROR_CODE_CANCELLED", "ERROR_CODE_REJECTED", "ERROR_CODE_TIMEOUT",
    "ERROR_CODE_FAILED"};
constexpr std::array<std::string_view, 4> kEventTypeNames = {
    "EVENT_TYPE_INVALID", "EVENT_TYPE_CREATED", "EVENT_TYPE_UPDATE", "EVENT_TYPE_PREEXISTING"};
constexpr std::array<std::string_view, 3> kFilterTypeNames = {
    "FILTER_TYPE_INVALID", "FILTER_TYPE_INCLUSIVE", "FILTER_TYPE_EXCLUSIVE"};
constexpr std::array<std::string_view, 3> kTaskViewNames = {
    "TASK_VIEW_INVALID", "TASK_VIEW_MANAGER", "TASK_VIEW_AGENT"};

template <typename E, size_t N>
std::optional<E> find_name(const std::array<std::string_view, N>& names, std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

std::string string_field(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

}  // namespace

std::string_view to_name(TaskStatus s) { return kStatusNames.at(static_cast<size_t>(s)); }
std::string_view to_name(ErrorCode c) { return kErrorCodeNames.at(static_cast<size_t>(c)); }
std::string_view to_name(EventType e) { return kEventTypeNames.at(static_cast<size_t>(e)); }
std::string_view to_name(FilterType f) { return kFilterTypeNames.at(static_cast<size_t>(f)); }
std::string_view to_name(TaskView v) { return kTaskViewNames.at(static_cast<size_t>(v)); }

std::optional<TaskStatus> parse_task_status(std::string_view n) { return find_name<TaskStatus>(kStatusNames, n); }
std::optional<ErrorCode> parse_error_code(std::string_view n) { return find_name<ErrorCode>(kErrorCodeNames, n); }
std::optional<FilterType> parse_filter_type(std::string_view n) { return find_name<FilterType>(kFilterTypeNames, n); }
std::optional<TaskView> parse_task_view(std::string_view n) { return find_name<TaskView>(kTaskViewNames, n); }

std::string Task::type_url() const { return string_field(specification, "@type"); }

std::string_view to_code(ErrorKind k) {
  switch (k) {
    case ErrorKind::kInvalidArgument: return "INVALID_ARGUMENT";
    case ErrorKind::kFailedPrecondition: return "FAILED_PRECONDITION";
    case ErrorKind::kUnauthenticated: return "UNAUTHENTICATED";
    case ErrorKind::kNotFound: return "NOT_FOUND";
    case ErrorKind::kMethodNotAllowed: return "METHOD_NOT_ALLOWED";
    case ErrorKind::kAlreadyExists: return "ALREADY_EXISTS";
    case ErrorKind::kPayloadTooLarge: return "PAYLOAD_TOO_LARGE";
    case ErrorKind::kUnsupportedMediaType: return "UNSUPPORTED_MEDIA_TYPE";
    case ErrorKind::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case ErrorKind::kAborted: return "ABORTED";
  }
  return "UNKNOWN";
}

int http_status(ErrorKind k) {
  switch (k) {
    case ErrorKind::kInvalidArgument: return 400;
    case ErrorKind::kFailedPrecondition: return 400;
    case ErrorKind::kUnauthenticated: return 401;
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kMethodNotAllowed: return 405;
    case ErrorKind::kAlreadyExists: return 409;
    case ErrorKind::kPayloadTooLarge: return 413;
    case ErrorKind::kUnsupportedMediaType: return 415;
    case ErrorKind::kResourceExhausted: return 429;
    case ErrorKind::kAborted: return 409;
  }
  return 400;
}

std::string principal_identity(const json& p) {
  if (!p.is_object()) return "";
  if (auto it = p.find("system"); it != p.end() && it->is_object()) {
    const std::string entity = string_field(*it, "entityId");
    if (!entity.empty()) return "system:" + entity;
    const std::string service = string_field(*it, "serviceName");
    return service.empty() ? "" : "service:" + service;
  }
  if (auto it = p.find("user"); it != p.end() && it->is_object()) {
    const std::string user = string_field(*it, "userId");
    return user.empty() ? "" : "user:" + user;
  }
  if (auto it = p.find("team"); it != p.end() && it->is_object()) {
    const std::string team = string_field(*it, "entityId");
    return team.empty() ? "" : "team:" + team;
  }
  return "";
}

std::string principal_entity_id(const json& p) {
  if (!p.is_object()) return "";
  auto it = p.find("system");
  if (it == p.end()) return "";
  return string_field(*it, "entityId");
}

}  // namespace th
