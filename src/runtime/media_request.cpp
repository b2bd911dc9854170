#include "runtime/media_request.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>  // the cv::IMREAD_* constants only: decoding is the media plugin's

#include "models/postprocessor.h"
#include "sensors/media.h"
#include "sensors/replay/audio_clip.h"
#include "transform/nodes.h"
#include "transform/plan.h"

namespace sensix {

namespace {

// A content type as compared: lower case, without parameters ("Image/JPEG; q=1" -> "image/jpeg").
std::string canonical(std::string_view content_type) {
  std::string ct(content_type.substr(0, content_type.find(';')));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  std::transform(ct.begin(), ct.end(), ct.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ct;
}

}  // namespace

Result<MediaKind> media_kind(std::string_view content_type) {
  const std::string ct = canonical(content_type);
  if (ct == "image/jpeg" || ct == "image/png") return MediaKind::kImage;
  if (ct == "audio/wav" || ct == "audio/x-wav" || ct == "audio/wave" || ct == "audio/flac" || ct == "audio/ogg")
    return MediaKind::kAudio;
  return InvalidArgument(fmt::format(
      "content_type \"{}\" is not one this server decodes (it takes image/jpeg, image/png, audio/wav, audio/flac, "
      "audio/ogg)",
      content_type));
}

namespace {

// A decoded file, ready to be the source item of the planner's chain.
struct Decoded {
  SourceParams source;
  Item item;
  std::string description;
};

std::string hex_start(std::string_view b) {
  std::string out;
  for (size_t i = 0; i < std::min<size_t>(b.size(), 8); ++i)
    out += fmt::format("{}{:02x}", i ? " " : "", static_cast<unsigned char>(b[i]));
  return out.empty() ? "nothing" : out;
}

Result<Decoded> decode_image(const MediaInput& in, const MediaLimits& limits) {
  const std::string what = fmt::format("input \"{}\" ({})", in.name, in.content_type);
  const std::string_view b = in.bytes;
  const bool png = in.content_type == "image/png";  // canonical by now
  static constexpr std::string_view kJpeg("\xff\xd8\xff", 3), kPng("\x89PNG\r\n\x1a\n", 8);
  const std::string_view magic = png ? kPng : kJpeg;
  if (b.substr(0, magic.size()) != magic) {
    return InvalidArgument(fmt::format("{}: the {} bytes are not a {} (they start with {})", what, b.size(),
                                       png ? "PNG" : "JPEG", hex_start(b)));
  }
  if (!png) {
    // A JPEG ends with its end-of-image marker (FF D9), perhaps followed by a little padding;
    // libjpeg decodes a truncated one with grey where the missing part was, which would give a
    // prediction on pixels the client never sent.
    const std::string_view tail = b.substr(b.size() - std::min<size_t>(b.size(), 16));
    if (tail.find("\xff\xd9") == std::string_view::npos) {
      return InvalidArgument(fmt::format(
          "{}: the JPEG is truncated: its {} bytes do not end with the end-of-image marker (FF D9)", what, b.size()));
    }
  }
  // The size the header declares, before anything is decoded: a small PNG of one colour can
  // declare gigapixels.
  Result<ImageSize> size = encoded_image_size(b, png);
  if (!size.ok()) return size.status().with_context(what);
  if (size->width <= 0 || size->height <= 0) {
    return InvalidArgument(fmt::format("{}: the image declares a size of {}x{}", what, size->width, size->height));
  }
  if (size->width * size->height > limits.max_image_pixels) {
    return InvalidArgument(fmt::format(
        "{}: the image is {}x{} ({:.1f} megapixels): more than a request's image may decode to here ({:.1f} "
        "megapixels; sensix serve --media-max-pixels)",
        what, size->width, size->height, static_cast<double>(size->width * size->height) / 1e6,
        static_cast<double>(limits.max_image_pixels) / 1e6));
  }
  cv::Mat image;
  try {
    SENSIX_ASSIGN_OR_RETURN(image, media::decode_image(b, cv::IMREAD_COLOR));
  } catch (const cv::Exception& e) {
    return InvalidArgument(fmt::format("{}: OpenCV cannot decode it: {}", what, e.what()));
  }
  if (image.empty()) {
    return InvalidArgument(
        fmt::format("{}: OpenCV cannot decode these {} bytes (damaged or truncated)", what, b.size()));
  }
  Decoded d;
  d.source.sensor = "(the request)";
  d.source.modality = Modality::kImage;
  d.source.channels = 3;
  d.source.width = image.cols;
  d.source.height = image.rows;
  ImageGeometry geo;
  geo.src_width = geo.dst_width = image.cols;
  geo.src_height = geo.dst_height = image.rows;
  d.item.data = ImageData{image, geo};
  d.item.frame = image;
  d.description = fmt::format("{} {}x{}", png ? "PNG" : "JPEG", image.cols, image.rows);
  return d;
}

Result<Decoded> decode_clip(const MediaInput& in, const MediaLimits& limits) {
  SENSIX_ASSIGN_OR_RETURN(
      AudioClip clip, decode_audio(in.bytes, fmt::format("input \"{}\" ({})", in.name, in.content_type), limits.audio));
  Decoded d;
  d.source.sensor = "(the request)";
  d.source.modality = Modality::kAudio;
  d.source.sample_rate = clip.sample_rate;
  d.source.channels = clip.channels;
  d.item.end_ns = clip.frames * 1'000'000'000 / clip.sample_rate;
  d.description = clip.description;
  d.item.data = RowsData{std::make_shared<const std::vector<float>>(std::move(clip.samples)), clip.channels,
                         clip.sample_rate};
  return d;
}

// The planner's chain from `d.source` to the model's data input, built and run over the one item:
// the model's inputs (tensor items), in time order.
Result<std::vector<Item>> prepare(const ModelSignature& sig, const Decoded& d, const std::string& input_name) {
  const InputSpec& in = *sig.data_input;
  const Shape& shape = sig.inputs.at(0).shape;
  PlanBuilder builder;
  const int src = builder.add_source(d.source);
  Result<int> tail = Internal("unreachable");
  if (const auto* a = std::get_if<AudioInputSpec>(&in.source)) {
    tail = builder.add_audio_chain(src, *a, shape, in.dtype, sig.model, "request");
  } else if (const auto* im = std::get_if<ImageInputSpec>(&in.source)) {
    tail = builder.add_image_chain(src, *im, shape, in.dtype, sig.model, "request");
  }
  if (!tail.ok()) {
    return tail.status().with_context(fmt::format("Model/{}: input \"{}\"", sig.model, input_name));
  }
  const Plan plan = builder.finish();
  std::vector<int> path;
  for (int id = *tail; id != src; id = plan.node(id).parent) path.push_back(id);
  std::reverse(path.begin(), path.end());
  std::vector<std::unique_ptr<ExecNode>> nodes;
  for (int id : path) {
    SENSIX_ASSIGN_OR_RETURN(auto node, make_transform_node(plan.node(id)));
    nodes.push_back(std::move(node));
  }
  // Each node consumes what the one before it gave; then each is flushed in order, its last
  // items going through the nodes after it (a clip's zero-padded last window).
  std::vector<Item> items{d.item};
  auto through = [&](size_t from, std::vector<Item> batch) -> Result<std::vector<Item>> {
    for (size_t k = from; k < nodes.size(); ++k) {
      std::vector<Item> next;
      for (const Item& it : batch) SENSIX_RETURN_IF_ERROR(nodes[k]->process(it, &next));
      batch = std::move(next);
    }
    return batch;
  };
  SENSIX_ASSIGN_OR_RETURN(std::vector<Item> out, through(0, std::move(items)));
  for (size_t k = 0; k < nodes.size(); ++k) {
    std::vector<Item> flushed;
    SENSIX_RETURN_IF_ERROR(nodes[k]->flush(&flushed));
    if (flushed.empty()) continue;
    SENSIX_ASSIGN_OR_RETURN(std::vector<Item> more, through(k + 1, std::move(flushed)));
    for (Item& it : more) out.push_back(std::move(it));
  }
  if (out.empty()) {
    return InvalidArgument(fmt::format("Model/{}: input \"{}\" gives the model no input", sig.model, input_name));
  }
  return out;
}

// Tensors of one dtype and of shapes that differ at most in their first dimension, stacked along it.
Result<Tensor> concat_first_dim(const std::vector<Tensor>& parts, const std::string& name) {
  if (parts.size() == 1) return parts[0];
  Shape shape = parts[0].shape();
  if (shape.empty()) return InvalidArgument(fmt::format("output \"{}\" is a scalar: the runs cannot be joined", name));
  int64_t first = 0;
  for (const Tensor& t : parts) {
    if (t.dtype() != parts[0].dtype() || t.shape().size() != shape.size() ||
        !std::equal(t.shape().begin() + 1, t.shape().end(), shape.begin() + 1)) {
      return InvalidArgument(fmt::format("output \"{}\" has shape {} in one run and {} in another", name,
                                         shape_to_string(shape), shape_to_string(t.shape())));
    }
    first += t.shape()[0];
  }
  shape[0] = first;
  Tensor out(parts[0].dtype(), shape);
  std::byte* at = out.data();
  for (const Tensor& t : parts) {
    if (t.byte_size() > 0) std::memcpy(at, t.data(), t.byte_size());
    at += t.byte_size();
  }
  return out;
}

// One raw media request: its prepared inputs, run one after the other.
struct MediaCall : std::enable_shared_from_this<MediaCall> {
  RequestTasks* tasks = nullptr;
  std::string model;
  std::string input;  // the model's data input tensor
  std::vector<Item> inputs;
  size_t next = 0;
  TimePoint arrived{};
  TimePoint deadline{};
  std::chrono::nanoseconds timeout{0};
  std::optional<Priority> priority;
  std::optional<SequenceFlags> sequence;  // the request's, or the clip's own for a stateful model
  std::string version;                    // RequestOptions::version
  bool postprocess = false;
  MediaAnswerFn answer;
  std::vector<std::vector<NamedTensor>> outputs;  // per run
  std::mutex mu;                                  // guards predictions (a lane adds, the last answer reads)
  std::vector<Prediction> predictions;
  std::string media;
  std::string served_version;  // of the last run (the runs answer one after the other)

