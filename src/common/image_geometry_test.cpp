// Tests of ImageGeometry on its own (its composition with the real image operations is tested in
// transform/image_ops_test.cpp).
#include "common/image_geometry.h"

#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sensix {
namespace {

using ::testing::FloatNear;
using ::testing::Pointwise;

std::vector<float> source_point(const ImageGeometry& g, float u, float v) {
  float x = 0, y = 0;
  g.to_source(u, v, &x, &y);
  return {x, y};
}

TEST(ImageGeometry, DefaultIsIdentityOnTheFrame) {
  ImageGeometry g;
  g.src_width = g.dst_width = 640;
  g.src_height = g.dst_height = 480;
  EXPECT_THAT(source_point(g, 0.25f, 0.5f), Pointwise(FloatNear(1e-4f), std::vector<float>{160, 240}));
}

}  // namespace
}  // namespace sensix
