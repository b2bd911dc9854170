#include "suite/overhead.h"

#include <sndfile.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <opencv2/videoio.hpp>

#include "engines/registry.h"
#include "models/model_instance.h"
#include "models/text_region_decoder.h"
#include "suite/machine.h"
#include "transform/image_ops.h"

namespace sensix::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<pid_t> threads_of_this_process() {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    out.push_back(static_cast<pid_t>(std::stol(e.path().filename().string())));
  }
  return out;
}

// A model's session with the concrete shapes of its document's inputs (ModelInstance works them
// out: a stream input's window times its producer's width), in the session's input order.
struct Loaded {
  std::unique_ptr<Session> session;
  std::vector<Shape> shapes;
  std::vector<int> outputs;  // every output
};

Result<Loaded> load(const ModelDoc& md, int threads) {
  EngineRegistry engines;
  auto instance = ModelInstance::load(md, engines);
  if (!instance.ok()) return instance.status();
  auto engine = engines.get("onnxruntime");
  if (!engine.ok()) return engine.status();
  SessionOptions so;
  so.intra_op_threads = threads;
  auto session = (*engine)->load(md.spec.path, so);
  if (!session.ok()) return session.status();
  Loaded l;
  l.session = std::move(session).value();
  for (const auto& info : l.session->inputs()) {
    int spec_index = -1;
    for (size_t i = 0; i < md.spec.inputs.size(); ++i) {
      if (md.spec.inputs[i].name == info.name) spec_index = static_cast<int>(i);
    }
    l.shapes.push_back(spec_index >= 0 ? (*instance)->input_shape(spec_index) : info.shape);
  }
  for (size_t i = 0; i < l.session->outputs().size(); ++i) l.outputs.push_back(static_cast<int>(i));
  return l;
}

// Appends `frames` rows of `width` values to a window of `rows` rows, dropping the oldest.
void roll(std::vector<float>* window, std::span<const float> frames, size_t width, size_t rows) {
  window->insert(window->end(), frames.begin(), frames.end());
  if (window->size() > rows * width) window->erase(window->begin(), window->end() - static_cast<long>(rows * width));
}

}  // namespace

CorePin::CorePin(const std::vector<int>& cores) {
  CPU_ZERO(&saved_);
  sched_getaffinity(0, sizeof(saved_), &saved_);
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cores) CPU_SET(c, &set);
  for (pid_t tid : threads_of_this_process()) sched_setaffinity(tid, sizeof(set), &set);
}

CorePin::~CorePin() {
  for (pid_t tid : threads_of_this_process()) sched_setaffinity(tid, sizeof(saved_), &saved_);
}

Result<LoopFigures> engine_loop(const ModelDoc& md, int threads, double seconds) {
  SENSIX_ASSIGN_OR_RETURN(Loaded l, load(md, threads));
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < l.shapes.size(); ++i) {
    Tensor t(l.session->inputs()[i].dtype, l.shapes[i]);
    if (t.dtype() == DType::kFloat32) std::fill(t.values<float>().begin(), t.values<float>().end(), 0.5f);
    inputs.push_back(std::move(t));
  }
  std::vector<const Tensor*> ptrs;
  for (const auto& t : inputs) ptrs.push_back(&t);
  std::vector<Tensor> results;
  for (int i = 0; i < 3; ++i) SENSIX_RETURN_IF_ERROR(l.session->run(ptrs, l.outputs, &results));
  LoopFigures f;
  const double cpu0 = process_cpu_seconds();
  const auto t0 = Clock::now();
  while (since(t0) < seconds) {
    SENSIX_RETURN_IF_ERROR(l.session->run(ptrs, l.outputs, &results));
    f.runs++;
  }
  f.wall_s = since(t0);
  f.cpu_s = process_cpu_seconds() - cpu0;
  return f;
}

