// HttpCounters: what the HTTP server counts (requests by route and status, connections, SSE
// delivery), for /metrics and /v1/stats. Plain values, a snapshot.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace sensix {

// Orders (route, status) keys; transparent, so that a count finds its key from a view of the route
// without making a string of it.
struct RouteStatusLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    const int c = std::string_view(a.first).compare(std::string_view(b.first));
    return c < 0 || (c == 0 && a.second < b.second);
  }
};

struct HttpCounters {
  // ("GET /v1/stats" route template, status) -> count
  std::map<std::pair<std::string, int>, uint64_t, RouteStatusLess> requests;
  int64_t open_connections = 0;
  uint64_t rejected_connections = 0;  // over the connection limit
  int64_t sse_subscribers = 0;
  uint64_t sse_events_sent = 0;
  uint64_t sse_events_dropped = 0;  // lost by slow subscribers
};

}  // namespace sensix
