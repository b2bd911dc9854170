#include "docs/confine.h"

#include <algorithm>
#include <filesystem>
#include <regex>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "common/artifact_source.h"

namespace sensix {
namespace {
namespace fs = std::filesystem;

// `p` made absolute and resolved by weakly_canonical until it no longer changes (at most 40
// rounds, as many links as Linux follows), or why it cannot be resolved.
Result<fs::path> real_path(const fs::path& p) {
  std::error_code ec;
  fs::path cur = fs::absolute(p, ec);
  if (ec) return InvalidArgument(ec.message());
  for (int round = 0; round < 40; ++round) {
    fs::path next = fs::weakly_canonical(cur, ec);
    if (ec) return InvalidArgument(ec.message());
    if (next == cur) return next;
    cur = std::move(next);
  }
  return InvalidArgument("too many levels of symbolic links");
}

// The components of `p` without empty ones (a trailing "/") and ".".
std::vector<fs::path> components(const fs::path& p) {
  std::vector<fs::path> out;
  for (const auto& c : p) {
    if (!c.empty() && c != ".") out.push_back(c);
  }
  return out;
}

struct Root {
  std::vector<fs::path> parts;  // of the resolved root
};

struct Roots {
  std::vector<Root> roots;
  std::string shown;  // "(/a, /b)" as configured, for messages

  explicit Roots(const std::vector<std::string>& configured) {
    std::vector<std::string> names;
    for (const auto& r : configured) {
      if (r.empty()) continue;
      auto real = real_path(r);
      // A root that cannot be resolved is taken as written: whatever lies under it cannot be
      // resolved either, so it is refused anyway.
      std::error_code ec;
      roots.push_back(Root{components(real.ok() ? *real : fs::absolute(r, ec).lexically_normal())});
      names.push_back(r);
    }
    shown = names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
  }

  bool contain(const fs::path& real) const {
    const std::vector<fs::path> parts = components(real);
    return std::any_of(roots.begin(), roots.end(), [&](const Root& r) {
      return r.parts.size() <= parts.size() && std::equal(r.parts.begin(), r.parts.end(), parts.begin());
    });
  }
};

// The schemes of the network streams a network-camera reads (docs/sensor_reader.cpp accepts these
// and any url ending in ".sdp").
bool is_network_url(std::string_view url) {
  for (std::string_view scheme : {"rtsp://", "rtsps://", "http://", "https://", "udp://", "rtp://", "tcp://"}) {
    if (url.starts_with(scheme)) return true;
  }
  return false;
}

// Collects the problems of one document as "<label>: <field>: ..." lines.
class Checker {
 public:
  explicit Checker(const PathPolicy& policy) : read_(policy.read_roots), write_(policy.write_roots), policy_(policy) {}

  // `shown` as written (or resolved, where the spec keeps no other form); `path` is what is opened.
  void read(std::string_view field, const std::string& shown, const std::string& path) {
    check(field, shown, path, read_, "the daemon's directories");
  }
  void write(std::string_view field, const std::string& shown, const std::string& path) {
    check(field, shown, path, write_, "the directories the daemon writes to");
  }

  void url(std::string_view field, const std::string& url) {
    if (url.empty() || is_network_url(url)) return;
    if (url.find("://") != std::string::npos) {
      add(field, fmt::format("\"{}\" is neither a network stream (rtsp, rtsps, http, https, udp, rtp or tcp) nor a "
                             "local .sdp file",
                             url));
      return;
    }
    read(field, url, url);  // a local .sdp file, opened as written
  }

  void device(std::string_view field, const std::string& device) {
    if (device.empty()) return;
    if (!policy_.allow_devices) {
      add(field, fmt::format("\"{}\": the daemon does not allow documents to name devices", device));
      return;
    }
    static const std::regex kVideo("/dev/video[0-9]+");
    auto real = real_path(device);
    if (!real.ok()) {
      add(field, fmt::format("\"{}\" cannot be resolved: {}", device, real.status().message()));
    } else if (!std::regex_match(real->string(), kVideo)) {
      add(field, fmt::format("\"{}\" is not a video device (/dev/video<N>)", device));
    }
  }

