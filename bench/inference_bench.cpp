// Inference benchmark: the daemon's KServe v2 inference (`sensix serve`, the real binary of this
// build as a child process) measured from outside with wrk (Debian's HTTP load generator, driven by
// bench/inference/kserve.lua), against the service a user would write instead: a Node.js http server
// with onnxruntime-node (bench/inference/node_server.js, the onnxruntime-node that
// scripts/install-tools puts in the cache) serving the same KServe v2 JSON for the same model file.
// The model is openWakeWord's hey_jarvis head ([1, 16, 96] float32 in, one score out), applied to
// the daemon alone (no pipeline) and run by ONNX Runtime in both services. In one run of the bench,
// each figure the median (min-max) of --repeat runs of --seconds each:
//
// 1. The bare engine: ONNX Runtime's run time for the same input in this process (one thread, as
//    both services run it): what a request cannot go below.
// 2. Latency at concurrency 1 (wrk -t1 -c1, one keep-alive connection): the client's p50 and p99,
//    and the overhead per request: the client's latency minus the engine's median time. For sensix
//    with JSON tensors and with binary tensors (Triton's extension, both ways), for Node with JSON.
// 3. Throughput at saturation (wrk -t2 -c32): requests per second and errors (socket errors and
//    answers other than 200).
// Over gRPC (`sensix serve --grpc-listen`, ModelInfer with raw_input_contents), the load generator
// is this program: gRPC's C++ callback client, one call at a time for the latency, and
// --connections calls in flight over two channels (connections) for the throughput, each call
// started again as soon as its answer comes.
//
// 4. An image model: BlazeFace (the quickstart's, 256x256) at concurrency 1, its input as a binary
//    tensor (the prepared [1, 256, 256, 3] float32) and as a raw 256x256 JPEG (decoded and prepared by
//    the daemon; predictions out), against the bare engine's time for the same tensor.
// 5. The sensors under request load: the quickstart's voice pipeline (speech looping in real time;
//    the wake-word chain at high priority, 100 ms objective) in a fresh daemon for 2 x --seconds,
//    without requests and with wrk saturating BlazeFace (normal priority) with binary tensors: the
//    chain's end-to-end p99 and deadline misses.
//
// Before measuring, one request to each service is checked against the engine's own output: sensix
// bit for bit (JSON and binary), Node to the float.
//
//   sensix_bench_inference [--repeat 5] [--seconds 3] [--connections 32] [--report FILE] [--smoke]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/paths.h"
#include "engines/registry.h"
#include "grpc_service.grpc.pb.h"
#include "suite/machine.h"
#include "suite/spread.h"
#include "support/serve_daemon.h"

#ifndef SENSIX_SOURCE_DIR
#error "SENSIX_SOURCE_DIR must point at the source tree (examples/, bench/inference/)"
#endif
#ifndef SENSIX_BINARY_DIR
#error "SENSIX_BINARY_DIR must point at the build tree (the sensix binary)"
#endif

namespace sensix {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using bench::format_spread;
using bench::read_file;
using bench::ServeDaemon;
using bench::since;
using bench::Spread;
using bench::spread_of;
using bench::write_file;

struct Options {
  int repeat = 5;
  int seconds = 3;
  int connections = 32;
  bool smoke = false;
  std::string report;
};

constexpr const char* kModel = "hey-jarvis";
constexpr const char* kInput = "x.1";

// The first program of that name on PATH, or "".
std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string d;
  while (std::getline(dirs, d, ':')) {
    const std::string p = d + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

// The quickstart's hey-jarvis Model document without its TFLite variant: ONNX Runtime serves it,
// as in the Node service.
std::string quickstart_text() { return read_file(std::string(SENSIX_SOURCE_DIR) + "/examples/quickstart.yaml"); }

std::string model_document() {
  std::string doc = bench::document_named(quickstart_text(), "hey-jarvis");
  if (const size_t v = doc.find("\n  variants:"); v != std::string::npos) doc.resize(v + 1);
  return doc;
}

// The request's 1536 values, the same every run.
std::vector<float> input_values() {
  std::vector<float> v(16 * 96);
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> d(-2.0f, 2.0f);
  for (float& x : v) x = d(rng);
  return v;
}

json json_request(const std::vector<float>& values) {
  return json{{"id", "bench"},
              {"inputs",
               json::array({json{{"name", kInput}, {"shape", {1, 16, 96}}, {"datatype", "FP32"}, {"data", values}}})}};
}

// Triton's binary tensor extension, both ways: the JSON header, then the raw values.
std::pair<std::string, size_t> binary_request(const std::vector<float>& values) {
  const std::string header = json{
      {"id", "bench"},
      {"inputs", json::array({json{{"name", kInput},
                                   {"shape", {1, 16, 96}},
                                   {"datatype", "FP32"},
                                   {"parameters", {{"binary_data_size", values.size() * sizeof(float)}}}}})},
      {"parameters",
       {{"binary_data_output",
         true}}}}.dump();
  return {header + std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)),
          header.size()};
}

// The bare engine: `model_file` loaded with one intra-op thread, run on `in` (its first `outputs`
// outputs fetched) `warmup` times, then `runs` times timed; the timed runs' microseconds, sorted,
// and the last run's outputs in `*last`.
Result<std::vector<double>> bare_engine_us(Engine& engine, const std::string& model_file, const Tensor& in, int outputs,
                                           int runs, int warmup, std::vector<Tensor>* last) {
  SENSIX_ASSIGN_OR_RETURN(auto session, engine.load(model_file, SessionOptions{1}));
  const Tensor* ins[] = {&in};
  std::vector<int> want(static_cast<size_t>(outputs));
  for (int o = 0; o < outputs; ++o) want[static_cast<size_t>(o)] = o;
  std::vector<double> us;
  for (int i = 0; i < runs + warmup; ++i) {
    const auto s = Clock::now();
    if (Status ran = session->run(ins, want, last); !ran.ok()) return ran.with_context("the bare engine's run");
    if (i >= warmup) us.push_back(since(s) * 1e6);
  }
  std::sort(us.begin(), us.end());
  return us;
}

