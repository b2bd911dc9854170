#include "transform/plan.h"

#include <functional>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sensix
