// What the benchmark suite runs: the recordings it replays (made once per run in a temporary
// folder: the speech recording repeated N times as one WAV file, a folder holding N copies of the
// quickstart's photos, ...) and the document sets it writes for them, both for one sensix process
// and for the baseline of one process per model.
//
// Model documents are the project's own (examples/quickstart.yaml and examples/zoo/*.yaml), copied
// as written; a scenario may append spec fields to one (resources, scheduling) or give a copy
// another name (a second copy of a feature model, for a plan without model sharing).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace sensix::bench {

// The Model documents of examples/, by name, as YAML text.
class ModelLibrary {
 public:
  static Result<ModelLibrary> load(const std::string& examples_dir);

  bool has(const std::string& name) const { return docs_.count(name) > 0; }
  // Model `original`'s document, named `name`, with `extra_spec` (lines indented two spaces, each
  // ending in a newline) appended to its spec; a spec field it sets replaces the document's own,
  // and the spec fields named in `drop` are left out.
  Result<std::string> document(const std::string& original, const std::string& name, const std::string& extra_spec,
                               const std::vector<std::string>& drop = {}) const;
  // The model file a repo: source resolves to (for the bare-engine comparison).
  Result<std::string> source_of(const std::string& name) const;

 private:
  std::map<std::string, std::string> docs_;
};

// One step of a scenario's pipeline: `model` reads `sensor`, or the output of `upstream` (with
// `crops`, a YAML flow mapping such as "{maxCrops: 8}", for a cascade).
struct Step {
  std::string model;
  std::string sensor;
  std::string upstream;
  std::string crops;
};

// A document set to run: sensors (name -> the YAML of its spec, indented two spaces), one
// pipeline, the models its steps name (a model absent from the library is a copy: `copies` maps
// it to the original), extra spec lines per model, and an optional Device document's spec.
struct Scenario {
  std::string name;
  std::map<std::string, std::string> sensors;
  std::vector<Step> steps;
  std::map<std::string, std::string> copies;
  std::map<std::string, std::string> extra_spec;
  std::vector<std::string> drop_spec;  // spec fields left out of every model document (e.g. "scheduling")
  std::string device_spec;             // empty: no Device document
};

// Writes the scenario's documents (one YAML file) to `path`.
Status write_scenario(const Scenario& s, const ModelLibrary& models, const std::string& path);

// Media made for one run of the suite.
struct Media {
  std::string dir;         // the temporary folder holding them
  std::string speech;      // the quickstart's speech recording (17 s), `repeat` times in one WAV
  std::string photos;      // a folder with the quickstart's four photos, `repeat` copies of each
  std::string sign;        // a folder with `repeat` copies of scenetext01.jpg (PP-OCR)
  std::string clip;        // Megamind.avi (opencv-doc), replayed as it is
  std::string sign_image;  // scenetext01.jpg itself
  int repeat = 1;
};

// Makes the media in a fresh folder under `parent` (each call its own).
Result<Media> make_media(const std::string& parent, int repeat);

}  // namespace sensix::bench
