#pragma once
// Mutants: realistic bugs that `tasksim serve --mutant NAME` switches on in the
// reference server, one at a time, so the conformance suite can prove that it catches
// them. kNone is the correct server; nothing in the model changes unless one is on.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace th {

enum class Mutant {
  kNone,
  kHeartbeatsLate,           // heartbeats 30% late
  kLeadingEdgeDelayed,       // the first update waits for the window's end
  kTrailingLost,             // the coalesced update is dropped at the window's end
  kCoalesceOldest,           // the trailing update carries the oldest state, not the latest
  kCreatedRateLimited,       // CREATED events open and obey the window
  kTerminalPreexisting,      // terminal tasks among the preexisting ones
  kFilterSwapped,            // inclusive and exclusive status filters swapped
  kPrefixAsExact,            // taskTypePrefix treated as an exact type URL
  kAssigneeIgnored,          // the assignee filter lets every task through
  kParentComboAccepted,      // parentTaskId with another filter is not refused
  kRateLimitBelow250,        // rateLimit below 250 is accepted
  kMalformedJson500,         // malformed JSON gets a 500
  kBadTokenAccepted,         // any bearer token is accepted
  kVersionNotRaised,         // an accepted status update keeps the statusVersion
  kEventTwice,               // every UPDATE event is sent twice
  kNoBlankLine,              // two SSE events without the blank line between them
  kLiveBeforePreexisting,    // the snapshot is written 1 ms late; live events overtake it
  kEventTimeWholeSeconds,    // taskEvent.time from a seconds clock: before the create
  kExcludePreexistingIgnored,  // excludePreexistingTasks is parsed but never read
  kStreamTextPlain,          // streams answered with Content-Type text/plain
  kUnknownTask400,           // an unknown taskId is a bad argument (400), not 404
  kStaleUpdateApplied,       // statusVersion is never compared: the last write wins
  kTerminalTaskMutable,      // a status update is not refused on a terminal task
  kCancelSentEndsTask,       // cancelling a sent task ends it at once, no CANCEL_REQUESTED
  kPageBoundaryRepeats,      // the next page starts at the previous page's last task
  kExecutedElsewhereHandedOver,  // isExecutedElsewhere ignored: its agent gets the task
  kCancelNotSentToAgent,     // CANCEL_REQUESTED, but the agent never gets the cancel request
  kManualControlNotEnded,    // manual control checks for a terminal task only at open
  kHeartbeatsStopWhileUpdatesFlow,  // a task event in the last interval stands in for a heartbeat
  kEventsOutOfVersionOrder,  // a burst of queued events is written newest first
  kDataSplitOverLinesWrongly,  // long data wrapped onto data: lines of 64 bytes, mid-string
  kBlankLineBeforeEachEvent,  // an event's blank line comes before the next: the last one never
  kCancelQueuedCountsAsSent,  // a task queued for its agent counts as sent: a cancel asks the agent
};

std::string_view to_name(Mutant m);
std::optional<Mutant> parse_mutant(std::string_view name);
const std::vector<Mutant>& all_mutants();  // kNone excluded
// Why the mutant's bug cannot be seen without the test clock ("" when it can): the
// real-time sweep (taskconform mutants --real-time) must kill every one it can see.
std::string_view unobservable_in_real_time(Mutant m);

}  // namespace th