// One wrk run's figures (the kserve.lua SENSIX_WRK line).
struct WrkRun {
  double requests = 0, seconds = 0, p50_us = 0, p99_us = 0, mean_us = 0;
  double socket_errors = 0, status_errors = 0;
  double rps() const { return seconds > 0 ? requests / seconds : 0; }
};

// A child process (the Node service): spawned with its output to a file.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { stop(); }
  bool start(const std::vector<std::string>& args, const std::string& log, const std::vector<std::string>& env_extra) {
    log_ = log;
    pid_ = bench::spawn_logged(args, log, env_extra, &error_);
    return pid_ > 0;
  }
  const std::string& error() const { return error_; }
  bool running() {
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string log() const { return read_file(log_); }

 private:
  pid_t pid_ = -1;
  std::string log_, error_;
};

class InferenceBench {
 public:
  explicit InferenceBench(Options o) : opt_(std::move(o)) {}

  int run() {
    const auto t0 = Clock::now();
    machine_ = bench::describe_machine(SENSIX_SOURCE_DIR);
    // Anything else on these cores swings every figure (bench/README.md): wait up to two minutes
    // for the load to fall to 0.5 per core, then start anyway; the report gives the load.
    if (!opt_.smoke) bench::wait_for_quiet(machine_.cores, 120);
    const std::string load0 = bench::load_average();
    work_ = (fs::temp_directory_path() / fmt::format("sensix-bench-inference-{}", ::getpid())).string();
    fs::create_directories(work_);
    const bool ok = measure();
    std::error_code ec;
    fs::remove_all(work_, ec);

    std::string out = bench::report_header(
        machine_, "Inference benchmark: KServe v2 requests to `sensix serve` and to a Node.js service",
        "sensix_bench_inference" + (opt_.smoke ? std::string(" --smoke")
                                               : fmt::format(" --repeat {} --seconds {} --connections {}", opt_.repeat,
                                                             opt_.seconds, opt_.connections)),
        {"Load generator: " + wrk_version_}, load0, since(t0));
    if (opt_.smoke) out += "A smoke run: every part runs, briefly; its figures are not measurements.\n\n";
    out +=
        "Method: both services run on this machine, one at a time, on loopback; wrk (one thread, one keep-alive "
        "connection for latency; two threads and `--connections` connections for throughput) sends the same "
        "prepared request over and over for `--seconds` and reports its latency percentiles (microseconds) and "
        "counts (bench/inference/kserve.lua). The overhead of a request is the client's latency minus the bare "
        "engine's median time for the same input. wrk shares the two cores with the service it measures, as a "
        "client on the device would. Every figure is the median (min-max) of `--repeat` runs.\n\n";
    out += "## Goals\n\n| goal | figure | met |\n|---|---|---|\n" + goals_ + "\n";
    out += sections_;
    if (!ok) out += "**The benchmark failed:** " + failure_ + "\n";
    std::fputs(out.c_str(), stdout);
    if (!opt_.report.empty() && !write_file(opt_.report, out)) {
      std::fprintf(stderr, "inference bench: cannot write %s\n", opt_.report.c_str());
      return 1;
    }
    if (!ok) return 2;
    std::printf("Inference benchmark complete: 5 of 5 measured\n");
    return 0;
  }

 private:
  bool fail(const std::string& why) {
    failure_ = why;
    std::fprintf(stderr, "inference bench: %s\n", why.c_str());
    return false;
  }

  void goal(const std::string& what, const std::string& figure, bool met) {
    goals_ += fmt::format("| {} | {} | {} |\n", what, figure, met ? "yes" : "**no**");
  }

