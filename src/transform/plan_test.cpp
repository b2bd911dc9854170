#include "transform/plan.h"

#include <cmath>
#include <span>

#include "transform/nodes.h"

#include <functional>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

namespace sensix {
namespace {

SourceParams audio_source(int rate, int channels) {
  SourceParams s;
  s.sensor = "mic";
  s.modality = Modality::kAudio;
  s.sample_rate = rate;
  s.channels = channels;
  return s;
}

SourceParams image_source(int w, int h) {
  SourceParams s;
  s.sensor = "cam";
  s.modality = Modality::kImage;
  s.width = w;
  s.height = h;
  s.channels = 3;
  return s;
}

AudioInputSpec audio_req(int rate, int window, int hop, int channels = 1) {
  AudioInputSpec a;
  a.sample_rate = rate;
  a.channels = channels;
  a.window.window = window;
  a.window.hop = hop;
  return a;
}

std::vector<std::string> kinds_to_root(const Plan& plan, int id) {
  std::vector<std::string> kinds;
  for (int n = id; n >= 0; n = plan.node(n).parent) kinds.insert(kinds.begin(), std::string(node_kind_name(plan.node(n).params)));
  return kinds;
}

TEST(PlanBuilder, AudioChainMixesDownBeforeResampling) {
  PlanBuilder b;
  int src = b.add_source(audio_source(44100, 2));
  auto t = b.add_audio_chain(src, audio_req(16000, 512, 512), {1, 512}, DType::kFloat32, "vad", "p");
  ASSERT_TRUE(t.ok()) << t.status().message();
  Plan plan = b.finish();
  EXPECT_EQ(kinds_to_root(plan, *t), (std::vector<std::string>{"source", "mix", "resample", "window", "tensor"}));
  EXPECT_EQ(plan.node(*t).key, "mic/mix(2->1)/resample(44100->16000)/window(512,512,none)/tensor(float32[1, 512]*1)");
  const auto& rs = std::get<ResampleParams>(plan.node(plan.node(plan.node(*t).parent).parent).params);
  EXPECT_EQ(rs.channels, 1);
}

TEST(PlanBuilder, NoMixOrResampleWhenTheSourceAlreadyFits) {
  PlanBuilder b;
  int src = b.add_source(audio_source(16000, 1));
  auto t = b.add_audio_chain(src, audio_req(16000, 400, 160), {1, 400}, DType::kFloat32, "m", "p");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(kinds_to_root(b.plan(), *t), (std::vector<std::string>{"source", "window", "tensor"}));
}

TEST(PlanBuilder, IdenticalStepsAreSharedDifferentOnesAreNot) {
  PlanBuilder b;
  int src = b.add_source(audio_source(22050, 1));
  auto a = b.add_audio_chain(src, audio_req(16000, 1760, 1280), {1, 1760}, DType::kFloat32, "mel", "p");
  auto c = b.add_audio_chain(src, audio_req(16000, 1760, 1280), {1, 1760}, DType::kFloat32, "mel2", "q");
  auto v = b.add_audio_chain(src, audio_req(16000, 576, 512), {1, 576}, DType::kFloat32, "vad", "p");
  ASSERT_TRUE(a.ok() && c.ok() && v.ok());
  EXPECT_EQ(*a, *c);
  EXPECT_NE(*a, *v);
  Plan plan = b.finish();
  // source, resample (shared by all three), two windows, two tensors.
  EXPECT_EQ(plan.nodes().size(), 6u);
  int resample = plan.node(plan.node(*v).parent).parent;
  EXPECT_EQ(node_kind_name(plan.node(resample).params), "resample");
  EXPECT_EQ(plan.node(resample).consumers, (std::vector<std::string>{"mel", "mel2", "vad"}));
  EXPECT_EQ(plan.node(resample).pipelines, (std::vector<std::string>{"p", "q"}));
  Plan::Sharing s = plan.sharing();
  EXPECT_EQ(s.nodes, 6);
  EXPECT_EQ(s.requested, 9);  // 3 chains x (resample, window, tensor)
  EXPECT_EQ(s.shared_nodes, 4);  // source, resample, and the mel window and tensor
}

TEST(PlanBuilder, StreamChainFromAModelIsSharedByConsumersOfTheSameWindow) {
  PlanBuilder b;
  int src = b.add_source(audio_source(16000, 1));
  auto mel_in = b.add_audio_chain(src, audio_req(16000, 1760, 1280), {1, 1760}, DType::kFloat32, "mel", "p");
  ASSERT_TRUE(mel_in.ok());
  int mel = b.add_model(*mel_in, "mel", "p");
  StreamInputSpec heads;
  heads.window.window = 16;
  heads.window.hop = 1;
  auto h1 = b.add_stream_chain(mel, "out", 96, heads, {1, 16, 96}, DType::kFloat32, "jarvis", "p");
  auto h2 = b.add_stream_chain(mel, "out", 96, heads, {1, 16, 96}, DType::kFloat32, "alexa", "p");
  ASSERT_TRUE(h1.ok() && h2.ok());
  EXPECT_EQ(*h1, *h2);
  int jarvis = b.add_model(*h1, "jarvis", "p");
  int alexa = b.add_model(*h2, "alexa", "p");
  EXPECT_NE(jarvis, alexa);
  EXPECT_EQ(b.add_model(*h1, "jarvis", "other"), jarvis);  // same model on the same input runs once
  Plan plan = b.finish();
  EXPECT_EQ(plan.node(jarvis).pipelines, (std::vector<std::string>{"p", "other"}));
  EXPECT_EQ(plan.node(mel).consumers, (std::vector<std::string>{"mel", "jarvis", "alexa"}));
  EXPECT_EQ(plan.model_nodes().size(), 3u);
  std::string text = plan.to_text();
  EXPECT_NE(text.find("model jarvis"), std::string::npos);
  EXPECT_NE(text.find("shared by 2: jarvis, alexa"), std::string::npos);
}

TEST(PlanBuilder, ImageChainResizesConvertsAndTensorizes) {
  PlanBuilder b;
  int src = b.add_source(image_source(640, 480));
  ImageInputSpec req;
  req.width = 128;
  req.height = 128;
  req.resize = ResizeMode::kLetterbox;
  req.color = ColorOrder::kRgb;
  req.range_lo = -1;
  auto t = b.add_image_chain(src, req, {1, 128, 128, 3}, DType::kFloat32, "face", "p");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(kinds_to_root(b.plan(), *t), (std::vector<std::string>{"source", "resize", "color", "tensor"}));
  // BGR wanted at the source size: nothing but the tensor.
  ImageInputSpec bgr = req;
  bgr.width = 640;
  bgr.height = 480;
  bgr.color = ColorOrder::kBgr;
  bgr.layout = Layout::kNchw;
  auto t2 = b.add_image_chain(src, bgr, {1, 3, 480, 640}, DType::kFloat32, "ocr", "p");
  ASSERT_TRUE(t2.ok()) << t2.status().message();
  EXPECT_EQ(kinds_to_root(b.plan(), *t2), (std::vector<std::string>{"source", "tensor"}));
}

struct BadCase {
  const char* name;
  std::function<Status(PlanBuilder&)> build;
  const char* message;
};

TEST(PlanBuilder, ImpossibleRequirementsNameBothSides) {
  std::vector<BadCase> cases = {
      {"audio model on an image sensor",
       [](PlanBuilder& b) {
         int s = b.add_source(image_source(10, 10));
         return b.add_audio_chain(s, audio_req(16000, 10, 10), {1, 10}, DType::kFloat32, "m", "p").status();
       },
       "the model needs audio but sensor cam gives images"},
      {"image model on an audio sensor",
       [](PlanBuilder& b) {
         int s = b.add_source(audio_source(16000, 1));
         ImageInputSpec r;
         r.width = r.height = 8;
         return b.add_image_chain(s, r, {1, 8, 8, 3}, DType::kFloat32, "m", "p").status();
       },
       "the model needs images but sensor mic gives audio"},
      {"3 channels to 2",
       [](PlanBuilder& b) {
         int s = b.add_source(audio_source(16000, 3));
         return b.add_audio_chain(s, audio_req(16000, 10, 10, 2), {1, 20}, DType::kFloat32, "m", "p").status();
       },
       "sensor mic has 3 channels and the model needs 2: only mixing down to one channel or up from one channel is "
       "supported"},
      {"window does not fill the tensor",
       [](PlanBuilder& b) {
         int s = b.add_source(audio_source(16000, 1));
         return b.add_audio_chain(s, audio_req(16000, 512, 512), {1, 576}, DType::kFloat32, "m", "p").status();
       },
       "the input [1, 576] holds 576 values but each window gives 512"},
      {"hop larger than window",
       [](PlanBuilder& b) {
         int s = b.add_source(audio_source(16000, 1));
         return b.add_audio_chain(s, audio_req(16000, 10, 11), {1, 10}, DType::kFloat32, "m", "p").status();
       },
       "hop must be in 1..window (10), got 11"},
      {"int64 audio input",
       [](PlanBuilder& b) {
         int s = b.add_source(audio_source(16000, 1));
         return b.add_audio_chain(s, audio_req(16000, 10, 10), {1, 10}, DType::kInt64, "m", "p").status();
       },
       "audio inputs must be float32, the model's input is int64"},
      {"image tensor of the wrong layout",
       [](PlanBuilder& b) {
         int s = b.add_source(image_source(100, 100));
         ImageInputSpec r;
         r.width = r.height = 8;
         return b.add_image_chain(s, r, {1, 3, 8, 8}, DType::kFloat32, "m", "p").status();
       },
       "a 8x8 rgb image in nhwc layout is a [1, 8, 8, 3] tensor, but the model's input is [1, 3, 8, 8]"},
  };
  for (const auto& c : cases) {
    PlanBuilder b;
    Status s = c.build(b);
    EXPECT_FALSE(s.ok()) << c.name;
    EXPECT_EQ(s.message(), c.message) << c.name;
  }
}

// ---------------------------------------------------------------------------------------------
// Audio features

AudioInputSpec feature_req(AudioFeatureKind kind, int window, int hop) {
  AudioInputSpec a = audio_req(16000, window, hop);
  AudioFeaturesSpec f;
  f.kind = kind;
  f.fft_size = 512;
  f.f_max = 8000;
  f.mels = 40;
  f.coefficients = 13;
  a.features = f;
  return a;
}

TEST(PlanBuilder, LogMelAndMfccShareFramesSpectrumMelAndLog) {
  PlanBuilder b;
  int src = b.add_source(audio_source(22050, 1));
  auto logmel = b.add_audio_chain(src, feature_req(AudioFeatureKind::kLogMel, 96, 48), {1, 96, 40}, DType::kFloat32,
                                  "classifier", "p");
  auto mfcc = b.add_audio_chain(src, feature_req(AudioFeatureKind::kMfcc, 98, 49), {1, 98, 13}, DType::kFloat32,
                                "keywords", "p");
  ASSERT_TRUE(logmel.ok()) << logmel.status();
  ASSERT_TRUE(mfcc.ok()) << mfcc.status();
  Plan plan = b.finish();
  EXPECT_EQ(kinds_to_root(plan, *logmel), (std::vector<std::string>{"source", "resample", "window", "spectrum", "mel",
                                                                     "log", "window", "tensor"}));
  EXPECT_EQ(kinds_to_root(plan, *mfcc), (std::vector<std::string>{"source", "resample", "window", "spectrum", "mel",
                                                                   "log", "dct", "window", "tensor"}));
  EXPECT_EQ(plan.node(*logmel).key,
            "mic/resample(22050->16000)/window(400,160,none)/spectrum(512,400,hann,p2)/mel(40,0-8000,slaney,norm)/"
            "log(ln,1e-10,0)/window(96,48,none)/tensor(float32[1, 96, 40]*1)");
  // source, resample, frames, spectrum, mel and log are shared by both models.
  int log_node = plan.node(plan.node(*logmel).parent).parent;
  EXPECT_EQ(node_kind_name(plan.node(log_node).params), "log");
  EXPECT_EQ(plan.node(log_node).consumers, (std::vector<std::string>{"classifier", "keywords"}));
  EXPECT_EQ(plan.sharing().shared_nodes, 6);
  // The mel step has its own parameters: a model that asks for 64 bands gets its own mel node.
  PlanBuilder b2;
  int s2 = b2.add_source(audio_source(16000, 1));
  auto a40 = b2.add_audio_chain(s2, feature_req(AudioFeatureKind::kMel, 10, 10), {1, 10, 40}, DType::kFloat32, "a", "p");
  AudioInputSpec req64 = feature_req(AudioFeatureKind::kMel, 10, 10);
  req64.features->mels = 64;
  auto a64 = b2.add_audio_chain(s2, req64, {1, 10, 64}, DType::kFloat32, "b", "p");
  ASSERT_TRUE(a40.ok() && a64.ok());
  EXPECT_EQ(b2.plan().sharing().shared_nodes, 3);  // source, frames, spectrum
}

TEST(PlanBuilder, WithoutSharingEveryConsumerGetsItsOwnChain) {
  PlanBuilder b(/*share=*/false);
  int src = b.add_source(audio_source(22050, 1));
  auto x = b.add_audio_chain(src, feature_req(AudioFeatureKind::kLogMel, 96, 48), {1, 96, 40}, DType::kFloat32, "x", "p");
  auto y = b.add_audio_chain(src, feature_req(AudioFeatureKind::kLogMel, 96, 48), {1, 96, 40}, DType::kFloat32, "y", "p");
  ASSERT_TRUE(x.ok() && y.ok());
  EXPECT_NE(*x, *y);
  // The source is still one node; each chain has resample, frames, spectrum, mel, log, window, tensor.
  EXPECT_EQ(b.plan().nodes().size(), 1u + 2 * 7);
  EXPECT_EQ(b.plan().sharing().shared_nodes, 1);
}

TEST(PlanBuilder, FeatureRequirementsThatCannotBeMetAreRefused) {
  PlanBuilder b;
  int src = b.add_source(audio_source(16000, 1));
  AudioInputSpec req = feature_req(AudioFeatureKind::kLogMel, 96, 48);
  auto wrong = b.add_audio_chain(src, req, {1, 96, 64}, DType::kFloat32, "m", "p");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("holds 6144 values but each window gives 3840"), std::string::npos)
      << wrong.status();
  req.features->f_max = 12000;  // above the model's Nyquist (a document reader refuses this earlier)
  auto nyquist = b.add_audio_chain(src, req, {1, 96, 40}, DType::kFloat32, "m", "p");
  ASSERT_FALSE(nyquist.ok());
  EXPECT_NE(nyquist.status().message().find("half the sample rate"), std::string::npos) << nyquist.status();
}

// Runs `chunks` of samples through the executable nodes on the path from the source to `leaf`
// and returns the tensors that come out.
std::vector<TensorPtr> run_path(const Plan& plan, int leaf, const std::vector<std::vector<float>>& chunks) {
  std::vector<int> path;
  for (int n = leaf; plan.node(n).parent >= 0; n = plan.node(n).parent) path.insert(path.begin(), n);
  std::vector<std::unique_ptr<ExecNode>> nodes;
  for (int id : path) {
    auto made = make_transform_node(plan.node(id));
    EXPECT_TRUE(made.ok()) << made.status();
    if (!made.ok()) return {};
    nodes.push_back(std::move(made).value());
  }
  std::vector<TensorPtr> tensors;
  int64_t t = 0;
  for (const auto& c : chunks) {
    Item in;
    t += static_cast<int64_t>(c.size()) * 62500;  // ns per sample at 16 kHz
    in.end_ns = t;
    in.data = RowsData{std::make_shared<std::vector<float>>(c), 1, 16000};
    std::vector<Item> items{in};
    for (auto& node : nodes) {
      std::vector<Item> next;
      for (const auto& item : items) {
        Status s = node->process(item, &next);
        EXPECT_TRUE(s.ok()) << s;
      }
      items = std::move(next);
    }
    for (const auto& item : items) tensors.push_back(std::get<TensorData>(item.data).tensor);
  }
  return tensors;
}

TEST(FeatureNodes, StreamedChunksGiveTheSameLogMelAsTheOpsOnTheWholeSignal) {
  // 20 ms chunks of a pre-emphasised chirp -> log-mel frames (400 / 160) -> windows of 5 frames.
  // The reference applies the ops to the whole signal by hand, frame by frame.
  AudioInputSpec req = feature_req(AudioFeatureKind::kLogMel, 5, 5);
  req.pre_emphasis = 0.97f;
  req.features->norm = FeatureNorm::kRunning;
  PlanBuilder b;
  int src = b.add_source(audio_source(16000, 1));
  auto leaf = b.add_audio_chain(src, req, {1, 5, 40}, DType::kFloat32, "m", "p");
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  Plan plan = b.finish();

  std::vector<float> signal(16000);
  for (size_t n = 0; n < signal.size(); ++n) {
    const double t = static_cast<double>(n) / 16000.0;
    signal[n] = static_cast<float>(0.4 * std::sin(2 * 3.141592653589793 * (200.0 + 1500.0 * t) * t));
  }
  std::vector<std::vector<float>> chunks;
  for (size_t at = 0; at < signal.size(); at += 320) chunks.emplace_back(signal.begin() + at, signal.begin() + at + 320);
  const auto tensors = run_path(plan, *leaf, chunks);
  // (16000 - 400) / 160 + 1 = 98 frames -> 19 windows of 5.
  ASSERT_EQ(tensors.size(), 19u);

  auto pe = PreEmphasis::create(0.97f);
  auto spectrum = Spectrum::create(SpectrumSpec{512, 400, WindowFunction::kHann, 2.0f, false});
  MelSpec ms;
  ms.sample_rate = 16000;
  ms.n_fft = 512;
  ms.n_mels = 40;
  ms.f_max = 8000;
  auto mel = MelFilterbank::create(ms);
  auto log = LogCompression::create(LogSpec{});
  auto norm = FeatureNormalizer::running(40);
  ASSERT_TRUE(pe.ok() && spectrum.ok() && mel.ok() && log.ok() && norm.ok());
  std::vector<float> emphasised;
  pe->process(signal, &emphasised);
  std::vector<float> want;
  for (size_t f = 0; f < 95; ++f) {
    std::vector<float> p, m;
    ASSERT_TRUE((*spectrum)->compute(std::span<const float>(emphasised.data() + f * 160, 400), &p).ok());
    ASSERT_TRUE(mel->apply(p, &m).ok());
    log->apply(m);
    ASSERT_TRUE(norm->apply(m).ok());
    want.insert(want.end(), m.begin(), m.end());
  }
  for (size_t w = 0; w < tensors.size(); ++w) {
    auto got = tensors[w]->values<float>();
    ASSERT_EQ(got.size(), 200u);
    for (size_t i = 0; i < 200; ++i) ASSERT_NEAR(got[i], want[w * 200 + i], 1e-4f) << "window " << w << " value " << i;
  }
}

}  // namespace
}  // namespace sensix

