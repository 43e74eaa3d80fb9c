#include "sim/variant.h"

#include <array>

namespace th {
namespace {

struct Info {
  Variant variant;
  std::string_view name;
  std::string_view description;
  std::vector<std::string> departs_from;
};

// departs_from: the catalog's rules below MUST (conformance/rules.cpp) that rest on the
// decision or preference the variant departs from: a failure of one of those is no
// fault of the variant. Variants that depart from no rule (another status code among
// the legal ones, another snapshot order, another framing, a busy store) may still
// meet hand-written expectations at SHOULD or MAY that assume our choice.
const std::array<Info, 15>& infos() {
  static const std::array<Info, 15> kInfos = {{
      {Variant::kStaleVersion409, "stale-version-409",
       "a status update with a stale statusVersion is refused with 409 ABORTED (the task does not change)",
       {}},
      {Variant::kStaleVersionIgnored, "stale-version-ignored",
       "a status update with a stale statusVersion is answered 200 with the task unchanged",
       {}},
      {Variant::kTerminalChange409, "terminal-change-409",
       "a status update or cancel of a terminal task is refused with 409 ABORTED instead of 400",
       {}},
      {Variant::kIntegerErrorCodes, "integer-error-codes",
       "error bodies carry gRPC's integer codes: {\"code\": 3, \"message\"} (INVALID_ARGUMENT 3, NOT_FOUND 5, "
       "ALREADY_EXISTS 6, RESOURCE_EXHAUSTED 8, FAILED_PRECONDITION 9, ABORTED 10, UNIMPLEMENTED 12, "
       "INTERNAL 13, UNAUTHENTICATED 16)",
       {}},
      {Variant::kUnknownFieldsIgnored, "unknown-fields-ignored",
       "request fields the server does not know are ignored (proto3 JSON's ignore_unknown_fields) instead of a 400",
       {}},
      {Variant::kPreexistingReversed, "preexisting-reversed",
       "the PREEXISTING snapshot comes newest first (reverse creation order), still before any live event",
       {}},
      {Variant::kCrlfLineEnds, "crlf-line-ends", "every SSE line ends with \\r\\n", {}},
      {Variant::kMultilineData, "multiline-data",
       "each event's JSON is split over several data: lines after commas between tokens (never inside a string)",
       {}},
      {Variant::kCommentsAndIds, "comments-and-ids",
       "every event comes with a comment line, an id: N line (N counts from 1 per stream) and event: message",
       {}},
      {Variant::kWrites7Bytes, "writes-7-bytes",
       "every byte of a stream is written in writes of at most 7 bytes (events split across chunks)", {}},
      {Variant::kSeveralEventsPerWrite, "several-events-per-write",
       "every event ready at once goes out in one write (--sse-chunking coalesce)", {}},
      {Variant::kHeartbeatTimerRestarts, "heartbeat-timer-restarts",
       "the heartbeat timer restarts at every message sent on the stream: never silent for longer than the "
       "interval, but under traffic heartbeats come less often than every interval",
       {"STREAM-HB-003"}},
      {Variant::kBusyStore, "busy-store",
       "10,000 foreign tasks (foreign-00000...) are there from the start, and another client changes one of them "
       "every 50 ms of server time; the snapshot of a stream is read from the store as the client drains it",
       {}},
      {Variant::kRepeatedFrameAccepted, "repeated-frame-accepted",
       "a manual-control frame whose (epochMicros, sequence) equals the last one is accepted and delivered (frame "
       "order is only our preference: neither seed 001 nor the notes require frames to rise)",
       {"MC-002"}},
      {Variant::kRemoteServer, "remote-server",
       "a server across a network: every answer goes out 40 ms late and every stream byte 90 ms after it was "
       "due, order and spacing kept (system clock only; with the test clock it changes nothing)",
       {}},
  }};
  return kInfos;
}

const Info& info(Variant v) {
  for (const auto& i : infos()) {
    if (i.variant == v) return i;
  }
  return infos().front();  // unreachable: every enumerator has an entry
}

}  // namespace

std::string_view to_name(Variant v) { return info(v).name; }

std::optional<Variant> parse_variant(std::string_view name) {
  for (const auto& i : infos()) {
    if (i.name == name) return i.variant;
  }
  return std::nullopt;
}

const std::vector<Variant>& all_variants() {
  static const std::vector<Variant> kAll = [] {
    std::vector<Variant> v;
    for (const auto& i : infos()) v.push_back(i.variant);
    return v;
  }();
  return kAll;
}

std::string_view description(Variant v) { return info(v).description; }

bool about_real_time(Variant v) { return v == Variant::kRemoteServer; }

const std::vector<std::string>& departs_from(Variant v) { return info(v).departs_from; }

std::optional<std::string> variants_conflict(const VariantSet& variants) {
  if (variants.count(Variant::kStaleVersion409) && variants.count(Variant::kStaleVersionIgnored)) {
    return "stale-version-409 and stale-version-ignored are two answers to the same request: pick one";
  }
  return std::nullopt;
}

int integer_error_code(std::string_view code) {
  static constexpr std::array<std::pair<std::string_view, int>, 12> kCodes = {{
      {"INVALID_ARGUMENT", 3},
      {"NOT_FOUND", 5},
      {"ALREADY_EXISTS", 6},
      {"RESOURCE_EXHAUSTED", 8},
      {"FAILED_PRECONDITION", 9},
      {"ABORTED", 10},
      {"UNIMPLEMENTED", 12},
      {"METHOD_NOT_ALLOWED", 12},      // as grpc-gateway answers a known path's wrong method
      {"PAYLOAD_TOO_LARGE", 8},        // as gRPC refuses a message over its size limit
      {"UNSUPPORTED_MEDIA_TYPE", 3},
      {"INTERNAL", 13},
      {"UNAUTHENTICATED", 16},
  }};
  for (const auto& [name, n] : kCodes) {
    if (name == code) return n;
  }
  return 2;  // UNKNOWN
}

}  // namespace th
