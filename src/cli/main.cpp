// sensix: the command-line entry point.
//   sensix run FILE...       run documents, print predictions as they happen, then a summary
//   sensix validate FILE...  check documents (fields, references, model files, tensors, plan)
//   sensix plan FILE...      print the shared transformation plan the documents give
//   sensix inspect MODEL...  load model files, print their sha256 and their input and output tensors
//                            (--document: a drafted Model document for each)
//   sensix serve             the device service (cli/serve.h)
//   sensix apply|get|describe|delete|stats|predictions|log-level   its client (cli/client.h)
//   sensix version
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "api/format.h"
#include "cli/client.h"
#include "cli/serve.h"
#include "cli/sinks.h"
#include "common/byte_size.h"
#include "common/env.h"
#include "common/paths.h"
#include "common/sha256.h"
#include "docs/draft.h"
#include "docs/parser.h"
#include "docs/paths.h"
#include "runtime/runtime.h"

namespace {

using namespace sensix;

constexpr const char* kVersion = "0.1.0";

std::atomic<bool> g_interrupted{false};
void on_signal(int) { g_interrupted = true; }

struct CommonOptions {
  std::vector<std::string> files;
  std::string model_repo;
  int verbose = 0;
};

void setup_logging(int verbose) {
  auto logger = spdlog::stderr_color_mt("sensix");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%^[%l]%$ %v");
  spdlog::set_level(verbose >= 2 ? spdlog::level::debug : verbose == 1 ? spdlog::level::info : spdlog::level::warn);
}

// "2 sensors, 1 model, 1 pipeline"
std::string counted(size_t sensors, size_t models, size_t pipelines) {
  auto n = [](size_t k, const char* word) { return fmt::format("{} {}{}", k, word, k == 1 ? "" : "s"); };
  return n(sensors, "sensor") + ", " + n(models, "model") + ", " + n(pipelines, "pipeline");
}

// Prints a failed Status (one line per error) and returns the exit code for it.
int fail(const Status& s) {
  // A Status may hold several problems, one per line: each gets its own "error: " prefix.
  std::string_view m = s.message();
  while (!m.empty()) {
    const size_t nl = m.find('\n');
    const std::string_view line = m.substr(0, nl);
    if (!line.empty()) std::fprintf(stderr, "error: %.*s\n", static_cast<int>(line.size()), line.data());
    if (nl == std::string_view::npos) break;
    m.remove_prefix(nl + 1);
  }
  return 1;
}

Result<DocumentSet> load_documents(const CommonOptions& o) {
  ParseOptions po;
  po.model_repo = o.model_repo;
  return parse_document_files(o.files, po);
}

// Every problem of every document: the documents' own, then the model files', tensors',
// sensors' and plan's of the documents that have none of their own. Models and sensors that no
// pipeline uses are checked too; a lone Model document is checked against its file.
int cmd_validate(const CommonOptions& o) {
  ParseOptions po;
  po.model_repo = o.model_repo;
  ReadDocuments read = read_document_files(o.files, po);
  StatusList problems;
  problems.add(read.problems);
  const DocumentSet& docs = read.docs;
  RuntimeOptions ro;
  ro.check_unused = true;
  auto rt = Runtime::create(docs, ro);
  if (!rt.ok()) problems.add(rt.status());
  if (!problems.ok()) {
    fail(problems.status());
    std::fprintf(stderr, "%zu problem%s\n", problems.size(), problems.size() == 1 ? "" : "s");
    return 1;
  }
  auto sh = (*rt)->plan().sharing();
  std::printf("ok: %s; plan of %d nodes (%d shared)\n",
              counted(docs.sensors.size(), docs.models.size(), docs.pipelines.size()).c_str(), sh.nodes,
              sh.shared_nodes);
  return 0;
}

int cmd_plan(const CommonOptions& o) {
  auto docs = load_documents(o);
  if (!docs.ok()) return fail(docs.status());
  auto rt = Runtime::create(*docs);
  if (!rt.ok()) return fail(rt.status());
  std::fputs((*rt)->plan().to_text().c_str(), stdout);
  return 0;
}

// Loads each model file with the engine for its extension (.onnx, .tflite) and prints its tensors
// (what a Model document's inputs and outputs must name) and its sha256 (what its `sha256` must
// say). A file is named as in a document: a path, repo:<path> (the model repository) or
// samples:<path> (the sample cache). With --document it prints a drafted Model document per
// file instead (docs/draft.h), placeholders where the file cannot say.
int cmd_inspect(const std::vector<std::string>& files, const std::string& model_repo, bool document) {
  EngineRegistry engines;
  int drafted = 0;
  const docs::PathRoots roots{"", model_repo.empty() ? model_repo_dir() : model_repo, samples_dir()};
  int rc = 0;
  for (const auto& written : files) {
    auto resolved = docs::resolve_document_path(written, roots);
    if (!resolved.ok()) {
      rc = fail(resolved.status());
      continue;
    }
    const std::string& f = *resolved;
    const std::string where = f == written ? written : fmt::format("{} ({})", written, f);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(f, ec)) {
      rc = fail(NotFound(fmt::format("{}: no such model file", where)));
      continue;
    }
    const bool tflite = f.ends_with(".tflite");
    if (!tflite && !f.ends_with(".onnx")) {
      rc = fail(InvalidArgument(fmt::format("{}: not a model file sensix knows (.onnx or .tflite)", where)));
      continue;
    }
    const ModelFormat format = tflite ? ModelFormat::kTflite : ModelFormat::kOnnx;
    auto engine = engines.get(EngineRegistry::default_engine_for(format));
    if (!engine.ok()) {
      rc = fail(engine.status().with_context(where));
      continue;
    }
    auto session = (*engine)->load(f, SessionOptions{});
    if (!session.ok()) {
      rc = fail(session.status().with_context(where));
      continue;
    }
    auto sha = sha256_file(f);
    if (!sha.ok()) {
      rc = fail(sha.status().with_context(where));
      continue;
    }
    if (document) {  // a Model document to edit, instead of the table
      docs::DraftSource draft{written, f, *sha, format, (*session)->inputs(), (*session)->outputs()};
      std::printf("%s%s", drafted++ ? "---\n" : "", docs::draft_model_document(draft).c_str());
      continue;
    }
    std::printf("%s (%s, %s)\n", written.c_str(), std::string(model_format_name(format)).c_str(),
                std::string(EngineRegistry::default_engine_for(format)).c_str());
    if (f != written) std::printf("  file   %s\n", f.c_str());
    std::printf("  sha256 %s\n", sha->c_str());
    auto print = [](const char* what, const std::vector<TensorInfo>& ts) {
      for (const auto& t : ts) {
        std::printf("  %s %s %s %s\n", what, t.name.c_str(), std::string(dtype_name(t.dtype)).c_str(),
                    shape_to_string(t.shape).c_str());
      }
    };
    print("input ", (*session)->inputs());
    print("output", (*session)->outputs());
  }
  return rc;
}

