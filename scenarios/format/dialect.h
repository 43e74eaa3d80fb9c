#pragma once
// Dialects: a wire protocol over a service model (design.md, "Dialects"). Every
// command of both programs takes --dialect NAME; without it a command means
// lattice-rest, the one dialect built so far.
#include <string>
#include <vector>

namespace th {

inline constexpr const char* kDefaultDialect = "lattice-rest";

const std::vector<std::string>& known_dialects();

// Takes "--dialect NAME" out of args (the last one wins) into `dialect`, which keeps
// kDefaultDialect when absent. False with a message naming what was wrong when the
// option has no value or names no known dialect.
bool extract_dialect(std::vector<std::string>& args, std::string& dialect, std::string& error);

}  // namespace th