  void submit() {
    const TimePoint now = tasks->now();
    if (now >= deadline) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
      return answer(Unavailable(
          fmt::format("Model/{}: no answer within {} us ({} of {} runs done)", model, us, next, inputs.size())));
    }
    const size_t run = next;
    const Item& item = inputs[run];
    const auto& td = std::get<TensorData>(item.data);
    std::vector<NamedTensor> in;
    in.push_back(NamedTensor{input, *td.tensor});
    auto self = shared_from_this();
    RequestTasks::AfterRun after;
    if (postprocess) {
      after = [self, run](const ModelInstance& m, std::vector<NamedTensor>& out) -> Status {
        return self->post(m, run, out);
      };
    }
    RequestTasks::Options options;
    options.timeout = deadline - now;
    options.priority = priority;
    options.version = version;
    options.after_run = std::move(after);
    if (sequence) {  // the sequence's start with the first window, its end with the last
      options.sequence = SequenceFlags{sequence->id, sequence->start && run == 0,
                                       sequence->end && run + 1 == inputs.size()};
    }
    tasks->infer_async(model, std::move(in), std::move(options),
                       [self](Result<std::vector<NamedTensor>> r, std::string_view version) {
                         if (!r.ok()) return self->answer(r.status());
                         self->served_version = version;
                         self->outputs.push_back(std::move(r).value());
                         if (++self->next < self->inputs.size()) return self->submit();
                         self->finish();
                       });
  }