namespace sensix {
namespace {

TEST(PlanBuilder, AudioRequirementThatForbidsUpsamplingNamesBothSides) {
  PlanBuilder b;
  int src = b.add_source(audio_source(8000, 1));
  AudioInputSpec req = audio_req(48000, 480, 480, 2);
  req.allow_upsampling = false;
  auto t = b.add_audio_chain(src, req, {1, 960}, DType::kFloat32, "m", "p");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "the model needs 48000 Hz, 2 ch audio and forbids upsampling (allowUpsampling: false), but sensor mic gives "
            "8000 Hz, 1 ch: both its rate and its channel count are lower");
  req = audio_req(16000, 512, 512, 1);
  req.allow_upsampling = false;
  auto rate_only = b.add_audio_chain(src, req, {1, 512}, DType::kFloat32, "m", "p");
  ASSERT_FALSE(rate_only.ok());
  EXPECT_NE(rate_only.status().message().find("gives 8000 Hz, 1 ch: its rate is lower"), std::string::npos);

  // Downsampling and mixing down stay allowed; with upsampling allowed (the default) 8 kHz is resampled up.
  PlanBuilder ok;
  int hi = ok.add_source(audio_source(44100, 2));
  req = audio_req(16000, 512, 512, 1);
  req.allow_upsampling = false;
  EXPECT_TRUE(ok.add_audio_chain(hi, req, {1, 512}, DType::kFloat32, "m", "p").ok());
  req.allow_upsampling = true;
  EXPECT_TRUE(b.add_audio_chain(src, req, {1, 512}, DType::kFloat32, "m", "p").ok());
}

SourceParams series_source(int channels) {
  SourceParams s;
  s.sensor = "imu";
  s.modality = Modality::kSeries;
  s.channels = channels;
  return s;
}

TEST(PlanBuilder, SeriesChainResamplesNormalisesAndWindowsSharedByModels) {
  PlanBuilder b;
  int src = b.add_source(series_source(6));
  SeriesInputSpec req;
  req.rate = 50;
  req.window.window = 100;
  req.window.hop = 50;
  req.norm = FeatureNorm::kRunning;
  auto a = b.add_series_chain(src, req, {1, 100, 6}, DType::kFloat32, "activity", "p");
  ASSERT_TRUE(a.ok()) << a.status().message();
  req.window.window = 50;
  req.window.hop = 25;
  auto c = b.add_series_chain(src, req, {1, 300}, DType::kFloat32, "fall", "p");
  ASSERT_TRUE(c.ok()) << c.status().message();
  Plan plan = b.finish();
  EXPECT_EQ(kinds_to_root(plan, *a),
            (std::vector<std::string>{"source", "series-resample", "normalize", "window", "tensor"}));
  EXPECT_EQ(plan.node(*a).key,
            "imu/series-resample(50Hz,gap=1s)/normalize(running)/window(100,50,none)/tensor(float32[1, 100, 6]*1)");
  // The resampling and the normalisation are shared; the windows differ.
  const int norm = plan.node(plan.node(*a).parent).parent;
  EXPECT_EQ(norm, plan.node(plan.node(*c).parent).parent);
  EXPECT_EQ(plan.node(norm).consumers, (std::vector<std::string>{"activity", "fall"}));
}

TEST(PlanBuilder, SeriesChainChecksChannelsAndModality) {
  PlanBuilder b;
  int imu = b.add_source(series_source(3));
  int mic = b.add_source(audio_source(16000, 1));
  SeriesInputSpec req;
  req.rate = 50;
  req.window.window = 10;
  req.window.hop = 10;
  auto wrong = b.add_series_chain(imu, req, {1, 10, 6}, DType::kFloat32, "m", "p");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(),
            "the model's input [1, 10, 6] holds 60 values, but a window of 10 rows of sensor imu's 3 channel(s) gives 30");
  auto audio = b.add_series_chain(mic, req, {1, 10}, DType::kFloat32, "m", "p");
  ASSERT_FALSE(audio.ok());
  EXPECT_EQ(audio.status().message(), "the model needs a series but sensor mic gives audio");
  auto img = b.add_image_chain(imu, ImageInputSpec{}, {1, 1, 1, 3}, DType::kFloat32, "m", "p");
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().message(), "the model needs images but sensor imu gives a series");
}

