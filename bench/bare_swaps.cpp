// sensix_bench_bare_swaps N A B [NAME=AxB ...]: the baseline of part 5 of sensix_bench_deploy (RSS
// over upgrade/undo cycles). A process with ONNX Runtime and nothing of sensix's runtime, doing what a
// service written by hand does to change a model; the deploy benchmark runs it after the daemon and
// compares their VmRSS growth.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "engines/registry.h"

namespace sensix {
namespace {

int64_t proc_status_bytes(const std::string& key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1)) * 1024;
  }
  return 0;
}

// VmRSS of this process: the median of 5 readings 100 ms apart.
int64_t own_resting_rss() {
  std::vector<int64_t> readings;
  for (int k = 0; k < 5; ++k) {
    if (k > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    readings.push_back(proc_status_bytes("VmRSS"));
  }
  std::sort(readings.begin(), readings.end());
  return readings[2];
}

// The bare engine's side of part 5 of the deploy benchmark, run by it as a child process:
// what a service written by hand around ONNX Runtime does to change a model, in one process without
// sensix. It loads A, then N times loads the other file (B, A, B, ...), runs it once (its warm-up:
// zeros, integer inputs 16000, dynamic dimensions 1, NAME=AxB arguments for others), and
// destroys the session it replaces. Prints "swaps-20 BYTES" and "swaps-N BYTES": its VmRSS then.
int bare_swaps(int n, const std::string& a, const std::string& b, const std::vector<std::string>& shapes) {
  std::map<std::string, Shape> given;
  for (const std::string& s : shapes) {
    const size_t eq = s.find('=');
    Shape shape;
    for (size_t at = eq + 1; at < s.size();) {
      const size_t x = s.find('x', at);
      shape.push_back(std::stoll(s.substr(at, x == std::string::npos ? std::string::npos : x - at)));
      at = x == std::string::npos ? s.size() : x + 1;
    }
    given[s.substr(0, eq)] = shape;
  }
  EngineRegistry engines;
  auto engine = engines.get("onnxruntime");
  if (!engine.ok()) {
    std::fprintf(stderr, "bare swaps: %s\n", std::string(engine.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<Session> current;
  for (int i = 0; i <= n; ++i) {
    SessionOptions so;
    so.intra_op_threads = 1;
    auto loaded = (*engine)->load(i % 2 == 1 ? b : a, so);
    if (!loaded.ok()) {
      std::fprintf(stderr, "bare swaps: %s\n", std::string(loaded.status().message()).c_str());
      return 1;
    }
    std::vector<Tensor> inputs;
    for (const TensorInfo& info : (*loaded)->inputs()) {
      Shape shape = given.count(info.name) ? given.at(info.name) : info.shape;
      for (int64_t& d : shape) d = d < 0 ? 1 : d;
      Tensor t(info.dtype, shape);
      if (info.dtype == DType::kInt64) {
        for (int64_t& v : t.values<int64_t>()) v = 16000;
      }
      inputs.push_back(std::move(t));
    }
    std::vector<const Tensor*> in;
    for (const Tensor& t : inputs) in.push_back(&t);
    std::vector<int> which;
    for (size_t o = 0; o < (*loaded)->outputs().size(); ++o) which.push_back(static_cast<int>(o));
    std::vector<Tensor> out;
    if (Status s = (*loaded)->run(in, which, &out); !s.ok()) {
      std::fprintf(stderr, "bare swaps: warm-up: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    current = std::move(loaded).value();  // the one it replaces goes
    if (i == 20 || i == n) std::printf("swaps-%d %lld\n", i, static_cast<long long>(own_resting_rss()));
  }
  return 0;
}

}  // namespace
}  // namespace sensix

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: sensix_bench_bare_swaps N A.onnx B.onnx [NAME=AxB ...]\n");
    return 2;
  }
  return sensix::bare_swaps(std::atoi(argv[1]), argv[2], argv[3], std::vector<std::string>(argv + 4, argv + argc));
}
