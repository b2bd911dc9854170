// Tests of ImageGeometry on its own (its composition with the real image operations is tested in
// transform/image_ops_test.cpp).
#include "common/image_geometry.h"

#include <utility>
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

// compose() of every rotation with a crop and a resize after it maps each point as the two steps
// do one after the other (this goes through the inverse of the rotation, rotate_point).
TEST(ImageGeometry, ComposeOfARotationAndACropMapsAsTheStepsDo) {
  for (int r = -1; r <= 4; ++r) {
    ImageGeometry rotate;
    rotate.src_width = 40;
    rotate.src_height = 30;
    const bool odd = ((r % 4) + 4) % 2 == 1;
    rotate.dst_width = odd ? 30 : 40;
    rotate.dst_height = odd ? 40 : 30;
    rotate.rotation = r;
    ImageGeometry crop;  // 12x10 at (5, 7) of the rotated frame, resized to 24x20
    crop.src_width = rotate.dst_width;
    crop.src_height = rotate.dst_height;
    crop.dst_width = 24;
    crop.dst_height = 20;
    crop.crop_x = 5;
    crop.crop_y = 7;
    crop.scale_x = crop.scale_y = 2;
    auto both = compose(rotate, crop);
    ASSERT_TRUE(both.ok()) << both.status().message();
    for (auto [u, v] : {std::pair{0.0f, 0.0f}, {1.0f, 0.0f}, {0.0f, 1.0f}, {0.3f, 0.8f}, {1.0f, 1.0f}}) {
      const std::vector<float> mid = source_point(crop, u, v);
      const std::vector<float> want = source_point(rotate, mid[0] / static_cast<float>(rotate.dst_width),
                                                   mid[1] / static_cast<float>(rotate.dst_height));
      EXPECT_THAT(source_point(*both, u, v), Pointwise(FloatNear(1e-3f), want))
          << "rotation " << r << " at " << u << ", " << v;
    }
  }
}

}  // namespace
}  // namespace sensix