Result<LoopFigures> expert_loop(const ModelDoc& md, const std::string& video, int threads, double seconds) {
  SENSIX_ASSIGN_OR_RETURN(Loaded l, load(md, threads));
  if (md.spec.inputs.size() != 1 || !std::holds_alternative<ImageInputSpec>(md.spec.inputs[0].source)) {
    return InvalidArgument(fmt::format("Model/{}: the expert loop needs one image input", md.metadata.name));
  }
  const ImageInputSpec& img = std::get<ImageInputSpec>(md.spec.inputs[0].source);
  const auto* regions = std::get_if<TextRegionsSpec>(&md.spec.postprocess);
  if (!regions) return InvalidArgument(fmt::format("Model/{}: the expert loop decodes text regions", md.metadata.name));
  SENSIX_ASSIGN_OR_RETURN(TextRegionDecoder decoder, TextRegionDecoder::create(*regions));
  cv::VideoCapture cap;
  auto open = [&]() -> Status {
    if (!cap.open(video, cv::CAP_FFMPEG)) return NotFound("OpenCV cannot open " + video);
    return Status::Ok();
  };
  SENSIX_RETURN_IF_ERROR(open());
  cv::Mat frame;
  std::vector<Tensor> results;
  const int out = 0;
  auto one = [&]() -> Status {
    if (!cap.read(frame)) {  // the end: from the start again, as a looping camera replay
      SENSIX_RETURN_IF_ERROR(open());
      if (!cap.read(frame)) return DataLoss("cannot decode the first frame of " + video);
    }
    ImageGeometry geometry;
    SENSIX_ASSIGN_OR_RETURN(cv::Mat sized, resize_image(frame, img.width, img.height, img.resize, &geometry));
    SENSIX_ASSIGN_OR_RETURN(cv::Mat coloured, convert_color(sized, img.color));
    SENSIX_ASSIGN_OR_RETURN(Tensor t, image_to_tensor(coloured, img.layout, DType::kFloat32, img));
    const Tensor* in = &t;
    SENSIX_RETURN_IF_ERROR(l.session->run({&in, 1}, {&out, 1}, &results));
    const Shape& s = results[0].shape();
    SENSIX_ASSIGN_OR_RETURN(auto found, decoder.decode(results[0].values<float>(), static_cast<int>(s[s.size() - 2]),
                                                       static_cast<int>(s.back()), &geometry));
    (void)found;
    return Status::Ok();
  };
  for (int i = 0; i < 3; ++i) SENSIX_RETURN_IF_ERROR(one());
  LoopFigures f;
  const double cpu0 = process_cpu_seconds();
  const auto t0 = Clock::now();
  while (since(t0) < seconds) {
    SENSIX_RETURN_IF_ERROR(one());
    f.runs++;
  }
  f.wall_s = since(t0);
  f.cpu_s = process_cpu_seconds() - cpu0;
  return f;
}