// Irregular readings through the executable nodes: resampled to 10 Hz, windows of 4 rows.
TEST(PlanNodes, SeriesReadingsBecomeWindowsOnTheModelGrid) {
  PlanBuilder b;
  int src = b.add_source(series_source(1));
  SeriesInputSpec req;
  req.rate = 10;
  req.window.window = 4;
  req.window.hop = 2;
  auto t = b.add_series_chain(src, req, {1, 4}, DType::kFloat32, "m", "p");
  ASSERT_TRUE(t.ok()) << t.status().message();
  Plan plan = b.finish();
  std::vector<int> chain;
  for (int n = *t; plan.node(n).parent >= 0; n = plan.node(n).parent) chain.insert(chain.begin(), n);
  std::vector<std::unique_ptr<ExecNode>> nodes;
  for (int id : chain) {
    auto made = make_transform_node(plan.node(id));
    ASSERT_TRUE(made.ok()) << made.status().message();
    nodes.push_back(std::move(made).value());
  }
  // v = 10 t at t = 0, 0.13, 0.31, 0.5, 0.72 s: grid 0, 0.1, ..., 0.7 gives 0, 1, ..., 7.
  auto chunk = std::make_shared<SeriesChunk>();
  chunk->channels = 1;
  for (double t_s : {0.0, 0.13, 0.31, 0.5, 0.72}) {
    chunk->t_ns.push_back(static_cast<int64_t>(std::llround(t_s * 1e9)));
    chunk->values.push_back(static_cast<float>(10 * t_s));
  }
  Item in;
  in.data = SeriesData{chunk};
  std::vector<Item> items{in};
  for (auto& n : nodes) {
    std::vector<Item> next;
    for (const Item& it : items) ASSERT_TRUE(n->process(it, &next).ok());
    items = std::move(next);
  }
  ASSERT_EQ(items.size(), 3u);  // windows [0..3], [2..5], [4..7]
  for (size_t w = 0; w < items.size(); ++w) {
    const auto& td = std::get<TensorData>(items[w].data);
    auto v = td.tensor->values<float>();
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(v[k], static_cast<float>(2 * w + k), 1e-4) << "window " << w << " row " << k;
  }
}


