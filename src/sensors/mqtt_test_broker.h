// Test-only: a real mosquitto broker on a free loopback port, restartable on the same port, and
// publishing with the real mosquitto_pub client. Not part of the library.
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sensors/child_process.h"
#include "sensors/test_support.h"

namespace sensix::testing {

// A mosquitto broker on a free loopback port, with its own config; restartable on the same port.
class Broker {
 public:
  Broker() : port_(testing::free_tcp_port()) {
    conf_ = dir_.file("mosquitto.conf");
    std::ofstream(conf_) << fmt::format("listener {} 127.0.0.1\nallow_anonymous true\npersistence false\n", port_);
  }
  bool start() {
    if (!proc_.start({"mosquitto", "-c", conf_}, dir_.file("broker.log"))) return false;
    return eventually([&] { return accepts(); }, std::chrono::seconds(10));
  }
  void kill() { proc_.kill_now(); }
  int port() const { return port_; }
  std::string log() const { return read_text(dir_.file("broker.log")); }
  // Publishes each line as one message with the real mosquitto_pub client; true on success.
  bool publish(const std::string& topic, const std::vector<std::string>& messages) const {
    const std::string file = dir_.file("messages.txt");
    {
      std::ofstream out(file);
      for (const auto& m : messages) out << m << "\n";
    }
    const std::string cmd =
        fmt::format("timeout 10 mosquitto_pub -h 127.0.0.1 -p {} -t '{}' -q 1 -l < '{}'", port_, topic, file);
    return std::system(cmd.c_str()) == 0;
  }

 private:
  bool accepts() const {
    return std::system(fmt::format("timeout 2 mosquitto_pub -h 127.0.0.1 -p {} -t probe -n 2>/dev/null", port_).c_str()) == 0;
  }
  TempDir dir_;
  std::string conf_;
  int port_;
  ChildProcess proc_;
};

inline bool have_mosquitto() { return have_program("mosquitto") && have_program("mosquitto_pub"); }

}  // namespace sensix::testing
