// The planner (PlanBuilder) on series (IMU-like readings): resampling, normalisation, windows, and the
// nodes it makes.
#include "transform/plan.h"

#include <gtest/gtest.h>

#include "transform/nodes.h"
#include "transform/plan_test_util.h"

namespace sensix {
namespace {

using namespace plan_test;

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
            "the model's input [1, 10, 6] holds 60 values, but a window of 10 rows of sensor imu's 3 channel(s) gives "
            "30");
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
    for (int k = 0; k < 4; ++k)
      EXPECT_NEAR(v[k], static_cast<float>(2 * w + k), 1e-4) << "window " << w << " row " << k;
  }
}

}  // namespace
}  // namespace sensix