  // On the lane, after run `run`: the model's post-processing of its outputs, as a stream of its
  // own would do it, with the input's geometry (boxes in the client's image pixels).
  Status post(const ModelInstance& m, size_t run, std::vector<NamedTensor>& out) {
    SENSIX_ASSIGN_OR_RETURN(std::unique_ptr<Postprocessor> pp, Postprocessor::create(m));
    if (pp == nullptr) return Status::Ok();
    std::vector<Tensor> tensors;
    tensors.reserve(out.size());
    for (NamedTensor& t : out) tensors.push_back(std::move(t.tensor));
    const auto& td = std::get<TensorData>(inputs[run].data);
    Prediction p;
    Result<bool> reported = pp->process(tensors, td.has_geometry ? &td.geometry : nullptr, &p);
    for (size_t k = 0; k < out.size(); ++k) out[k].tensor = std::move(tensors[k]);
    if (!reported.ok()) return reported.status().with_context(fmt::format("Model/{}: post-processing", model));
    if (!*reported) return Status::Ok();
    p.model = m.name();
    p.version = m.spec().version;
    p.frame_seq = run;
    p.media_ns = inputs[run].end_ns;
    p.latency_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tasks->now() - arrived).count();
    std::lock_guard<std::mutex> lock(mu);
    predictions.push_back(std::move(p));
    return Status::Ok();
  }

  void finish() {
    MediaAnswer a;
    a.runs = static_cast<int>(outputs.size());
    a.media = media;
    {
      std::lock_guard<std::mutex> lock(mu);
      a.predictions = std::move(predictions);
    }
    a.version = served_version;
    for (size_t o = 0; o < outputs[0].size(); ++o) {
      std::vector<Tensor> parts;
      parts.reserve(outputs.size());
      for (auto& run : outputs) parts.push_back(std::move(run[o].tensor));
      Result<Tensor> joined = concat_first_dim(parts, outputs[0][o].name);
      if (!joined.ok()) return answer(joined.status().with_context("Model/" + model));
      a.outputs.push_back(NamedTensor{outputs[0][o].name, std::move(joined).value()});
    }
    answer(std::move(a));
  }
};

}  // namespace