  // The collected lines, each with the line of its field, or Ok.
  Status done(std::string_view label, const Origin& origin) {
    if (problems_.empty()) return Status::Ok();
    std::string text;
    for (const auto& p : problems_) {
      if (!text.empty()) text += '\n';
      text += fmt::format("{}: {}", label, p);
    }
    problems_.clear();
    return with_lines(InvalidArgument(std::move(text)), label, origin);
  }

 private:
  void check(std::string_view field, const std::string& shown, const std::string& path, const Roots& roots,
             std::string_view what) {
    if (path.empty()) return;
    if (shown.empty()) return check(field, path, path, roots, what);  // a spec built by hand
    auto real = real_path(path);
    if (!real.ok()) {
      add(field, fmt::format("\"{}\" cannot be resolved ({}), so it is not known to be inside {} ({})", shown,
                             real.status().message(), what, roots.shown));
      return;
    }
    if (roots.contain(*real)) return;
    if (real->string() == shown) {
      add(field, fmt::format("\"{}\" is outside {} ({})", shown, what, roots.shown));
    } else {
      add(field, fmt::format("\"{}\" resolves to {}, outside {} ({})", shown, real->string(), what, roots.shown));
    }
  }

  void add(std::string_view field, const std::string& what) { problems_.push_back(fmt::format("{}: {}", field, what)); }

  Roots read_, write_;
  const PathPolicy& policy_;
  std::vector<std::string> problems_;
};

void check_postprocess(const PostprocessSpec& post, Checker& c) {
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, ClassifySpec>) {
          c.read("spec.postprocess.classify.labelsFile", p.labels_file, p.labels_file);
        } else if constexpr (std::is_same_v<T, DetectSpec>) {
          c.read("spec.postprocess.detect.labelsFile", p.labels_file, p.labels_file);
        } else if constexpr (std::is_same_v<T, LandmarksSpec>) {
          c.read("spec.postprocess.landmarks.namesFile", p.names_file, p.names_file);
        } else if constexpr (std::is_same_v<T, CtcSpec>) {
          c.read("spec.postprocess.ctc.dictionaryFile", p.dictionary_file, p.dictionary_file);
        }
      },
      post);
}

}  // namespace

Status confine_paths(const DocumentSet& docs, const PathPolicy& policy) {
  Checker c(policy);
  StatusList problems;
  for (const auto& d : docs.sensors) {
    const SensorSpec& s = d.spec;
    switch (s.driver) {
      case DriverKind::kAudioFile:
      case DriverKind::kVideoFile:
      case DriverKind::kImageFolder: c.read("spec.path", s.path, s.path); break;
      case DriverKind::kNetworkCamera: c.url("spec.url", s.url); break;
      case DriverKind::kV4l2Camera: c.device("spec.device", s.device); break;
      case DriverKind::kSynthetic:
      case DriverKind::kMqtt:
      case DriverKind::kMicrophone: break;
    }
    problems.add(c.done(doc_label(d), d.origin));
  }
  for (const auto& d : docs.models) {
    // A remote source (npm:, http(s)://) names no file here: the model store confines it (its URL
    // allow-list, a member path inside the package).
    if (!is_remote_source(d.spec.source)) c.read("spec.source", d.spec.source, d.spec.path);
    for (size_t i = 0; i < d.spec.variants.size(); ++i) {
      const VariantSpec& v = d.spec.variants[i];
      if (!is_remote_source(v.source)) c.read(fmt::format("spec.variants[{}].source", i), v.source, v.path);
    }
    check_postprocess(d.spec.postprocess, c);
    for (size_t i = 0; i < d.spec.self_test.size(); ++i) {
      c.read(fmt::format("spec.selfTest[{}].input", i), d.spec.self_test[i].input, d.spec.self_test[i].path);
    }
    problems.add(c.done(doc_label(d), d.origin));
  }
  for (const auto& d : docs.pipelines) {
    for (size_t i = 0; i < d.spec.sinks.size(); ++i) {
      c.write(fmt::format("spec.sinks[{}].path", i), d.spec.sinks[i].path, d.spec.sinks[i].path);
    }
    problems.add(c.done(doc_label(d), d.origin));
  }
  return problems.status();
}

}  // namespace sensix
