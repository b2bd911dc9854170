#include "common/byte_size.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace sensix {

Result<int64_t> parse_byte_size(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument(
        fmt::format("expected a memory size: bytes, or a number with Ki, Mi or Gi (e.g. 256Mi), got \"{}\"", text));
  };
  int64_t unit = 1;
  std::string_view number = text;
  if (number.size() > 2) {
    const std::string_view suffix = number.substr(number.size() - 2);
    if (suffix == "Ki") unit = int64_t{1} << 10;
    if (suffix == "Mi") unit = int64_t{1} << 20;
    if (suffix == "Gi") unit = int64_t{1} << 30;
    if (unit != 1) number.remove_suffix(2);
  }
  if (number.empty() || !(number[0] >= '0' && number[0] <= '9')) return bad();
  if (unit == 1) {  // plain bytes: an integer
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
    if (ec != std::errc() || ptr != number.data() + number.size()) return bad();
    return v;
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), v, std::chars_format::fixed);
  if (ec != std::errc() || ptr != number.data() + number.size() || !std::isfinite(v)) return bad();
  const double bytes = v * static_cast<double>(unit);
  if (bytes > 9.0e18) return bad();
  return static_cast<int64_t>(std::llround(bytes));
}

Result<int64_t> byte_size_option(const std::string& flag, std::string_view flag_name, const char* env) {
  std::string text = flag;
  std::string source(flag_name);
  if (const char* value = std::getenv(env); text.empty() && value != nullptr && *value != '\0') {
    text = value;
    source = std::string("$") + env;
  }
  if (text.empty()) return int64_t{0};
  Result<int64_t> bytes = parse_byte_size(text);
  if (!bytes.ok()) return bytes.status().with_context(source);
  return bytes;
}

std::string format_bytes(int64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (bytes < 1024) return fmt::format("{} B", bytes);
  std::string n;
  std::string_view unit;
  if (bytes < (int64_t{1} << 20)) {
    n = fmt::format("{:.1f}", b / 1024.0), unit = "KiB";
  } else if (bytes < (int64_t{1} << 30)) {
    n = fmt::format("{:.1f}", b / (1024.0 * 1024.0)), unit = "MiB";
  } else {
    n = fmt::format("{:.2f}", b / (1024.0 * 1024.0 * 1024.0)), unit = "GiB";
  }
  while (n.back() == '0') n.pop_back();  // "32.0" -> "32", "1.50" -> "1.5"
  if (n.back() == '.') n.pop_back();
  return fmt::format("{} {}", n, unit);
}

}  // namespace sensix