Result<ImageSize> encoded_image_size(std::string_view b, bool png) {
  const auto byte = [&](size_t at) { return static_cast<uint32_t>(static_cast<unsigned char>(b[at])); };
  const auto be16 = [&](size_t at) { return byte(at) << 8 | byte(at + 1); };
  const auto be32 = [&](size_t at) { return be16(at) << 16 | be16(at + 2); };
  if (png) {
    // The signature, then the IHDR chunk first: its length (13), type, width and height.
    if (b.size() < 24 || b.substr(12, 4) != "IHDR") {
      return InvalidArgument(fmt::format("the {} bytes hold no PNG header (IHDR) to give the image's size", b.size()));
    }
    return ImageSize{be32(16), be32(20)};
  }
  // A JPEG's markers from its start: each FF xx; those without a length stand alone (SOI, TEMn,
  // RSTn); the others carry a 16-bit length that counts itself. The frame header (SOFn, all but
  // C4 DHT, C8 JPG and CC DAC of C0-CF) holds the precision, then the height and width.
  size_t at = 2;
  while (true) {
    if (at >= b.size() || byte(at) != 0xff) break;
    while (at < b.size() && byte(at) == 0xff) ++at;  // the marker's FF and any fill bytes
    if (at >= b.size()) break;
    const uint32_t marker = byte(at++);
    if (marker == 0xd8 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker == 0xd9 || marker == 0xda) break;  // the image's end, or its data, before any frame header
    if (at + 2 > b.size()) break;
    const uint32_t length = be16(at);
    if (length < 2) break;
    if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc) {
      if (length < 7 || at + 7 > b.size()) break;
      return ImageSize{be16(at + 5), be16(at + 3)};
    }
    at += length;
  }
  return InvalidArgument(
      fmt::format("the {} bytes hold no JPEG frame header (SOFn) to give the image's size", b.size()));
}

Result<std::string> sniff_content_type(std::string_view bytes) {
  const auto starts = [&](std::string_view magic, size_t at = 0) { return bytes.substr(at, magic.size()) == magic; };
  if (starts(std::string_view("\xff\xd8\xff", 3))) return std::string("image/jpeg");
  if (starts(std::string_view("\x89PNG\r\n\x1a\n", 8))) return std::string("image/png");
  if (starts("RIFF") && starts("WAVE", 8)) return std::string("audio/wav");
  if (starts("fLaC")) return std::string("audio/flac");
  if (starts("OggS")) return std::string("audio/ogg");
  return InvalidArgument(fmt::format("the {} bytes are not a JPEG, PNG, WAV, FLAC or OGG file (they start with {})",
                                     bytes.size(), hex_start(bytes)));
}

Result<PreparedMedia> prepare_media(const ModelSignature& sig, MediaInput media, const MediaLimits& limits) {
  const std::string& model = sig.model;
  Result<MediaKind> kind = media_kind(media.content_type);
  if (!kind.ok()) return kind.status().with_context(fmt::format("input \"{}\"", media.name));
  media.content_type = canonical(media.content_type);
  const InputSpec& in = *sig.data_input;
  const bool wants_image = std::holds_alternative<ImageInputSpec>(in.source);
  const bool wants_audio = std::holds_alternative<AudioInputSpec>(in.source);
  if (!wants_image && !wants_audio) {
    return InvalidArgument(fmt::format(
        "Model/{}: input \"{}\" is {}: raw media feeds a model whose data input is audio or an image", model,
        media.name,
        std::holds_alternative<StreamInputSpec>(in.source) ? "a stream of another model's output" : "a series"));
  }
  if (wants_image != (*kind == MediaKind::kImage)) {
    return InvalidArgument(fmt::format("Model/{}: input \"{}\" is {}, but the model's input \"{}\" takes {}", model,
                                       media.name, media.content_type, in.name, wants_image ? "an image" : "audio"));
  }
  Result<Decoded> decoded = *kind == MediaKind::kImage ? decode_image(media, limits) : decode_clip(media, limits);
  if (!decoded.ok()) return decoded.status().with_context("Model/" + model);
  Result<std::vector<Item>> inputs = prepare(sig, *decoded, media.name);
  if (!inputs.ok()) return inputs.status();
  PreparedMedia out;
  SENSIX_ASSIGN_OR_RETURN(out.inputs, std::move(inputs));
  out.description = std::move(decoded->description);
  return out;
}

