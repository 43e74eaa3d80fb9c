#pragma once
// Invariant checks that stay on in release builds: the simulator runs them millions
// of times, and a broken invariant must stop the run, never corrupt a trace.
#include <cstdio>
#include <cstdlib>

#define TH_ASSERT(cond, msg)                                                         \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: invariant violated: %s (%s)\n", __FILE__, __LINE__, \
                   msg, #cond);                                                      \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)
