#include "cli/client.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "api/format.h"
#include "api/http_client.h"
#include "cli/document_text.h"

namespace sensix {

namespace {

using json = nlohmann::json;

constexpr int kRefused = 1;
constexpr int kUnreachable = 3;

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// JSON -> YAML (block style), for -o yaml.
void to_yaml(YAML::Emitter& out, const json& j) {
  if (j.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [k, v] : j.items()) {
      out << YAML::Key << k << YAML::Value;
      to_yaml(out, v);
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& v : j) to_yaml(out, v);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s.find('\n') != std::string::npos) {
      out << YAML::Literal << s;
    } else {
      out << YAML::DoubleQuoted << s;
    }
  } else if (j.is_null()) {
    out << YAML::Null;
  } else {
    out << j.dump();
  }
}

// A table: columns padded to their widest cell.
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], r[c].size());
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& r) {
    std::string l;
    for (size_t c = 0; c < r.size(); ++c) l += c + 1 == r.size() ? r[c] : fmt::format("{:<{}}  ", r[c], width[c]);
    out += trim(l) + "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
  return out;
}

std::string str(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "";
  if (j.is_number_float()) return fmt::format("{:.2f}", j.get<double>());
  return j.dump();
}

std::string joined(const json& arr) {
  std::string s;
  for (const auto& v : arr) s += (s.empty() ? "" : ", ") + str(v);
  return s;
}

std::string prediction_line(const json& j) {
  if (j.value("type", "") == "event") {
    return fmt::format("  {}  {:<10} {:<16} pipeline {}",
                       format_media_time(static_cast<int64_t>(j.value("time", 0.0) * 1e9)), "EVENT",
                       j.value("event", ""), j.value("pipeline", ""));
  }
  auto p = prediction_from_json(j);
  if (!p.ok()) return j.dump();
  return prediction_to_text(*p);
}

}  // namespace