  bool measure() {
    wrk_ = on_path("wrk");
    if (wrk_.empty()) return fail("wrk not found on PATH: run scripts/install-packages (Debian's wrk)");
    if (FILE* p = ::popen("wrk -v 2>&1", "r")) {
      char line[256] = {0};
      if (std::fgets(line, sizeof line, p) != nullptr) wrk_version_ = std::string(line, std::strcspn(line, "\n"));
      ::pclose(p);
    }
    const std::string node_modules = cache_dir() + "/npm/onnxruntime-node/node_modules";
    if (!fs::exists(node_modules + "/onnxruntime-node")) {
      return fail(fmt::format("{} has no onnxruntime-node: run scripts/install-tools", node_modules));
    }
    const std::string model_file = cache_dir() + "/models/openwakeword/hey_jarvis_v0.1.onnx";
    if (!fs::exists(model_file)) return fail(model_file + " is missing: run scripts/setup");
    const std::vector<float> values = input_values();

    // 1. The bare engine.
    EngineRegistry engines;
    auto ort = engines.get("onnxruntime");
    if (!ort.ok()) return fail(ort.status().message());
    const int runs = opt_.smoke ? 200 : 5000;
    std::vector<Tensor> direct;
    auto timed = bare_engine_us(**ort, model_file, Tensor::from_values<float>({1, 16, 96}, values), 1, runs, 100,
                                &direct);
    if (!timed.ok()) return fail(timed.status().message());
    const std::vector<double>& engine_us = *timed;
    const float expected = direct.at(0).values<float>()[0];
    engine_p50_ = engine_us[engine_us.size() / 2];
    const double engine_p99 = engine_us[engine_us.size() * 99 / 100];
    sections_ += fmt::format(
        "## 1. The bare engine\n\nONNX Runtime (the library sensix loads), one intra-op thread, the request's "
        "[1, 16, 96] input, {} runs after 100 warm-up runs: median **{:.1f} us**, p99 {:.1f} us.\n\n",
        runs, engine_p50_, engine_p99);

    // The request bodies.
    const std::string json_body = json_request(values).dump();
    const auto [binary_body, header_length] = binary_request(values);
    const std::string json_file = work_ + "/request.json", binary_file = work_ + "/request.bin";
    if (!write_file(json_file, json_body) || !write_file(binary_file, binary_body)) {
      return fail("cannot write the request bodies under " + work_);
    }

    // The services, checked once each.
    ServeDaemon d(std::string(SENSIX_BINARY_DIR) + "/sensix");
    if (!d.start(work_ + "/state", {"--grpc-listen", "127.0.0.1:0"})) return fail(d.error());
    std::string grpc_address;
    {
      std::smatch m;
      const std::string text = d.log();
      if (!std::regex_search(text, m, std::regex(R"(grpc listening on (127\.0\.0\.1:\d+))"))) {
        return fail("the daemon printed no gRPC address:\n" + text);
      }
      grpc_address = m[1].str();
    }
    if (auto [status, body] = d.call(
            "POST", "/v1/apply", model_document() + "---\n" + bench::document_named(quickstart_text(), "blazeface"));
        status != 200) {
      return fail(fmt::format("apply: {} {}", status, body.dump()));
    }
    if (d.wait_ready() < 0) return fail("the daemon was not ready within 180 s:\n" + d.log());
    const std::string path = fmt::format("/v2/models/{}/infer", kModel);
    auto by_json = d.request("POST", path, json_body, "application/json");
    if (!by_json.ok() || by_json->status != 200) return fail("sensix's JSON answer: " + d.log());
    const float got_json = json::parse(by_json->body)["outputs"][0]["data"][0].get<float>();
    auto by_binary = d.request("POST", path, binary_body, "application/octet-stream",
                               {{"Inference-Header-Content-Length", std::to_string(header_length)}});
    if (!by_binary.ok() || by_binary->status != 200 || by_binary->body.size() < sizeof(float)) {
      return fail("sensix's binary answer: " + (by_binary.ok() ? by_binary->body : by_binary.status().message()));
    }
    float got_binary = 0;
    std::memcpy(&got_binary, by_binary->body.data() + by_binary->body.size() - sizeof(float), sizeof(float));
    if (std::memcmp(&got_json, &expected, sizeof(float)) != 0 ||
        std::memcmp(&got_binary, &expected, sizeof(float)) != 0) {
      return fail(
          fmt::format("sensix answered {} (JSON) and {} (binary), the engine {}", got_json, got_binary, expected));
    }

    Child node;
    const std::string node_log = work_ + "/node.log";
    if (!node.start({"node", std::string(SENSIX_SOURCE_DIR) + "/bench/inference/node_server.js", model_file, kModel},
                    node_log, {"NODE_PATH=" + node_modules})) {
      return fail(node.error());
    }
    std::string node_url;
    const std::regex listening(R"(listening on (\d+))");
    for (const auto s = Clock::now(); node_url.empty() && since(s) < 60;
         std::this_thread::sleep_for(std::chrono::milliseconds(10))) {
      std::smatch m;
      const std::string text = node.log();
      if (std::regex_search(text, m, listening)) node_url = "http://127.0.0.1:" + m[1].str();
      if (!node.running()) return fail("the Node service exited:\n" + node.log());
    }
    if (node_url.empty()) return fail("the Node service did not listen within 60 s:\n" + node.log());
    api::ClientOptions co;
    co.server = node_url;
    auto node_client = api::HttpClient::create(co);
    if (!node_client.ok()) return fail(node_client.status().message());
    auto by_node = node_client->request("POST", path, json_body, "application/json");
    if (!by_node.ok() || by_node->status != 200) return fail("the Node service's answer: " + node.log());
    const float got_node = json::parse(by_node->body)["outputs"][0]["data"][0].get<float>();
    if (std::fabs(got_node - expected) > 1e-6f) {
      return fail(fmt::format("the Node service answered {}, the engine {}", got_node, expected));
    }
    // gRPC: the same values as raw_input_contents.
    inference::ModelInferRequest grpc_request;
    grpc_request.set_model_name(kModel);
    {
      auto* input = grpc_request.add_inputs();
      input->set_name(json_request(values)["inputs"][0]["name"].get<std::string>());
      input->set_datatype("FP32");
      for (int64_t dim : {1, 16, 96}) input->add_shape(dim);
      grpc_request.add_raw_input_contents(
          std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
    }
    {
      auto stub = inference::GRPCInferenceService::NewStub(
          grpc::CreateChannel(grpc_address, grpc::InsecureChannelCredentials()));
      grpc::ClientContext ctx;
      inference::ModelInferResponse answer;
      const grpc::Status s = stub->ModelInfer(&ctx, grpc_request, &answer);
      float got_grpc = 0;
      if (!s.ok() || answer.raw_output_contents_size() != 1 || answer.raw_output_contents(0).size() != sizeof(float)) {
        return fail("sensix's gRPC answer: " + s.error_message());
      }
      std::memcpy(&got_grpc, answer.raw_output_contents(0).data(), sizeof(float));
      if (std::memcmp(&got_grpc, &expected, sizeof(float)) != 0) {
        return fail(fmt::format("sensix answered {} over gRPC, the engine {}", got_grpc, expected));
      }
    }
    sections_ += fmt::format(
        "Checked before measuring: sensix answers the engine's own output bit for bit ({:.9g}) with JSON, "
        "with binary tensors and over gRPC; the Node service answers {:.9g}.\n\n",
        expected, got_node);

    // 2 and 3, for each service and encoding.
    struct Case {
      std::string name, url, body_file, content_type, header_length;
      bool grpc = false;
    };
    const std::vector<Case> cases = {
        {"sensix, JSON tensors", d.url(), json_file, "application/json", ""},
        {"sensix, binary tensors", d.url(), binary_file, "application/octet-stream", std::to_string(header_length)},
        {"Node.js + onnxruntime-node, JSON", node_url, json_file, "application/json", ""},
        {"sensix, gRPC raw tensors", grpc_address, "", "", "", true},
    };
    // The round trip without a model: the client, loopback and a server answering at once.
    const std::vector<Case> floors = {
        {"sensix", d.url(), "", "", ""},
        {"the Node service", node_url, "", "", ""},
    };
    std::vector<std::vector<WrkRun>> latency(cases.size()), throughput(cases.size()), floor(floors.size());
    for (int r = 0; r < opt_.repeat; ++r) {
      for (size_t f = 0; f < floors.size(); ++f) {
        auto l = wrk(floors[f].url + "/v2/health/live", 1, 1, floors[f]);
        if (!l.ok()) return fail(l.status().message());
        floor[f].push_back(*l);
      }
      for (size_t c = 0; c < cases.size(); ++c) {
        if (cases[c].grpc) {
          latency[c].push_back(grpc_load(grpc_address, grpc_request, 1, 1));
          throughput[c].push_back(grpc_load(grpc_address, grpc_request, 2, opt_.connections));
          continue;
        }
        auto l = wrk(cases[c].url + path, 1, 1, cases[c]);
        if (!l.ok()) return fail(l.status().message());
        latency[c].push_back(*l);
        auto t = wrk(cases[c].url + path, 2, opt_.connections, cases[c]);
        if (!t.ok()) return fail(t.status().message());
        throughput[c].push_back(*t);
      }
    }
    node.stop();

    auto of = [](const std::vector<WrkRun>& measured, auto figure) {
      std::vector<double> v;
      for (const WrkRun& w : measured) v.push_back(figure(w));
      return spread_of(std::move(v));
    };
    sections_ +=
        "## 2. Latency at concurrency 1\n\nOne connection, one request at a time. Overhead: the client's latency "
        "minus the bare engine's median.\n\n| service | p50, us | p99, us | overhead p50, us | overhead p99, us | "
        "requests/s | errors |\n|---|---|---|---|---|---|---|\n";
    std::vector<Spread> overhead_p50(cases.size());
    for (size_t c = 0; c < cases.size(); ++c) {
      const double e = engine_p50_;
      overhead_p50[c] = of(latency[c], [e](const WrkRun& w) { return w.p50_us - e; });
      const Spread overhead_p99 = of(latency[c], [e](const WrkRun& w) { return w.p99_us - e; });
      sections_ += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", cases[c].name,
                               format_spread(of(latency[c], [](const WrkRun& w) { return w.p50_us; }), 0),
                               format_spread(of(latency[c], [](const WrkRun& w) { return w.p99_us; }), 0),
                               format_spread(overhead_p50[c], 0), format_spread(overhead_p99, 0),
                               format_spread(of(latency[c], [](const WrkRun& w) { return w.rps(); }), 0),
                               errors_of(latency[c]));
    }
    sections_ += fmt::format(
        "\nwrk measures latency in whole microseconds. The bare engine takes {:.1f} us of each request.\n\n",
        engine_p50_);
    const Spread floor_sensix = of(floor[0], [](const WrkRun& w) { return w.p50_us; });
    const Spread floor_node = of(floor[1], [](const WrkRun& w) { return w.p50_us; });
    sections_ += fmt::format(
        "The round trip without a model, the floor of every figure above (wrk, loopback and a server that answers "
        "at once: `GET /v2/health/live`, on sensix's I/O thread), p50 at concurrency 1: sensix {} us ({} errors), "
        "the Node service {} us ({} errors). A binary-tensor request to hey_jarvis takes {:.0f} us above sensix's "
        "floor and the bare engine (medians).\n\n",
        format_spread(floor_sensix, 0), errors_of(floor[0]), format_spread(floor_node, 0), errors_of(floor[1]),
        of(latency[1], [](const WrkRun& w) { return w.p50_us; }).median - floor_sensix.median - engine_p50_);
    sections_ += fmt::format(
        "## 3. Throughput at saturation\n\nTwo wrk threads, {} keep-alive connections (gRPC: as many calls in flight "
        "over two channels).\n\n| service | requests/s | "
        "p50, us | p99, us | errors |\n|---|---|---|---|---|\n",
        opt_.connections);
    std::vector<Spread> rps(cases.size());
    bool no_errors = true;
    for (size_t c = 0; c < cases.size(); ++c) {
      rps[c] = of(throughput[c], [](const WrkRun& w) { return w.rps(); });
      const std::string errors = errors_of(throughput[c]);
      no_errors = no_errors && errors == "0";
      sections_ += fmt::format("| {} | {} | {} | {} | {} |\n", cases[c].name, format_spread(rps[c], 0),
                               format_spread(of(throughput[c], [](const WrkRun& w) { return w.p50_us; }), 0),
                               format_spread(of(throughput[c], [](const WrkRun& w) { return w.p99_us; }), 0), errors);
    }
    const double ratio_json = rps[2].median > 0 ? rps[0].median / rps[2].median : 0;
    const double ratio_binary = rps[2].median > 0 ? rps[1].median / rps[2].median : 0;
    sections_ += fmt::format(
        "\nsensix serves {:.1f}x the Node service's requests per second with JSON tensors, {:.1f}x with binary "
        "tensors (medians).\n\n",
        ratio_json, ratio_binary);
    const double ratio_grpc = rps[2].median > 0 ? rps[3].median / rps[2].median : 0;
    sections_ += fmt::format(
        "Over gRPC (raw tensors; the load generator is gRPC's C++ callback client in the bench process, sharing "
        "the cores as wrk does): {:.1f}x the Node service's requests per second.\n\n",
        ratio_grpc);
    goal("binary-tensor overhead p50 under 50 us (hey_jarvis)", format_spread(overhead_p50[1], 0) + " us",
         overhead_p50[1].median < 50);
    goal("at least 20k requests/s at saturation with zero errors (binary)", format_spread(rps[1], 0),
         rps[1].median >= 20000 && no_errors);
    goal("at least 3x the Node service's throughput (JSON, the same requests)", fmt::format("{:.1f}x", ratio_json),
         ratio_json >= 3);
    if (!measure_image(d)) return false;
    if (const int code = d.stop(); code != 0) return fail(fmt::format("sensix serve: exit code {}", code));
    return measure_sensors_under_load();
  }

