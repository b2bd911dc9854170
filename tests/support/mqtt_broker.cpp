#include "support/mqtt_broker.h"

#include <chrono>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "support/ports.h"
#include "support/wait.h"

namespace sensix::testing {

Broker::Broker() : port_(free_tcp_port()) {
  conf_ = dir_.file("mosquitto.conf");
  std::ofstream(conf_) << fmt::format("listener {} 127.0.0.1\nallow_anonymous true\npersistence false\n", port_);
}

bool Broker::start() {
  if (!proc_.start({"mosquitto", "-c", conf_}, dir_.file("broker.log"))) return false;
  return eventually([&] { return accepts(); }, std::chrono::seconds(10));
}

std::string Broker::log() const { return read_text(dir_.file("broker.log")); }

bool Broker::publish(const std::string& topic, const std::vector<std::string>& messages) const {
  const std::string file = dir_.file("messages.txt");
  {
    std::ofstream out(file);
    for (const auto& m : messages) out << m << "\n";
  }
  const std::string cmd = fmt::format("timeout 10 mosquitto_pub -h 127.0.0.1 -p {} -t '{}' -q 1 -l < '{}'", port_,
                                      topic, file);
  return std::system(cmd.c_str()) == 0;
}

bool Broker::accepts() const {
  return std::system(
             fmt::format("timeout 2 mosquitto_pub -h 127.0.0.1 -p {} -t probe -n 2>/dev/null", port_).c_str()) == 0;
}

bool have_mosquitto() { return have_program("mosquitto") && have_program("mosquitto_pub"); }

}  // namespace sensix::testing
