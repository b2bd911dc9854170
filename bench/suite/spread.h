// Spread: the median of repeated measurements with their min and max, as every figure of the
// suite's report is given ("14.85 (14.20-15.10)"). The median, not the best run: a skeptic's figure
// is the typical one, and the range beside it shows the noise.
#pragma once

#include <string>
#include <vector>

namespace sensix::bench {

struct Spread {
  double median = 0;
  double min = 0;
  double max = 0;
  int n = 0;  // measurements; 0: none (every field 0)
};

// The median (the mean of the two middle values for an even count), min and max of `values`.
Spread spread_of(std::vector<double> values);

// The spread of one figure over repeated runs: spread_over(runs, [](const Run& r) { return r.x; }).
template <typename Run, typename F>
Spread spread_over(const std::vector<Run>& runs, F&& figure) {
  std::vector<double> values;
  values.reserve(runs.size());
  for (const auto& r : runs) values.push_back(figure(r));
  return spread_of(std::move(values));
}

// "MEDIAN (MIN-MAX)" with `decimals` digits; a single measurement is "MEDIAN (1 run)"; none is "n/a".
std::string format_spread(const Spread& s, int decimals);

// The index in `values` of the measurement closest to their median (the run whose details a
// report shows beside the spread); -1 for an empty list.
int median_index(const std::vector<double>& values);

}  // namespace sensix::bench
