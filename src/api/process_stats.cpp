#include "api/process_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace sensix {
namespace {

Result<std::string> read_proc_file(const char* path) {
  std::ifstream in(path);
  if (!in) return Unavailable(fmt::format("cannot read {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

template <typename T>
bool parse_number(std::string_view s, T* out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// The fields of /proc/self/stat after the command name (which may hold spaces and parentheses: it
// ends at the last ')'); fields[0] is field 3 of proc(5), the state.
std::vector<std::string_view> stat_fields(std::string_view stat) {
  std::vector<std::string_view> fields;
  const size_t close = stat.rfind(')');
  if (close == std::string_view::npos) return fields;
  stat.remove_prefix(close + 1);
  while (!stat.empty()) {
    const size_t start = stat.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    stat.remove_prefix(start);
    const size_t end = stat.find_first_of(" \n");
    fields.push_back(stat.substr(0, end));
    if (end == std::string_view::npos) break;
    stat.remove_prefix(end);
  }
  return fields;
}

// The number after `key` at the start of a line of `text` ("VmRSS:\t  1234 kB", "btime 1700000000").
template <typename T>
bool find_value(std::string_view text, std::string_view key, T* out) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.starts_with(key)) continue;
    line.remove_prefix(key.size());
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) return false;
    line.remove_prefix(start);
    return parse_number(line.substr(0, line.find_first_of(" \t")), out);
  }
  return false;
}

Result<int> count_open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return Unavailable(fmt::format("cannot list /proc/self/fd: {}", std::strerror(errno)));
  const int own = dirfd(dir);
  int n = 0;
  while (const dirent* e = readdir(dir)) {
    int fd = -1;
    if (!parse_number(std::string_view(e->d_name), &fd)) continue;  // "." and ".."
    if (fd != own) ++n;
  }
  closedir(dir);
  return n;
}

}  // namespace

Result<ProcessStats> read_process_stats() {
  const long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return Unavailable("sysconf(_SC_CLK_TCK) failed");

  SENSIX_ASSIGN_OR_RETURN(const std::string stat_text, read_proc_file("/proc/self/stat"));
  const std::vector<std::string_view> f = stat_fields(stat_text);
  // proc(5) numbers the fields from 1; f[i] is field i + 3.
  auto field = [&](int number) { return f.at(static_cast<size_t>(number - 3)); };
  uint64_t utime = 0, stime = 0, starttime = 0, vsize = 0;
  int threads = 0;
  if (f.size() < 21 || !parse_number(field(14), &utime) || !parse_number(field(15), &stime) ||
      !parse_number(field(20), &threads) || !parse_number(field(22), &starttime) || !parse_number(field(23), &vsize)) {
    return Unavailable(fmt::format("cannot parse /proc/self/stat: '{}'", stat_text));
  }

  SENSIX_ASSIGN_OR_RETURN(const std::string status_text, read_proc_file("/proc/self/status"));
  int64_t rss_kb = 0;
  if (!find_value(status_text, "VmRSS:", &rss_kb)) return Unavailable("no VmRSS in /proc/self/status");

  SENSIX_ASSIGN_OR_RETURN(const std::string proc_stat, read_proc_file("/proc/stat"));
  int64_t btime = 0;
  if (!find_value(proc_stat, "btime", &btime)) return Unavailable("no btime in /proc/stat");

  SENSIX_ASSIGN_OR_RETURN(const int fds, count_open_fds());

  ProcessStats p;
  p.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks);
  p.rss_bytes = rss_kb * 1024;
  p.virtual_bytes = static_cast<int64_t>(vsize);
  p.start_time_unix_ns = btime * 1'000'000'000 +
                         static_cast<int64_t>(starttime / static_cast<uint64_t>(ticks)) * 1'000'000'000 +
                         static_cast<int64_t>(starttime % static_cast<uint64_t>(ticks)) * 1'000'000'000 / ticks;
  p.open_fds = fds;
  p.threads = threads;
  return p;
}

}  // namespace sensix
