#include "api/control_api.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include "api/format.h"
#include "api/inference_service.h"
#include "api/kserve_api.h"
#include "api/metrics.h"
#include "api/process_stats.h"
#include "docs/parser.h"

namespace sensix::api {

namespace {

using json = nlohmann::json;

template <typename T>
T or_else(Result<T> r, T fallback) {
  return r.ok() ? std::move(r).value() : fallback;
}

std::string digest_of(std::string_view token) {
  std::string d(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         reinterpret_cast<unsigned char*>(d.data()));
  return d;
}

HttpReply reply_of(HttpResponse r) {
  HttpReply reply;
  reply.response = std::move(r);
  return reply;
}

HttpReply json_reply(const json& j, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = j.dump(2) + "\n";
  return reply_of(std::move(r));
}

HttpReply error_reply(int status, std::string_view code, std::string_view message, std::string_view field = {}) {
  return reply_of(error_response(status, code, message, field));
}

// "Model/hey-jarvis: spec.inputs[0].audio.sampleRate" out of the first line of a document error.
std::string field_of(const std::string& message) {
  static const std::regex re(R"(((?:Sensor|Model|Pipeline|Device)/[a-z0-9-]+)(?:: ([A-Za-z0-9_.\[\]]+))?:)");
  std::smatch m;
  const std::string first = message.substr(0, message.find('\n'));
  if (!std::regex_search(first, m, re)) return "";
  return m[2].matched ? m[1].str() + ": " + m[2].str() : m[1].str();
}

// A failed Status as the API's error.
HttpReply status_reply(const Status& s) {
  int status = 500;
  std::string code = "Internal";
  switch (s.code()) {
    case StatusCode::kInvalidArgument: status = 400, code = "InvalidArgument"; break;
    case StatusCode::kNotFound: status = 404, code = "NotFound"; break;
    case StatusCode::kFailedPrecondition: status = 409, code = "Conflict"; break;
    case StatusCode::kResourceExhausted: status = 409, code = "ResourceExhausted"; break;
    case StatusCode::kUnavailable: status = 503, code = "Unavailable"; break;
    case StatusCode::kDataLoss: status = 500, code = "DataLoss"; break;
    default: break;
  }
  return error_reply(status, code, s.message(), field_of(s.message()));
}

// A boolean query parameter: absent or "false"/"0" is false, "true"/"1"/"" is true, anything else an
// error (a mistyped dryRun must not apply for real).
Result<bool> flag(const HttpRequest& req, const std::string& key) {
  auto v = req.query_value(key);
  if (!v || *v == "false" || *v == "0") return false;
  if (*v == "true" || *v == "1" || v->empty()) return true;
  return InvalidArgument(fmt::format("{}: expected true or false, got \"{}\"", key, *v));
}

// InvalidArgument naming a query parameter that the endpoint does not take.
Status only_params(const HttpRequest& req, std::initializer_list<const char*> known) {
  for (const auto& [k, v] : req.query) {
    if (std::none_of(known.begin(), known.end(), [&](const char* n) { return k == n; })) {
      std::string list;
      for (const char* n : known) list += (list.empty() ? "" : ", ") + std::string(n);
      return InvalidArgument(
          fmt::format("unknown query parameter \"{}\" (this endpoint takes: {})", k, list.empty() ? "none" : list));
    }
  }
  return Status::Ok();
}

json stored_json(const StoredDocument& d, bool with_text) {
  json j = {{"kind", d.kind},
            {"name", d.name},
            {"generation", d.generation},
            {"revision", d.revision},
            {"appliedAt", d.applied_at},
            {"sha256", d.sha256}};
  if (with_text) j["text"] = d.text;
  return j;
}

// One input a rollout's new version ran (GET /v1/rollouts/{model}/comparisons).
json comparison_json(const CandidateComparison& c) {
  const int64_t wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(c.at.time_since_epoch()).count();
  json j = {{"wallTime", std::round(static_cast<double>(wall_ns) / 1e6) / 1e3},  // Unix seconds, ms resolution
            {"input", c.input()},
            {"compared", c.compared}};
  if (!c.error.empty()) j["error"] = c.error;
  if (c.compared) j["agreed"] = c.difference.empty();
  if (!c.difference.empty()) j["difference"] = c.difference;
  j["running"] = c.running ? prediction_to_json(*c.running) : json(nullptr);
  j["candidate"] = c.candidate ? prediction_to_json(*c.candidate) : json(nullptr);
  return j;
}

json rollout_json(const RolloutStatus& s) {
  const RolloutRecord& r = s.record;
  json j = {{"id", r.id},
            {"model", r.model},
            {"strategy", r.strategy},
            {"state", r.state},
            {"reason", r.reason},
            {"fromGeneration", r.from_generation},
            {"toGeneration", r.to_generation},
            {"fromVersion", r.from_version},
            {"toVersion", r.to_version},
            {"startedRevision", r.started_revision},
            {"endedRevision", r.ended_revision},
            {"startedAt", r.started_at},
            {"endedAt", r.ended_at}};
  if (s.figures) {
    const CandidateFigures& f = *s.figures;
    auto ms = [](int64_t ns) { return static_cast<double>(ns) / 1e6; };
    j["share"] = s.share;
    j["verdict"] = s.verdict;
    j["figures"] = {{"runs", f.runs},
                    {"errors", f.errors},
                    {"compared", f.compared},
                    {"disagreed", f.disagreed},
                    {"served", f.served},
                    {"errorRate", f.error_rate()},
                    {"disagreementRate", f.disagreement_rate()},
                    {"computeMs", {{"p50", ms(f.compute.percentile_ns(50))}, {"p99", ms(f.compute.percentile_ns(99))}}},
                    {"examples", f.examples}};
  }
  if (s.analysis) {
    const RolloutAnalysisSpec& a = *s.analysis;
    j["analysis"] = {{"runs", a.runs},
                     {"maxErrorRate", a.max_error_rate},
                     {"maxDisagreement", a.max_disagreement},
                     {"maxP99Ms", static_cast<double>(a.max_p99_ns) / 1e6},
                     {"tolerance", a.tolerance},
                     {"timeoutS", static_cast<double>(a.timeout_ns) / 1e9},
                     {"promote", a.auto_promote ? "auto" : "manual"}};
  }
  return j;
}

json apply_json(const ControlResult& r, bool dry_run, int64_t revision) {
  json docs = json::array();
  for (const DocDiffEntry& c : r.apply.documents.entries) {
    json d = {{"kind", c.kind}, {"name", c.name}, {"change", doc_change_name(c.change)}};
    for (const StoredDocument& s : r.documents) {
      if (s.kind == c.kind && s.name == c.name && s.generation > 0) d["generation"] = s.generation;
    }
    docs.push_back(std::move(d));
  }
  return {{"dryRun", dry_run},
          {"changed", r.apply.changed()},
          {"revision", revision},
          {"documents", docs},
          {"sensors",
           {{"started", r.apply.started},
            {"restarted", r.apply.restarted},
            {"stopped", r.apply.stopped},
            {"updated", r.apply.updated}}},
          {"models",
           {{"loaded", r.apply.loaded},
            {"replaced", r.apply.replaced},
            {"switched", r.apply.switched},
            {"rollingOut", r.rollouts},
            {"unloaded", r.apply.unloaded}}},
          {"plan", {{"attached", r.apply.attached}, {"released", r.apply.released}, {"shared", r.apply.shared}}}};
}

Result<PredictionFilter> filter_of(const HttpRequest& req) {
  PredictionFilter f;
  for (const auto& [k, v] : req.query) {
    if (k == "sensor") {
      f.sensor = v;
    } else if (k == "model") {
      f.model = v;
    } else if (k == "pipeline") {
      f.pipeline = v;
    } else if (k == "label") {
      f.label = v;
    } else if (k == "minScore") {
      char* end = nullptr;
      f.min_score = std::strtof(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(f.min_score >= 0.0f && f.min_score <= 1.0f)) {
        return InvalidArgument(fmt::format("minScore: expected a number from 0 to 1, got \"{}\"", v));
      }
    } else if (k == "type") {
      if (v != "prediction" && v != "event") {
        return InvalidArgument(fmt::format("type: expected prediction or event, got \"{}\"", v));
      }
      f.predictions = v == "prediction";
      f.events = v == "event";
    } else {
      return InvalidArgument(
          fmt::format("unknown query parameter \"{}\" (expected sensor, model, pipeline, label, minScore or type)", k));
    }
  }
  return f;
}

// The plan as each model reads it: the nodes under it and who else reads them.
json reads_of(const RuntimeStats& stats, const std::string& model) {
  json reads = json::array();
  for (const NodeStatsSnapshot& n : stats.nodes) {
    if (n.kind == "model") continue;
    if (std::find(n.consumers.begin(), n.consumers.end(), model) == n.consumers.end()) continue;
    json others = json::array();
    for (const std::string& c : n.consumers) {
      if (c != model) others.push_back(c);
    }
    reads.push_back(
        {{"sensor", n.sensor}, {"kind", n.kind}, {"step", n.label}, {"key", n.key}, {"sharedWith", others}});
  }
  return reads;
}

json sensor_json(const SensorStatsSnapshot& s) {
  return {{"name", s.name},     {"driver", s.driver}, {"state", sensor_state_name(s.state)},
          {"reason", s.reason}, {"frames", s.frames}, {"dropped", s.dropped},
          {"late", s.late},     {"errors", s.errors}, {"reconnects", s.reconnects},
          {"queued", s.queued}};
}

json model_json(const RuntimeStats& stats, const ModelRuntimeStats& m) {
  const ModelStatsSnapshot& s = m.model;
  json kept = json::array();
  for (const ModelStatsSnapshot& k : m.kept) {
    kept.push_back({{"version", k.version},
                    {"state", model_state_name(k.state)},
                    {"reason", k.reason},
                    {"runs", k.runs},
                    {"errors", k.errors},
                    {"residentBytes", k.memory.resident_bytes},
                    {"idleUnloads", k.idle_unloads},
                    {"reloads", k.reloads}});
  }
  return {{"name", s.name},
          {"version", s.version},
          {"engine", s.engine},
          {"state", model_state_name(s.state)},
          {"reason", s.reason},
          {"isolation", s.isolation},
          {"runs", s.runs},
          {"errors", s.errors},
          {"predictions", s.predictions},
          {"loadMs", static_cast<double>(s.load_ns) / 1e6},
          {"inferenceMs",
           {{"p50", static_cast<double>(s.compute.percentile_ns(50)) / 1e6},
            {"p99", static_cast<double>(s.compute.percentile_ns(99)) / 1e6}}},
          {"residentBytes", s.memory.resident_bytes},
          {"idleUnloads", s.idle_unloads},
          {"reloads", s.reloads},
          {"queued", m.sched.queued},
          {"skipped", m.sched.skipped},
          {"reads", reads_of(stats, s.name)},
          {"keptVersions", kept}};
}

json pipeline_json(const PipelineDoc& p, const RuntimeStats& stats) {
  json steps = json::array();
  std::string state = "running";
  std::vector<std::string> reasons;
  for (const StepSpec& st : p.spec.steps) {
    json from = json::object();
    if (!st.from.sensor.empty()) from["sensor"] = st.from.sensor;
    if (!st.from.model.empty()) from["model"] = st.from.model;
    if (!st.from.output.empty()) from["output"] = st.from.output;
    if (st.from.crops) from["crops"] = true;
    steps.push_back({{"model", st.model}, {"from", from}});
    for (const ModelRuntimeStats& m : stats.models) {
      if (m.model.name == st.model && !takes_inputs(m.model.state)) {
        reasons.push_back(fmt::format("Model/{} is {}", st.model, model_state_name(m.model.state)));
      }
    }
    for (const SensorStatsSnapshot& s : stats.sensors) {
      if (s.name == st.from.sensor && (s.state == SensorState::kFailed || s.state == SensorState::kReconnecting)) {
        reasons.push_back(fmt::format("Sensor/{} is {}", s.name, sensor_state_name(s.state)));
      }
    }
  }
  if (!reasons.empty()) state = "degraded";
  json events = json::array();
  for (const EventSpec& e : p.spec.events) events.push_back({{"name", e.name}, {"when", e.when}});
  std::string reason;
  for (const auto& r : reasons) reason += (reason.empty() ? "" : "; ") + r;
  return {{"name", p.metadata.name}, {"state", state}, {"reason", reason}, {"steps", steps}, {"events", events}};
}

template <typename Item>
HttpReply list_or_one(const std::vector<Item>& items, const HttpRequest& req, const char* kind) {
  auto it = req.params.find("name");
  if (it == req.params.end()) return json_reply(json{{"items", items}});
  for (const Item& j : items) {
    if (j["name"] == it->second) return json_reply(j);
  }
  return error_reply(404, "NotFound", fmt::format("{}/{} is not running", kind, it->second));
}

// The level names the API reads and writes (the same both ways).
const std::map<std::string, spdlog::level::level_enum>& level_names() {
  static const std::map<std::string, spdlog::level::level_enum> levels = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},   {"error", spdlog::level::err},   {"critical", spdlog::level::critical},
      {"off", spdlog::level::off}};
  return levels;
}

