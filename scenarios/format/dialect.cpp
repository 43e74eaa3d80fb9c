#include "scenarios/format/dialect.h"

#include <algorithm>

namespace th {

const std::vector<std::string>& known_dialects() {
  static const std::vector<std::string> kDialects = {kDefaultDialect};
  return kDialects;
}

bool extract_dialect(std::vector<std::string>& args, std::string& dialect, std::string& error) {
  dialect = kDefaultDialect;
  for (size_t i = 0; i < args.size();) {
    if (args[i] != "--dialect") {
      ++i;
      continue;
    }
    if (i + 1 >= args.size()) {
      error = "--dialect takes a name (known: lattice-rest)";
      return false;
    }
    const std::string& name = args[i + 1];
    const auto& known = known_dialects();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      error = "unknown dialect \"" + name + "\" (known: " + list + ")";
      return false;
    }
    dialect = name;
    args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
  }
  return true;
}

}  // namespace th
