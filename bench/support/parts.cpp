#include "support/parts.h"

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "suite/machine.h"

namespace sensix::bench {

int run_parts(const char* tag, const std::vector<Part>& parts, const std::string& failure, std::string* sections) {
  int measured = 0;
  for (const auto& p : parts) {
    std::fprintf(stderr, "%s: %s...\n", tag, p.name);
    const auto t0 = std::chrono::steady_clock::now();
    const bool ok = p.fn();
    std::fprintf(stderr, "%s: %s %s (%.0f s)\n", tag, p.name, ok ? "measured" : "FAILED", since(t0));
    if (ok) {
      ++measured;
    } else {
      *sections += fmt::format("**Part \"{}\" failed:** {}\n\n", p.name, failure);
    }
  }
  return measured;
}

}  // namespace sensix::bench