// ---------------------------------------------------------------------------------------------
// Rotation, crop and quantisation of image inputs.

ImageInputSpec image_req(int w, int h, ColorOrder color = ColorOrder::kRgb) {
  ImageInputSpec r;
  r.width = w;
  r.height = h;
  r.color = color;
  return r;
}

TEST(PlanBuilder, ImageChainRotatesThenCropsThenResizes) {
  PlanBuilder b;
  int src = b.add_source(image_source(640, 480));
  ImageInputSpec req = image_req(128, 128);
  req.rotate = 90;
  req.crop = ImageCropSpec{0.0f, 0.25f, 1.0f, 0.5f};
  auto t = b.add_image_chain(src, req, {1, 128, 128, 3}, DType::kFloat32, "face", "p");
  ASSERT_TRUE(t.ok()) << t.status().message();
  const Plan& plan = b.plan();
  EXPECT_EQ(kinds_to_root(plan, *t),
            (std::vector<std::string>{"source", "rotate", "crop", "resize", "color", "tensor"}));
  const PlanNode& color = plan.node(plan.node(*t).parent);
  const PlanNode& resize = plan.node(color.parent);
  const PlanNode& crop = plan.node(resize.parent);
  const PlanNode& rotate = plan.node(crop.parent);
  const std::string root = plan.node(src).key;
  EXPECT_EQ(rotate.key, root + "/rotate(90)");
  EXPECT_EQ(crop.key, root + "/rotate(90)/crop(0,0.25,1,0.5)");
  EXPECT_EQ(resize.key, root + "/rotate(90)/crop(0,0.25,1,0.5)/resize(128x128,stretch)");
  EXPECT_EQ(std::get<RotateParams>(rotate.params).degrees, 90);
  EXPECT_FLOAT_EQ(std::get<CropParams>(crop.params).region.y, 0.25f);
  EXPECT_EQ(rotate.label, "rotate 90 deg clockwise");
}

