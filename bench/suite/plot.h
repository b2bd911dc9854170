// Plots for benchmark reports, drawn by gnuplot: each plot is written as NAME.dat (the numbers)
// and NAME.gp (the script), then gnuplot renders NAME.svg and NAME.png next to them (terminal
// pngcairo, else png). Without gnuplot the .dat and .gp files are still written and available()
// says why nothing was drawn, so a report can say so and keep its tables.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sensix::bench {

// A line plot: one line per series, points (x, y).
struct LineSeries {
  std::string title;
  std::vector<std::pair<double, double>> points;
};

// A grouped bar chart: one group per category, one bar per series (values[series][category]).
struct BarChart {
  std::vector<std::string> categories;
  std::vector<std::string> series;
  std::vector<std::vector<double>> values;
  // Optional, the shape of `values`: each bar's range (e.g. the min and max of repeated runs, the
  // bar being their median), written beside each value in the .dat and drawn as error bars.
  std::vector<std::vector<double>> low, high;
};

struct PlotLabels {
  std::string title;
  std::string x;
  std::string y;
};

class Plotter {
 public:
  // Plots go to `dir` (created); an empty dir disables plotting ("no --plots folder given").
  explicit Plotter(std::string dir);

  bool available() const { return available_; }
  // Why nothing is drawn (gnuplot missing, no folder), when !available().
  const std::string& unavailable_reason() const { return reason_; }
  const std::string& dir() const { return dir_; }

  // Each returns the file names written (NAME.svg and NAME.png when drawn), or an empty list
  // (the problem is in last_error()).
  std::vector<std::string> lines(const std::string& name, const PlotLabels& labels,
                                 const std::vector<LineSeries>& series, bool log_x = false);
  std::vector<std::string> bars(const std::string& name, const PlotLabels& labels, const BarChart& chart);

  const std::string& last_error() const { return last_error_; }

 private:
  std::vector<std::string> render(const std::string& name, const std::string& body);

  std::string dir_;
  bool available_ = false;
  std::string png_terminal_;
  std::string reason_;
  std::string last_error_;
};

}  // namespace sensix::bench
