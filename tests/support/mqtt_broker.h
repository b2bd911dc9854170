// Broker: a real mosquitto broker on a free loopback port with its own config, restartable on the
// same port, and publishing with the real mosquitto_pub client.
//
// Thread-safety: one thread.
#pragma once

#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/temp_dir.h"

namespace sensix::testing {

class Broker {
 public:
  // Picks the port and writes the config; starts nothing.
  Broker();
  // Starts mosquitto (again, after kill(), on the same port) and waits up to 10 s until it accepts
  // a publish; false if it does not.
  bool start();
  // SIGKILL: the broker vanishes as in a crash.
  void kill() { proc_.kill_now(); }
  int port() const { return port_; }
  std::string log() const;
  // Publishes each line as one message with the real mosquitto_pub client (QoS 1); true on success.
  bool publish(const std::string& topic, const std::vector<std::string>& messages) const;

 private:
  bool accepts() const;

  TempDir dir_;
  std::string conf_;
  int port_;
  ChildProcess proc_;
};

// True if mosquitto and mosquitto_pub are installed.
bool have_mosquitto();

}  // namespace sensix::testing
