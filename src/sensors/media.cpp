#include "sensors/media.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sensix::media {
namespace {

struct Loaded {
  std::mutex mu;
  bool tried = false;
  const PluginApi* api = nullptr;
  std::string path;
  Status failure = Status::Ok();
};

Loaded& loaded() {
  static Loaded* l = new Loaded;  // never destroyed: the plugin's code runs until the process ends
  return *l;
}

bool is_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

// Where to look, in order; the first that exists is loaded.
std::vector<std::string> candidates(std::string* env_named) {
  if (const char* env = std::getenv("SENSIX_MEDIA_PLUGIN"); env != nullptr && *env != '\0') {
    *env_named = env;
    return {env};
  }
  std::vector<std::string> out;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) out.push_back((self.parent_path() / kPluginFile).string());
#ifdef SENSIX_MEDIA_PLUGIN_BUILD_PATH
  out.emplace_back(SENSIX_MEDIA_PLUGIN_BUILD_PATH);
#endif
  return out;
}

Result<const PluginApi*> open_plugin(const std::string& path) {
  dlerror();
  // Never closed: VideoSources and their code may live as long as the process.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* e = dlerror();
    return Unavailable(fmt::format("cannot load the media plugin {}: {}", path, e ? e : "unknown dlerror"));
  }
  using EntryFn = const PluginApi* (*)();
  auto entry = reinterpret_cast<EntryFn>(dlsym(handle, kPluginEntry));
  if (entry == nullptr) {
    return Unavailable(fmt::format("{} is not a sensix media plugin (no symbol {})", path, kPluginEntry));
  }
  const PluginApi* api = entry();
  if (api == nullptr || api->abi != kPluginAbi) {
    return Unavailable(
        fmt::format("the media plugin {} has interface version {}, this sensix needs {}: it comes from "
                    "another build of sensix",
                    path, api ? api->abi : -1, kPluginAbi));
  }
  if (api->opencv_version == nullptr || std::strcmp(api->opencv_version, CV_VERSION) != 0) {
    return Unavailable(fmt::format("the media plugin {} was built against OpenCV {}, this sensix against {}", path,
                                   api->opencv_version ? api->opencv_version : "(unknown)", CV_VERSION));
  }
  return api;
}

}  // namespace

Status load_plugin() {
  Loaded& l = loaded();
  std::lock_guard<std::mutex> lock(l.mu);
  if (l.tried) return l.failure;
  l.tried = true;
  std::string env_named;
  const std::vector<std::string> where = candidates(&env_named);
  for (const std::string& path : where) {
    if (!is_file(path)) continue;
    Result<const PluginApi*> api = open_plugin(path);
    if (!api.ok()) {
      l.failure = api.status();
      return l.failure;
    }
    l.api = *api;
    l.path = path;
    spdlog::debug("media plugin loaded from {}", path);
    return Status::Ok();
  }
  if (!env_named.empty()) {
    l.failure = Unavailable(fmt::format("$SENSIX_MEDIA_PLUGIN names {}, which is not a file", env_named));
  } else {
    std::string looked;
    for (const auto& p : where) looked += (looked.empty() ? "" : ", ") + p;
    l.failure = Unavailable(
        fmt::format("cannot find the media plugin {} that reads images and video (looked at {}); "
                    "set $SENSIX_MEDIA_PLUGIN",
                    kPluginFile, looked));
  }
  return l.failure;
}

std::string plugin_path() {
  Loaded& l = loaded();
  std::lock_guard<std::mutex> lock(l.mu);
  return l.path;
}

namespace {
Result<const PluginApi*> api() {
  SENSIX_RETURN_IF_ERROR(load_plugin());
  return loaded().api;  // set once, before `tried` is seen true without failure
}
}  // namespace

Result<std::unique_ptr<VideoSource>> new_video_source() {
  SENSIX_ASSIGN_OR_RETURN(const PluginApi* a, api());
  return std::unique_ptr<VideoSource>(a->new_video_source());
}

Result<bool> has_video_backend(int backend) {
  SENSIX_ASSIGN_OR_RETURN(const PluginApi* a, api());
  return a->has_video_backend(backend);
}

Result<cv::Mat> read_image(const std::string& path, int flags) {
  SENSIX_ASSIGN_OR_RETURN(const PluginApi* a, api());
  return a->read_image(path, flags);
}

Result<cv::Mat> decode_image(std::string_view bytes, int flags) {
  SENSIX_ASSIGN_OR_RETURN(const PluginApi* a, api());
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) return cv::Mat();
  return a->decode_image(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), flags);
}

}  // namespace sensix::media