TEST(PlanBuilder, RotationsAndCropsAreSharedByModelsAskingTheSame) {
  PlanBuilder b;
  int src = b.add_source(image_source(640, 480));
  ImageInputSpec a = image_req(128, 128);
  a.rotate = 270;
  a.crop = ImageCropSpec{0.25f, 0.0f, 0.5f, 1.0f};
  ImageInputSpec b_same = image_req(300, 300, ColorOrder::kBgr);  // same rotation and crop, other size
  b_same.rotate = 270;
  b_same.crop = a.crop;
  ImageInputSpec c_other_crop = a;  // same rotation, other crop
  c_other_crop.crop = ImageCropSpec{0.0f, 0.0f, 0.5f, 1.0f};
  ImageInputSpec d_unrotated = a;  // same crop, no rotation
  d_unrotated.rotate = 0;
  auto ta = b.add_image_chain(src, a, {1, 128, 128, 3}, DType::kFloat32, "a", "p");
  auto tb = b.add_image_chain(src, b_same, {1, 300, 300, 3}, DType::kFloat32, "b", "p");
  auto tc = b.add_image_chain(src, c_other_crop, {1, 128, 128, 3}, DType::kFloat32, "c", "p");
  auto td = b.add_image_chain(src, d_unrotated, {1, 128, 128, 3}, DType::kFloat32, "d", "p");
  for (const auto* t : {&ta, &tb, &tc, &td}) ASSERT_TRUE(t->ok()) << t->status().message();
  const Plan& plan = b.plan();
  auto ancestor = [&](int id, const std::string& kind) {
    for (int n = id; n >= 0; n = plan.node(n).parent) {
      if (node_kind_name(plan.node(n).params) == kind) return n;
    }
    return -1;
  };
  // a and b: one rotation and one crop; c shares the rotation only; d neither.
  EXPECT_EQ(ancestor(*ta, "rotate"), ancestor(*tb, "rotate"));
  EXPECT_EQ(ancestor(*ta, "crop"), ancestor(*tb, "crop"));
  EXPECT_NE(ancestor(*ta, "resize"), ancestor(*tb, "resize"));
  EXPECT_EQ(ancestor(*ta, "rotate"), ancestor(*tc, "rotate"));
  EXPECT_NE(ancestor(*ta, "crop"), ancestor(*tc, "crop"));
  EXPECT_EQ(ancestor(*td, "rotate"), -1);
  EXPECT_NE(ancestor(*td, "crop"), ancestor(*ta, "crop"));
  EXPECT_EQ(plan.node(ancestor(*ta, "rotate")).consumers, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(plan.node(ancestor(*ta, "crop")).consumers, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(plan.node(ancestor(*td, "crop")).key, plan.node(src).key + "/crop(0.25,0,0.5,1)");
  // Shared transform nodes: the source, the 270 rotation and its 0.25 crop (the resize/colour
  // of a and c differ only below their crops).
  EXPECT_EQ(plan.sharing().shared_nodes, 3);
}

TEST(PlanBuilder, NoResizeWhenTheRotatedOrCroppedFrameAlreadyFits) {
  PlanBuilder b;
  int src = b.add_source(image_source(640, 480));
  ImageInputSpec rot = image_req(480, 640, ColorOrder::kBgr);
  rot.rotate = 90;
  auto t1 = b.add_image_chain(src, rot, {1, 640, 480, 3}, DType::kUInt8, "r", "p");
  ASSERT_TRUE(t1.ok()) << t1.status().message();
  EXPECT_EQ(kinds_to_root(b.plan(), *t1), (std::vector<std::string>{"source", "rotate", "tensor"}));
  ImageInputSpec crop = image_req(320, 240, ColorOrder::kBgr);
  crop.crop = ImageCropSpec{0.25f, 0.5f, 0.5f, 0.5f};
  auto t2 = b.add_image_chain(src, crop, {1, 240, 320, 3}, DType::kUInt8, "c", "p");
  ASSERT_TRUE(t2.ok()) << t2.status().message();
  EXPECT_EQ(kinds_to_root(b.plan(), *t2), (std::vector<std::string>{"source", "crop", "tensor"}));
  // A half-turn keeps the size.
  ImageInputSpec half = image_req(640, 480, ColorOrder::kBgr);
  half.rotate = 180;
  auto t3 = b.add_image_chain(src, half, {1, 480, 640, 3}, DType::kUInt8, "h", "p");
  ASSERT_TRUE(t3.ok()) << t3.status().message();
  EXPECT_EQ(kinds_to_root(b.plan(), *t3), (std::vector<std::string>{"source", "rotate", "tensor"}));
}

TEST(PlanBuilder, QuantisedTensorsAreKeyedByScaleAndZeroPoint) {
  PlanBuilder b;
  int src = b.add_source(image_source(640, 480));
  ImageInputSpec q = image_req(96, 96);
  q.range_lo = -1;
  q.quantization = ImageQuantizationSpec{0.0078125f, 0};
  auto t1 = b.add_image_chain(src, q, {1, 96, 96, 3}, DType::kInt8, "q1", "p");
  ASSERT_TRUE(t1.ok()) << t1.status().message();
  const auto& p1 = std::get<ImageTensorParams>(b.plan().node(*t1).params);
  EXPECT_EQ(p1.dtype, DType::kInt8);
  EXPECT_FLOAT_EQ(p1.quant_scale, 0.0078125f);
  EXPECT_EQ(p1.quant_zero_point, 0);
  EXPECT_NE(b.plan().node(*t1).key.find("tensor(int8[1, 96, 96, 3],nhwc,range=[-1,1],q=0.0078125/0)"), std::string::npos)
      << b.plan().node(*t1).key;
  auto again = b.add_image_chain(src, q, {1, 96, 96, 3}, DType::kInt8, "q2", "p");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *t1);
  ImageInputSpec other = q;
  other.quantization->zero_point = 5;
  auto t2 = b.add_image_chain(src, other, {1, 96, 96, 3}, DType::kInt8, "q3", "p");
  ASSERT_TRUE(t2.ok());
  EXPECT_NE(*t2, *t1);
  EXPECT_EQ(b.plan().node(*t2).parent, b.plan().node(*t1).parent);  // same resize and colour
  // uint8 without quantization stays raw pixels; with it, it is a different tensor.
  ImageInputSpec raw = image_req(96, 96);
  auto t3 = b.add_image_chain(src, raw, {1, 96, 96, 3}, DType::kUInt8, "u", "p");
  ASSERT_TRUE(t3.ok());
  EXPECT_NE(b.plan().node(*t3).key.find(",raw)"), std::string::npos) << b.plan().node(*t3).key;
  EXPECT_EQ(std::get<ImageTensorParams>(b.plan().node(*t3).params).quant_scale, 0.0f);
}

TEST(PlanBuilder, ImpossibleRotationCropAndQuantisationAreRefused) {
  PlanBuilder b;
  int src = b.add_source(image_source(640, 480));
  auto refused = [&](ImageInputSpec r, DType dtype) {
    auto t = b.add_image_chain(src, r, {1, 8, 8, 3}, dtype, "m", "p");
    return t.ok() ? std::string("ok") : t.status().message();
  };
  ImageInputSpec base = image_req(8, 8);
  ImageInputSpec r45 = base;
  r45.rotate = 45;
  EXPECT_EQ(refused(r45, DType::kFloat32), "image rotation must be 0, 90, 180 or 270 degrees, got 45");
  ImageInputSpec outside = base;
  outside.crop = ImageCropSpec{0.5f, 0.0f, 0.75f, 1.0f};
  EXPECT_EQ(refused(outside, DType::kFloat32),
            "image crop (x 0.5, y 0, width 0.75, height 1) must be a region inside the frame, in fractions 0..1");
  ImageInputSpec sliver = base;
  sliver.crop = ImageCropSpec{0.5f, 0.0f, 0.0001f, 1.0f};
  EXPECT_EQ(refused(sliver, DType::kFloat32),
            "image crop (x 0.5, y 0, width 0.0001, height 1) of the 640x480 frame of sensor cam has no whole pixel");
  EXPECT_EQ(refused(base, DType::kInt8),
            "image inputs must be float32, uint8, or int8 with quantization; the model's input is int8 without "
            "quantization");
  ImageInputSpec qf = base;
  qf.quantization = ImageQuantizationSpec{0.5f, 0};
  EXPECT_EQ(refused(qf, DType::kFloat32), "quantization is only for int8 and uint8 image inputs, not float32");
  ImageInputSpec zp = base;
  zp.quantization = ImageQuantizationSpec{0.5f, 200};
  EXPECT_EQ(refused(zp, DType::kInt8), "quantization scale 0.5 must be positive and zero point 200 within -128..127 (int8)");
}

// Runs the transform nodes from `tensor_node` up to (not including) the source on one frame.
std::vector<Item> run_chain(const Plan& plan, int tensor_node, const cv::Mat& frame) {
  std::vector<int> chain;
  for (int n = tensor_node; plan.node(n).parent >= 0; n = plan.node(n).parent) chain.insert(chain.begin(), n);
  Item in;
  ImageGeometry identity;  // as the sensor graph gives a frame
  identity.src_width = identity.dst_width = frame.cols;
  identity.src_height = identity.dst_height = frame.rows;
  in.data = ImageData{frame, identity};
  std::vector<Item> items{in};
  for (int id : chain) {
    auto made = make_transform_node(plan.node(id));
    EXPECT_TRUE(made.ok()) << made.status().message();
    if (!made.ok()) return {};
    std::vector<Item> next;
    for (const Item& it : items) {
      Status st = (*made)->process(it, &next);
      EXPECT_TRUE(st.ok()) << node_kind_name(plan.node(id).params) << ": " << st.message();
    }
    items = std::move(next);
  }
  return items;
}

// A 4x2 (cols x rows) BGR frame whose pixel (row r, col c) is (10r + c, 50 + 10r + c, 100 + 10r + c).
cv::Mat small_frame() {
  cv::Mat m(2, 4, CV_8UC3);
  for (int r = 0; r < 2; ++r) {
    for (int c = 0; c < 4; ++c) {
      const int v = 10 * r + c;
      m.at<cv::Vec3b>(r, c) = cv::Vec3b(static_cast<uint8_t>(v), static_cast<uint8_t>(50 + v), static_cast<uint8_t>(100 + v));
    }
  }
  return m;
}

// Rotating the 4x2 frame 90 degrees clockwise gives a 2x4 image whose pixel (row r, col c) is the
// frame's (row 1 - c, col r); its bottom half (rows 2-3) is frame pixels (1,2) (0,2) / (1,3) (0,3),
// i.e. blue values 12 2 / 13 3. That region is frame columns 2-3, all rows: x 2..4, y 0..2.
TEST(PlanNodes, RotateThenCropGivesTheRotatedRegionAndMapsBackToTheFrame) {
  PlanBuilder b;
  int src = b.add_source(image_source(4, 2));
  ImageInputSpec req = image_req(2, 2, ColorOrder::kBgr);
  req.rotate = 90;
  req.crop = ImageCropSpec{0.0f, 0.5f, 1.0f, 0.5f};
  auto t = b.add_image_chain(src, req, {1, 2, 2, 3}, DType::kUInt8, "m", "p");
  ASSERT_TRUE(t.ok()) << t.status().message();
  Plan plan = b.finish();
  EXPECT_EQ(kinds_to_root(plan, *t), (std::vector<std::string>{"source", "rotate", "crop", "tensor"}));
  auto items = run_chain(plan, *t, small_frame());
  ASSERT_EQ(items.size(), 1u);
  const auto& td = std::get<TensorData>(items[0].data);
  ASSERT_TRUE(td.has_geometry);
  auto v = td.tensor->values<uint8_t>();
  ASSERT_EQ(v.size(), 12u);
  const std::vector<int> blue{v[0], v[3], v[6], v[9]};
  EXPECT_EQ(blue, (std::vector<int>{12, 2, 13, 3}));
  EXPECT_EQ(v[1], 62);   // green of frame (1, 2)
  EXPECT_EQ(v[11], 103);  // red of frame (0, 3)
  const ImageGeometry& g = td.geometry;
  EXPECT_EQ(g.src_width, 4);
  EXPECT_EQ(g.src_height, 2);
  EXPECT_EQ(g.rotation, 1);
  float x = 0, y = 0;
  g.to_source(0, 0, &x, &y);  // top-left of the model input: bottom-left of the region
  EXPECT_NEAR(x, 2.0f, 1e-5);
  EXPECT_NEAR(y, 2.0f, 1e-5);
  g.to_source(1, 1, &x, &y);  // bottom-right: top-right of the region
  EXPECT_NEAR(x, 4.0f, 1e-5);
  EXPECT_NEAR(y, 0.0f, 1e-5);
  g.to_source(0.5f, 0.25f, &x, &y);  // model pixel (1, 0.5) = rotated (1, 2.5) = frame (2.5, 1)
  EXPECT_NEAR(x, 2.5f, 1e-5);
  EXPECT_NEAR(y, 1.0f, 1e-5);
}

// The same region as int8 in [-1, 1] with scale 1/128, zero point 0:
// q = round((-1 + 2p/255) * 128): p 12, 2, 13, 3 -> -116, -126, -115, -125.
TEST(PlanNodes, QuantisedTensorFollowsTheDocumentFormula) {
  PlanBuilder b;
  int src = b.add_source(image_source(4, 2));
  ImageInputSpec req = image_req(2, 2, ColorOrder::kBgr);
  req.rotate = 90;
  req.crop = ImageCropSpec{0.0f, 0.5f, 1.0f, 0.5f};
  req.range_lo = -1;
  req.quantization = ImageQuantizationSpec{1.0f / 128, 0};
  auto t = b.add_image_chain(src, req, {1, 2, 2, 3}, DType::kInt8, "m", "p");
  ASSERT_TRUE(t.ok()) << t.status().message();
  Plan plan = b.finish();
  auto items = run_chain(plan, *t, small_frame());
  ASSERT_EQ(items.size(), 1u);
  const auto& td = std::get<TensorData>(items[0].data);
  ASSERT_EQ(td.tensor->dtype(), DType::kInt8);
  auto v = td.tensor->values<int8_t>();
  ASSERT_EQ(v.size(), 12u);
  const std::vector<int> blue{v[0], v[3], v[6], v[9]};
  EXPECT_EQ(blue, (std::vector<int>{-116, -126, -115, -125}));
  // With zero point 10 every value moves up by 10 (none clamps).
  ImageInputSpec shifted = req;
  shifted.quantization->zero_point = 10;
  PlanBuilder b2;
  int src2 = b2.add_source(image_source(4, 2));
  auto t2 = b2.add_image_chain(src2, shifted, {1, 2, 2, 3}, DType::kInt8, "m", "p");
  ASSERT_TRUE(t2.ok());
  Plan plan2 = b2.finish();
  auto items2 = run_chain(plan2, *t2, small_frame());
  ASSERT_EQ(items2.size(), 1u);
  auto v2 = std::get<TensorData>(items2[0].data).tensor->values<int8_t>();
  EXPECT_EQ(v2[0], -106);
  EXPECT_EQ(v2[9], -115);
}

// A rotation, then a stretch resize to twice the size: the geometry composes, so the model
// input's corners still land on the frame's corners (the rotated frame is 2x4; the input 4x8).
TEST(PlanNodes, ResizeAfterRotationComposesTheGeometry) {
  PlanBuilder b;
  int src = b.add_source(image_source(4, 2));
  ImageInputSpec req = image_req(4, 8, ColorOrder::kBgr);
  req.rotate = 270;
  auto t = b.add_image_chain(src, req, {1, 8, 4, 3}, DType::kUInt8, "m", "p");
  ASSERT_TRUE(t.ok()) << t.status().message();
  Plan plan = b.finish();
  EXPECT_EQ(kinds_to_root(plan, *t), (std::vector<std::string>{"source", "rotate", "resize", "tensor"}));
  auto items = run_chain(plan, *t, small_frame());
  ASSERT_EQ(items.size(), 1u);
  const ImageGeometry& g = std::get<TensorData>(items[0].data).geometry;
  EXPECT_EQ(g.rotation, 3);
  EXPECT_EQ(g.dst_width, 4);
  EXPECT_EQ(g.dst_height, 8);
  float x = 0, y = 0;
  // 270 clockwise: the rotated frame's top-left is the frame's top-right (4, 0); its
  // bottom-right the frame's bottom-left (0, 2); model pixel (1, 2) = rotated (0.5, 1) = frame (3, 0.5).
  g.to_source(0, 0, &x, &y);
  EXPECT_NEAR(x, 4.0f, 1e-5);
  EXPECT_NEAR(y, 0.0f, 1e-5);
  g.to_source(1, 1, &x, &y);
  EXPECT_NEAR(x, 0.0f, 1e-5);
  EXPECT_NEAR(y, 2.0f, 1e-5);
  g.to_source(0.25f, 0.25f, &x, &y);
  EXPECT_NEAR(x, 3.0f, 1e-5);
  EXPECT_NEAR(y, 0.5f, 1e-5);
}

}  // namespace
}  // namespace sensix