std::optional<spdlog::level::level_enum> parse_level(const std::string& s) {
  auto it = level_names().find(s);
  if (it == level_names().end()) return std::nullopt;
  return it->second;
}

std::string level_name(spdlog::level::level_enum l) {
  for (const auto& [name, level] : level_names()) {
    if (level == l) return name;
  }
  return "info";
}

}  // namespace

Result<std::vector<Token>> read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound(fmt::format("--token-file {}: cannot read it", path));
  std::vector<Token> tokens;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string token, role, extra;
    if (!(words >> token)) continue;
    words >> role >> extra;
    if (!extra.empty() || (!role.empty() && role != "read")) {
      return InvalidArgument(
          fmt::format("--token-file {}:{}: expected a token, optionally followed by \"read\"", path, n));
    }
    if (token.size() < 16) {
      return InvalidArgument(fmt::format("--token-file {}:{}: a token must have at least 16 characters", path, n));
    }
    tokens.push_back({digest_of(token), role.empty()});
  }
  if (tokens.empty()) return InvalidArgument(fmt::format("--token-file {}: holds no token", path));
  return tokens;
}

Authorization authorize(const ControlApiOptions& options, std::string_view header, bool mutating) {
  if (options.tokens.empty() || (!mutating && !options.auth_reads)) return {Authorization::kAllowed, ""};
  constexpr std::string_view prefix = "bearer ";
  std::string scheme(header.substr(0, prefix.size()));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (header.size() <= prefix.size() || scheme != prefix) {
    return {Authorization::kNoToken, "this endpoint needs \"Authorization: Bearer <token>\""};
  }
  const std::string digest = digest_of(header.substr(prefix.size()));
  const Token* match = nullptr;
  for (const Token& t : options.tokens) {  // every token is compared: the time does not tell which matched
    if (CRYPTO_memcmp(t.digest.data(), digest.data(), digest.size()) == 0) match = &t;
  }
  if (!match) return {Authorization::kBadToken, "the token is not valid"};
  if (mutating && !match->write) return {Authorization::kReadOnly, "the token may only read"};
  return {Authorization::kAllowed, ""};
}