void ClientCommands::add_to(CLI::App& app) {
  auto common = [this](CLI::App* sub) {
    sub->add_option("--server", common_.server,
                    "the daemon's URL (default $SENSIX_SERVER, else http://127.0.0.1:8000)");
    sub->add_option("--token-file", common_.token_file, "read the bearer token from this file (default $SENSIX_TOKEN)");
    sub->add_option("--ca-file", common_.ca_file, "https: trust this CA certificate (PEM)");
    sub->add_flag("--insecure", common_.insecure, "https: do not check the server's certificate");
    sub->add_option("-o,--output", common_.output, "table (default), json or yaml")
        ->check(CLI::IsMember({"table", "json", "yaml"}));
  };
  apply_ = app.add_subcommand("apply", "apply documents to a running daemon (sensix serve)");
  apply_->add_option("-f,--file", files_, "document files or folders (YAML or JSON)")->required();
  apply_->add_flag("--dry-run", dry_run_, "say what would change, change nothing");
  common(apply_);
  get_ = app.add_subcommand("get", "list what a daemon runs: sensors, models, pipelines or documents");
  get_->add_option("what", what_, "sensors, models, pipelines or documents")
      ->required()
      ->check(
          CLI::IsMember({"sensors", "models", "pipelines", "documents", "sensor", "model", "pipeline", "document"}));
  get_->add_option("name", name_, "one of them");
  common(get_);
  describe_ = app.add_subcommand("describe", "one document as applied, and how it runs");
  describe_->add_option("kind", kind_, "sensor, model, pipeline or device")->required();
  describe_->add_option("name", name_, "its name")->required();
  common(describe_);
  delete_ = app.add_subcommand("delete", "delete an applied document (what it ran stops)");
  delete_->add_option("kind", kind_, "sensor, model, pipeline or device")->required();
  delete_->add_option("name", name_, "its name")->required();
  delete_->add_flag("--dry-run", dry_run_, "say what would change, change nothing");
  common(delete_);
  stats_ = app.add_subcommand("stats", "a daemon's statistics");
  common(stats_);
  predictions_ = app.add_subcommand("predictions", "the latest predictions (-w: follow them as they come)");
  predictions_->add_flag("-w,--watch", watch_, "follow the stream of predictions and events");
  predictions_->add_option("--sensor", sensor_, "only this sensor's");
  predictions_->add_option("--model", model_, "only this model's");
  predictions_->add_option("--pipeline", pipeline_, "only this pipeline's");
  predictions_->add_option("--label", label_, "only those with this label (or event name)");
  predictions_->add_option("--min-score", min_score_, "only those scoring at least this");
  common(predictions_);
  infer_ = app.add_subcommand("infer", "send a photo or a recording to a model as it is; print its predictions");
  infer_->add_option("model", model_, "the model's name")->required();
  infer_->add_option("file", media_file_, "a JPEG or PNG photo, or a WAV, FLAC or OGG recording")->required();
  infer_->add_option("--content-type", content_type_,
                     "the file's format (default from its extension: image/jpeg, image/png, audio/wav, audio/flac, "
                     "audio/ogg)");
  common(infer_);
  rollout_ = app.add_subcommand(
      "rollout", "canaries and shadows, a document's versions, and going back to one (docs/deployment.md)");
  rollout_->require_subcommand(1);
  rollout_history_ = rollout_->add_subcommand("history", "every version of a document, deletions included");
  rollout_history_->add_option("target", target_, "MODEL, or KIND/NAME (sensor/..., pipeline/..., device/...)")
      ->required();
  common(rollout_history_);
  rollout_undo_ = rollout_->add_subcommand(
      "undo", "apply an earlier version again, as a new revision (default: the version before the current one)");
  rollout_undo_->add_option("target", target_, "MODEL, or KIND/NAME")->required();
  rollout_undo_->add_option("--to-revision", to_revision_, "the version that was current at this revision")
      ->check(CLI::PositiveNumber);
  rollout_undo_->add_flag("--dry-run", dry_run_, "say what would change, change nothing");
  common(rollout_undo_);
  rollout_status_ = rollout_->add_subcommand(
      "status", "a model's rollout: its new version's figures and verdict while it runs; every rollout without MODEL");
  rollout_status_->add_option("target", target_, "MODEL");
  common(rollout_status_);
  rollout_comparisons_ = rollout_->add_subcommand("comparisons",
                                                  "what the new version of a canary or shadow in progress made of its "
                                                  "last inputs, beside the "
                                                  "running version");
  rollout_comparisons_->add_option("target", target_, "MODEL")->required();
  common(rollout_comparisons_);
  rollout_promote_ = rollout_->add_subcommand("promote",
                                              "the new version of a canary or shadow takes over now, by hand");
  rollout_promote_->add_option("target", target_, "MODEL")->required();
  common(rollout_promote_);
  rollout_abort_ = rollout_->add_subcommand(
      "abort", "the new version of a canary or shadow goes; the running one's document is stored again");
  rollout_abort_->add_option("target", target_, "MODEL")->required();
  common(rollout_abort_);
  log_level_ = app.add_subcommand("log-level", "show or set a daemon's log level");
  log_level_->add_option("level", level_, "trace, debug, info, warn, error, critical or off");
  common(log_level_);
}

