// The client commands of `sensix`, speaking a daemon's API (docs/api.md):
//   sensix apply -f FILE|DIR... [--dry-run]
//   sensix get sensors|models|pipelines|documents [NAME]
//   sensix describe KIND NAME
//   sensix delete KIND NAME [--dry-run]
//   sensix stats
//   sensix predictions [-w] [--sensor S] [--model M] [--pipeline P] [--label L] [--min-score X]
//   sensix log-level [LEVEL]
//   sensix infer MODEL FILE [--content-type T]   (a photo or a recording: the model's predictions)
// Common: --server URL (default $SENSIX_SERVER, else http://127.0.0.1:8000), the token from
// $SENSIX_TOKEN or --token-file, --ca-file / --insecure for https, -o table|json|yaml.
// Exit codes: 0 done; 1 the server refused (a 4xx: bad document, unknown name, conflict, auth);
// 2 a usage error; 3 the server could not be reached or failed (5xx, not ready).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sensix {

class ClientCommands {
 public:
  void add_to(CLI::App& app);
  // The exit code of the client command that `app` parsed, or -1 when it parsed none of them.
  int run(CLI::App& app);

 private:
  struct Common {
    std::string server;
    std::string token_file;
    std::string ca_file;
    bool insecure = false;
    std::string output = "table";
  } common_;
  CLI::App* apply_ = nullptr;
  CLI::App* get_ = nullptr;
  CLI::App* describe_ = nullptr;
  CLI::App* delete_ = nullptr;
  CLI::App* stats_ = nullptr;
  CLI::App* predictions_ = nullptr;
  CLI::App* log_level_ = nullptr;
  CLI::App* infer_ = nullptr;
  CLI::App* rollout_ = nullptr;
  CLI::App* rollout_history_ = nullptr;
  CLI::App* rollout_undo_ = nullptr;
  CLI::App* rollout_status_ = nullptr;
  CLI::App* rollout_comparisons_ = nullptr;
  CLI::App* rollout_promote_ = nullptr;
  CLI::App* rollout_abort_ = nullptr;
  std::string target_;         // rollout: [KIND/]NAME
  long long to_revision_ = 0;  // rollout undo --to-revision (0: the version before the current one)
  std::vector<std::string> files_;
  bool dry_run_ = false;
  std::string what_, kind_, name_, level_;
  bool watch_ = false;
  std::string sensor_, model_, pipeline_, label_, min_score_;
  std::string media_file_, content_type_;
};

}  // namespace sensix
