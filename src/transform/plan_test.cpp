// The planner (PlanBuilder) on audio: chains, sharing, features and refused requirements. Image
// inputs and cascades: plan_image_test.cpp; series: plan_series_test.cpp.
#include "transform/plan.h"

#include <cmath>
#include <functional>
#include <span>

#include <gtest/gtest.h>

#include "transform/nodes.h"
#include "transform/plan_test_util.h"

namespace sensix {
namespace {

using namespace plan_test;

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
  EXPECT_EQ(s.requested, 9);     // 3 chains x (resample, window, tensor)
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
  EXPECT_EQ(kinds_to_root(plan, *logmel),
            (std::vector<std::string>{"source", "resample", "window", "spectrum", "mel", "log", "window", "tensor"}));
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
  auto a40 = b2.add_audio_chain(s2, feature_req(AudioFeatureKind::kMel, 10, 10), {1, 10, 40}, DType::kFloat32, "a",
                                "p");
  AudioInputSpec req64 = feature_req(AudioFeatureKind::kMel, 10, 10);
  req64.features->mels = 64;
  auto a64 = b2.add_audio_chain(s2, req64, {1, 10, 64}, DType::kFloat32, "b", "p");
  ASSERT_TRUE(a40.ok() && a64.ok());
  EXPECT_EQ(b2.plan().sharing().shared_nodes, 3);  // source, frames, spectrum
}

TEST(PlanBuilder, WithoutSharingEveryConsumerGetsItsOwnChain) {
  PlanBuilder b(/*share=*/false);
  int src = b.add_source(audio_source(22050, 1));
  auto x = b.add_audio_chain(src, feature_req(AudioFeatureKind::kLogMel, 96, 48), {1, 96, 40}, DType::kFloat32, "x",
                             "p");
  auto y = b.add_audio_chain(src, feature_req(AudioFeatureKind::kLogMel, 96, 48), {1, 96, 40}, DType::kFloat32, "y",
                             "p");
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
  for (size_t at = 0; at < signal.size(); at += 320)
    chunks.emplace_back(signal.begin() + at, signal.begin() + at + 320);
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

TEST(PlanBuilder, AudioRequirementThatForbidsUpsamplingNamesBothSides) {
  PlanBuilder b;
  int src = b.add_source(audio_source(8000, 1));
  AudioInputSpec req = audio_req(48000, 480, 480, 2);
  req.allow_upsampling = false;
  auto t = b.add_audio_chain(src, req, {1, 960}, DType::kFloat32, "m", "p");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "the model needs 48000 Hz, 2 ch audio and forbids upsampling (allowUpsampling: false), but sensor mic "
            "gives "
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
  EXPECT_EQ(plan.node(*t).key,
            "mic/select(2->[1])/resample(44100->16000)/window(512,512,none)/tensor(float32[1, 512]*1)");
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

}  // namespace
}  // namespace sensix