Router make_control_router(std::shared_ptr<ControlApiContext> ctx, ControlApiOptions options) {
  Router router;
  auto opts = std::make_shared<const ControlApiOptions>(std::move(options));

  // Authentication: 401 without a known token, 403 for a read-only token on a mutating endpoint.
  auto guard = [opts](bool mutating, HttpHandler h) -> HttpHandler {
    return [opts, mutating, h = std::move(h)](HttpRequest& req) -> HttpReply {
      const Authorization a = authorize(*opts, req.header("authorization"), mutating);
      switch (a.verdict) {
        case Authorization::kAllowed: return h(req);
        case Authorization::kReadOnly: return error_reply(403, "Forbidden", a.message);
        case Authorization::kNoToken:
        case Authorization::kBadToken: {
          auto r = error_reply(401, "Unauthorized", a.message);
          r.response.headers.emplace_back("WWW-Authenticate", a.verdict == Authorization::kNoToken
                                                                  ? "Bearer"
                                                                  : "Bearer error=\"invalid_token\"");
          return r;
        }
      }
      return h(req);
    };
  };

  // Answered on the I/O thread: it never blocks (and the inference bench times the server's round
  // trip without a model on it).
  router.add("GET", "/v2/health/live",
             guard(false,
                   [](HttpRequest&) {
                     return json_reply({{"live", true}});
                   }),
             Router::RunOn::kIoThread);
  add_kserve_routes(router, ctx, guard, opts->version);
  router.add(
      "GET", "/v2/health/ready", guard(false, [ctx](HttpRequest&) {
        const Readiness r = ctx->controller->readiness();
        return json_reply({{"ready", r.ready}, {"reasons", r.reasons}, {"degraded", r.degraded}}, r.ready ? 200 : 503);
      }));

  auto apply = [ctx](HttpRequest& req) {
    if (Status s = only_params(req, {"dryRun"}); !s.ok()) return status_reply(s);
    Result<bool> dry_flag = flag(req, "dryRun");
    if (!dry_flag.ok()) return status_reply(dry_flag.status());
    const bool dry = *dry_flag;
    // Logged before it runs: an apply that loads models takes seconds.
    spdlog::info("apply from {}: {} bytes{}", req.remote, req.body.size(), dry ? " (dry run)" : "");
    Result<ControlResult> r = ctx->controller->apply(req.body, "request", dry);
    if (!r.ok()) return status_reply(r.status());
    const int64_t revision = or_else(ctx->controller->revision(), int64_t{0});
    if (!dry && r->apply.changed()) {
      spdlog::info("apply from {}: revision {}", req.remote, revision);
    }
    return json_reply(apply_json(*r, dry, revision));
  };
  router.add("POST", "/v1/apply", guard(true, apply));
  // An apply in progress (the CLI shows it while it waits): what it applies and the model it loads.
  router.add("GET", "/v1/progress", guard(false, [ctx](HttpRequest&) {
               const ApplyProgress p = ctx->controller->progress();
               json j{{"applying", p.applying}};
               if (p.applying) {
                 j["summary"] = p.summary;
                 j["step"] = p.step;
                 j["done"] = p.done;
                 j["total"] = p.total;
                 j["seconds"] = p.seconds;
               }
               return json_reply(j);
             }));

  auto documents = [ctx](HttpRequest& req) {
    if (Status s = only_params(req, {"text"}); !s.ok()) return status_reply(s);
    Result<bool> with_text = flag(req, "text");
    if (!with_text.ok()) return status_reply(with_text.status());
    Result<std::vector<StoredDocument>> docs = ctx->controller->documents();
    if (!docs.ok()) return status_reply(docs.status());
    std::string kind;
    if (auto it = req.params.find("kind"); it != req.params.end()) {
      Result<std::string> k = document_kind(it->second);
      if (!k.ok()) return status_reply(k.status());
      kind = *k;
    }
    auto name = req.params.find("name");
    json items = json::array();
    for (const StoredDocument& d : *docs) {
      if (!kind.empty() && d.kind != kind) continue;
      if (name != req.params.end()) {
        if (d.name == name->second) return json_reply(stored_json(d, true));
        continue;
      }
      items.push_back(stored_json(d, *with_text));
    }
    if (name != req.params.end()) {
      return error_reply(404, "NotFound", fmt::format("{}/{} is not applied", kind, name->second));
    }
    return json_reply({{"revision", or_else(ctx->controller->revision(), int64_t{0})}, {"items", items}});
  };
  router.add("GET", "/v1/documents", guard(false, documents));
  router.add("GET", "/v1/documents/{kind}", guard(false, documents));
  router.add("GET", "/v1/documents/{kind}/{name}", guard(false, documents));
  router.add("DELETE", "/v1/documents/{kind}/{name}", guard(true, [ctx](HttpRequest& req) {
               if (Status s = only_params(req, {"dryRun"}); !s.ok()) return status_reply(s);
               Result<bool> dry_flag = flag(req, "dryRun");
               if (!dry_flag.ok()) return status_reply(dry_flag.status());
               const bool dry = *dry_flag;
               Result<ControlResult> r = ctx->controller->remove(req.params["kind"], req.params["name"], dry);
               if (!r.ok()) return status_reply(r.status());
               return json_reply(apply_json(*r, dry, or_else(ctx->controller->revision(), int64_t{0})));
             }));

  // Every version of one document (deletions included), and going back to one.
  auto history = [ctx](HttpRequest& req) {
    if (Status s = only_params(req, {"text"}); !s.ok()) return status_reply(s);
    Result<bool> with_text = flag(req, "text");
    if (!with_text.ok()) return status_reply(with_text.status());
    Result<std::vector<StoredDocument>> versions = ctx->controller->history(req.params["kind"], req.params["name"]);
    if (!versions.ok()) return status_reply(versions.status());
    json items = json::array();
    for (const StoredDocument& v : *versions) {
      json item = stored_json(v, *with_text && !v.sha256.empty());
      item["deleted"] = v.sha256.empty();
      if (v.sha256.empty()) item.erase("sha256");
      if (v.kind == "Model" && !v.sha256.empty()) item["modelVersion"] = declared_model_version(v.text);
      items.push_back(std::move(item));
    }
    return json_reply({{"kind", versions->front().kind}, {"name", versions->front().name}, {"items", items}});
  };
  router.add("GET", "/v1/documents/{kind}/{name}/history", guard(false, history));
  auto undo = [ctx](HttpRequest& req) {
    if (Status s = only_params(req, {"toRevision", "dryRun"}); !s.ok()) return status_reply(s);
    Result<bool> dry = flag(req, "dryRun");
    if (!dry.ok()) return status_reply(dry.status());
    std::optional<int64_t> to;
    if (auto it = req.query.find("toRevision"); it != req.query.end()) {
      int64_t n = 0;
      const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
      if (ec != std::errc() || end != it->second.data() + it->second.size() || n < 1) {
        return status_reply(
            InvalidArgument(fmt::format("toRevision: a revision number (1 or more), got \"{}\"", it->second)));
      }
      to = n;
    }
    Result<ControlResult> r = ctx->controller->undo(req.params["kind"], req.params["name"], to, *dry);
    if (!r.ok()) return status_reply(r.status());
    return json_reply(apply_json(*r, *dry, or_else(ctx->controller->revision(), int64_t{0})));
  };
  router.add("POST", "/v1/documents/{kind}/{name}/undo", guard(true, undo));

  // Rollouts (docs/deployment.md): canaries and shadows, and a model's history and undo.
  router.add("GET", "/v1/rollouts", guard(false, [ctx](HttpRequest&) {
               Result<std::vector<RolloutStatus>> all = ctx->controller->rollouts();
               if (!all.ok()) return status_reply(all.status());
               json items = json::array();
               for (const RolloutStatus& r : *all) items.push_back(rollout_json(r));
               return json_reply({{"items", items}});
             }));
  router.add("GET", "/v1/rollouts/{model}", guard(false, [ctx](HttpRequest& req) {
               Result<RolloutStatus> r = ctx->controller->rollout(req.params["model"]);
               return r.ok() ? json_reply(rollout_json(*r)) : status_reply(r.status());
             }));
  router.add("GET", "/v1/rollouts/{model}/comparisons", guard(false, [ctx](HttpRequest& req) {
               Result<RolloutComparisons> all = ctx->controller->comparisons(req.params["model"]);
               if (!all.ok()) return status_reply(all.status());
               json items = json::array();
               for (const CandidateComparison& c : all->items) items.push_back(comparison_json(c));
               return json_reply({{"model", req.params["model"]},
                                  {"fromVersion", all->from_version},
                                  {"toVersion", all->to_version},
                                  {"inProgress", all->in_progress},
                                  {"items", items}});
             }));
  router.add("POST", "/v1/rollouts/{model}/promote", guard(true, [ctx](HttpRequest& req) {
               Result<RolloutStatus> r = ctx->controller->promote(req.params["model"]);
               return r.ok() ? json_reply(rollout_json(*r)) : status_reply(r.status());
             }));
  router.add("POST", "/v1/rollouts/{model}/abort", guard(true, [ctx](HttpRequest& req) {
               Result<RolloutStatus> r = ctx->controller->abort(req.params["model"]);
               return r.ok() ? json_reply(rollout_json(*r)) : status_reply(r.status());
             }));
  auto as_model = [](auto handler) {
    return [handler](HttpRequest& req) {
      req.params["kind"] = "Model";
      req.params["name"] = req.params["model"];
      return handler(req);
    };
  };
  router.add("GET", "/v1/rollouts/{model}/history", guard(false, as_model(history)));
  router.add("POST", "/v1/rollouts/{model}/undo", guard(true, as_model(undo)));

  router.add("GET", "/v1/revisions", guard(false, [ctx](HttpRequest&) {
               Result<std::vector<Revision>> revs = ctx->controller->revisions();
               if (!revs.ok()) return status_reply(revs.status());
               json items = json::array();
               for (const Revision& r : *revs) {
                 items.push_back({{"revision", r.id}, {"appliedAt", r.applied_at}, {"summary", r.summary}});
               }
               return json_reply({{"items", items}});
             }));

  // Each running item with its document's generation (how many applies changed it) and the
  // revision that last did.
  auto with_generations = [ctx](std::vector<json> items, const std::string& kind) {
    Result<std::vector<StoredDocument>> stored = ctx->controller->documents();
    if (!stored.ok()) return items;
    std::map<std::string, const StoredDocument*> of_kind;
    for (const StoredDocument& d : *stored) {
      if (d.kind == kind) of_kind[d.name] = &d;
    }
    for (json& item : items) {
      if (auto it = of_kind.find(item["name"].get<std::string>()); it != of_kind.end()) {
        item["generation"] = it->second->generation;
        item["revision"] = it->second->revision;
      }
    }
    return items;
  };
  auto sensors = [ctx, with_generations](HttpRequest& req) {
    const RuntimeStats stats = ctx->controller->stats();
    std::vector<json> items;
    for (const SensorStatsSnapshot& s : stats.sensors) items.push_back(sensor_json(s));
    return list_or_one(with_generations(std::move(items), "Sensor"), req, "Sensor");
  };
  router.add("GET", "/v1/sensors", guard(false, sensors));
  router.add("GET", "/v1/sensors/{name}", guard(false, sensors));
  auto models = [ctx, with_generations](HttpRequest& req) {
    const RuntimeStats stats = ctx->controller->stats();
    std::vector<json> items;
    for (const ModelRuntimeStats& m : stats.models) items.push_back(model_json(stats, m));
    return list_or_one(with_generations(std::move(items), "Model"), req, "Model");
  };
  router.add("GET", "/v1/models", guard(false, models));
  router.add("GET", "/v1/models/{name}", guard(false, models));
  auto pipelines = [ctx, with_generations](HttpRequest& req) {
    const RuntimeStats stats = ctx->controller->stats();
    const DocumentSet running = ctx->controller->running();
    std::vector<json> items;
    for (const PipelineDoc& p : running.pipelines) items.push_back(pipeline_json(p, stats));
    return list_or_one(with_generations(std::move(items), "Pipeline"), req, "Pipeline");
  };
  router.add("GET", "/v1/pipelines", guard(false, pipelines));
  router.add("GET", "/v1/pipelines/{name}", guard(false, pipelines));

  router.add("GET", "/v1/predictions", guard(false, [ctx](HttpRequest& req) {
               Result<PredictionFilter> f = filter_of(req);
               if (!f.ok()) return error_reply(400, "InvalidArgument", f.status().message());
               json items = json::array();
               for (const auto& item : ctx->hub->latest(*f)) {
                 json j = json::parse(item->json());
                 j["id"] = item->id;
                 items.push_back(std::move(j));
               }
               return json_reply({{"items", items}});
             }));
  router.add("GET", "/v1/predictions/stream", guard(false, [ctx](HttpRequest& req) {
               Result<PredictionFilter> f = filter_of(req);
               if (!f.ok()) return error_reply(400, "InvalidArgument", f.status().message());
               std::optional<uint64_t> last;
               const std::string h(req.header("last-event-id"));
               if (!h.empty()) {
                 char* end = nullptr;
                 const unsigned long long v = std::strtoull(h.c_str(), &end, 10);
                 if (*end != '\0' || !std::isdigit(static_cast<unsigned char>(h[0]))) {
                   return error_reply(400, "InvalidArgument",
                                      fmt::format("Last-Event-ID: expected an event id, got \"{}\"", h));
                 }
                 last = v;
               }
               HttpReply reply;
               reply.stream = ctx->hub->subscribe(*f, last);
               return reply;
             }));

  router.add("GET", "/v1/stats", guard(false, [ctx, opts](HttpRequest&) {
               json j = stats_to_json(ctx->controller->stats());
               j["type"] = "stats";
               j["version"] = opts->version;
               if (Result<ProcessStats> p = read_process_stats(); p.ok()) {
                 j["process"] = {{"cpuSeconds", p->cpu_seconds},
                                 {"residentBytes", p->rss_bytes},
                                 {"threads", p->threads},
                                 {"openFds", p->open_fds}};
               }
               const PredictionHubStats hs = ctx->hub->stats();
               const HttpCounters http = ctx->http_counters ? ctx->http_counters() : HttpCounters{};
               uint64_t requests = 0;
               for (const auto& [k, n] : http.requests) requests += n;
               j["api"] = {{"requests", requests},
                           {"openConnections", http.open_connections},
                           {"rejectedConnections", http.rejected_connections},
                           {"subscribers", hs.subscribers},
                           {"published", hs.published},
                           {"delivered", hs.delivered},
                           {"subscriberDropped", hs.subscriber_dropped},
                           {"hubDropped", hs.input_dropped}};
               const StoreUsage store = ctx->controller->model_store_usage();
               j["modelStore"] = {{"files", store.files},
                                  {"bytes", store.bytes},
                                  {"freeBytes", store.free_bytes},
                                  {"limitBytes", store.max_bytes},
                                  {"fetched", store.fetched},
                                  {"collected", store.collected},
                                  {"collectedBytes", store.collected_bytes}};
               return json_reply(j);
             }));

  router.add("GET", "/metrics", guard(false, [ctx](HttpRequest&) {
               HttpCounters http = ctx->http_counters ? ctx->http_counters() : HttpCounters{};
               const PredictionHubStats hs = ctx->hub->stats();
               http.sse_subscribers = hs.subscribers;
               http.sse_events_sent = hs.delivered;
               http.sse_events_dropped = hs.subscriber_dropped;
               HttpResponse r;
               r.content_type = "text/plain; version=0.0.4; charset=utf-8";
               r.body = prometheus_text(ctx->controller->stats(), or_else(read_process_stats(), ProcessStats{}), http);
               r.body += prometheus_store_text(ctx->controller->model_store_usage());
               InferenceMetrics inference;
               for (auto& [sig, st] : InferenceService(ctx->controller).request_stats()) {
                 inference.models.push_back({sig.model, kserve_version(sig.version), std::move(st)});
               }
               const MediaRequests& media = ctx->controller->media_requests();
               inference.media_threads = media.threads();
               inference.media_waiting = media.waiting();
               inference.media_refused = media.refused_busy();
               r.body += prometheus_inference_text(inference);
               return reply_of(std::move(r));
             }));

  router.add("GET", "/v1/log-level", guard(false, [](HttpRequest&) {
               return json_reply({{"level", level_name(spdlog::get_level())}});
             }));
  router.add("PUT", "/v1/log-level", guard(true, [](HttpRequest& req) {
               json body = json::parse(req.body, nullptr, false);
               if (body.is_discarded() || !body.is_object() || !body.contains("level") || !body["level"].is_string()) {
                 return error_reply(400, "InvalidArgument",
                                    "expected {\"level\": \"trace|debug|info|warn|error|critical|off\"}", "level");
               }
               auto level = parse_level(body["level"].get<std::string>());
               if (!level) {
                 return error_reply(400, "InvalidArgument",
                                    fmt::format("level: expected trace, debug, info, warn, error, critical or off, got "
                                                "\"{}\"",
                                                body["level"].get<std::string>()),
                                    "level");
               }
               spdlog::set_level(*level);
               spdlog::warn("log level set to {} over the API", body["level"].get<std::string>());
               return json_reply({{"level", body["level"]}});
             }));

  router.add("GET", "/openapi.json", guard(false, [](HttpRequest&) {
               HttpResponse r;
               r.body = openapi_json();
               return reply_of(std::move(r));
             }));
  return router;
}

}  // namespace sensix::api