namespace {

// Decodes, prepares and schedules a request that arrived at `arrived` (its timeout counts from then).
void infer_media(RequestTasks& tasks, const std::string& model, MediaInput media, RequestTasks::Options options,
                 MediaAnswerFn answer, const MediaLimits& limits, TimePoint arrived) {
  auto fail = [&](const Status& s) {
    tasks.failed(model, arrived);
    answer(s);
  };
  Result<ModelSignature> sig = tasks.signature(model, options.version);
  if (!sig.ok()) return answer(sig.status());
  if (options.sequence && sig->stateful.empty()) {
    return fail(InvalidArgument(fmt::format(
        "Model/{} keeps no state between runs: sequence_id, sequence_start and sequence_end are for models that do",
        model)));
  }
  Result<PreparedMedia> prepared = prepare_media(*sig, std::move(media), limits);
  if (!prepared.ok()) return fail(prepared.status());
  auto call = std::make_shared<MediaCall>();
  call->tasks = &tasks;
  call->model = model;
  call->input = sig->inputs.at(0).name;
  call->inputs = std::move(prepared->inputs);
  call->arrived = arrived;
  call->timeout = options.timeout;
  call->deadline = arrived + options.timeout;
  call->priority = options.priority;
  call->version = options.version;
  call->sequence = std::move(options.sequence);
  if (!sig->stateful.empty() && !call->sequence) {
    // The clip is a stream of its own: its state starts afresh and ends with it.
    static std::atomic<uint64_t> clips{0};
    call->sequence = SequenceFlags{fmt::format("\x1f"
                                               "clip {}",
                                               ++clips),
                                   true, true};
  }
  call->postprocess = sig->postprocess;
  call->answer = std::move(answer);
  call->media = std::move(prepared->description);
  call->outputs.reserve(call->inputs.size());
  call->submit();
}

}  // namespace

namespace {

Status stopping(const std::string& model) {
  return Unavailable(fmt::format("Model/{}: the server is stopping", model));
}

}  // namespace

MediaRequests::MediaRequests(RequestTasks* tasks, Options options) : tasks_(tasks), options_(std::move(options)) {
  int n = options_.threads;
  if (n <= 0) n = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2);
  options_.queue = std::max(0, options_.queue);
  threads_.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { loop(); });
}

MediaRequests::~MediaRequests() { close(); }

void MediaRequests::infer(const std::string& model, MediaInput media, RequestTasks::Options options,
                          MediaAnswerFn answer) {
  Job job{model, std::move(media), std::move(options), std::move(answer), tasks_->now()};
  bool closed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed = closed_;
    // Room: a thread free, or fewer than `queue` waiting for one.
    if (!closed && static_cast<int>(waiting_.size()) + decoding_ < options_.queue + static_cast<int>(threads_.size())) {
      waiting_.push_back(std::move(job));
      cv_.notify_one();
      return;
    }
    if (!closed) ++refused_busy_;
  }
  tasks_->failed(model, job.arrived, !closed);
  if (closed) return job.answer(stopping(model));
  job.answer(Unavailable(fmt::format(
      "Model/{}: {} raw media requests wait for the {} decoding thread(s) already; try again later (sensix serve "
      "--media-threads, --media-queue)",
      model, options_.queue, threads_.size())));
}

void MediaRequests::loop() {
  while (true) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !waiting_.empty(); });
    if (waiting_.empty()) return;  // closed
    Job job = std::move(waiting_.front());
    waiting_.pop_front();
    ++decoding_;
    lock.unlock();
    if (tasks_->now() >= job.arrived + job.options.timeout) {
      tasks_->failed(job.model, job.arrived, false, true);
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(job.options.timeout).count();
      job.answer(Unavailable(fmt::format(
          "Model/{}: no answer within {} us: the request waited that long for a decoding thread", job.model, us)));
    } else {
      infer_media(*tasks_, job.model, std::move(job.media), std::move(job.options), std::move(job.answer),
                  options_.limits, job.arrived);
    }
    lock.lock();
    --decoding_;
  }
}

void MediaRequests::close() {
  std::deque<Job> gone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    gone.swap(waiting_);
  }
  cv_.notify_all();
  for (Job& job : gone) {
    tasks_->failed(job.model, job.arrived);
    job.answer(stopping(job.model));
  }
  for (std::thread& t : threads_) {
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
  }
}

int64_t MediaRequests::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(waiting_.size());
}

uint64_t MediaRequests::refused_busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refused_busy_;
}

}  // namespace sensix