namespace sensix {
namespace {

TEST(PlanBuilder, SelectedChannelsAreTakenBeforeResamplingAndChecked) {
  PlanBuilder b;
  int src = b.add_source(audio_source(44100, 2));
  AudioInputSpec right = audio_req(16000, 512, 512, 1);
  right.select_channels = {1};
  auto t = b.add_audio_chain(src, right, {1, 512}, DType::kFloat32, "right-vad", "p");
  ASSERT_TRUE(t.ok()) << t.status().message();
  AudioInputSpec left = audio_req(16000, 512, 512, 1);
  left.select_channels = {0};
  auto l = b.add_audio_chain(src, left, {1, 512}, DType::kFloat32, "left-vad", "p");
  ASSERT_TRUE(l.ok()) << l.status().message();
  AudioInputSpec bad = audio_req(16000, 512, 512, 1);
  bad.select_channels = {2};
  auto refused = b.add_audio_chain(src, bad, {1, 512}, DType::kFloat32, "m", "p");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "the model takes channel 2 of sensor mic, which has 2 channel(s) (0 to 1)");
  Plan plan = b.finish();
  EXPECT_EQ(plan.node(*t).key, "mic/select(2->[1])/resample(44100->16000)/window(512,512,none)/tensor(float32[1, 512]*1)");
  EXPECT_EQ(kinds_to_root(plan, *l), (std::vector<std::string>{"source", "select", "resample", "window", "tensor"}));
  const auto& rs = std::get<ResampleParams>(plan.node(plan.node(plan.node(*t).parent).parent).params);
  EXPECT_EQ(rs.channels, 1);  // only the selected channel is resampled

