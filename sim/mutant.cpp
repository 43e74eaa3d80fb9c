#include "sim/mutant.h"

#include <array>
#include <utility>

namespace th {
namespace {

constexpr std::array<std::pair<Mutant, std::string_view>, 35> kNames = {{
    {Mutant::kNone, "none"},
    {Mutant::kHeartbeatsLate, "heartbeats-late"},
    {Mutant::kLeadingEdgeDelayed, "leading-edge-delayed"},
    {Mutant::kTrailingLost, "trailing-update-lost"},
    {Mutant::kCoalesceOldest, "coalesce-keeps-oldest"},
    {Mutant::kCreatedRateLimited, "created-rate-limited"},
    {Mutant::kTerminalPreexisting, "terminal-preexisting"},
    {Mutant::kFilterSwapped, "status-filter-swapped"},
    {Mutant::kPrefixAsExact, "prefix-as-exact"},
    {Mutant::kAssigneeIgnored, "assignee-ignored"},
    {Mutant::kParentComboAccepted, "parent-combination-accepted"},
    {Mutant::kRateLimitBelow250, "rate-limit-below-250-accepted"},
    {Mutant::kMalformedJson500, "malformed-json-500"},
    {Mutant::kBadTokenAccepted, "bad-token-accepted"},
    {Mutant::kVersionNotRaised, "status-version-not-raised"},
    {Mutant::kEventTwice, "update-sent-twice"},
    {Mutant::kNoBlankLine, "no-blank-line-between-events"},
    {Mutant::kLiveBeforePreexisting, "live-before-preexisting"},
    {Mutant::kEventTimeWholeSeconds, "event-time-in-whole-seconds"},
    {Mutant::kExcludePreexistingIgnored, "exclude-preexisting-ignored"},
    {Mutant::kStreamTextPlain, "stream-content-type-text-plain"},
    {Mutant::kUnknownTask400, "unknown-task-400"},
    {Mutant::kStaleUpdateApplied, "stale-update-applied"},
    {Mutant::kTerminalTaskMutable, "terminal-task-mutable"},
    {Mutant::kCancelSentEndsTask, "cancel-sent-ends-task"},
    {Mutant::kPageBoundaryRepeats, "page-boundary-repeats"},
    {Mutant::kExecutedElsewhereHandedOver, "executed-elsewhere-handed-over"},
    {Mutant::kCancelNotSentToAgent, "cancel-not-sent-to-agent"},
    {Mutant::kManualControlNotEnded, "manual-control-not-ended"},
    {Mutant::kHeartbeatsStopWhileUpdatesFlow, "heartbeats-stop-while-updates-flow"},
    {Mutant::kEventsOutOfVersionOrder, "events-out-of-version-order"},
    {Mutant::kDataSplitOverLinesWrongly, "data-split-over-lines-wrongly"},
    {Mutant::kBlankLineBeforeEachEvent, "blank-line-before-each-event"},
    {Mutant::kCancelQueuedCountsAsSent, "cancel-queued-counts-as-sent"},
}};

}  // namespace

std::string_view unobservable_in_real_time(Mutant m) {
  switch (m) {
    case Mutant::kLiveBeforePreexisting:
      return "the snapshot is written 1 ms late: on the wall clock a live event in that millisecond is a race the "
             "scenario cannot stage";
    case Mutant::kCancelNotSentToAgent:
      return "it shows only when a listen's hold runs out with nothing after the cancel: 5 minutes with a "
             "default hold (AGENT-LISTEN-002), beyond --max-real-ms";
    case Mutant::kEventTimeWholeSeconds:
      return "the bug is in the taskEvent.time field, which places an event only on the test clock; on the wall "
             "clock the runner places an event by its arrival";
    default:
      return "";
  }
}

std::string_view to_name(Mutant m) {
  for (const auto& [k, n] : kNames) {
    if (k == m) return n;
  }
  return "none";
}

std::optional<Mutant> parse_mutant(std::string_view name) {
  for (const auto& [k, n] : kNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

const std::vector<Mutant>& all_mutants() {
  static const std::vector<Mutant> kAll = [] {
    std::vector<Mutant> v;
    for (const auto& [k, n] : kNames) {
      if (k != Mutant::kNone) v.push_back(k);
    }
    return v;
  }();
  return kAll;
}

}  // namespace th
