#include "cli_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace sensix::testing {

namespace fs = std::filesystem;

fs::path scratch() {
  fs::path dir = fs::temp_directory_path() / ("sensix-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

Output run_sensix(const std::string& args) {
  const fs::path err = scratch() / "stderr.txt";
  const std::string cmd = std::string(SENSIX_BINARY_DIR) + "/sensix " + args + " 2>" + err.string();
  Output o;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return o;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) o.out.append(buf.data(), n);
  int status = ::pclose(p);
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.err = read_text(err);
  return o;
}

std::string quickstart() { return std::string(SENSIX_SOURCE_DIR) + "/examples/quickstart.yaml"; }

std::string cache(const std::string& rel) {
  const char* c = std::getenv("SENSIX_CACHE");
  return (fs::path(c ? c : "") / rel).string();
}

bool have_setup() { return fs::exists(cache("samples/speech/alexa.wav")) && fs::exists(cache("models/openwakeword")); }

}  // namespace sensix::testing
