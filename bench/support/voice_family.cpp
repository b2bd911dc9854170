#include "support/voice_family.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "docs/parser.h"

namespace sensix::bench {

namespace fs = std::filesystem;

std::vector<std::string> example_document_files(const std::string& examples_dir) {
  const fs::path examples(examples_dir);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(examples / "zoo")) {
    if (e.path().extension() == ".yaml" && e.path().filename() != "postprocess-demo.yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  files.insert(files.begin(), (examples / "quickstart.yaml").string());
  return files;
}

Result<DocumentSet> voice_documents(const std::string& examples_dir, const VoiceFamily& family,
                                    const std::string& audio) {
  SENSIX_ASSIGN_OR_RETURN(DocumentSet docs, parse_document_files(example_document_files(examples_dir)));
  docs.pipelines.clear();
  std::erase_if(docs.sensors, [](const SensorDoc& s) { return s.metadata.name != "speech"; });
  if (docs.sensors.empty()) return NotFound("examples/quickstart.yaml has no Sensor/speech");
  if (!audio.empty()) docs.sensors[0].spec.path = audio;

  PipelineDoc p;
  p.origin.file = "bench";
  p.metadata.name = "voice";
  std::set<std::string> used;
  auto step = [&](const std::string& model, const std::string& sensor, const std::string& upstream) {
    StepSpec s;
    s.model = model;
    s.from.sensor = sensor;
    s.from.model = upstream;
    p.spec.steps.push_back(s);
    used.insert(model);
  };
  if (family.vad) step("silero-vad", "speech", "");
  if (family.share_features) {
    step("oww-mel", "speech", "");
    step("oww-embedding", "", "oww-mel");
    for (const auto& h : family.heads) step(h, "", "oww-embedding");
  } else {
    std::vector<ModelDoc> copies;
    for (const auto& h : family.heads) {
      for (const char* base : {"oww-mel", "oww-embedding"}) {
        const ModelDoc* original = docs.find_model(base);
        if (original == nullptr) return NotFound(fmt::format("examples/quickstart.yaml has no Model/{}", base));
        ModelDoc copy = *original;
        copy.metadata.name = fmt::format("{}-for-{}", base, h);
        copies.push_back(std::move(copy));
      }
      step("oww-mel-for-" + h, "speech", "");
      step("oww-embedding-for-" + h, "", "oww-mel-for-" + h);
      step(h, "", "oww-embedding-for-" + h);
    }
    for (auto& c : copies) docs.models.push_back(std::move(c));
  }
  for (const auto& m : used) {
    if (docs.find_model(m) == nullptr) return NotFound(fmt::format("examples/ has no Model/{}", m));
  }
  std::erase_if(docs.models, [&](const ModelDoc& m) { return used.count(m.metadata.name) == 0; });
  docs.pipelines.push_back(std::move(p));
  return docs;
}

}  // namespace sensix::bench
