#include "suite/workload.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include <sndfile.h>
#include <fmt/format.h>

#include "common/paths.h"

namespace sensix::bench {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSign = "/usr/share/doc/opencv-doc/examples/text/scenetext01.jpg";
constexpr const char* kMegamind = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";

// The documents of a YAML stream, split at "---" lines.
std::vector<std::string> split_documents(const std::string& text) {
  std::vector<std::string> out(1);
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line == "---") {
      out.emplace_back();
      continue;
    }
    out.back() += line + "\n";
  }
  return out;
}

// The value of the first line "<indent>key: value" (value trimmed), or "".
std::string field(const std::string& doc, const std::string& indented_key) {
  std::istringstream in(doc);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(indented_key + ":", 0) == 0) {
      std::string v = line.substr(indented_key.size() + 1);
      v.erase(0, v.find_first_not_of(' '));
      return v;
    }
  }
  return "";
}

Status concat_wav(const std::string& src, const std::string& dst, int repeat) {
  SF_INFO in_info{};
  SNDFILE* in = sf_open(src.c_str(), SFM_READ, &in_info);
  if (in == nullptr) return NotFound(fmt::format("cannot read {}: {} (run scripts/setup)", src, sf_strerror(nullptr)));
  std::vector<float> samples(static_cast<size_t>(in_info.frames * in_info.channels));
  const sf_count_t got = sf_readf_float(in, samples.data(), in_info.frames);
  sf_close(in);
  if (got != in_info.frames) return DataLoss(fmt::format("{}: read {} of {} frames", src, got, in_info.frames));
  SF_INFO out_info{};
  out_info.samplerate = in_info.samplerate;
  out_info.channels = in_info.channels;
  out_info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* out = sf_open(dst.c_str(), SFM_WRITE, &out_info);
  if (out == nullptr) return Internal(fmt::format("cannot write {}: {}", dst, sf_strerror(nullptr)));
  for (int i = 0; i < repeat; ++i) sf_writef_float(out, samples.data(), in_info.frames);
  sf_close(out);
  return Status();
}

// `repeat` links to each of `images` in a new folder `dir`, named so they sort copy by copy.
Status image_copies(const fs::path& dir, const std::vector<fs::path>& images, int repeat) {
  fs::create_directories(dir);
  for (int i = 0; i < repeat; ++i) {
    for (const auto& img : images) {
      std::error_code ec;
      fs::create_symlink(img, dir / fmt::format("{:05d}-{}", i, img.filename().string()), ec);
      if (ec) return Internal(fmt::format("cannot link {} into {}: {}", img.string(), dir.string(), ec.message()));
    }
  }
  return Status();
}

// Removes the spec field `key` (a line "  key:" and the lines indented deeper that follow it).
std::string remove_spec_field(const std::string& doc, const std::string& key) {
  std::istringstream in(doc);
  std::string line, out;
  bool in_spec = false, skipping = false;
  while (std::getline(in, line)) {
    if (line.rfind("spec:", 0) == 0) in_spec = true;
    if (skipping) {
      if (line.rfind("   ", 0) == 0) continue;  // still inside the field's value
      skipping = false;
    }
    if (in_spec && line.rfind("  " + key + ":", 0) == 0) {
      skipping = true;
      continue;
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

Result<ModelLibrary> ModelLibrary::load(const std::string& examples_dir) {
  std::vector<fs::path> files = {fs::path(examples_dir) / "quickstart.yaml"};
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(examples_dir) / "zoo", ec)) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  if (ec) return NotFound(fmt::format("cannot list {}/zoo: {}", examples_dir, ec.message()));
  ModelLibrary lib;
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in) return NotFound("cannot read " + f.string());
    std::stringstream ss;
    ss << in.rdbuf();
    for (const auto& doc : split_documents(ss.str())) {
      if (field(doc, "kind") != "Model") continue;
      const std::string name = field(doc, "  name");
      if (name.empty()) return InvalidArgument(f.string() + ": a Model document without metadata.name on its own line");
      lib.docs_[name] = doc;
    }
  }
  return lib;
}

Result<std::string> ModelLibrary::document(const std::string& original, const std::string& name,
                                           const std::string& extra_spec, const std::vector<std::string>& drop) const {
  auto it = docs_.find(original);
  if (it == docs_.end()) return NotFound(fmt::format("examples/ have no Model document named {}", original));
  std::string doc = it->second;
  if (name != original) {
    const std::string from = "\n  name: " + original + "\n";
    const size_t at = doc.find(from);
    if (at == std::string::npos) return Internal("cannot rename Model/" + original);
    doc.replace(at, from.size(), "\n  name: " + name + "\n");
  }
  for (const auto& key : drop) doc = remove_spec_field(doc, key);
  // A field the scenario sets replaces the document's own (e.g. its scheduling).
  std::istringstream extra(extra_spec);
  std::string line;
  while (std::getline(extra, line)) {
    if (line.size() > 2 && line.rfind("  ", 0) == 0 && line[2] != ' ') {
      doc = remove_spec_field(doc, line.substr(2, line.find(':') - 2));
    }
  }
  while (!doc.empty() && doc.back() == '\n') doc.pop_back();
  return doc + "\n" + extra_spec;
}

