#include "suite/spread.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace sensix::bench {

Spread spread_of(std::vector<double> values) {
  Spread s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  s.n = static_cast<int>(n);
  s.min = values.front();
  s.max = values.back();
  s.median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return s;
}

std::string format_spread(const Spread& s, int decimals) {
  if (s.n == 0) return "n/a";
  if (s.n == 1) return fmt::format("{:.{}f} (1 run)", s.median, decimals);
  return fmt::format("{:.{}f} ({:.{}f}-{:.{}f})", s.median, decimals, s.min, decimals, s.max, decimals);
}

int median_index(const std::vector<double>& values) {
  if (values.empty()) return -1;
  const double m = spread_of(values).median;
  int best = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    if (std::abs(values[i] - m) < std::abs(values[static_cast<size_t>(best)] - m)) best = static_cast<int>(i);
  }
  return best;
}

}  // namespace sensix::bench
