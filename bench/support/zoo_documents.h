// The documents the daemon benchmarks (serve_bench.cpp, deploy_bench.cpp) apply: the zoo's models
// each with a pipeline of its own, on photo sensors or on the quickstart's running embedding.
#pragma once

#include <string>
#include <vector>

namespace sensix::bench {

// A Sensor spec's lines: looping in real time with a 200-frame buffer.
extern const char* const kLooping;

// A pipeline feeding `model` from the running embedding (oww-mel -> oww-embedding -> model).
std::string embedding_pipeline(const std::string& name, const std::string& model);
// A pipeline `name` running `model` on `sensor`.
std::string sensor_pipeline(const std::string& name, const std::string& model, const std::string& sensor);

// The photo sensors the vision models read (files outside the daemon's folders: given with -f, trusted).
struct PhotoSensor {
  const char* name;
  const char* path;
};
const std::vector<PhotoSensor>& photos();
// Their Sensor documents, looping at `fps`.
std::string photo_sensors(int fps);
// The first photo file missing ("" when none is).
std::string missing_photo();

// Each model of examples/zoo/ (besides the quickstart's) and the pipeline "bench-MODEL" that runs it.
struct ZooCase {
  std::string model;
  std::string how;  // for the report
  std::string pipeline;
};
std::vector<ZooCase> zoo_cases();

}  // namespace sensix::bench
