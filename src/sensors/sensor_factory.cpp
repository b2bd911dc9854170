// make_sensor_driver: the one place that maps a Sensor document's driver to its class.
#include <cmath>
#include <memory>
#include <string_view>

#include <fmt/format.h>

#include "sensors/driver.h"
#include "sensors/live/microphone_driver.h"
#include "sensors/live/mqtt_driver.h"
#include "sensors/live/network_camera_driver.h"
#include "sensors/live/v4l2_camera_driver.h"
#include "sensors/replay/audio_file_driver.h"
#include "sensors/replay/image_folder_driver.h"
#include "sensors/replay/synthetic_driver.h"
#include "sensors/replay/video_file_driver.h"

namespace sensix {
namespace {

template <typename Driver>
std::unique_ptr<SensorDriver> make(const std::string& name, const SensorSpec& spec, Env* env) {
  return std::make_unique<Driver>(name, spec, env);
}

// Every driver, by its document name. Adding a driver adds its line here; its own settings are
// checked by its open(), naming the fields.
struct DriverEntry {
  std::string_view name;
  std::unique_ptr<SensorDriver> (*make)(const std::string& name, const SensorSpec& spec, Env* env);
};
constexpr DriverEntry kDrivers[] = {
    {"audio-file", make<AudioFileDriver>},     {"video-file", make<VideoFileDriver>},
    {"image-folder", make<ImageFolderDriver>}, {"synthetic", make<SyntheticDriver>},
    {"microphone", make<MicrophoneDriver>},    {"network-camera", make<NetworkCameraDriver>},
    {"v4l2-camera", make<V4l2CameraDriver>},   {"mqtt", make<MqttDriver>},
};

}  // namespace

Result<std::unique_ptr<SensorDriver>> make_sensor_driver(const std::string& name, const SensorSpec& spec, Env* env) {
  // Dispatch on the driver's document name: it is what users write and what errors show.
  const std::string_view driver = sensor_driver_name(spec.driver);
  if (spec.driver == DriverKind::kSynthetic) {
    if (!spec.path.empty()) {
      return InvalidArgument(
          fmt::format("sensor {}: the synthetic driver reads no file, but spec.path is {}", name, spec.path));
    }
  } else if (!is_live(spec.driver) && spec.path.empty()) {
    return InvalidArgument(fmt::format("sensor {}: spec.path is empty", name));
  }
  if (!std::isfinite(spec.replay.speed) || spec.replay.speed < 0) {
    return InvalidArgument(fmt::format("sensor {}: replay speed {} is not valid (0 = max, or a positive factor)", name,
                                       spec.replay.speed));
  }
  // The file drivers' format settings are checked here, before the file is opened.
  if (driver == "audio-file") {
    if (spec.audio.frame_ms < 1 || spec.audio.frame_ms > 1000) {
      return InvalidArgument(fmt::format("sensor {}: audio.frameMs {} is not in 1..1000", name, spec.audio.frame_ms));
    }
    if (spec.audio.sample_rate < 0 || spec.audio.channels < 0) {
      return InvalidArgument(fmt::format("sensor {}: audio.sampleRate and audio.channels cannot be negative", name));
    }
  }
  if (driver == "video-file" || driver == "image-folder") {
    if (!std::isfinite(spec.video.fps) || spec.video.fps < 0 || spec.video.width < 0 || spec.video.height < 0) {
      return InvalidArgument(
          fmt::format("sensor {}: video.fps, video.width and video.height cannot be negative", name));
    }
  }
  for (const DriverEntry& d : kDrivers) {
    if (d.name == driver) return d.make(name, spec, env);
  }
  return InvalidArgument(fmt::format("sensor {}: driver '{}' is not supported", name, driver));
}

}  // namespace sensix