  // Executed: the right channel of a stereo frame, unchanged by a same-rate chain.
  PlanBuilder same;
  int s2 = same.add_source(audio_source(16000, 2));
  AudioInputSpec r2 = audio_req(16000, 4, 4, 1);
  r2.select_channels = {1};
  auto leaf = same.add_audio_chain(s2, r2, {1, 4}, DType::kFloat32, "m", "p");
  ASSERT_TRUE(leaf.ok()) << leaf.status().message();
  Plan p2 = same.finish();
  std::vector<int> chain;
  for (int n = *leaf; p2.node(n).parent >= 0; n = p2.node(n).parent) chain.insert(chain.begin(), n);
  Item in;
  in.data = RowsData{std::make_shared<std::vector<float>>(std::vector<float>{1, -1, 2, -2, 3, -3, 4, -4}), 2, 16000};
  std::vector<Item> items{in};
  for (int id : chain) {
    auto node = make_transform_node(p2.node(id));
    ASSERT_TRUE(node.ok()) << node.status().message();
    std::vector<Item> next;
    for (const Item& it : items) ASSERT_TRUE((*node)->process(it, &next).ok());
    items = std::move(next);
  }
  ASSERT_EQ(items.size(), 1u);
  auto v = std::get<TensorData>(items[0].data).tensor->values<float>();
  EXPECT_EQ(std::vector<float>(v.begin(), v.end()), (std::vector<float>{-1, -2, -3, -4}));
}

// ---------------------------------------------------------------------------------------------
// Cascades: crops of a detector's boxes feed another model's image input.

ImageInputSpec cascade_req(int w, int h, ResizeMode mode = ResizeMode::kStretch) {
  ImageInputSpec r;
  r.width = w;
  r.height = h;
  r.resize = mode;
  r.color = ColorOrder::kRgb;
  return r;
}

// A detector on the whole frame of a 640x480 camera; returns its model node.
int add_detector(PlanBuilder& b, const std::string& pipeline) {
  int src = b.add_source(image_source(640, 480));
  auto t = b.add_image_chain(src, cascade_req(300, 300), {1, 300, 300, 3}, DType::kFloat32, "det", pipeline);
  EXPECT_TRUE(t.ok()) << t.status();
  return b.add_model(*t, "det", pipeline);
}

TEST(PlanBuilder, CropsOfTheSameBoxesAreOneNodeSharedByTheirConsumers) {
  PlanBuilder b;
  const int det = add_detector(b, "p");
  CropsSpec faces;
  faces.labels = {"face", "person"};
  faces.min_score = 0.5f;
  faces.max_crops = 4;
  faces.scale = 1.5f;
  faces.square = true;
  CropsSpec same = faces;
  same.labels = {"person", "face", "face"};  // the same set, in another order
  auto mesh = b.add_crops_chain(det, faces, cascade_req(192, 192), {1, 192, 192, 3}, DType::kFloat32, "mesh", "p");
  auto iris = b.add_crops_chain(det, same, cascade_req(64, 64, ResizeMode::kLetterbox), {1, 64, 64, 3},
                                DType::kFloat32, "iris", "q");
  ASSERT_TRUE(mesh.ok()) << mesh.status();
  ASSERT_TRUE(iris.ok()) << iris.status();
  EXPECT_EQ(kinds_to_root(b.plan(), *mesh),
            (std::vector<std::string>{"source", "resize", "color", "tensor", "model", "crops", "resize", "color", "tensor"}));
  // One crops node for both: the chains part below it.
  const int crops = b.plan().node(b.plan().node(b.plan().node(*mesh).parent).parent).parent;
  EXPECT_EQ(b.plan().node(b.plan().node(b.plan().node(*iris).parent).parent).parent, crops);
  const PlanNode& cn = b.plan().node(crops);
  EXPECT_EQ(cn.parent, det);
  EXPECT_EQ(cn.key, b.plan().node(det).key + "/crops(face,person;min=0.5;max=4;x1.5;square;shift=0,0)");
  EXPECT_EQ(cn.consumers, (std::vector<std::string>{"mesh", "iris"}));
  EXPECT_EQ(std::get<CropsParams>(cn.params).model, "det");
  EXPECT_EQ(std::get<CropsParams>(cn.params).crops.labels, (std::vector<std::string>{"face", "person"}));
  // The same resize of the same crops is shared too; other crop parameters make another node.
  auto mesh2 = b.add_crops_chain(det, faces, cascade_req(192, 192), {1, 192, 192, 3}, DType::kFloat32, "mesh2", "p");
  ASSERT_TRUE(mesh2.ok());
  EXPECT_EQ(*mesh2, *mesh);
  CropsSpec wider = faces;
  wider.scale = 2.0f;
  auto other = b.add_crops_chain(det, wider, cascade_req(192, 192), {1, 192, 192, 3}, DType::kFloat32, "hand", "p");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, *mesh);
  // A crop has no fixed size: the resize is planned even when the model's size is the frame's.
  auto full = b.add_crops_chain(det, faces, cascade_req(640, 480), {1, 480, 640, 3}, DType::kFloat32, "big", "p");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(kinds_to_root(b.plan(), *full),
            (std::vector<std::string>{"source", "resize", "color", "tensor", "model", "crops", "resize", "color", "tensor"}));
  // Two pipelines running the same model on the same crops run it once.
  const int m1 = b.add_model(*mesh, "mesh", "p");
  EXPECT_EQ(b.add_model(*mesh2, "mesh", "other"), m1);
  Plan plan = b.finish();
  EXPECT_EQ(plan.node(m1).pipelines, (std::vector<std::string>{"p", "other"}));
  EXPECT_GE(plan.sharing().shared_nodes, 1);
}

