// End to end on real models: examples/cascades.yaml, where SSD MobileNetV2 OIDv4 (TensorFlow Lite)
// finds people in a photo and BlazeFace (ONNX Runtime) looks for a face in each person's crop, cut
// out of the original photo; BlazeFace also runs on the whole photo, and the short-range BlazeFace
// (128x128) on a close-up crop of each face it finds. A face found in a crop must come back in the
// photo's pixels, inside its crop, where the whole-frame BlazeFace finds it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "docs/parser.h"
#include "e2e_support.h"
#include "runtime/runtime.h"

namespace sensix::testing {
namespace {

Result<DocumentSet> load_cascades(const std::string& image) {
  auto docs = parse_document_files({std::string(SENSIX_SOURCE_DIR) + "/examples/cascades.yaml"});
  if (!docs.ok()) return docs.status();
  set_sensor_path(&*docs, "camera", image);
  return docs;
}

struct Split {
  std::vector<Prediction> whole, in_crops;  // BlazeFace on the whole frame, and on crops
};
Split split_faces(const RunResult& r) {
  Split s;
  for (const auto& p : r.of_model("blazeface")) (p.crop ? s.in_crops : s.whole).push_back(p);
  return s;
}

bool inside(float x, float y, float w, float h, const CropSource& r, float slack) {
  return x >= r.x - slack && y >= r.y - slack && x + w <= r.x + r.w + slack && y + h <= r.y + r.h + slack;
}

TEST(Cascade, TheFaceInAPersonCropMapsBackToTheFaceInTheWholePhoto) {
  const std::string img = sample_path("images/messi5.jpg");
  if (img.empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto docs = load_cascades(img);
  ASSERT_TRUE(docs.ok()) << docs.status();
  auto result = run_to_end(*docs);
  ASSERT_TRUE(result.ok()) << result.status();

  const auto ssd = result->of_model("ssd-oidv4");
  ASSERT_EQ(ssd.size(), 1u);
  const auto& objects = ssd[0].detections;
  const auto people = std::count_if(objects.begin(), objects.end(),
                                    [](const Detection& d) { return d.label == "Person"; });
  ASSERT_GE(people, 1) << "SSD found no person in messi5.jpg";

  const Split faces = split_faces(*result);
  ASSERT_EQ(faces.whole.size(), 1u) << "BlazeFace found no face in the whole photo";
  const Detection& whole = faces.whole[0].detections.at(0);
  ASSERT_GE(faces.in_crops.size(), 1u) << "BlazeFace found no face in any person crop";

  bool matched = false;
  for (const Prediction& p : faces.in_crops) {
    const CropSource& c = *p.crop;
    // The crop is the Person box of SSD's prediction it names, enlarged by 20 %, clipped to the photo.
    EXPECT_EQ(c.model, "ssd-oidv4");
    EXPECT_EQ(c.label, "Person");
    ASSERT_GE(c.detection, 0);
    ASSERT_LT(c.detection, static_cast<int>(objects.size()));
    const Detection& person = objects[static_cast<size_t>(c.detection)];
    EXPECT_EQ(person.label, "Person");
    EXPECT_FLOAT_EQ(c.score, person.score);
    const float cx = person.x + person.w / 2, cy = person.y + person.h / 2;
    EXPECT_NEAR(c.x, std::max(0.0f, cx - person.w * 0.6f), 1.0f);
    EXPECT_NEAR(c.y, std::max(0.0f, cy - person.h * 0.6f), 1.0f);
    EXPECT_NEAR(c.x + c.w, std::min(548.0f, cx + person.w * 0.6f), 1.0f);
    EXPECT_NEAR(c.y + c.h, std::min(342.0f, cy + person.h * 0.6f), 1.0f);
    EXPECT_EQ(p.frame_seq, ssd[0].frame_seq);
    // The crop's prediction names the photo its frame came from, as the detector's does.
    ASSERT_NE(p.source, nullptr);
    EXPECT_EQ(*p.source, img);
    EXPECT_EQ(p.source.get(), ssd[0].source.get()) << "the frame's one string, shared";
    // From the capture of the photo, so it includes SSD's time.
    EXPECT_GT(p.latency_ns, ssd[0].latency_ns);
    for (const Detection& f : p.detections) {
      // In the photo's pixels, within the crop (a box may reach a little past the crop's edge).
      EXPECT_TRUE(inside(f.x, f.y, f.w, f.h, c, 0.25f * f.w))
          << "face at " << f.x << "," << f.y << " " << f.w << "x" << f.h << " outside its crop";
      EXPECT_EQ(f.keypoints.size(), 6u);
      // Messi's face: the same face as on the whole photo (BlazeFace sees it larger in the crop,
      // so the boxes agree within a few pixels, not exactly).
      if (std::abs(f.x + f.w / 2 - (whole.x + whole.w / 2)) < 8 &&
          std::abs(f.y + f.h / 2 - (whole.y + whole.h / 2)) < 8) {
        matched = true;
        EXPECT_NEAR(f.w, whole.w, 8.0f);
        EXPECT_NEAR(f.h, whole.h, 8.0f);
        EXPECT_NEAR(f.x + f.w / 2, 240.0f, 10.0f);
        EXPECT_NEAR(f.y + f.h / 2, 114.0f, 10.0f);
        // The person's box holds the face.
        EXPECT_GE(f.x + f.w / 2, person.x);
        EXPECT_LE(f.x + f.w / 2, person.x + person.w);
        EXPECT_GE(f.y + f.h / 2, person.y);
        EXPECT_LE(f.y + f.h / 2, person.y + person.h);
      }
    }
  }
  EXPECT_TRUE(matched) << "no face in a person crop maps back to the whole-photo face at " << whole.x << "," << whole.y;

  // Accounting: BlazeFace ran once on the whole photo and once per crop; nothing was dropped (a
  // replay at full speed waits for room); the crops node took SSD's one result.
  const auto* stats = result->model_stats("blazeface");
  ASSERT_NE(stats, nullptr);
  uint64_t crops_out = 0;
  int crops_nodes = 0;
  for (const auto& n : result->stats.nodes) {
    if (n.kind == "crops") {  // one per detector: SSD's people, BlazeFace's faces
      crops_nodes++;
      const bool of_people = n.label.starts_with("crops of ssd-oidv4 [Person]");
      EXPECT_EQ(n.items, 1u) << n.label;  // the one result of its detector on the one photo
      EXPECT_EQ(n.errors, 0u);
      EXPECT_EQ(n.consumers, (std::vector<std::string>{of_people ? "blazeface" : "blazeface-front"})) << n.label;
    }
    if (n.kind == "model" && n.model == "blazeface" && n.key.find("/crops(") != std::string::npos) crops_out = n.items;
  }
  EXPECT_EQ(crops_nodes, 2);
  EXPECT_GE(crops_out, static_cast<uint64_t>(faces.in_crops.size()));
  EXPECT_LE(crops_out, static_cast<uint64_t>(std::min<int64_t>(people, 4)));
  EXPECT_EQ(stats->model.runs, 1 + crops_out);
  EXPECT_EQ(stats->model.errors, 0u);
  EXPECT_EQ(stats->dropped_frames, 0u);
}

// A photo without people gives no crops, and BlazeFace on crops never runs.
TEST(Cascade, NoPersonNoCropsNoRuns) {
  const std::string img = sample_path("images/dog.jpg");
  if (img.empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto docs = load_cascades(img);
  ASSERT_TRUE(docs.ok()) << docs.status();
  auto result = run_to_end(*docs);
  ASSERT_TRUE(result.ok()) << result.status();
  for (const auto& p : result->of_model("ssd-oidv4")) {
    for (const auto& d : p.detections) ASSERT_NE(d.label, "Person") << "dog.jpg has a person after all";
  }
  EXPECT_TRUE(split_faces(*result).in_crops.empty());
  const auto* stats = result->model_stats("blazeface");
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->model.runs, 1u);  // the whole photo only
  // No face either: the close-up model never runs.
  EXPECT_TRUE(result->of_model("blazeface").empty());
  const auto* front = result->model_stats("blazeface-front");
  ASSERT_NE(front, nullptr);
  EXPECT_EQ(front->model.runs, 0u);
}

// The face found on the whole photo, cut out square and twice as large, goes to the short-range
// BlazeFace (made for close-ups, blind to Messi's 37-pixel face on the whole photo): it finds the
// face in the 74x74 crop and its box and keypoints come back on the whole-frame face.
TEST(Cascade, TheShortRangeModelFindsTheFaceInACloseUpCrop) {
  const std::string img = sample_path("images/messi5.jpg");
  if (img.empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto docs = load_cascades(img);
  ASSERT_TRUE(docs.ok()) << docs.status();
  auto result = run_to_end(*docs);
  ASSERT_TRUE(result.ok()) << result.status();
  const Split faces = split_faces(*result);
  ASSERT_EQ(faces.whole.size(), 1u);
  const Detection& whole = faces.whole[0].detections.at(0);
  EXPECT_EQ(faces.whole[0].pipelines, (std::vector<std::string>{"faces", "face-closeups"}));
  const auto front = result->of_model("blazeface-front");
  ASSERT_EQ(front.size(), 1u) << "the short-range model found no face in the close-up";
  ASSERT_TRUE(front[0].crop.has_value());
  const CropSource& c = *front[0].crop;
  EXPECT_EQ(c.model, "blazeface");
  EXPECT_EQ(c.detection, 0);
  EXPECT_EQ(c.label, "face");
  EXPECT_FLOAT_EQ(c.score, whole.score);
  // Square on the longer side, twice as large, about the box's centre; edges on whole pixels.
  const float side = 2 * std::max(whole.w, whole.h);
  EXPECT_NEAR(c.x, whole.x + whole.w / 2 - side / 2, 0.51f);
  EXPECT_NEAR(c.y, whole.y + whole.h / 2 - side / 2, 0.51f);
  EXPECT_NEAR(c.w, side, 1.01f);
  EXPECT_NEAR(c.h, side, 1.01f);
  ASSERT_EQ(front[0].detections.size(), 1u);
  const Detection& f = front[0].detections[0];
  EXPECT_TRUE(inside(f.x, f.y, f.w, f.h, c, 0));
  EXPECT_NEAR(f.x, whole.x, 3.0f);
  EXPECT_NEAR(f.y, whole.y, 3.0f);
  EXPECT_NEAR(f.w, whole.w, 3.0f);
  EXPECT_NEAR(f.h, whole.h, 3.0f);
  ASSERT_EQ(f.keypoints.size(), whole.keypoints.size());
  for (size_t k = 0; k < 4; ++k) {  // eyes, nose, mouth (the ear points are less stable)
    EXPECT_NEAR(f.keypoints[k][0], whole.keypoints[k][0], 5.0f) << "keypoint " << k;
    EXPECT_NEAR(f.keypoints[k][1], whole.keypoints[k][1], 5.0f) << "keypoint " << k;
  }
  const auto* stats = result->model_stats("blazeface-front");
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->model.runs, 1u);
  EXPECT_EQ(stats->dropped_frames, 0u);
}

// Two pipelines asking for the same model on the same input share one model node: it runs once per
// frame and each prediction names both pipelines. Likewise for the crop-fed model of a cascade.
TEST(Cascade, TheSameModelOnTheSameInputInTwoPipelinesRunsOnce) {
  const std::string img = sample_path("images/messi5.jpg");
  if (img.empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto docs = load_cascades(img);
  ASSERT_TRUE(docs.ok()) << docs.status();
  PipelineDoc again = *docs->find_pipeline("faces-of-people");
  again.metadata.name = "faces-of-people-again";
  docs->pipelines.push_back(again);
  auto result = run_to_end(*docs);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto ssd = result->of_model("ssd-oidv4");
  ASSERT_EQ(ssd.size(), 1u);
  EXPECT_EQ(ssd[0].pipelines, (std::vector<std::string>{"faces-of-people", "faces-of-people-again"}));
  const auto* ssd_stats = result->model_stats("ssd-oidv4");
  ASSERT_NE(ssd_stats, nullptr);
  EXPECT_EQ(ssd_stats->model.runs, 1u);
  const Split faces = split_faces(*result);
  ASSERT_GE(faces.in_crops.size(), 1u);
  for (const auto& p : faces.in_crops) {
    EXPECT_EQ(p.pipelines, (std::vector<std::string>{"faces-of-people", "faces-of-people-again"}));
  }
  // BlazeFace on the whole frame is asked for by two pipelines of the example: one node, one run.
  ASSERT_EQ(faces.whole.size(), 1u);
  EXPECT_EQ(faces.whole[0].pipelines, (std::vector<std::string>{"faces", "face-closeups"}));
  int model_nodes = 0;
  for (const auto& n : result->stats.nodes) model_nodes += n.kind == "model" ? 1 : 0;
  EXPECT_EQ(model_nodes, 4);  // ssd, blazeface on person crops, blazeface on the whole frame, blazeface-front
  const auto* blazeface = result->model_stats("blazeface");
  ASSERT_NE(blazeface, nullptr);
  EXPECT_EQ(blazeface->model.runs, 1 + faces.in_crops.size());  // the whole photo once, plus one person crop
}

// Every crop is one input of the crop-fed model's own bounded queue: with room for one input
// (the sensor's buffer of 1, drop-oldest), SSD's several boxes on dog.jpg arrive at once and all but
// the crops the model could take are dropped, each counted; none is lost uncounted.
TEST(Cascade, CropsThatFindTheQueueFullAreDroppedAndCounted) {
  const std::string img = sample_path("images/dog.jpg");
  if (img.empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto docs = load_cascades(img);
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet one = only_pipelines(*docs, {"faces-of-people"});
  for (auto& p : one.pipelines) {
    for (auto& s : p.spec.steps) {
      if (s.from.crops) *s.from.crops = CropsSpec{};  // every box SSD reports
    }
  }
  for (auto& s : one.sensors) {
    s.spec.buffer.capacity = 1;
    s.spec.buffer.overflow = Overflow::kDropOldest;
  }
  auto result = run_to_end(one);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto ssd = result->of_model("ssd-oidv4");
  ASSERT_EQ(ssd.size(), 1u);
  const uint64_t boxes = ssd[0].detections.size();
  ASSERT_GE(boxes, 3u) << "SSD should find the dog, the bicycle and the car";
  uint64_t runs = 0, dropped = 0;
  for (const auto& n : result->stats.nodes) {
    if (n.kind == "model" && n.model == "blazeface") {
      runs = n.items;
      dropped = n.dropped;
    }
  }
  EXPECT_EQ(runs + dropped, boxes);
  EXPECT_GE(dropped, 1u) << boxes << " crops at once into a queue of 1 behind a 40 ms model";
  const auto* stats = result->model_stats("blazeface");
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->model.runs, runs);
  EXPECT_EQ(stats->dropped_frames, dropped);  // shown as the model's drops
}

// ---------------------------------------------------------------------------------------------
// examples/cascades-zoo.yaml: the zoo's landmark and OCR models on crops.

Result<RunResult> run_zoo_pipeline(const std::string& pipeline) {
  auto docs = parse_document_files({std::string(SENSIX_SOURCE_DIR) + "/examples/cascades-zoo.yaml"});
  if (!docs.ok()) return docs.status();
  return run_to_end(only_pipelines(*docs, {pipeline}));
}

// Face Mesh on the crop of the face BlazeFace finds in messi5.jpg: its 468 points come back in the
// photo's pixels, on the face: the nose tip (point 1) where BlazeFace puts the nose (keypoint 2).
TEST(Cascade, FaceMeshOnAFaceCropPutsItsPointsOnTheFace) {
  if (sample_path("images/messi5.jpg").empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto result = run_zoo_pipeline("face-mesh");
  ASSERT_TRUE(result.ok()) << result.status();
  const auto faces = result->of_model("blazeface");
  ASSERT_EQ(faces.size(), 1u);
  const Detection& face = faces[0].detections.at(0);
  const auto mesh = result->of_model("face-mesh");
  ASSERT_EQ(mesh.size(), 1u) << "Face Mesh found no face in the crop";
  ASSERT_TRUE(mesh[0].crop.has_value());
  const CropSource& c = *mesh[0].crop;
  EXPECT_EQ(c.model, "blazeface");
  EXPECT_EQ(c.detection, 0);
  EXPECT_NEAR(c.w, 1.5f * std::max(face.w, face.h), 1.01f);
  ASSERT_EQ(mesh[0].landmarks.size(), 468u);
  for (const Landmark& l : mesh[0].landmarks) {
    ASSERT_TRUE(inside(l.x, l.y, 0, 0, c, 0.0f)) << "a landmark at " << l.x << "," << l.y << " is outside its crop";
  }
  const Landmark& nose = mesh[0].landmarks[1];
  ASSERT_GE(face.keypoints.size(), 3u);
  EXPECT_NEAR(nose.x, face.keypoints[2][0], 4.0f);
  EXPECT_NEAR(nose.y, face.keypoints[2][1], 4.0f);
  EXPECT_GT(nose.x, face.x);
  EXPECT_LT(nose.x, face.x + face.w);
  EXPECT_GT(nose.y, face.y);
  EXPECT_LT(nose.y, face.y + face.h);
}

// PP-OCR det finds the five lines of the sign in scenetext01.jpg; PP-OCR rec reads each from its
// crop, cut out of the photo around the region's box.
TEST(Cascade, OcrReadsEveryTextRegionFromItsCrop) {
  const std::string sign = "/usr/share/doc/opencv-doc/examples/text/scenetext01.jpg";
  if (!std::filesystem::exists(sign)) GTEST_SKIP() << sign << " missing (opencv-doc)";
  auto result = run_zoo_pipeline("ocr");
  ASSERT_TRUE(result.ok()) << result.status();
  const auto det = result->of_model("ppocr-det");
  ASSERT_EQ(det.size(), 1u);
  const auto& regions = det[0].detections;
  ASSERT_EQ(regions.size(), 5u);
  auto lines = result->of_model("ppocr-rec");
  ASSERT_EQ(lines.size(), 5u);
  for (const auto& p : lines) {
    ASSERT_TRUE(p.crop.has_value());
    const Detection& r = regions.at(static_cast<size_t>(p.crop->detection));
    EXPECT_EQ(p.crop->label, "text");
    EXPECT_NEAR(p.crop->x, r.x, 1.0f);
    EXPECT_NEAR(p.crop->y, r.y, 1.0f);
    EXPECT_NEAR(p.crop->w, r.w, 1.5f);
    EXPECT_NEAR(p.crop->h, r.h, 1.5f);
  }
  // Top to bottom, as the sign reads (spaces aside: PP-OCR rec drops some).
  const auto top = [](const Prediction& p) { return p.crop ? p.crop->y : 0.0f; };  // every line has a crop (above)
  std::sort(lines.begin(), lines.end(), [&](const Prediction& a, const Prediction& b) { return top(a) < top(b); });
  std::vector<std::string> texts;
  for (const auto& p : lines) {
    std::string t = p.text;
    std::erase(t, ' ');
    texts.push_back(t);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"NOTICE", "DOUBLE", "PARKING", "PROHIBITED", "ATALLTIMES"}));
}

// A labelsFile label that the detector does not have is refused when the runtime is built, naming
// the field; nothing starts.
TEST(Cascade, AnUnknownLabelOfALabelsFileIsRefusedWithItsField) {
  const std::string img = sample_path("images/messi5.jpg");
  if (img.empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto docs = load_cascades(img);
  ASSERT_TRUE(docs.ok()) << docs.status();
  for (auto& p : docs->pipelines) {
    for (auto& s : p.spec.steps) {
      if (s.from.crops && s.from.model == "ssd-oidv4") s.from.crops->labels = {"Person", "person"};
    }
  }
  RuntimeOptions options;
  auto rt = Runtime::create(*docs, options);
  ASSERT_FALSE(rt.ok());
  EXPECT_NE(rt.status().message().find("Pipeline/faces-of-people: spec.steps[1].from.crops.labels[1]: Model/ssd-oidv4 "
                                       "detects no label \"person\""),
            std::string::npos)
      << rt.status();
}

}  // namespace
}  // namespace sensix::testing