Result<ChainFigures> chain_loop(const ModelDoc& mel_doc, const ModelDoc& emb_doc, const ModelDoc& head_doc,
                                const std::string& wav, double seconds) {
  SENSIX_ASSIGN_OR_RETURN(Loaded mel, load(mel_doc, 1));
  SENSIX_ASSIGN_OR_RETURN(Loaded emb, load(emb_doc, 1));
  SENSIX_ASSIGN_OR_RETURN(Loaded head, load(head_doc, 1));
  SF_INFO info{};
  SNDFILE* f = sf_open(wav.c_str(), SFM_READ, &info);
  if (!f) return NotFound("cannot read " + wav);
  std::vector<float> audio(static_cast<size_t>(info.frames * info.channels));
  sf_readf_float(f, audio.data(), info.frames);
  sf_close(f);
  if (info.samplerate != 16000 || info.channels != 1 || audio.size() < 4000) {
    return InvalidArgument(wav + ": the chain loop needs 16 kHz mono audio");
  }
  const auto* mel_audio = std::get_if<AudioInputSpec>(&mel_doc.spec.inputs[0].source);
  const auto* emb_stream = std::get_if<StreamInputSpec>(&emb_doc.spec.inputs[0].source);
  if (!mel_audio || !emb_stream) return InvalidArgument("the chain's documents are not mel (audio) -> embedding");
  const size_t window = static_cast<size_t>(mel_audio->window.window);
  const size_t hop = static_cast<size_t>(mel_audio->window.hop);
  const size_t emb_hop = static_cast<size_t>(emb_stream->window.hop);
  // Shapes: mel [1, window]; embedding [1, 76, 32, 1]; head [1, 16, 96].
  const Shape& es = emb.shapes[0];
  const Shape& hs = head.shapes[0];
  const size_t mel_width = static_cast<size_t>(es[2]);
  const size_t mel_rows = static_cast<size_t>(es[1]);
  const size_t emb_width = static_cast<size_t>(hs[2]);
  const size_t emb_rows = static_cast<size_t>(hs[1]);
  const float out_scale = mel_doc.spec.outputs.empty() ? 1.0f : mel_doc.spec.outputs[0].scale;
  const float out_offset = mel_doc.spec.outputs.empty() ? 0.0f : mel_doc.spec.outputs[0].offset;
  std::vector<float> mel_window(mel_rows * mel_width, 1.0f);  // prefill 1, as the document says
  std::vector<float> emb_window(emb_rows * emb_width, 0.0f);
  size_t pos = 0, pending = 0;
  Tensor mel_in(DType::kFloat32, mel.shapes[0]);
  Tensor emb_in(DType::kFloat32, es);
  Tensor head_in(DType::kFloat32, hs);
  std::vector<Tensor> mel_out, emb_out, head_out;
  ChainFigures figures;
  int64_t ns_mel = 0, ns_emb = 0, ns_head = 0;
  uint64_t n_mel = 0, n_emb = 0, n_head = 0;
  auto timed = [](Loaded& m, const Tensor& in, std::vector<Tensor>* out, int64_t* ns) -> Status {
    const Tensor* p = &in;
    const auto t0 = Clock::now();
    Status s = m.session->run({&p, 1}, m.outputs, out);
    *ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
    return s;
  };
  // One mel window; an embedding when `emb_hop` new mel frames have come; a head call per embedding.
  auto step = [&](bool count) -> Status {
    if (pos + window > audio.size()) pos = 0;
    auto dst = mel_in.values<float>();
    for (size_t i = 0; i < window; ++i) dst[i] = audio[pos + i] * mel_audio->scale;
    pos += hop;
    int64_t unused = 0;
    SENSIX_RETURN_IF_ERROR(timed(mel, mel_in, &mel_out, count ? &ns_mel : &unused));
    n_mel += count;
    auto frames = mel_out[0].values<float>();
    std::vector<float> scaled(frames.begin(), frames.end());
    for (float& v : scaled) v = v * out_scale + out_offset;
    roll(&mel_window, scaled, mel_width, mel_rows);
    pending += scaled.size() / mel_width;
    while (pending >= emb_hop) {
      pending -= emb_hop;
      std::copy(mel_window.begin(), mel_window.end(), emb_in.values<float>().begin());
      SENSIX_RETURN_IF_ERROR(timed(emb, emb_in, &emb_out, count ? &ns_emb : &unused));
      n_emb += count;
      roll(&emb_window, emb_out[0].values<float>(), emb_width, emb_rows);
      std::copy(emb_window.begin(), emb_window.end(), head_in.values<float>().begin());
      SENSIX_RETURN_IF_ERROR(timed(head, head_in, &head_out, count ? &ns_head : &unused));
      n_head += count;
    }
    return Status::Ok();
  };
  for (int i = 0; i < 40; ++i) SENSIX_RETURN_IF_ERROR(step(false));
  const double cpu0 = process_cpu_seconds();
  const auto t0 = Clock::now();
  while (since(t0) < seconds) SENSIX_RETURN_IF_ERROR(step(true));
  figures.loop.wall_s = since(t0);
  figures.loop.cpu_s = process_cpu_seconds() - cpu0;
  figures.loop.runs = n_head;
  auto mean_us = [](int64_t ns, uint64_t n) { return n ? static_cast<double>(ns) / 1e3 / static_cast<double>(n) : 0; };
  figures.call_us[mel_doc.metadata.name] = mean_us(ns_mel, n_mel);
  figures.call_us[emb_doc.metadata.name] = mean_us(ns_emb, n_emb);
  figures.call_us[head_doc.metadata.name] = mean_us(ns_head, n_head);
  figures.calls[mel_doc.metadata.name] = n_mel;
  figures.calls[emb_doc.metadata.name] = n_emb;
  figures.calls[head_doc.metadata.name] = n_head;
  return figures;
}

}  // namespace sensix::bench
