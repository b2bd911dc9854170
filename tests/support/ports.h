// Loopback ports for the peers that tests start: a port nothing listens on now, and a wait for
// the first datagram of a UDP sender.
#pragma once

#include <chrono>

namespace sensix::testing {

// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's choice for port 0); -1
// if none could be had.
int free_tcp_port();

// A UDP port on 127.0.0.1 that is free now, and (`with_next`, for RTP) whose successor is free too
// (RTCP); -1 after 50 tries.
int free_udp_port(bool with_next = false);

// Waits until a datagram arrives on 127.0.0.1:port (the sender is up), then frees the port.
bool wait_for_datagram(int port, std::chrono::milliseconds timeout);

}  // namespace sensix::testing
