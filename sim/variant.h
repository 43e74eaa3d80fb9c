#pragma once
// Legal variants: the mirror of mutants (mutant.h). Each switches on, in the reference
// server, one choice another correct server could make where the sources allow it
// (design.md, "Levels"): another status code for a stale version, integer error codes,
// another snapshot order, another SSE framing, a busy store. `tasksim serve --variant
// NAME` (repeatable: variants combine) turns them on, so the conformance suite can
// prove that it does not fail the innocent. With none on, nothing changes.
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace th {

enum class Variant {
  kStaleVersion409,         // a stale statusVersion: 409 ABORTED, task unchanged
  kStaleVersionIgnored,     // a stale statusVersion: 200 with the task unchanged
  kTerminalChange409,       // a change or cancel of a terminal task: 409 ABORTED, not 400
  kIntegerErrorCodes,       // error bodies {"code": <gRPC number>, "message"}
  kUnknownFieldsIgnored,    // unknown request fields ignored instead of 400
  kPreexistingReversed,     // the snapshot newest first
  kCrlfLineEnds,            // SSE lines end with \r\n
  kMultilineData,           // each event's JSON over several data: lines, between tokens
  kCommentsAndIds,          // a comment, id: N and event: message with every event
  kWrites7Bytes,            // every stream byte written in writes of 7 bytes
  kSeveralEventsPerWrite,   // every event ready at once in one write
  kHeartbeatTimerRestarts,  // the heartbeat timer restarts at every message sent
  kBusyStore,               // 10,000 foreign tasks, another client changing them
  kRepeatedFrameAccepted,   // a manual-control frame equal to the last is delivered again
  kRemoteServer,            // every answer 40 ms and every stream byte 90 ms late (real time)
};

// The remote-server variant's delays.
inline constexpr int64_t kRemoteAnswerDelayMs = 40;
inline constexpr int64_t kRemoteStreamDelayMs = 90;

using VariantSet = std::set<Variant>;

std::string_view to_name(Variant v);
std::optional<Variant> parse_variant(std::string_view name);
const std::vector<Variant>& all_variants();
// One line: what the variant does.
std::string_view description(Variant v);
// The SHOULD-level rules (our decisions, lattice-tasks.md) the variant legitimately
// departs from; empty when it departs from none. IDs of the catalog in
// conformance/rules.cpp where one exists, otherwise the ID proposed for the rule.
const std::vector<std::string>& departs_from(Variant v);
// Whether the variant is about real time: the suite plays it on the system clock.
bool about_real_time(Variant v);
// Why a set of variants cannot be on together, or nullopt when it can.
std::optional<std::string> variants_conflict(const VariantSet& variants);

// The integer (gRPC) code an error body carries under kIntegerErrorCodes, for the
// string code the server uses by default (INVALID_ARGUMENT: 3, ...).
int integer_error_code(std::string_view code);

}  // namespace th