Result<std::string> ModelLibrary::source_of(const std::string& name) const {
  auto it = docs_.find(name);
  if (it == docs_.end()) return NotFound(fmt::format("examples/ have no Model document named {}", name));
  const std::string src = field(it->second, "  source");
  if (src.rfind("repo:", 0) != 0) return src;
  return (fs::path(model_repo_dir()) / src.substr(5)).string();
}

Status write_scenario(const Scenario& s, const ModelLibrary& models, const std::string& path) {
  std::string out = fmt::format("# {}: written by sensix_bench_suite\n", s.name);
  auto doc = [&](const std::string& text) { out += "---\n" + text; };
  if (!s.device_spec.empty()) {
    doc(fmt::format("apiVersion: sensix/v1\nkind: Device\nmetadata: {{name: bench}}\nspec:\n{}", s.device_spec));
  }
  for (const auto& [name, spec] : s.sensors) {
    doc(fmt::format("apiVersion: sensix/v1\nkind: Sensor\nmetadata: {{name: {}}}\nspec:\n{}", name, spec));
  }
  std::set<std::string> written;
  std::string steps;
  for (const auto& st : s.steps) {
    if (written.insert(st.model).second) {
      auto c = s.copies.find(st.model);
      const std::string original = c == s.copies.end() ? st.model : c->second;
      auto e = s.extra_spec.find(st.model);
      auto text = models.document(original, st.model, e == s.extra_spec.end() ? "" : e->second, s.drop_spec);
      if (!text.ok()) return text.status();
      doc(*text);
    }
    if (!st.sensor.empty()) {
      steps += fmt::format("    - {{model: {}, from: {{sensor: {}}}}}\n", st.model, st.sensor);
    } else if (!st.crops.empty()) {
      steps += fmt::format("    - {{model: {}, from: {{model: {}, crops: {}}}}}\n", st.model, st.upstream, st.crops);
    } else {
      steps += fmt::format("    - {{model: {}, from: {{model: {}}}}}\n", st.model, st.upstream);
    }
  }
  doc(fmt::format("apiVersion: sensix/v1\nkind: Pipeline\nmetadata: {{name: {}}}\nspec:\n  steps:\n{}", s.name, steps));
  std::ofstream f(path);
  f << out;
  if (!f) return Internal("cannot write " + path);
  return Status();
}

Result<Media> make_media(const std::string& parent, int repeat) {
  static std::atomic<int> counter{0};
  Media m;
  m.repeat = repeat;
  m.dir = (fs::path(parent) / fmt::format("sensix-suite-{}-{}", ::getpid(), counter++)).string();
  std::error_code ec;
  fs::remove_all(m.dir, ec);
  fs::create_directories(m.dir, ec);
  if (ec) return Internal(fmt::format("cannot create {}: {}", m.dir, ec.message()));
  const fs::path samples = samples_dir();
  m.speech = (fs::path(m.dir) / "speech.wav").string();
  if (Status s = concat_wav((samples / "demo" / "speech.wav").string(), m.speech, repeat); !s.ok()) return s;
  std::vector<fs::path> photos;
  for (const auto& e : fs::directory_iterator(samples / "images", ec)) {
    if (e.path().extension() == ".jpg") photos.push_back(e.path());
  }
  std::sort(photos.begin(), photos.end());
  if (photos.empty()) return NotFound(fmt::format("no photos in {}/images (run scripts/setup)", samples.string()));
  m.photos = (fs::path(m.dir) / "photos").string();
  if (Status s = image_copies(m.photos, photos, repeat); !s.ok()) return s;
  if (!fs::exists(kSign)) return NotFound(fmt::format("{} missing (Debian opencv-doc; run scripts/setup)", kSign));
  m.sign_image = kSign;
  m.sign = (fs::path(m.dir) / "sign").string();
  if (Status s = image_copies(m.sign, {fs::path(kSign)}, repeat); !s.ok()) return s;
  m.clip = (samples / "video" / "Megamind.avi").string();
  if (!fs::exists(m.clip)) m.clip = kMegamind;
  if (!fs::exists(m.clip)) return NotFound(fmt::format("{} missing (Debian opencv-doc; run scripts/setup)", kMegamind));
  return m;
}

}  // namespace sensix::bench
