// HttpCounters: what the HTTP server counts (requests by route and status, connections, SSE
// delivery), for /metrics and /v1/stats. Plain values, a snapshot.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace sensix {

struct HttpCounters {
  std::map<std::pair<std::string, int>, uint64_t> requests;  // ("GET /v1/stats" route template, status) -> count
  int64_t open_connections = 0;
  uint64_t rejected_connections = 0;  // over the connection limit
  int64_t sse_subscribers = 0;
  uint64_t sse_events_sent = 0;
  uint64_t sse_events_dropped = 0;  // lost by slow subscribers
};

}  // namespace sensix
