// `sensix serve`: the device service (docs/operations.md). Opens the data directory's store,
// starts an empty runtime, the HTTP API and (with --grpc-listen) the KServe v2 gRPC service, then applies the stored documents and any files given
// (while they load, /v2/health/live answers and /v2/health/ready says why it is not ready).
// SIGTERM or SIGINT: stop accepting, finish the requests in flight, stop the sensors and models,
// close the store, exit 0 (a watchdog exits 1 if that takes longer than the grace time);
// SIGHUP: reopen the log file.
#pragma once

#include <string>
#include <vector>

namespace sensix {

struct ServeOptions {
  std::string data_dir;  // default $SENSIX_DATA_DIR, else ~/.local/state/sensix
  std::string listen = "127.0.0.1:8000";
  std::string grpc_listen;  // ADDRESS:PORT of the KServe v2 gRPC service; empty: none
  std::string token_file;
  std::string tls_cert, tls_key;
  bool allow_insecure_http = false;  // plain HTTP on a non-loopback address
  std::vector<std::string> files;    // applied after the stored documents (trusted: not confined)
  std::string model_repo;
  std::vector<std::string> read_dirs;       // more folders whose files documents may name (--allow-read)
  std::vector<std::string> fetch_prefixes;  // URL prefixes model sources may be fetched from (--allow-fetch)
  std::string store_max = "0";              // the model store's size limit (--store-max-bytes; 0: none)
  std::string store_min_free = "64Mi";      // free space the model store leaves on its disk
  int store_keep_versions = 3;              // versions of each Model whose files the store keeps
  std::string
      memory_budget;  // the loaded models' resident memory at most (--memory-budget, else $SENSIX_MEMORY_BUDGET)
  std::string fetch_ca_file;  // https model sources: an extra trusted CA
  std::string log_file;       // default: standard error
  std::string log_level = "info";
  std::string log_format = "text";  // or "json": one JSON object a line
  int max_connections = 512;
  std::string max_body = "8Mi";
  std::string max_header = "16Ki";
  double request_timeout_s = 10;
  double idle_timeout_s = 60;
  double sequence_idle_s = 60;  // a stateful model's request sequence without a request this long is dropped
  // Raw media requests (runtime/media_request.h): decoding threads (0: half the cores), requests
  // that may wait for one, and how large one request's image or clip may decode to.
  int media_threads = 0;
  int media_queue = 32;
  double media_max_pixels = 50e6;
  double media_max_seconds = 600;
  double grace_s = 10;  // SIGTERM: the most time for requests in flight, then for the whole stop
  std::string version;
};

// Runs until SIGTERM/SIGINT; returns the exit code.
int cmd_serve(const ServeOptions& options);

}  // namespace sensix
