#include "support/zoo_documents.h"

#include <filesystem>

#include <fmt/format.h>

namespace sensix::bench {

const char* const kLooping = "  replay: {loop: true, speed: 1}\n  buffer: {capacity: 200}\n";

// A pipeline feeding `model` from the running embedding (oww-mel -> oww-embedding -> model).
std::string embedding_pipeline(const std::string& name, const std::string& model) {
  return fmt::format(R"(
---
apiVersion: sensix/v1
kind: Pipeline
metadata: {{name: {}}}
spec:
  steps:
    - {{model: oww-mel, from: {{sensor: speech}}}}
    - {{model: oww-embedding, from: {{model: oww-mel}}}}
    - {{model: {}, from: {{model: oww-embedding}}}}
)",
                     name, model);
}

const std::vector<PhotoSensor>& photos() {
  static const std::vector<PhotoSensor> kPhotos = {
      {"sign", "/usr/share/doc/opencv-doc/examples/text/scenetext01.jpg"},
      {"word", "/usr/share/doc/opencv-doc/examples/text/scenetext_word04.jpg"},
      {"building", "/usr/share/doc/opencv-doc/examples/data/building.jpg"},
      {"person", "samples:images/person.jpg"},
      {"hand", "/usr/share/doc/opencv-doc/opencv4/html/handSrc.jpg"},
      {"closeup", "/usr/share/doc/opencv-doc/opencv4/html/face_swapped.jpg"},
  };
  return kPhotos;
}

std::string photo_sensors(int fps) {
  std::string out;
  for (const auto& p : photos()) {
    out += fmt::format(R"(
---
apiVersion: sensix/v1
kind: Sensor
metadata: {{name: {}}}
spec:
  driver: image-folder
  path: {}
  replay: {{loop: true}}
  video: {{fps: {}}}
)",
                       p.name, p.path, fps);
  }
  return out;
}

std::string sensor_pipeline(const std::string& name, const std::string& model, const std::string& sensor) {
  return fmt::format(R"(
---
apiVersion: sensix/v1
kind: Pipeline
metadata: {{name: {}}}
spec:
  steps:
    - {{model: {}, from: {{sensor: {}}}}}
)",
                     name, model, sensor);
}

std::vector<ZooCase> zoo_cases() {
  std::vector<ZooCase> c;
  for (const char* m : {"timer", "weather"}) {
    c.push_back({m, "on the running oww-embedding (speech)", embedding_pipeline(std::string("bench-") + m, m)});
  }
  const std::vector<std::pair<const char*, const char*>> direct = {
      {"ppocr-det", "sign"},      {"ppocr-rec", "word"},         {"ppocr-cls", "word"},
      {"mlsd", "building"},       {"pose-landmarks", "person"},  {"hand-landmarks", "hand"},
      {"palm-detection", "hand"}, {"face-detection", "closeup"}, {"blazeface-front", "closeup"},
  };
  for (const auto& [m, s] : direct) {
    c.push_back({m, fmt::format("on the `{}` photo", s), sensor_pipeline(std::string("bench-") + m, m, s)});
  }
  c.push_back({"face-mesh", "on face crops of the running blazeface, which also reads the `closeup` photo",
               R"(
---
apiVersion: sensix/v1
kind: Pipeline
metadata: {name: bench-face-mesh}
spec:
  steps:
    - {model: blazeface, from: {sensor: closeup}}
    - {model: face-mesh, from: {model: blazeface, crops: {labels: [face], maxCrops: 1, scale: 1.5, square: true}}}
)"});
  return c;
}

std::string missing_photo() {
  for (const auto& p : photos()) {
    if (std::string(p.path).rfind("samples:", 0) != 0 && !std::filesystem::exists(p.path)) return p.path;
  }
  return "";
}

}  // namespace sensix::bench