  // 4. BlazeFace's requests at concurrency 1: a binary tensor and a raw JPEG, against the bare engine.
  bool measure_image(const ServeDaemon& d) {
    const std::string photo = cache_dir() + "/samples/images/messi5.jpg";
    const std::string model_file = cache_dir() + "/models/blazeface/face_detection_back_256x256_barracuda.onnx";
    if (!fs::exists(model_file)) return fail(model_file + " is missing: run scripts/setup");
    cv::Mat bgr = cv::imread(photo, cv::IMREAD_COLOR);
    if (bgr.empty()) return fail(photo + " cannot be read: run scripts/setup");
    cv::resize(bgr, bgr, cv::Size(256, 256), 0, 0, cv::INTER_AREA);
    std::vector<uchar> jpeg_buffer;
    if (!cv::imencode(".jpg", bgr, jpeg_buffer, {cv::IMWRITE_JPEG_QUALITY, 90})) return fail("cannot encode a JPEG");
    const std::string jpeg(jpeg_buffer.begin(), jpeg_buffer.end());
    // The tensor the document asks for: RGB, NHWC, values in [-1, 1].
    std::vector<float> values;
    values.reserve(256 * 256 * 3);
    for (int y = 0; y < 256; ++y) {
      for (int x = 0; x < 256; ++x) {
        const cv::Vec3b p = bgr.at<cv::Vec3b>(y, x);
        for (int c = 2; c >= 0; --c) values.push_back(static_cast<float>(p[c]) / 127.5f - 1.0f);
      }
    }

    // The bare engine: one intra-op thread (the document's resources.threads), every output fetched.
    EngineRegistry engines;
    auto ort = engines.get("onnxruntime");
    if (!ort.ok()) return fail(ort.status().message());
    const int runs = opt_.smoke ? 5 : 200;
    std::vector<Tensor> direct;
    auto timed = bare_engine_us(**ort, model_file, Tensor::from_values<float>({1, 256, 256, 3}, values), 4, runs, 10,
                                &direct);
    if (!timed.ok()) return fail("BlazeFace: " + timed.status().message());
    const std::vector<double>& engine_us = *timed;
    const double engine_p50 = engine_us[engine_us.size() / 2];

    // The requests, checked once: the tensor's first output bit for bit, the JPEG's one face.
    const std::string path = "/v2/models/blazeface/infer";
    const std::string tensor_header = json{{"inputs",
                                            {{{"name", "input:0"},
                                              {"shape", {1, 256, 256, 3}},
                                              {"datatype", "FP32"},
                                              {"parameters", {{"binary_data_size", values.size() * sizeof(float)}}}}}},
                                           {"outputs",
                                            {{{"name", "Identity:0"}, {"parameters", {{"binary_data", true}}}}}}}
                                          .dump();
    const std::string tensor_body = tensor_header + std::string(reinterpret_cast<const char*>(values.data()),
                                                                values.size() * sizeof(float));
    const uint32_t n = static_cast<uint32_t>(jpeg.size());
    const std::string jpeg_header =
        json{{"inputs",
              {{{"name", "input:0"},
                {"shape", {1}},
                {"datatype", "BYTES"},
                {"parameters", {{"content_type", "image/jpeg"}, {"binary_data_size", 4 + jpeg.size()}}}}}}}
            .dump();
    const std::string jpeg_body = jpeg_header + std::string(reinterpret_cast<const char*>(&n), 4) + jpeg;
    auto by_tensor = d.request("POST", path, tensor_body, "application/octet-stream",
                               {{"Inference-Header-Content-Length", std::to_string(tensor_header.size())}});
    const Tensor& first = direct.at(0);
    if (!by_tensor.ok() || by_tensor->status != 200 || by_tensor->body.size() < first.byte_size() ||
        std::memcmp(by_tensor->body.data() + by_tensor->body.size() - first.byte_size(), first.data(),
                    first.byte_size()) != 0) {
      return fail("sensix's BlazeFace answer to the tensor is not the engine's: " +
                  (by_tensor.ok() ? by_tensor->body.substr(0, 300) : by_tensor.status().message()));
    }
    auto by_jpeg = d.request("POST", path, jpeg_body, "application/octet-stream",
                             {{"Inference-Header-Content-Length", std::to_string(jpeg_header.size())}});
    if (!by_jpeg.ok() || by_jpeg->status != 200) {
      return fail("sensix's BlazeFace answer to the JPEG: " +
                  (by_jpeg.ok() ? by_jpeg->body : by_jpeg.status().message()));
    }
    const json answer = json::parse(by_jpeg->body, nullptr, false);
    if (!answer.is_object() || answer["outputs"][0]["shape"] != json::array({1})) {
      return fail("sensix found no face, or more than one, in the JPEG: " + by_jpeg->body);
    }
    const std::string tensor_file = work_ + "/blazeface.bin", jpeg_file = work_ + "/blazeface-jpeg.bin";
    if (!write_file(tensor_file, tensor_body) || !write_file(jpeg_file, jpeg_body)) {
      return fail("cannot write the BlazeFace request bodies under " + work_);
    }
    struct Case {
      std::string name, body_file, content_type, header_length;
    };
    const std::vector<Case> cases = {
        {"binary tensor ([1, 256, 256, 3] float32, 786 KB)", tensor_file, "application/octet-stream",
         std::to_string(tensor_header.size())},
        {fmt::format("raw JPEG (256x256, {} KB; decoded and prepared by sensix; predictions out)", jpeg.size() / 1024),
         jpeg_file, "application/octet-stream", std::to_string(jpeg_header.size())},
    };
    sections_ += fmt::format(
        "## 4. An image model: BlazeFace at concurrency 1\n\nThe quickstart's BlazeFace (256x256, applied alone), "
        "one connection, one request at a time. The bare engine (one intra-op thread, as the document runs it; its "
        "four outputs fetched) takes **{:.0f} us** (median of {} runs) for the prepared tensor. Checked before "
        "measuring: sensix's answer to the tensor is the engine's, bit for bit, and the JPEG gives one face. "
        "Overhead: the client's latency minus the engine's median; for the JPEG it includes decoding it and "
        "preparing the tensor (the work a client does itself when it sends a tensor).\n\n"
        "The second column is the engine's run as the daemon timed it (its statistics' compute_infer, mean over "
        "the run's requests, with the input and output copies): the part of the overhead that is the engine "
        "running slower in the daemon, beside wrk and the server's threads on the same cores, than alone in this "
        "process.\n\n"
        "| input | engine run in sensix, us | p50, us | p99, us | overhead p50, us | overhead p50, % of the engine | "
        "overhead p99, us |\n|---|---|---|---|---|---|---|\n",
        engine_p50, runs);
    // The engine's run inside the daemon (its request statistics' compute_infer: the run with its input
    // and output copies), over each case's requests.
    auto compute_infer = [&d]() -> std::pair<double, double> {
      auto [status, stats] = d.call("GET", "/v2/models/blazeface/stats");
      if (status != 200) return {0, 0};
      const json& c = stats["model_stats"][0]["inference_stats"]["compute_infer"];
      return {c.value("count", 0.0), c.value("ns", 0.0)};
    };
    std::vector<Spread> overhead(cases.size());
    for (size_t c = 0; c < cases.size(); ++c) {
      std::vector<WrkRun> measured;
      std::vector<double> inside_us;
      for (int r = 0; r < opt_.repeat; ++r) {
        const auto before = compute_infer();
        auto l = wrk(d.url() + path, 1, 1, cases[c]);
        const auto after = compute_infer();
        if (after.first > before.first)
          inside_us.push_back((after.second - before.second) / (after.first - before.first) / 1e3);
        if (!l.ok()) return fail(l.status().message());
        if (l->socket_errors + l->status_errors > 0) {
          return fail(fmt::format("BlazeFace, {}: {} errors", cases[c].name, l->socket_errors + l->status_errors));
        }
        measured.push_back(*l);
      }
      auto of = [&](auto figure) {
        std::vector<double> v;
        for (const WrkRun& w : measured) v.push_back(figure(w));
        return spread_of(std::move(v));
      };
      overhead[c] = of([&](const WrkRun& w) { return w.p50_us - engine_p50; });
      const Spread percent = of([&](const WrkRun& w) { return 100.0 * (w.p50_us - engine_p50) / engine_p50; });
      sections_ += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", cases[c].name,
                               format_spread(spread_of(inside_us), 0),
                               format_spread(of([](const WrkRun& w) { return w.p50_us; }), 0),
                               format_spread(of([](const WrkRun& w) { return w.p99_us; }), 0),
                               format_spread(overhead[c], 0), format_spread(percent, 1),
                               format_spread(of([&](const WrkRun& w) { return w.p99_us - engine_p50; }), 0));
    }
    // The transport's share: the same 786 KB request posted where the server answers at once, once
    // it has read it whole (the router's 405 for a POST to GET /v2/health/live; on a handler thread,
    // as every body over 64 KiB).
    std::vector<double> transport_us;
    for (int r = 0; r < opt_.repeat; ++r) {
      auto l = wrk(d.url() + "/v2/health/live", 1, 1, cases[0]);
      if (!l.ok()) return fail(l.status().message());
      if (l->socket_errors > 0 || l->requests == 0) {
        return fail(fmt::format("BlazeFace's body to /v2/health/live: {} socket errors", l->socket_errors));
      }
      transport_us.push_back(l->p50_us);
    }
    const Spread transport = spread_of(transport_us);
    sections_ += fmt::format(
        "\nThe transport's share: the same 786 KB request posted where the server answers at once, once it has "
        "read it whole (`POST /v2/health/live`, which the router answers 405; on a handler thread, as every body "
        "over 64 KiB), p50 {} us at concurrency 1: {:.1f}% of the engine's time before any inference work. The "
        "binary tensor's overhead above it: {:.0f} us ({:.1f}%; medians).\n\n",
        format_spread(transport, 0), 100.0 * transport.median / engine_p50, overhead[0].median - transport.median,
        100.0 * (overhead[0].median - transport.median) / engine_p50);
    goal("BlazeFace binary-tensor overhead at most 10% of its engine time",
         fmt::format("{:.1f}% ({:.0f} of {:.0f} us)", 100.0 * overhead[0].median / engine_p50, overhead[0].median,
                     engine_p50),
         overhead[0].median <= 0.1 * engine_p50);
    blazeface_body_ = tensor_file;
    blazeface_header_ = std::to_string(tensor_header.size());
    return true;
  }

  // 5. The quickstart's wake-word chain in a fresh daemon for 2 x --seconds, without requests and
  // under wrk saturating BlazeFace: its end-to-end p99 and deadline misses.
  bool measure_sensors_under_load() {
    const std::string docs = bench::quickstart_with(quickstart_text(),
                                                    "  replay: {loop: true, speed: 1}\n  buffer: {capacity: 200}\n",
                                                    true) +
                             "\n---\n" + bench::document_named(quickstart_text(), "blazeface");
    const std::vector<std::string> chain = {"oww-mel", "oww-embedding", "hey-jarvis", "alexa", "hey-mycroft"};
    const int seconds = 2 * opt_.seconds;
    struct Run {
      double p99_ms = 0, misses = 0, runs = 0, rps = 0, refused = 0;
    };
    std::vector<Run> quiet, loaded;
    for (int r = 0; r < opt_.repeat; ++r) {
      for (bool load : {false, true}) {
        ServeDaemon v(std::string(SENSIX_BINARY_DIR) + "/sensix");
        if (!v.start(fmt::format("{}/voice-{}-{}", work_, r, load))) return fail(v.error());
        if (auto [status, body] = v.call("POST", "/v1/apply", docs); status != 200) {
          return fail(fmt::format("apply the voice pipeline: {} {}", status, body.dump()));
        }
        if (v.wait_ready() < 0) return fail("the voice daemon was not ready within 180 s:\n" + v.log());
        Run run;
        if (load) {
          struct Case {
            std::string body_file, content_type, header_length;
          } c{blazeface_body_, "application/octet-stream", blazeface_header_};
          const int saved = opt_.seconds;
          opt_.seconds = seconds;
          auto w = wrk(v.url() + "/v2/models/blazeface/infer", 2, 4, c);
          opt_.seconds = saved;
          if (!w.ok()) return fail(w.status().message());
          if (w->socket_errors > 0) return fail(fmt::format("{} socket errors under load", w->socket_errors));
          run.rps = w->rps();
          run.refused = w->status_errors;  // 503: refused under overload (counted, never queued without bound)
        } else {
          std::this_thread::sleep_for(std::chrono::seconds(seconds));
        }
        auto [status, stats] = v.call("GET", "/v1/stats");
        if (status != 200 || !stats.contains("models")) {
          return fail(fmt::format("GET /v1/stats: {} {}", status, stats.dump()));
        }
        for (const json& m : stats["models"]) {
          const std::string name = m.value("name", "");
          if (std::find(chain.begin(), chain.end(), name) == chain.end()) continue;
          run.misses += m.contains("scheduling") ? m["scheduling"].value("deadlineMisses", 0.0) : 0.0;
          if (name == "hey-jarvis") {
            run.p99_ms = m.value("endToEndP99Ms", 0.0);
            run.runs = m.value("runs", 0.0);
          }
        }
        if (run.runs == 0) return fail("the voice pipeline's hey-jarvis did not run:\n" + v.log());
        if (const int code = v.stop(); code != 0) return fail(fmt::format("sensix serve: exit code {}", code));
        (load ? loaded : quiet).push_back(run);
      }
    }
    auto of = [](const std::vector<Run>& runs, auto figure) {
      std::vector<double> v;
      for (const Run& x : runs) v.push_back(figure(x));
      return spread_of(std::move(v));
    };
    const Spread p99_quiet = of(quiet, [](const Run& x) { return x.p99_ms; });
    const Spread p99_loaded = of(loaded, [](const Run& x) { return x.p99_ms; });
    const Spread misses_loaded = of(loaded, [](const Run& x) { return x.misses; });
    sections_ += fmt::format(
        "## 5. The sensors under request load\n\nThe quickstart's voice pipeline (speech looping in real time; "
        "Silero VAD, and the wake-word chain mel -> embedding -> three heads at high priority with a 100 ms "
        "objective) and BlazeFace applied alone, in a fresh daemon per run, for {} s after it is ready: without "
        "requests, and with wrk (two threads, four connections) sending BlazeFace binary tensors as fast as they "
        "are answered (normal priority). The chain's figures: hey_jarvis's end-to-end p99 (audio captured -> its "
        "score) and the deadline misses of the chain's five models.\n\n"
        "| load | hey_jarvis end-to-end p99, ms | deadline misses | hey_jarvis runs | BlazeFace requests/s | "
        "refused (503) |\n|---|---|---|---|---|---|\n"
        "| none | {} | {} | {} | | |\n| BlazeFace saturated | {} | {} | {} | {} | {} |\n\n",
        seconds, format_spread(p99_quiet, 1), format_spread(of(quiet, [](const Run& x) { return x.misses; }), 0),
        format_spread(of(quiet, [](const Run& x) { return x.runs; }), 0), format_spread(p99_loaded, 1),
        format_spread(misses_loaded, 0), format_spread(of(loaded, [](const Run& x) { return x.runs; }), 0),
        format_spread(of(loaded, [](const Run& x) { return x.rps; }), 0),
        format_spread(of(loaded, [](const Run& x) { return x.refused; }), 0));
    goal("the wake-word chain holds its 100 ms objective under a saturating request load (p99, misses)",
         fmt::format("{} ms, {} misses", format_spread(p99_loaded, 1), format_spread(misses_loaded, 0)),
         p99_loaded.max <= 100 && misses_loaded.max == 0);
    return true;
  }

  // gRPC load: `in_flight` ModelInfer calls kept going over `channels` channels for --seconds, each
  // started again from its answer's callback; every call's latency, in microseconds. Errors: calls
  // that did not answer OK (counted as status errors).
  WrkRun grpc_load(const std::string& address, const inference::ModelInferRequest& request, int channels,
                   int in_flight) const {
    std::vector<std::unique_ptr<inference::GRPCInferenceService::Stub>> stubs;
    for (int c = 0; c < channels; ++c) {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", c);  // a connection of its own
      stubs.push_back(inference::GRPCInferenceService::NewStub(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)));
    }
    struct Slot {
      inference::GRPCInferenceService::Stub* stub = nullptr;
      std::unique_ptr<grpc::ClientContext> ctx;
      inference::ModelInferResponse answer;
      Clock::time_point sent;
    };
    std::mutex mu;
    std::condition_variable cv;
    std::vector<double> latencies_us;
    double errors = 0;
    int running = 0;
    const auto end = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(opt_.seconds * 1000));
    std::vector<Slot> slots(static_cast<size_t>(in_flight));
    std::function<void(Slot*)> send = [&](Slot* slot) {
      slot->ctx = std::make_unique<grpc::ClientContext>();
      slot->answer.Clear();
      slot->sent = Clock::now();
      slot->stub->async()->ModelInfer(slot->ctx.get(), &request, &slot->answer, [&, slot](grpc::Status s) {
        const double us = since(slot->sent) * 1e6;
        bool again = false;
        {
          std::lock_guard<std::mutex> lock(mu);
          latencies_us.push_back(us);
          errors += s.ok() ? 0 : 1;
          again = Clock::now() < end;
          if (!again) --running;
        }
        if (again) {
          send(slot);
        } else {
          cv.notify_all();
        }
      });
    };
    const auto start = Clock::now();
    running = in_flight;
    for (int i = 0; i < in_flight; ++i) {
      slots[static_cast<size_t>(i)].stub = stubs[static_cast<size_t>(i % channels)].get();
      send(&slots[static_cast<size_t>(i)]);
    }
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return running == 0; });
    }
    WrkRun w;
    w.seconds = since(start);
    w.requests = static_cast<double>(latencies_us.size());
    std::sort(latencies_us.begin(), latencies_us.end());
    if (!latencies_us.empty()) {
      w.p50_us = latencies_us[latencies_us.size() / 2];
      w.p99_us = latencies_us[latencies_us.size() * 99 / 100];
      double sum = 0;
      for (double v : latencies_us) sum += v;
      w.mean_us = sum / static_cast<double>(latencies_us.size());
    }
    w.status_errors = errors;
    return w;
  }

  // "0", or the socket and status errors of the runs.
  static std::string errors_of(const std::vector<WrkRun>& runs) {
    double socket = 0, status = 0;
    for (const WrkRun& w : runs) socket += w.socket_errors, status += w.status_errors;
    if (socket == 0 && status == 0) return "0";
    return fmt::format("**{:.0f} socket, {:.0f} not 200**", socket, status);
  }

  template <typename Case>
  Result<WrkRun> wrk(const std::string& url, int threads, int connections, const Case& c) const {
    const std::string cmd = fmt::format(
        "'{}' -t{} -c{} -d{}s --timeout 10s -s '{}/bench/inference/kserve.lua' '{}' -- '{}' '{}' '{}' 2>&1", wrk_,
        threads, connections, opt_.seconds, SENSIX_SOURCE_DIR, url, c.body_file, c.content_type, c.header_length);
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      char buf[4096];
      size_t n = 0;
      while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
      if (const int rc = ::pclose(p); rc != 0) return Internal(fmt::format("{}: exit {}\n{}", cmd, rc, out));
    }
    const std::regex line(R"(SENSIX_WRK (\d+) (\d+) (\d+) (\d+) ([\d.]+) (\d+) (\d+))");
    std::smatch m;
    if (!std::regex_search(out, m, line)) return Internal(fmt::format("{}: no SENSIX_WRK line\n{}", cmd, out));
    WrkRun w;
    w.requests = std::stod(m[1]);
    w.seconds = std::stod(m[2]) / 1e6;
    w.p50_us = std::stod(m[3]);
    w.p99_us = std::stod(m[4]);
    w.mean_us = std::stod(m[5]);
    w.socket_errors = std::stod(m[6]);
    w.status_errors = std::stod(m[7]);
    return w;
  }

  Options opt_;
  bench::MachineInfo machine_;
  std::string work_, wrk_, wrk_version_ = "wrk";
  double engine_p50_ = 0;
  std::string blazeface_body_, blazeface_header_;  // the BlazeFace binary-tensor request (part 4), for part 5
  std::string goals_, sections_, failure_;
};

}  // namespace
}  // namespace sensix

int main(int argc, char** argv) {
  CLI::App app{"sensix inference benchmark: KServe v2 requests against a Node.js + onnxruntime-node service"};
  sensix::Options o;
  app.add_option("--repeat", o.repeat, "runs of each measurement (median, min, max)")->check(CLI::Range(1, 50));
  app.add_option("--seconds", o.seconds, "seconds of each wrk run")->check(CLI::Range(1, 600));
  app.add_option("--connections", o.connections, "wrk connections at saturation")->check(CLI::Range(2, 1000));
  app.add_option("--report", o.report, "write the Markdown report here too");
  app.add_flag("--smoke", o.smoke, "every part, briefly (repeat 1, 1 s runs): not measurements");
  CLI11_PARSE(app, argc, argv);
  if (o.smoke) {
    o.repeat = 1;
    o.seconds = 1;
  }
  return sensix::InferenceBench(std::move(o)).run();
}
