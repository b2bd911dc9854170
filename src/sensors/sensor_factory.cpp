// make_sensor_driver: the one place that maps a Sensor document's driver to its class.
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "sensors/audio_file_driver.h"
#include "sensors/driver.h"
#include "sensors/image_folder_driver.h"
#include "sensors/microphone_driver.h"
#include "sensors/mqtt_driver.h"
#include "sensors/network_camera_driver.h"
#include "sensors/synthetic_driver.h"
#include "sensors/v4l2_camera_driver.h"
#include "sensors/video_file_driver.h"

namespace sensix {

Result<std::unique_ptr<SensorDriver>> make_sensor_driver(const std::string& name, const SensorSpec& spec, Env* env) {
  // Dispatch on the driver's document name: it is what users write and what errors show.
  const std::string_view driver = sensor_driver_name(spec.driver);
  if (spec.driver == DriverKind::kSynthetic) {
    if (!spec.path.empty()) {
      return InvalidArgument(fmt::format("sensor {}: the synthetic driver reads no file, but spec.path is {}", name,
                                         spec.path));
    }
  } else if (!is_live(spec.driver) && spec.path.empty()) {
    return InvalidArgument(fmt::format("sensor {}: spec.path is empty", name));
  }
  if (!std::isfinite(spec.replay.speed) || spec.replay.speed < 0) {
    return InvalidArgument(fmt::format("sensor {}: replay speed {} is not valid (0 = max, or a positive factor)", name,
                                       spec.replay.speed));
  }
  if (driver == "audio-file") {
    if (spec.audio.frame_ms < 1 || spec.audio.frame_ms > 1000) {
      return InvalidArgument(fmt::format("sensor {}: audio.frameMs {} is not in 1..1000", name, spec.audio.frame_ms));
    }
    if (spec.audio.sample_rate < 0 || spec.audio.channels < 0) {
      return InvalidArgument(fmt::format("sensor {}: audio.sampleRate and audio.channels cannot be negative", name));
    }
    return std::unique_ptr<SensorDriver>(std::make_unique<AudioFileDriver>(name, spec, env));
  }
  if (driver == "video-file" || driver == "image-folder") {
    if (!std::isfinite(spec.video.fps) || spec.video.fps < 0 || spec.video.width < 0 || spec.video.height < 0) {
      return InvalidArgument(fmt::format("sensor {}: video.fps, video.width and video.height cannot be negative", name));
    }
    if (driver == "video-file") {
      return std::unique_ptr<SensorDriver>(std::make_unique<VideoFileDriver>(name, spec, env));
    }
    return std::unique_ptr<SensorDriver>(std::make_unique<ImageFolderDriver>(name, spec, env));
  }
  if (driver == "microphone") {
    // The capture format (sampleRate, channels, frameMs) is checked by open(), with the field names.
    return std::unique_ptr<SensorDriver>(std::make_unique<MicrophoneDriver>(name, spec, env));
  }
  if (driver == "network-camera") {
    // url, video and reconnect are checked by open(), naming the fields.
    return std::unique_ptr<SensorDriver>(std::make_unique<NetworkCameraDriver>(name, spec, env));
  }
  if (driver == "v4l2-camera") {
    return std::unique_ptr<SensorDriver>(std::make_unique<V4l2CameraDriver>(name, spec, env));
  }
  if (driver == "synthetic") {
    // The signal's settings and its audio or video format are checked by open(), with the field names.
    return std::unique_ptr<SensorDriver>(std::make_unique<SyntheticDriver>(name, spec, env));
  }
  if (driver == "mqtt") {
    // The topic, fields and reconnect settings are checked by open(), with the field names.
    return std::unique_ptr<SensorDriver>(std::make_unique<MqttDriver>(name, spec, env));
  }
  return InvalidArgument(fmt::format("sensor {}: driver '{}' is not supported", name, driver));
}

}  // namespace sensix
