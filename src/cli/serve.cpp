#include "cli/serve.h"

#include <malloc.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "api/control_api.h"
#include "api/http_server.h"
#include "api/kserve_grpc.h"
#include "api/prediction_hub.h"
#include "cli/document_text.h"
#include "cli/sinks.h"
#include "common/artifact_source.h"
#include "common/byte_size.h"
#include "common/paths.h"
#include "control/controller.h"
#include "engines/registry.h"

namespace sensix {

namespace {

int serve_fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.message().c_str());
  return 1;
}

std::string default_data_dir() {
  if (const char* d = std::getenv("SENSIX_DATA_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/sensix";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/state/sensix";
}

// "127.0.0.1:8000", "[::1]:8000", ":8000" (loopback) -> address and port.
Status parse_listen(const std::string& listen, std::string* address, uint16_t* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return InvalidArgument(fmt::format("--listen: expected ADDRESS:PORT (e.g. 127.0.0.1:8000), got \"{}\"", listen));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "127.0.0.1";
  if (host == "localhost") host = "127.0.0.1";
  const std::string p = listen.substr(colon + 1);
  char* end = nullptr;
  const long v = std::strtol(p.c_str(), &end, 10);
  if (p.empty() || *end != '\0' || v < 0 || v > 65535) {
    return InvalidArgument(fmt::format("--listen: \"{}\" is not a port (0 to 65535)", p));
  }
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (ec) return InvalidArgument(fmt::format("--listen: \"{}\" is not an IP address", host));
  *address = host;
  *port = static_cast<uint16_t>(v);
  return Status::Ok();
}

// --log-format json: one JSON object a line, {"time", "level", "thread", "message"}, the message
// escaped as JSON strings are (a log collector reads the fields without parsing the text).
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const std::time_t secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
    std::tm utc{};
    gmtime_r(&secs, &utc);
    const std::string message(msg.payload.data(), msg.payload.size());
    const auto level = spdlog::level::to_string_view(msg.level);
    fmt::format_to(std::back_inserter(dest),
                   R"({{"time":"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z","level":"{}","thread":{},"message":{}}})",
                   utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, ms,
                   std::string_view(level.data(), level.size()), msg.thread_id,
                   nlohmann::json(message).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonLogFormatter>(); }
};

std::shared_ptr<spdlog::logger> make_logger(const std::string& file, const std::string& format) {
  std::shared_ptr<spdlog::logger> logger;
  if (file.empty()) {
    logger = std::make_shared<spdlog::logger>("sensix", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  } else {
    logger = std::make_shared<spdlog::logger>("sensix", std::make_shared<spdlog::sinks::basic_file_sink_mt>(file));
  }
  if (format == "json") {
    logger->set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    // One line per record: time (UTC), level, thread, message.
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l [%t] %v", spdlog::pattern_time_type::utc);
  }
  logger->flush_on(spdlog::level::info);
  return logger;
}

}  // namespace

int cmd_serve(const ServeOptions& o) {
  // Every thread started from here on inherits the blocked signals; this thread takes them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // A daemon loads and unloads models for months, on whichever threads applies and requests run:
  // with glibc's default of 8 malloc arenas a core, each thread's arena keeps its own high-water
  // mark of freed model memory (sensix_bench_deploy, part 5: 121 MB after 300 upgrade/undo cycles
  // with the default, 107 MB with two arenas). One arena a core, unless MALLOC_ARENA_MAX says.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) {
    mallopt(M_ARENA_MAX, std::max(2, static_cast<int>(std::thread::hardware_concurrency())));
  }

  if (o.log_format != "text" && o.log_format != "json") {
    return serve_fail(InvalidArgument(fmt::format("--log-format: expected text or json, got \"{}\"", o.log_format)));
  }
  auto level = spdlog::level::from_str(o.log_level);
  if (level == spdlog::level::off && o.log_level != "off") {
    return serve_fail(InvalidArgument(fmt::format(
        "--log-level: expected trace, debug, info, warn, error, critical or off, got \"{}\"", o.log_level)));
  }
  try {
    spdlog::set_default_logger(make_logger(o.log_file, o.log_format));
  } catch (const spdlog::spdlog_ex& e) {
    return serve_fail(InvalidArgument(fmt::format("--log-file {}: {}", o.log_file, e.what())));
  }
  spdlog::set_level(level);

  api::HttpServerOptions http;
  if (Status s = parse_listen(o.listen, &http.address, &http.port); !s.ok()) return serve_fail(s);
  const bool loopback = boost::asio::ip::make_address(http.address).is_loopback();
  http.tls_cert_file = o.tls_cert;
  http.tls_key_file = o.tls_key;
  http.max_connections = o.max_connections;
  http.request_timeout = std::chrono::milliseconds(static_cast<int64_t>(o.request_timeout_s * 1000));
  auto body = parse_byte_size(o.max_body);
  if (!body.ok()) return serve_fail(body.status().with_context("--max-body"));
  http.max_body_bytes = static_cast<size_t>(*body);
  auto header = parse_byte_size(o.max_header);
  if (!header.ok()) return serve_fail(header.status().with_context("--max-header"));
  if (*header < 1024) return serve_fail(InvalidArgument("--max-header: at least 1Ki (a request line and its headers)"));
  http.max_header_bytes = static_cast<size_t>(*header);
  for (const auto& [name, seconds] :
       {std::pair{"--request-timeout", o.request_timeout_s}, std::pair{"--idle-timeout", o.idle_timeout_s},
        std::pair{"--grace", o.grace_s}, std::pair{"--sequence-idle-timeout", o.sequence_idle_s}}) {
    if (!(seconds > 0)) return serve_fail(InvalidArgument(fmt::format("{}: seconds above 0, got {}", name, seconds)));
  }
  http.idle_timeout = std::chrono::milliseconds(static_cast<int64_t>(o.idle_timeout_s * 1000));

  api::ControlApiOptions api_options;
  api_options.version = o.version;
  if (!o.token_file.empty()) {
    auto tokens = api::read_token_file(o.token_file);
    if (!tokens.ok()) return serve_fail(tokens.status());
    api_options.tokens = std::move(tokens).value();
  }
  if (!loopback) {
    if (api_options.tokens.empty()) {
      return serve_fail(FailedPrecondition(fmt::format(
          "--listen {}: a non-loopback address needs --token-file (every endpoint then needs a token)", o.listen)));
    }
    if (o.tls_cert.empty() && !o.allow_insecure_http) {
      return serve_fail(FailedPrecondition(fmt::format(
          "--listen {}: a non-loopback address needs TLS (--tls-cert and --tls-key), or --allow-insecure-http",
          o.listen)));
    }
    api_options.auth_reads = true;
  }

  ControllerOptions co;
  co.data_dir = o.data_dir.empty() ? default_data_dir() : o.data_dir;
  co.parse.model_repo = o.model_repo;
  const std::string repo = o.model_repo.empty() ? model_repo_dir() : o.model_repo;
  co.paths.read_roots = {repo, samples_dir(), co.data_dir};
  co.paths.read_roots.insert(co.paths.read_roots.end(), o.read_dirs.begin(), o.read_dirs.end());
  co.paths.write_roots = {co.data_dir};
  for (const std::string& prefix : o.fetch_prefixes) {
    if (Result<ParsedUrl> u = parse_url(prefix); !u.ok()) return serve_fail(u.status().with_context("--allow-fetch"));
  }
  co.models.allowed_urls = o.fetch_prefixes;
  co.models.ca_file = o.fetch_ca_file;
  co.models.npm_cache = cache_dir() + "/npm";
  if (o.store_keep_versions < 1) {
    return serve_fail(InvalidArgument(
        fmt::format("--store-keep-versions: at least 1 (the current version), got {}", o.store_keep_versions)));
  }
  co.keep_versions = o.store_keep_versions;
  for (const auto& [name, text, out] : {std::tuple{"--store-max-bytes", &o.store_max, &co.models.max_bytes},
                                        std::tuple{"--store-min-free", &o.store_min_free, &co.models.min_free_bytes}}) {
    Result<int64_t> bytes = parse_byte_size(*text);
    if (!bytes.ok()) return serve_fail(bytes.status().with_context(name));
    *out = static_cast<uint64_t>(*bytes);
  }
  Result<int64_t> budget = byte_size_option(o.memory_budget, "--memory-budget", "SENSIX_MEMORY_BUDGET");
  if (!budget.ok()) return serve_fail(budget.status());
  co.runtime.memory_budget_bytes = *budget;
  co.runtime.sequence_idle = std::chrono::milliseconds(static_cast<int64_t>(o.sequence_idle_s * 1000));
  if (o.media_threads < 0 || o.media_threads > 256) {
    return serve_fail(
        InvalidArgument(fmt::format("--media-threads: 0 (half the cores) to 256, got {}", o.media_threads)));
  }
  if (o.media_queue < 0)
    return serve_fail(InvalidArgument(fmt::format("--media-queue: 0 or more, got {}", o.media_queue)));
  if (!(o.media_max_pixels >= 1 && o.media_max_pixels <= 1e12)) {
    return serve_fail(InvalidArgument(fmt::format("--media-max-pixels: 1 to 1e12, got {}", o.media_max_pixels)));
  }
  if (!(o.media_max_seconds > 0)) {
    return serve_fail(
        InvalidArgument(fmt::format("--media-max-seconds: seconds above 0, got {}", o.media_max_seconds)));
  }
  co.runtime.media.threads = o.media_threads;
  co.runtime.media.queue = o.media_queue;
  co.runtime.media.limits.max_image_pixels = static_cast<int64_t>(o.media_max_pixels);
  co.runtime.media.limits.audio.max_seconds = o.media_max_seconds;
  {
    EngineRegistry probe;
    for (const std::string& e : EngineRegistry::known_engines()) {
      if (probe.check(e).ok()) co.runtime.engines.push_back(e);  // loaded by the first model that needs it
    }
  }
  auto hub = std::make_shared<api::PredictionHub>();
  co.sinks.push_back(hub);
  // The Pipelines' `sinks` files follow the running pipelines.
  auto pipeline_sinks = std::make_shared<PipelineSinks>();
  co.sinks.push_back(pipeline_sinks);
  // /v1/predictions forgets deleted models.
  co.on_change = [pipeline_sinks, hub](const DocumentSet& docs) {
    if (Status s = pipeline_sinks->update(docs); !s.ok()) spdlog::error("{}", s.message());
    std::set<std::string> models;
    for (const ModelDoc& m : docs.models) models.insert(m.metadata.name);
    hub->keep_latest_of(models);
  };
  auto controller = Controller::open(co);
  if (!controller.ok()) return serve_fail(controller.status());

  auto ctx = std::make_shared<api::ControlApiContext>();
  ctx->controller = controller->get();
  ctx->hub = hub.get();
  ctx->started_unix_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  // The gRPC service takes the HTTP API's tokens and TLS files, and its rules for a non-loopback
  // address.
  std::unique_ptr<api::GrpcServer> grpc;
  if (!o.grpc_listen.empty()) {
    api::GrpcServerOptions g;
    if (Status s = parse_listen(o.grpc_listen, &g.address, &g.port); !s.ok()) {
      return serve_fail(s.with_context("--grpc-listen"));
    }
    const bool grpc_loopback = boost::asio::ip::make_address(g.address).is_loopback();
    if (!grpc_loopback && api_options.tokens.empty()) {
      return serve_fail(FailedPrecondition(
          fmt::format("--grpc-listen {}: a non-loopback address needs --token-file (every call then needs a token)",
                      o.grpc_listen)));
    }
    if (!grpc_loopback && o.tls_cert.empty() && !o.allow_insecure_http) {
      return serve_fail(FailedPrecondition(fmt::format(
          "--grpc-listen {}: a non-loopback address needs TLS (--tls-cert and --tls-key), or --allow-insecure-http",
          o.grpc_listen)));
    }
    g.tls_cert_file = o.tls_cert;
    g.tls_key_file = o.tls_key;
    g.max_message_bytes = http.max_body_bytes;
    g.version = o.version;
    api::ControlApiOptions grpc_auth = api_options;
    grpc_auth.auth_reads = api_options.auth_reads || !grpc_loopback;
    auto made = api::GrpcServer::create(g, std::make_shared<api::InferenceService>(controller->get()), grpc_auth);
    if (!made.ok()) return serve_fail(made.status());
    grpc = std::move(made).value();
  }
  auto server = api::HttpServer::create(http, api::make_control_router(ctx, api_options));
  if (!server.ok()) return serve_fail(server.status());
  api::HttpServer* srv = server->get();
  ctx->http_counters = [srv] { return srv->counters(); };
  srv->start();
  const std::string url = fmt::format("{}://{}:{}", srv->tls() ? "https" : "http",
                                      http.address.find(':') != std::string::npos ? "[" + http.address + "]"
                                                                                  : http.address,
                                      srv->port());
  spdlog::info("sensix {} serving {} (data directory {})", o.version, url, co.data_dir);
  // The one line on standard output: where it listens (a test or a script reads the port from it).
  std::printf("listening on %s\n", url.c_str());
  if (grpc) {
    const std::string grpc_at = fmt::format("{}:{}", o.grpc_listen.substr(0, o.grpc_listen.rfind(':')), grpc->port());
    spdlog::info("KServe v2 gRPC on {}{}", grpc_at, grpc->tls() ? " (TLS)" : "");
    std::printf("grpc listening on %s\n", grpc_at.c_str());
  }
  std::fflush(stdout);

  // The stored documents, then the files given, in the background: the API answers meanwhile.
  Controller* ctl = controller->get();
  // Not ready until both are done.
  if (!o.files.empty()) ctl->set_starting("applying the files given with -f");
  std::thread loader([ctl, files = o.files] {
    Status restored = ctl->restore();
    if (!restored.ok()) {
      spdlog::error("the stored documents do not run (they stay stored; apply a fix): {}", restored.message());
    } else {
      spdlog::info("the stored documents run");
    }
    if (files.empty()) return;
    auto text = read_documents_text(files);
    if (!text.ok()) {
      spdlog::error("-f: {}", text.status().message());
      ctl->set_starting("");
      return;
    }
    auto applied = ctl->apply(*text, "-f", false, /*confine=*/false);
    if (!applied.ok()) {
      // Nothing of them runs (an apply that fails changes nothing): readiness is about what runs.
      spdlog::error("-f: the files were not applied: {}", applied.status().message());
      ctl->set_starting("");
      return;
    }
    spdlog::info("-f: applied ({})", applied->apply.changed() ? "changed" : "no change");
    ctl->set_starting("");
  });

  int sig = 0;
  for (;;) {
    sigwait(&signals, &sig);
    if (sig != SIGHUP) break;
    if (!o.log_file.empty()) {
      try {
        auto logger = make_logger(o.log_file, o.log_format);
        logger->set_level(spdlog::get_level());
        spdlog::set_default_logger(logger);
        spdlog::info("SIGHUP: log file reopened");
      } catch (const spdlog::spdlog_ex& e) {
        std::fprintf(stderr, "SIGHUP: cannot reopen %s: %s\n", o.log_file.c_str(), e.what());
      }
    }
  }
  spdlog::info("{}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  const auto grace = std::chrono::milliseconds(static_cast<int64_t>(o.grace_s * 1000));
  std::atomic<bool> done{false};
  std::thread watchdog([&done, grace] {
    const auto deadline = std::chrono::steady_clock::now() + 3 * grace;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!done) {
      spdlog::error("stopping took longer than {} ms; exiting", 3 * grace.count());
      spdlog::default_logger()->flush();
      _exit(1);
    }
  });
  // HTTP and gRPC requests in flight finish side by side, within the grace time.
  std::thread grpc_stop([&grpc, grace] {
    if (grpc) grpc->stop(grace);
  });
  srv->stop(grace);
  grpc_stop.join();
  hub->stop();
  loader.join();  // an apply in progress ends first
  (*controller)->stop();
  controller->reset();  // closes the store
  done = true;
  watchdog.join();
  spdlog::info("stopped");
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace sensix