struct RunOptions {
  bool json = false;
  std::string speed;
  bool loop = false;
  double duration = 0;
  bool quiet = false;
  bool no_sharing = false;    // --no-sharing: each model its own copy of every transform step
  std::string memory_budget;  // --memory-budget, else $SENSIX_MEMORY_BUDGET
  std::string policy;         // --policy: overrides the device's and every model's scheduling policy
};

int cmd_run(const CommonOptions& o, const RunOptions& r) {
  auto docs = load_documents(o);
  if (!docs.ok()) return fail(docs.status());
  RuntimeOptions ro;
  if (!r.speed.empty()) {
    if (r.speed == "max") {
      ro.speed = 0.0;
    } else {
      try {
        size_t used = 0;
        double v = std::stod(r.speed, &used);
        if (used != r.speed.size() || v < 0) throw std::invalid_argument("bad");
        ro.speed = v;
      } catch (const std::exception&) {
        return fail(InvalidArgument("--speed: expected a non-negative number or \"max\", got \"" + r.speed + "\""));
      }
    }
  }
  if (r.loop) ro.loop = true;
  ro.share = !r.no_sharing;
  if (!r.policy.empty()) {
    if (r.policy == "latency") ro.policy = SchedPolicy::kLatency;
    else if (r.policy == "throughput") ro.policy = SchedPolicy::kThroughput;
    else if (r.policy == "balanced") ro.policy = SchedPolicy::kBalanced;
    else return fail(InvalidArgument("--policy: expected latency, throughput or balanced, got \"" + r.policy + "\""));
  }
  Result<int64_t> budget = byte_size_option(r.memory_budget, "--memory-budget", "SENSIX_MEMORY_BUDGET");
  if (!budget.ok()) return fail(budget.status());
  ro.memory_budget_bytes = *budget;
  auto created = Runtime::create(*docs, ro);
  if (!created.ok()) return fail(created.status());
  auto& rt = *created;

  auto console = std::make_shared<ConsoleSink>(stdout, r.json);
  if (!r.quiet) rt->add_sink(console);
  for (const auto& p : docs->pipelines) {
    for (const auto& s : p.spec.sinks) {
      auto sink = JsonlFileSink::open(s.path, p.metadata.name);
      if (!sink.ok()) return fail(sink.status().with_context(doc_label(p) + ": spec.sinks"));
      rt->add_sink(std::shared_ptr<PredictionSink>(std::move(sink).value()));
    }
  }

  if (!r.json) {
    auto sh = rt->plan().sharing();
    std::printf("sensix %s: %s; plan of %d nodes for %d requested steps\n", kVersion,
                counted(rt->stats().sensors.size(), rt->stats().models.size(), docs->pipelines.size()).c_str(),
                sh.nodes, sh.requested);
    std::fflush(stdout);
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  Status started = rt->start();
  if (!started.ok()) return fail(started);
  Env* env = ro.env;  // the runtime's clock
  const TimePoint t0 = env->now();
  for (;;) {
    if (rt->wait(std::chrono::milliseconds(50))) break;
    if (g_interrupted) break;
    if (r.duration > 0 && std::chrono::duration<double>(env->now() - t0).count() >= r.duration) break;
  }
  rt->stop();
  RuntimeStats stats = rt->stats();
  if (r.json) {
    std::puts(stats_to_json(stats).dump().c_str());
  } else {
    std::fputs(stats_to_text(stats).c_str(), stdout);
  }
  for (const auto& s : stats.sensors) {
    if (s.state == SensorState::kFailed) return 3;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sensix: multi-model serving for sensory edge devices"};
  app.require_subcommand(1);
  CommonOptions common;
  RunOptions run;

  auto add_common = [&](CLI::App* sub) {
    sub->add_option("files", common.files, "document files or folders (YAML or JSON)")->required();
    sub->add_option("--model-repo", common.model_repo,
                    "model repository for repo: sources (default $SENSIX_MODEL_REPO or ~/.cache/sensix/models)");
    sub->add_flag("-v,--verbose", common.verbose, "more logging (-vv for debug)");
  };
  auto* run_cmd = app.add_subcommand("run", "run documents: print predictions as they happen, then a summary");
  add_common(run_cmd);
  run_cmd->add_flag("--json", run.json, "one JSON object per line (predictions, then a summary)");
  run_cmd->add_option("--speed", run.speed,
                      "replay speed for every sensor: 1 = real time, 2 = twice as fast, max = as fast as possible");
  run_cmd->add_flag("--loop", run.loop, "loop every file sensor");
  run_cmd->add_option("--duration", run.duration, "stop after this many seconds");
  run_cmd->add_option("--memory-budget", run.memory_budget,
                      "the most memory all models may use together, e.g. 1Gi (default $SENSIX_MEMORY_BUDGET, else "
                      "none)");
  run_cmd->add_flag("--quiet", run.quiet, "print only the summary");
  run_cmd->add_option("--policy", run.policy,
                      "scheduling policy for every model: latency, throughput or balanced (default: the documents')");
  run_cmd->add_flag("--no-sharing", run.no_sharing,
                    "give every model its own copy of every transform step (to measure what sharing saves)");
  run_cmd->footer(
      "Output: one line per prediction, printed when its model's run ends:\n"
      "  <media time>  <sensor>  <model>  <result>  from <file name, URL or device of its frame>\n"
      "Each model's lines come in media-time order, but models run on a scheduler, so the lines of\n"
      "different models (even of one sensor) can come out of media-time order, most at --speed max.\n"
      "For media order, use --json and sort by \"time\" (the \"source\" field has the full path).");
  auto* validate_cmd = app.add_subcommand("validate", "check documents without running them");
  add_common(validate_cmd);
  auto* plan_cmd = app.add_subcommand("plan", "print the shared transformation plan");
  add_common(plan_cmd);
  std::vector<std::string> inspect_files;
  std::string inspect_repo;
  auto* inspect_cmd = app.add_subcommand(
      "inspect", "load model files (.onnx, .tflite) and print their sha256 and their input and output tensors");
  inspect_cmd
      ->add_option("models", inspect_files,
                   "model files: paths, repo:<path> (the model repository) or samples:<path> (the sample cache)")
      ->required();
  bool inspect_document = false;
  inspect_cmd->add_flag("--document", inspect_document,
                        "print a drafted Model document for each file (sha256, tensors, guessed inputs; "
                        "placeholders in \"<...>\" for what the file cannot say, which `sensix validate` names)");
  inspect_cmd->add_option("--model-repo", inspect_repo,
                          "model repository for repo: paths (default $SENSIX_MODEL_REPO or ~/.cache/sensix/models)");
  app.add_subcommand("version", "print the version");

  ServeOptions serve;
  serve.version = kVersion;
  auto* serve_cmd = app.add_subcommand("serve", "run as a device service: the documents applied to it, the HTTP API");
  serve_cmd->add_option("--data-dir", serve.data_dir,
                        "where the applied documents are kept (default $SENSIX_DATA_DIR, else ~/.local/state/sensix)");
  serve_cmd->add_option("--listen", serve.listen, "ADDRESS:PORT to serve on (default 127.0.0.1:8000; port 0: any)");
  serve_cmd->add_option("--grpc-listen", serve.grpc_listen,
                        "ADDRESS:PORT of the KServe v2 gRPC inference service (default: none; port 0: any)");
  serve_cmd->add_option("--token-file", serve.token_file,
                        "bearer tokens, one a line (\"TOKEN\" or \"TOKEN read\"); needed off loopback");
  serve_cmd->add_option("--tls-cert", serve.tls_cert, "TLS certificate chain (PEM)");
  serve_cmd->add_option("--tls-key", serve.tls_key, "TLS private key (PEM)");
  serve_cmd->add_flag("--allow-insecure-http", serve.allow_insecure_http,
                      "allow plain HTTP on a non-loopback address (tokens then cross the network in clear)");
  serve_cmd->add_option("-f,--file", serve.files, "documents to apply at start, after the stored ones");
  serve_cmd->add_option("--model-repo", serve.model_repo,
                        "model repository for repo: sources (default $SENSIX_MODEL_REPO or ~/.cache/sensix/models)");
  serve_cmd->add_option("--allow-read", serve.read_dirs,
                        "a folder whose files documents applied over the API may name, besides the model repository, "
                        "the samples and the data directory (repeatable)");
  serve_cmd->add_option("--allow-fetch", serve.fetch_prefixes,
                        "an http(s) URL prefix Model sources may be fetched from, e.g. "
                        "https://models.example.com/edge/ "
                        "(repeatable; default: none)");
  serve_cmd->add_option("--fetch-ca-file", serve.fetch_ca_file, "https model sources: also trust this CA (PEM)");
  serve_cmd->add_option("--store-max-bytes", serve.store_max,
                        "the most the model store (<data-dir>/models) may hold, e.g. 2Gi (default 0: no limit)");
  serve_cmd->add_option("--store-keep-versions", serve.store_keep_versions,
                        "versions of each Model whose files the model store keeps, the current one included "
                        "(default 3)");
  serve_cmd->add_option("--store-min-free", serve.store_min_free,
                        "free space the model store leaves on its disk (default 64Mi)");
  serve_cmd->add_option("--memory-budget", serve.memory_budget,
                        "the most resident memory the loaded models may take together, e.g. 512Mi; an apply that "
                        "would pass it is refused (default $SENSIX_MEMORY_BUDGET, else none)");
  serve_cmd->add_option("--log-file", serve.log_file, "log to this file (SIGHUP reopens it; default standard error)");
  serve_cmd->add_option("--log-level", serve.log_level, "trace, debug, info, warn, error, critical or off");
  serve_cmd->add_option("--log-format", serve.log_format, "text (default) or json (one JSON object a line)");
  serve_cmd->add_option("--max-connections", serve.max_connections, "open connections at most (default 512)");
  serve_cmd->add_option("--max-body", serve.max_body, "largest request body (default 8Mi)");
  serve_cmd->add_option("--request-timeout", serve.request_timeout_s,
                        "seconds a request may take to arrive whole (default 10)");
  serve_cmd->add_option("--max-header", serve.max_header, "largest request header (default 16Ki)");
  serve_cmd->add_option("--idle-timeout", serve.idle_timeout_s,
                        "seconds a kept-alive connection may stay idle (default 60)");
  serve_cmd->add_option("--sequence-idle-timeout", serve.sequence_idle_s,
                        "seconds a stateful model's request sequence may go without a request (default 60)");
  serve_cmd->add_option("--grace", serve.grace_s, "seconds requests in flight get on SIGTERM (default 10)");
  serve_cmd->add_option("--media-threads", serve.media_threads,
                        "threads that decode raw media requests (default 0: half the cores, at least one)");
  serve_cmd->add_option("--media-queue", serve.media_queue,
                        "raw media requests that may wait for a decoding thread; more are refused with 503 "
                        "(default 32)");
  serve_cmd->add_option("--media-max-pixels", serve.media_max_pixels,
                        "the largest image (width x height) a request may send, checked before decoding "
                        "(default 50e6)");
  serve_cmd->add_option("--media-max-seconds", serve.media_max_seconds,
                        "the longest audio clip a request may send, checked before decoding (default 600)");

  ClientCommands client;
  client.add_to(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; a usage error prints its message and exits 2 (README: exit status).
    return app.exit(e) == 0 ? 0 : 2;
  }
  setup_logging(common.verbose);
  if (app.got_subcommand("version")) {
    std::printf("sensix %s\n", kVersion);
    return 0;
  }
  if (app.got_subcommand(run_cmd)) return cmd_run(common, run);
  if (app.got_subcommand(validate_cmd)) return cmd_validate(common);
  if (app.got_subcommand(plan_cmd)) return cmd_plan(common);
  if (app.got_subcommand(inspect_cmd)) return cmd_inspect(inspect_files, inspect_repo, inspect_document);
  if (app.got_subcommand(serve_cmd)) return cmd_serve(serve);
  if (int rc = client.run(app); rc >= 0) return rc;
  return 2;
}