int ClientCommands::run(CLI::App& app) {
  const bool ours = app.got_subcommand(apply_) || app.got_subcommand(get_) || app.got_subcommand(describe_) ||
                    app.got_subcommand(delete_) || app.got_subcommand(stats_) || app.got_subcommand(predictions_) ||
                    app.got_subcommand(log_level_) || app.got_subcommand(infer_) || app.got_subcommand(rollout_);
  if (!ours) return -1;

  api::ClientOptions co;
  co.server = common_.server;
  if (co.server.empty()) {
    const char* s = std::getenv("SENSIX_SERVER");
    co.server = s && *s ? s : "http://127.0.0.1:8000";
  }
  if (!common_.token_file.empty()) {
    auto token = read_file_text(common_.token_file);
    if (!token.ok()) {
      std::fprintf(stderr, "error: --token-file %s\n", token.status().message().c_str());
      return 2;
    }
    co.token = trim(*token);
    co.token = co.token.substr(0, co.token.find_first_of(" \t\n"));
  } else if (const char* t = std::getenv("SENSIX_TOKEN"); t && *t) {
    co.token = t;
  }
  co.ca_file = common_.ca_file;
  co.insecure = common_.insecure;
  auto client = api::HttpClient::create(co);
  if (!client.ok()) {
    std::fprintf(stderr, "error: %s\n", client.status().message().c_str());
    return 2;
  }
  const std::string& output = common_.output;

  // Prints an answer: an error as "error: ..." with the exit code; JSON or YAML as asked.
  auto fail_of = [](const api::ClientResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    std::string message = r.body;
    if (j.is_object() && j.contains("error") && j["error"].is_string()) {
      message = j["error"].get<std::string>();  // the KServe v2 routes' error object
    } else if (j.is_object() && j.contains("error") && j["error"].is_object()) {
      message = j["error"].value("message", r.body);
      if (j["error"].contains("field")) message = j["error"]["field"].get<std::string>() + ": " + message;
    }
    // One "error: " line per line of the message (a bad document gives one line per problem).
    std::istringstream lines(message);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty()) std::fprintf(stderr, "error: %s\n", line.c_str());
    }
    return r.status >= 500 ? kUnreachable : kRefused;
  };
  auto print_raw = [&](const json& j) {
    if (output == "yaml") {
      YAML::Emitter out;
      to_yaml(out, j);
      std::printf("%s\n", out.c_str());
    } else {
      std::printf("%s\n", j.dump(2).c_str());
    }
  };
  auto call = [&](const std::string& method, const std::string& target, const std::string& body, json* out,
                  const std::string& content_type = "application/json") -> int {
    auto r = client->request(method, target, body, content_type);
    if (!r.ok()) {
      std::fprintf(stderr, "error: %s: %s\n", client->server().c_str(), r.status().message().c_str());
      return kUnreachable;
    }
    if (r->status >= 400) return fail_of(*r);
    *out = json::parse(r->body, nullptr, false);
    if (out->is_discarded()) *out = json(r->body);
    return 0;
  };
  // An apply's (or an undo's) answer: each document's change, what loaded, started and shared.
  auto print_applied = [&](const json& j) {
    if (output != "table") {
      print_raw(j);
      return 0;
    }
    const bool is_dry = j.value("dryRun", false);
    for (const auto& d : j["documents"]) {
      std::string change = d.value("change", "");
      if (change == "added") change = is_dry ? "would be created" : "created";
      else if (change == "changed") change = is_dry ? "would be changed" : "changed";
      else if (change == "unchanged") change = "unchanged";
      else if (change == "removed") change = is_dry ? "would be deleted" : "deleted";
      const std::string gen = d.contains("generation") ? fmt::format(" (generation {})", d["generation"].get<int64_t>())
                                                       : "";
      std::printf("%s/%s %s%s\n", d.value("kind", "").c_str(), d.value("name", "").c_str(), change.c_str(),
                  gen.c_str());
    }
    auto say = [&](const char* what, const json& list) {
      if (!list.empty()) std::printf("  %s: %s\n", what, joined(list).c_str());
    };
    say("models loaded", j["models"]["loaded"]);
    say("models replaced", j["models"]["replaced"]);
    say("models switched in place", j["models"].value("switched", json::array()));
    say("models rolling out beside the running version (sensix rollout status)",
        j["models"].value("rollingOut", json::array()));
    say("models unloaded", j["models"]["unloaded"]);
    say("sensors started", j["sensors"]["started"]);
    say("sensors restarted", j["sensors"]["restarted"]);
    say("sensors stopped", j["sensors"]["stopped"]);
    say("shared steps", j["plan"]["shared"]);
    std::printf("%s revision %lld\n",
                is_dry ? "dry run: nothing changed;" : "applied:", static_cast<long long>(j.value("revision", 0)));
    return 0;
  };
  auto dry = [&] { return dry_run_ ? std::string("?dryRun=true") : std::string(); };

  if (app.got_subcommand(apply_)) {
    auto documents = read_documents_text(files_);
    if (!documents.ok()) {
      std::fprintf(stderr, "error: %s\n", documents.status().message().c_str());
      return kRefused;
    }
    const std::string& text = *documents;
    // An apply loads and warms up every new model before it answers: say so while it runs.
    std::atomic<bool> answered{false};
    std::thread progress;
    if (isatty(STDERR_FILENO) && output == "table") {
      // The daemon's GET /v1/progress says which model it loads, on a connection of its own.
      progress = std::thread([&answered, co, server = client->server(), dry = dry_run_] {
        auto watcher = api::HttpClient::create(co);
        const auto t0 = std::chrono::steady_clock::now();
        while (!answered) {
          std::this_thread::sleep_for(std::chrono::milliseconds(250));
          const auto s =
              std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0).count();
          if (s < 1 || answered) continue;
          std::string step = "checking, loading and warming up models...";
          if (auto r = watcher.ok() ? watcher->request("GET", "/v1/progress") : watcher.status(); r.ok()) {
            const json p = json::parse(r->body, nullptr, false);
            if (p.is_object() && p.value("applying", false) && !p.value("step", "").empty()) {
              step = fmt::format("{} ({} of {})", p.value("step", ""), p.value("done", 0) + 1, p.value("total", 0));
            }
          }
          std::fprintf(stderr, "\r\033[K%s %s: %s %llds", dry ? "dry run on" : "applying to", server.c_str(),
                       step.c_str(), static_cast<long long>(s));
        }
        std::fprintf(stderr, "\r\033[K");
      });
    }
    json j;
    const int rc = call("POST", "/v1/apply" + dry(), text, &j, "application/yaml");
    answered = true;
    if (progress.joinable()) progress.join();
    if (rc) return rc;
    return print_applied(j);
  }

  if (app.got_subcommand(rollout_) && rollout_->got_subcommand(rollout_comparisons_)) {
    json j;
    if (int rc = call("GET", "/v1/rollouts/" + api::url_encode(target_) + "/comparisons", "", &j)) return rc;
    if (output != "table") {
      print_raw(j);
      return 0;
    }
    // One line per input: what it was and the verdict, then each version's prediction, if any.
    std::printf("Model/%s %s -> %s (%s): %zu inputs\n", target_.c_str(), j.value("fromVersion", "").c_str(),
                j.value("toVersion", "").c_str(), j.value("inProgress", false) ? "in progress" : "ended",
                j["items"].size());
    for (const json& c : j["items"]) {
      std::string verdict = c.contains("error")           ? "failed: " + c.value("error", "")
                            : !c.value("compared", false) ? "not compared"
                            : c.value("agreed", false)    ? "agreed"
                                                          : "differs: " + c.value("difference", "");
      std::printf("%s: %s\n", c.value("input", "").c_str(), verdict.c_str());
      for (const char* who : {"running", "candidate"}) {
        if (c.contains(who) && c[who].is_object()) std::printf("  %-9s %s\n", who, prediction_line(c[who]).c_str());
      }
    }
    return 0;
  }

  if (app.got_subcommand(rollout_) &&
      (rollout_->got_subcommand(rollout_status_) || rollout_->got_subcommand(rollout_promote_) ||
       rollout_->got_subcommand(rollout_abort_))) {
    json j;
    const std::string base = "/v1/rollouts" + (target_.empty() ? std::string() : "/" + api::url_encode(target_));
    const bool status = rollout_->got_subcommand(rollout_status_);
    const std::string target = status ? base
                                      : base + (rollout_->got_subcommand(rollout_promote_) ? "/promote" : "/abort");
    if (int rc = call(status ? "GET" : "POST", target, "", &j)) return rc;
    if (output != "table") {
      print_raw(j);
      return 0;
    }
    auto line = [](const json& r) {
      std::printf("Model/%s %s -> %s (%s): %s%s\n", r.value("model", "").c_str(), r.value("fromVersion", "").c_str(),
                  r.value("toVersion", "").c_str(), r.value("strategy", "").c_str(), r.value("state", "").c_str(),
                  r.value("reason", "").empty() ? "" : (": " + r.value("reason", "")).c_str());
      if (r.contains("figures")) {
        const json& f = r["figures"];
        std::printf(
            "  share %g; %llu runs, %llu failed, %llu of %llu compared differed, %llu served; engine p99 %.2f ms\n",
            r.value("share", 0.0), f.value("runs", 0ULL), f.value("errors", 0ULL), f.value("disagreed", 0ULL),
            f.value("compared", 0ULL), f.value("served", 0ULL), f["computeMs"].value("p99", 0.0));
        std::printf("  %s\n", r.value("verdict", "").c_str());
      }
    };
    if (j.contains("items")) {
      if (j["items"].empty()) std::printf("no rollouts\n");
      for (const json& r : j["items"]) line(r);
    } else {
      line(j);
    }
    return 0;
  }

  if (app.got_subcommand(rollout_)) {
    // MODEL or KIND/NAME.
    const size_t slash = target_.find('/');
    const std::string kind = slash == std::string::npos ? "model" : target_.substr(0, slash);
    const std::string name = slash == std::string::npos ? target_ : target_.substr(slash + 1);
    const std::string base = "/v1/documents/" + api::url_encode(kind) + "/" + api::url_encode(name);
    json j;
    if (rollout_->got_subcommand(rollout_history_)) {
      if (int rc = call("GET", base + "/history", "", &j)) return rc;
      if (output != "table") {
        print_raw(j);
        return 0;
      }
      std::printf("%s/%s\n%-10s %-10s %-26s %s\n", j.value("kind", "").c_str(), j.value("name", "").c_str(), "REVISION",
                  "GENERATION", "APPLIED AT", "VERSION");
      for (const json& v : j["items"]) {
        std::string what = v.value("deleted", false) ? "deleted" : "sha256 " + v.value("sha256", "").substr(0, 12);
        if (!v.value("modelVersion", "").empty()) what = v.value("modelVersion", "") + " (" + what + ")";
        std::printf("%-10lld %-10lld %-26s %s\n", static_cast<long long>(v.value("revision", 0)),
                    static_cast<long long>(v.value("generation", 0)), v.value("appliedAt", "").c_str(), what.c_str());
      }
      return 0;
    }
    std::string query = to_revision_ > 0 ? fmt::format("?toRevision={}", to_revision_) : "";
    if (dry_run_) query += query.empty() ? "?dryRun=true" : "&dryRun=true";
    if (int rc = call("POST", base + "/undo" + query, "", &j)) return rc;
    return print_applied(j);
  }

  if (app.got_subcommand(infer_)) {
    // The file as it is, as a raw media request's binary data (docs/api.md, "Raw media in, predictions out").
    std::string type = content_type_;
    if (type.empty()) {
      std::string ext = std::filesystem::path(media_file_).extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
      static const std::map<std::string, std::string> kTypes = {{".jpg", "image/jpeg"},  {".jpeg", "image/jpeg"},
                                                                {".png", "image/png"},   {".wav", "audio/wav"},
                                                                {".flac", "audio/flac"}, {".ogg", "audio/ogg"}};
      auto t = kTypes.find(ext);
      if (t == kTypes.end()) {
        std::fprintf(stderr, "error: %s: give --content-type (the extension \"%s\" names no format this takes)\n",
                     media_file_.c_str(), ext.c_str());
        return 2;
      }
      type = t->second;
    }
    auto bytes = read_file_text(media_file_);
    if (!bytes.ok()) {
      std::fprintf(stderr, "error: %s\n", bytes.status().message().c_str());
      return 2;
    }
    json meta;
    if (int rc = call("GET", "/v2/models/" + api::url_encode(model_), "", &meta)) return rc;
    const std::string input = meta["inputs"][0].value("name", "");
    const std::string header = json{{"inputs",
                                     {{{"name", input},
                                       {"shape", {1}},
                                       {"datatype", "BYTES"},
                                       {"parameters", {{"content_type", type}, {"binary_data_size", bytes->size()}}}}}}}
                                   .dump();
    auto r = client->request("POST", "/v2/models/" + api::url_encode(model_) + "/infer", header + *bytes,
                             "application/octet-stream",
                             {{"Inference-Header-Content-Length", std::to_string(header.size())}});
    if (!r.ok()) {
      std::fprintf(stderr, "error: %s: %s\n", client->server().c_str(), r.status().message().c_str());
      return kUnreachable;
    }
    const json answer = json::parse(r->body, nullptr, false);
    if (r->status >= 400) return fail_of(*r);
    if (output != "table") {
      print_raw(answer);
      return 0;
    }
    for (const json& o : answer["outputs"]) {
      if (o.value("name", "") != "predictions") {  // a model without post-processing: its outputs' shapes
        std::printf("%s %s %s\n", o.value("name", "").c_str(), o.value("datatype", "").c_str(),
                    o["shape"].dump().c_str());
        continue;
      }
      if (o["data"].empty()) std::printf("no predictions\n");
      for (const json& p : o["data"]) std::printf("%s\n", prediction_line(json::parse(p.get<std::string>())).c_str());
    }
    return 0;
  }

  if (app.got_subcommand(get_)) {
    std::string what = what_;
    if (!what.ends_with("s")) what += "s";
    const std::string target = "/v1/" + what + (name_.empty() ? "" : "/" + name_);
    json j;
    if (int rc = call("GET", target, "", &j)) return rc;
    if (output != "table") {
      print_raw(j);
      return 0;
    }
    const json items = name_.empty() ? j["items"] : json::array({j});
    std::vector<std::vector<std::string>> rows;
    if (what == "sensors") {
      for (const auto& s : items) {
        rows.push_back(
            {str(s["name"]), str(s["driver"]), str(s["state"]), str(s["frames"]), str(s["dropped"]), str(s["reason"])});
      }
      std::fputs(table({"NAME", "DRIVER", "STATE", "FRAMES", "DROPPED", "REASON"}, rows).c_str(), stdout);
    } else if (what == "models") {
      for (const auto& m : items) {
        std::set<std::string> with;
        for (const auto& r : m["reads"]) {
          for (const auto& o : r["sharedWith"]) with.insert(str(o));
        }
        std::string shared;
        for (const auto& w : with) shared += (shared.empty() ? "" : ",") + w;
        rows.push_back({str(m["name"]), str(m["version"]), str(m["engine"]), str(m["state"]), str(m["runs"]),
                        fmt::format("{:.2f}", m["inferenceMs"].value("p50", 0.0)), shared.empty() ? "-" : shared});
      }
      std::fputs(table({"NAME", "VERSION", "ENGINE", "STATE", "RUNS", "P50 MS", "SHARES STEPS WITH"}, rows).c_str(),
                 stdout);
    } else if (what == "pipelines") {
      for (const auto& p : items) {
        std::string steps;
        for (const auto& s : p["steps"]) steps += (steps.empty() ? "" : ", ") + str(s["model"]);
        rows.push_back({str(p["name"]), str(p["state"]), steps, str(p["reason"])});
      }
      std::fputs(table({"NAME", "STATE", "MODELS", "REASON"}, rows).c_str(), stdout);
    } else {
      for (const auto& d : items) {
        rows.push_back({str(d["kind"]), str(d["name"]), str(d["generation"]), str(d["revision"]), str(d["appliedAt"])});
      }
      std::fputs(table({"KIND", "NAME", "GENERATION", "REVISION", "APPLIED"}, rows).c_str(), stdout);
    }
    return 0;
  }

  if (app.got_subcommand(describe_)) {
    std::string kind = kind_;
    std::transform(kind.begin(), kind.end(), kind.begin(), [](unsigned char c) { return std::tolower(c); });
    if (kind.ends_with("s")) kind.pop_back();
    json doc;
    if (int rc = call("GET", "/v1/documents/" + kind + "/" + name_, "", &doc)) return rc;
    json state;
    if (kind == "sensor" || kind == "model" || kind == "pipeline") {
      if (int rc = call("GET", "/v1/" + kind + "s/" + name_, "", &state); rc == kUnreachable) return rc;
    }
    if (output != "table") {
      print_raw({{"document", doc}, {"state", state}});
      return 0;
    }
    std::printf("%s/%s: generation %lld, revision %lld, applied %s\n", str(doc["kind"]).c_str(),
                str(doc["name"]).c_str(), static_cast<long long>(doc.value("generation", 0)),
                static_cast<long long>(doc.value("revision", 0)), str(doc["appliedAt"]).c_str());
    std::printf("---\n%s\n", trim(str(doc["text"])).c_str());
    if (state.is_object()) {
      std::printf("---\n");
      for (const auto& [k, v] : state.items()) {
        if (k == "reads") {
          std::printf("reads:\n");
          for (const auto& r : v) {
            std::printf("  %s %s%s\n", str(r["sensor"]).c_str(), str(r["step"]).c_str(),
                        r["sharedWith"].empty() ? "" : (" (shared with " + joined(r["sharedWith"]) + ")").c_str());
          }
          continue;
        }
        std::printf("%s: %s\n", k.c_str(), v.is_structured() ? v.dump().c_str() : str(v).c_str());
      }
    }
    return 0;
  }

  if (app.got_subcommand(delete_)) {
    json j;
    if (int rc = call("DELETE", "/v1/documents/" + kind_ + "/" + name_ + dry(), "", &j)) return rc;
    if (output != "table") {
      print_raw(j);
      return 0;
    }
    std::printf("%s/%s %s\n", kind_.c_str(), name_.c_str(), j.value("dryRun", false) ? "would be deleted" : "deleted");
    if (!j["models"]["unloaded"].empty())
      std::printf("  models unloaded: %s\n", joined(j["models"]["unloaded"]).c_str());
    if (!j["sensors"]["stopped"].empty())
      std::printf("  sensors stopped: %s\n", joined(j["sensors"]["stopped"]).c_str());
    if (!j["plan"]["released"].empty()) {
      std::printf("  steps released: %zu\n", j["plan"]["released"].size());
    }
    return 0;
  }

  if (app.got_subcommand(stats_)) {
    json j;
    if (int rc = call("GET", "/v1/stats", "", &j)) return rc;
    if (output != "table") {
      print_raw(j);
      return 0;
    }
    const json& p = j["process"];
    std::printf("sensix %s: up %.0f s, CPU %.1f s, resident %.1f MiB, %lld threads\n", str(j["version"]).c_str(),
                j.value("uptimeSeconds", 0.0), p.value("cpuSeconds", 0.0),
                static_cast<double>(p.value("residentBytes", int64_t{0})) / (1 << 20),
                static_cast<long long>(p.value("threads", 0)));
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : j["sensors"]) {
      rows.push_back({"sensor", str(s["name"]), str(s["state"]), str(s["frames"]), str(s["dropped"])});
    }
    std::fputs(table({"", "NAME", "STATE", "FRAMES", "DROPPED"}, rows).c_str(), stdout);
    rows.clear();
    for (const auto& m : j["models"]) {
      rows.push_back({"model", str(m["name"]), str(m["state"]), str(m["runs"]), str(m["predictions"])});
    }
    std::fputs(table({"", "NAME", "STATE", "RUNS", "PREDICTIONS"}, rows).c_str(), stdout);
    const json& a = j["api"];
    std::printf("api: %lld requests, %lld subscribers, %lld delivered, %lld lost by slow subscribers\n",
                static_cast<long long>(a.value("requests", 0)), static_cast<long long>(a.value("subscribers", 0)),
                static_cast<long long>(a.value("delivered", 0)),
                static_cast<long long>(a.value("subscriberDropped", 0)));
    return 0;
  }

  if (app.got_subcommand(predictions_)) {
    std::string query;
    auto add = [&](const char* k, const std::string& v) {
      if (!v.empty()) query += fmt::format("{}{}={}", query.empty() ? "?" : "&", k, api::url_encode(v));
    };
    add("sensor", sensor_);
    add("model", model_);
    add("pipeline", pipeline_);
    add("label", label_);
    add("minScore", min_score_);
    if (!watch_) {
      json j;
      if (int rc = call("GET", "/v1/predictions" + query, "", &j)) return rc;
      if (output != "table") {
        print_raw(j);
        return 0;
      }
      for (const auto& p : j["items"]) std::printf("%s\n", prediction_line(p).c_str());
      return 0;
    }
    api::ClientResponse refused;
    Status s = client->stream(
        "/v1/predictions/stream" + query, {},
        [&](const api::SseEvent& e) {
          if (e.event == "dropped") {
            std::fprintf(stderr, "warning: %s\n", e.data.c_str());
            return true;
          }
          json j = json::parse(e.data, nullptr, false);
          if (output == "json") {
            std::printf("%s\n", j.dump().c_str());
          } else if (output == "yaml") {
            YAML::Emitter out;
            to_yaml(out, j);
            std::printf("---\n%s\n", out.c_str());
          } else {
            std::printf("%s\n", prediction_line(j).c_str());
          }
          std::fflush(stdout);
          return true;
        },
        &refused);
    if (refused.status) return fail_of(refused);
    if (!s.ok()) {
      std::fprintf(stderr, "error: %s\n", s.message().c_str());
      return kUnreachable;
    }
    return 0;
  }

  if (app.got_subcommand(log_level_)) {
    json j;
    const int rc = level_.empty() ? call("GET", "/v1/log-level", "", &j)
                                  : call("PUT", "/v1/log-level", json{{"level", level_}}.dump(), &j);
    if (rc) return rc;
    std::printf("%s\n", str(j["level"]).c_str());
    return 0;
  }
  return -1;
}

}  // namespace sensix
