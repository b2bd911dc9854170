// Helpers shared by the planner's tests (plan_test.cpp, plan_image_test.cpp, plan_series_test.cpp): sources
// and audio requirements as the document readers would give them, and the node kinds on a chain.
#pragma once

#include <string>
#include <vector>

#include "transform/plan.h"

namespace sensix::plan_test {

inline SourceParams audio_source(int rate, int channels) {
  SourceParams s;
  s.sensor = "mic";
  s.modality = Modality::kAudio;
  s.sample_rate = rate;
  s.channels = channels;
  return s;
}

inline SourceParams image_source(int w, int h) {
  SourceParams s;
  s.sensor = "cam";
  s.modality = Modality::kImage;
  s.width = w;
  s.height = h;
  s.channels = 3;
  return s;
}

inline AudioInputSpec audio_req(int rate, int window, int hop, int channels = 1) {
  AudioInputSpec a;
  a.sample_rate = rate;
  a.channels = channels;
  a.window.window = window;
  a.window.hop = hop;
  return a;
}

inline std::vector<std::string> kinds_to_root(const Plan& plan, int id) {
  std::vector<std::string> kinds;
  for (int n = id; n >= 0; n = plan.node(n).parent)
    kinds.insert(kinds.begin(), std::string(node_kind_name(plan.node(n).params)));
  return kinds;
}

}  // namespace sensix::plan_test
