// The planner (PlanBuilder) on images: resize, colour, rotation, crop, quantisation, the nodes it makes,
// and cascades (crops of a detector's boxes feeding another model).
#include "transform/plan.h"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "transform/nodes.h"
#include "transform/plan_test_util.h"

namespace sensix {
namespace {

using namespace plan_test;

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
  EXPECT_NE(b.plan().node(*t1).key.find("tensor(int8[1, 96, 96, 3],nhwc,range=[-1,1],q=0.0078125/0)"),
            std::string::npos)
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
  EXPECT_EQ(refused(zp, DType::kInt8),
            "quantization scale 0.5 must be positive and zero point 200 within -128..127 (int8)");
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
      m.at<cv::Vec3b>(r, c) = cv::Vec3b(static_cast<uint8_t>(v), static_cast<uint8_t>(50 + v),
                                        static_cast<uint8_t>(100 + v));
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
  EXPECT_EQ(v[1], 62);    // green of frame (1, 2)
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
  auto iris = b.add_crops_chain(det, same, cascade_req(64, 64, ResizeMode::kLetterbox), {1, 64, 64, 3}, DType::kFloat32,
                                "iris", "q");
  ASSERT_TRUE(mesh.ok()) << mesh.status();
  ASSERT_TRUE(iris.ok()) << iris.status();
  EXPECT_EQ(kinds_to_root(b.plan(), *mesh), (std::vector<std::string>{"source", "resize", "color", "tensor", "model",
                                                                      "crops", "resize", "color", "tensor"}));
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
  EXPECT_EQ(kinds_to_root(b.plan(), *full), (std::vector<std::string>{"source", "resize", "color", "tensor", "model",
                                                                      "crops", "resize", "color", "tensor"}));
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
    auto not_model = b.add_crops_chain(src, CropsSpec{}, cascade_req(64, 64), {1, 64, 64, 3}, DType::kFloat32, "x",
                                       "p");
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
