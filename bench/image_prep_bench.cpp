// Image preparation, step by step (issue 15): a camera-like BGR frame (a smooth gradient with
// noise, so that nothing compresses or caches unusually) -> letterbox 640x640 -> colour order RGB
// -> float32 NCHW tensor with ImageNet mean/std, as the planner's resize, color and tensor nodes do
// it (the library functions of src/transform/image_ops.h), plus the interpolations the resize may
// use, timed alone. Each figure is the mean time of one call over --iterations calls; that is
// measured --repeat times and reported as median (min-max). --cv-threads sets OpenCV's worker
// threads (cv::setNumThreads; default 0: every call runs on the calling thread alone).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "transform/image_ops.h"

namespace {

using sensix::ColorOrder;
using sensix::DType;
using sensix::ImageInputSpec;
using sensix::Layout;
using sensix::ResizeMode;

struct Spread {
  double median, min, max;
};

template <typename F>
Spread measure(int repeat, int iterations, F&& f) {
  f();  // warm-up
  std::vector<double> ms;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) f();
    const auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count() / iterations);
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front(), ms.back()};
}

cv::Mat camera_frame(int w, int h) {
  cv::Mat img(h, w, CV_8UC3);
  cv::RNG rng(7);
  for (int y = 0; y < h; ++y) {
    auto* p = img.ptr<uint8_t>(y);
    for (int x = 0; x < w; ++x) {
      p[3 * x + 0] = cv::saturate_cast<uint8_t>(255.0 * x / w + rng.gaussian(8));
      p[3 * x + 1] = cv::saturate_cast<uint8_t>(255.0 * y / h + rng.gaussian(8));
      p[3 * x + 2] = cv::saturate_cast<uint8_t>(128 + rng.gaussian(20));
    }
  }
  return img;
}

void row(const std::string& what, const Spread& s) {
  fmt::print("| {} | {:.3f} | {:.3f}-{:.3f} |\n", what, s.median, s.min, s.max);
}

template <typename T>
T value_of(sensix::Result<T> r) {
  if (!r.ok()) {
    fmt::print(stderr, "error: {}\n", r.status().message());
    std::exit(1);
  }
  return std::move(r).value();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Image preparation per step: letterbox 640x640, RGB, float32 NCHW mean/std"};
  int repeat = 7, iterations = 20;
  std::vector<std::string> sizes{"800x600", "1280x720"};
  app.add_option("--repeat", repeat, "measurements per figure (median, min, max)")->check(CLI::PositiveNumber);
  app.add_option("--iterations", iterations, "calls per measurement")->check(CLI::PositiveNumber);
  app.add_option("--sizes", sizes, "frame sizes WxH")->delimiter(',');
  int cv_threads = 0;
  app.add_option("--cv-threads", cv_threads, "OpenCV worker threads (cv::setNumThreads; 0: none)");
  CLI11_PARSE(app, argc, argv);
  cv::setNumThreads(cv_threads);

  ImageInputSpec spec;
  spec.width = 640;
  spec.height = 640;
  spec.resize = ResizeMode::kLetterbox;
  spec.color = ColorOrder::kRgb;
  spec.layout = Layout::kNchw;
  spec.mean = {0.485f, 0.456f, 0.406f};
  spec.std = {0.229f, 0.224f, 0.225f};

  fmt::print(
      "Image preparation, ms per call: median (min-max) of {} measurements of {} calls each; "
      "cv::setNumThreads({})\n\n",
      repeat, iterations, cv_threads);
  for (const std::string& size : sizes) {
    int w = 0, h = 0;
    if (std::sscanf(size.c_str(), "%dx%d", &w, &h) != 2 || w < 1 || h < 1) {
      fmt::print(stderr, "error: --sizes takes WxH, got {}\n", size);
      return 1;
    }
    const cv::Mat frame = camera_frame(w, h);
    const cv::Mat boxed = value_of(sensix::resize_image(frame, 640, 640, ResizeMode::kLetterbox, nullptr));
    const cv::Mat rgb = value_of(sensix::convert_color(boxed, ColorOrder::kRgb));
    const double s = std::min(640.0 / w, 640.0 / h);
    const cv::Size inner(static_cast<int>(std::lround(w * s)), static_cast<int>(std::lround(h * s)));

    fmt::print("### {}x{} BGR -> letterbox 640x640 (content {}x{}) -> RGB -> float32 NCHW mean/std\n\n", w, h,
               inner.width, inner.height);
    fmt::print("| step | median ms | min-max ms |\n|---|---|---|\n");
    cv::Mat out;
    const Spread area = measure(repeat, iterations, [&] { cv::resize(frame, out, inner, 0, 0, cv::INTER_AREA); });
    const Spread linear = measure(repeat, iterations, [&] { cv::resize(frame, out, inner, 0, 0, cv::INTER_LINEAR); });
    row("cv::resize INTER_AREA (content only)", area);
    row(fmt::format("cv::resize INTER_LINEAR (content only; area / bilinear = {:.2f}x)", area.median / linear.median),
        linear);
    row("resize_image letterbox (resize node)", measure(repeat, iterations, [&] {
          (void)value_of(sensix::resize_image(frame, 640, 640, ResizeMode::kLetterbox, nullptr));
        }));
    row("convert_color BGR -> RGB (color node)",
        measure(repeat, iterations, [&] { (void)value_of(sensix::convert_color(boxed, ColorOrder::kRgb)); }));
    row("image_to_tensor from RGB (tensor node)", measure(repeat, iterations, [&] {
          (void)value_of(sensix::image_to_tensor(rgb, Layout::kNchw, DType::kFloat32, spec));
        }));
    row("all three (resize + color + tensor)", measure(repeat, iterations, [&] {
          cv::Mat b = value_of(sensix::resize_image(frame, 640, 640, ResizeMode::kLetterbox, nullptr));
          cv::Mat c = value_of(sensix::convert_color(b, ColorOrder::kRgb));
          (void)value_of(sensix::image_to_tensor(c, Layout::kNchw, DType::kFloat32, spec));
        }));
    fmt::print("\n");
  }
  return 0;
}
