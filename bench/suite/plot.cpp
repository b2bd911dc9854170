#include "suite/plot.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

namespace sensix::bench {
namespace {

namespace fs = std::filesystem;

// gnuplot's single-quoted string: a quote is doubled.
std::string gp_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else out += c;
  }
  return out + "'";
}

bool shell_ok(const std::string& command) { return std::system(command.c_str()) == 0; }

}  // namespace

Plotter::Plotter(std::string dir) : dir_(std::move(dir)) {
  if (dir_.empty()) {
    reason_ = "no --plots folder was given";
    return;
  }
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    reason_ = fmt::format("cannot create {}: {}", dir_, ec.message());
    return;
  }
  if (!shell_ok("command -v gnuplot >/dev/null 2>&1")) {
    reason_ =
        "gnuplot is not installed (Debian package gnuplot-nox; scripts/setup installs it), so only the .dat and .gp "
        "files were written";
    return;
  }
  available_ = true;
  png_terminal_ = shell_ok("gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1") ? "pngcairo" : "png";
}

std::vector<std::string> Plotter::render(const std::string& name, const std::string& body) {
  last_error_.clear();
  if (dir_.empty()) return {};
  const fs::path gp = fs::path(dir_) / (name + ".gp");
  {
    std::ofstream f(gp);
    f << "# " << name << ": drawn by sensix_bench_suite; render again with `gnuplot " << name
      << ".gp` in this folder\n";
    f << "set terminal svg size 800,480 dynamic background rgb 'white' font 'sans,12'\n";
    f << "set output " << gp_quoted(name + ".svg") << "\n";
    f << "set grid\nset key below\n";
    f << body;
    f << "set terminal " << (png_terminal_.empty() ? "pngcairo" : png_terminal_) << " size 800,480\n";
    f << "set output " << gp_quoted(name + ".png") << "\nreplot\nunset output\n";
    if (!f) {
      last_error_ = "cannot write " + gp.string();
      return {};
    }
  }
  if (!available_) return {};
  const std::string cmd = fmt::format("cd {} && gnuplot {} 2>{}.log", gp_quoted(dir_), gp_quoted(name + ".gp"),
                                      gp_quoted(name));
  if (!shell_ok(cmd)) {
    last_error_ = fmt::format("gnuplot failed on {} (see {}.log)", gp.string(), name);
    return {};
  }
  std::error_code ec;
  fs::remove(fs::path(dir_) / (name + ".log"), ec);
  return {name + ".svg", name + ".png"};
}

std::vector<std::string> Plotter::lines(const std::string& name, const PlotLabels& labels,
                                        const std::vector<LineSeries>& series, bool log_x) {
  if (dir_.empty()) return {};
  {
    std::ofstream f(fs::path(dir_) / (name + ".dat"));
    for (size_t i = 0; i < series.size(); ++i) {
      f << "# " << series[i].title << "\n";
      for (const auto& [x, y] : series[i].points) f << fmt::format("{} {}\n", x, y);
      f << "\n\n";
    }
  }
  std::string body = fmt::format("set title {}\nset xlabel {}\nset ylabel {}\nset yrange [0:*]\n",
                                 gp_quoted(labels.title), gp_quoted(labels.x), gp_quoted(labels.y));
  if (log_x) body += "set logscale x\n";
  body += "plot ";
  for (size_t i = 0; i < series.size(); ++i) {
    body += fmt::format("{}{} index {} with linespoints lw 2 pt 7 title {}", i ? ", \\\n     " : "",
                        gp_quoted(name + ".dat"), i, gp_quoted(series[i].title));
  }
  body += "\n";
  return render(name, body);
}

std::vector<std::string> Plotter::bars(const std::string& name, const PlotLabels& labels, const BarChart& chart) {
  if (dir_.empty()) return {};
  const bool ranged = chart.low.size() == chart.series.size() && chart.high.size() == chart.series.size();
  {
    std::ofstream f(fs::path(dir_) / (name + ".dat"));
    f << "# category";
    for (const auto& s : chart.series) {
      f << " " << gp_quoted(s);
      if (ranged) f << " min max";
    }
    f << "\n";
    for (size_t c = 0; c < chart.categories.size(); ++c) {
      f << "\"" << chart.categories[c] << "\"";
      for (size_t s = 0; s < chart.series.size(); ++s) {
        f << " " << chart.values[s][c];
        if (ranged) f << " " << chart.low[s][c] << " " << chart.high[s][c];
      }
      f << "\n";
    }
  }
  std::string body = fmt::format(
      "set title {}\nset xlabel {}\nset ylabel {}\nset yrange [0:*]\nset style data histograms\n"
      "set style histogram {} gap 1\nset style fill solid 0.8 border -1\nset boxwidth 0.9\n"
      "set xtics rotate by -20\n",
      gp_quoted(labels.title), gp_quoted(labels.x), gp_quoted(labels.y), ranged ? "errorbars lw 1" : "clustered");
  body += "plot ";
  for (size_t s = 0; s < chart.series.size(); ++s) {
    const std::string columns = ranged ? fmt::format("{}:{}:{}", 3 * s + 2, 3 * s + 3, 3 * s + 4)
                                       : fmt::format("{}", s + 2);
    body += fmt::format("{}{} using {}{} title {}", s ? ", \\\n     " : "", s ? "''" : gp_quoted(name + ".dat"),
                        columns, s ? "" : ":xtic(1)", gp_quoted(chart.series[s]));
  }
  body += "\n";
  return render(name, body);
}

}  // namespace sensix::bench
