// The quickstart's voice models as one document set for the benchmarks: the quickstart's speech
// sensor (examples/quickstart.yaml), optionally Silero VAD on it, and openWakeWord's mel ->
// embedding chain feeding the chosen heads (the quickstart's wake words, examples/zoo/'s intent
// heads). With `share_features` the heads read one mel and one embedding model (the planner's
// normal plan: model-as-feature sharing); without, each head gets its own copies of both, named
// <model>-for-<head>, as if each head ran alone.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "spec/spec.h"

namespace sensix::bench {

struct VoiceFamily {
  std::vector<std::string> heads;  // e.g. hey-jarvis, alexa, hey-mycroft, timer
  bool vad = false;                // Silero VAD on the same sensor
  bool share_features = true;
};

// examples/quickstart.yaml, then every examples/zoo/*.yaml but postprocess-demo.yaml (a demo of
// post-processing kinds, not a model of the zoo), in name order.
std::vector<std::string> example_document_files(const std::string& examples_dir);

// The family's documents, parsed from example_document_files(): the speech sensor, the models its
// one pipeline (`voice`) uses, and that pipeline; the examples' other sensors and pipelines are left
// out. `audio` replaces the sensor's recording when not empty.
Result<DocumentSet> voice_documents(const std::string& examples_dir, const VoiceFamily& family,
                                    const std::string& audio = "");

}  // namespace sensix::bench