TEST(PlanBuilder, PlanTextShowsTheCascadeFromTheDetectorToTheModel) {
  PlanBuilder b;
  const int det = add_detector(b, "p");
  CropsSpec c;
  c.labels = {"face"};
  c.min_score = 0.5f;
  c.max_crops = 4;
  c.scale = 1.5f;
  c.square = true;
  c.shift_y = -0.1f;
  auto mesh = b.add_crops_chain(det, c, cascade_req(192, 192), {1, 192, 192, 3}, DType::kFloat32, "mesh", "p");
  ASSERT_TRUE(mesh.ok());
  b.add_model(*mesh, "mesh", "p");
  const std::string text = b.finish().to_text();
  EXPECT_NE(text.find("    crops of det [face] score >= 0.5 x1.5 square shift (0, -0.1), at most 4"), std::string::npos)
      << text;
  EXPECT_NE(text.find("cascade: model det -> crops of det [face] score >= 0.5 x1.5 square shift (0, -0.1), at most 4 "
                      "-> resize 192x192 (stretch) -> color -> rgb -> tensor float32 [1, 192, 192, 3] nhwc "
                      "range=[0,1] -> model mesh\n"),
            std::string::npos)
      << text;
  // A plan without cascades has no cascade line.
  PlanBuilder plain;
  add_detector(plain, "p");
  EXPECT_EQ(plain.finish().to_text().find("cascade:"), std::string::npos);
}

TEST(PlanBuilder, CropsNeedAnImageDetectorAndValidParameters) {
  {
    PlanBuilder b;
    int src = b.add_source(audio_source(16000, 1));
    auto in = b.add_audio_chain(src, audio_req(16000, 512, 512), {1, 512}, DType::kFloat32, "vad", "p");
    ASSERT_TRUE(in.ok());
    int vad = b.add_model(*in, "vad", "p");
    auto r = b.add_crops_chain(vad, CropsSpec{}, cascade_req(64, 64), {1, 64, 64, 3}, DType::kFloat32, "x", "p");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("Model/vad is fed by sensor mic, which gives audio"), std::string::npos)
        << r.status();
    auto not_model = b.add_crops_chain(src, CropsSpec{}, cascade_req(64, 64), {1, 64, 64, 3}, DType::kFloat32, "x", "p");
    EXPECT_FALSE(not_model.ok());
  }
  PlanBuilder b;
  const int det = add_detector(b, "p");
  for (auto bad : std::vector<std::function<void(CropsSpec&)>>{[](CropsSpec& c) { c.scale = 0; },
                                                               [](CropsSpec& c) { c.scale = -1; },
                                                               [](CropsSpec& c) { c.max_crops = 0; },
                                                               [](CropsSpec& c) { c.min_score = 1.5f; }}) {
    CropsSpec c;
    bad(c);
    auto r = b.add_crops_chain(det, c, cascade_req(64, 64), {1, 64, 64, 3}, DType::kFloat32, "x", "p");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("crops need scale > 0"), std::string::npos) << r.status();
  }
  // The downstream input's own checks apply to crops as to frames.
  auto shape = b.add_crops_chain(det, CropsSpec{}, cascade_req(64, 64), {1, 3, 64, 64}, DType::kFloat32, "x", "p");
  ASSERT_FALSE(shape.ok());
  EXPECT_NE(shape.status().message().find("but the model's input is [1, 3, 64, 64]"), std::string::npos)
      << shape.status();
}

}  // namespace
}  // namespace sensix
