#include "docs/enum_tables.h"

#include <string>

namespace sensix::docs {

const EnumTable<DriverKind>& driver_table() {
  static const EnumTable<DriverKind> t = {{"audio-file", DriverKind::kAudioFile},
                                          {"video-file", DriverKind::kVideoFile},
                                          {"image-folder", DriverKind::kImageFolder},
                                          {"synthetic", DriverKind::kSynthetic},
                                          {"mqtt", DriverKind::kMqtt},
                                          {"network-camera", DriverKind::kNetworkCamera},
                                          {"v4l2-camera", DriverKind::kV4l2Camera},
                                          {"microphone", DriverKind::kMicrophone}};
  return t;
}
const EnumTable<TimestampUnit>& timestamp_unit_table() {
  static const EnumTable<TimestampUnit> t = {{"s", TimestampUnit::kSeconds}, {"ms", TimestampUnit::kMilliseconds}};
  return t;
}
const EnumTable<SyntheticSignal>& signal_table() {
  static const EnumTable<SyntheticSignal> t = [] {
    EnumTable<SyntheticSignal> v;
    for (SyntheticSignal s : {SyntheticSignal::kSine, SyntheticSignal::kSquare, SyntheticSignal::kWhiteNoise,
                              SyntheticSignal::kSilence, SyntheticSignal::kBars, SyntheticSignal::kCheckerboard,
                              SyntheticSignal::kMovingBox, SyntheticSignal::kNoise}) {
      v.emplace_back(std::string(synthetic_signal_name(s)), s);
    }
    return v;
  }();
  return t;
}
const EnumTable<Overflow>& overflow_table() {
  static const EnumTable<Overflow> t = {{"drop-oldest", Overflow::kDropOldest}, {"block", Overflow::kBlock}};
  return t;
}
const EnumTable<ModelFormat>& format_table() {
  static const EnumTable<ModelFormat> t = {{"onnx", ModelFormat::kOnnx}, {"tflite", ModelFormat::kTflite}};
  return t;
}
const EnumTable<std::string>& engine_table() {
  static const EnumTable<std::string> t = {{"onnxruntime", "onnxruntime"}, {"tflite", "tflite"}};
  return t;
}
const EnumTable<DType>& dtype_table() {
  static const EnumTable<DType> t = [] {
    EnumTable<DType> v;
    for (DType d :
         {DType::kFloat32, DType::kFloat16, DType::kInt64, DType::kInt32, DType::kInt8, DType::kUInt8, DType::kBool}) {
      v.emplace_back(std::string(dtype_name(d)), d);
    }
    return v;
  }();
  return t;
}
const EnumTable<ResizeMode>& resize_table() {
  static const EnumTable<ResizeMode> t = {{"stretch", ResizeMode::kStretch},
                                          {"letterbox", ResizeMode::kLetterbox},
                                          {"crop", ResizeMode::kCrop}};
  return t;
}
const EnumTable<ColorOrder>& color_table() {
  static const EnumTable<ColorOrder> t = {
      {"rgb", ColorOrder::kRgb}, {"bgr", ColorOrder::kBgr}, {"gray", ColorOrder::kGray}, {"rgba", ColorOrder::kRgba}};
  return t;
}
const EnumTable<Layout>& layout_table() {
  static const EnumTable<Layout> t = {{"nhwc", Layout::kNhwc}, {"nchw", Layout::kNchw}};
  return t;
}
const EnumTable<Activation>& activation_table() {
  static const EnumTable<Activation> t = {{"none", Activation::kNone},
                                          {"sigmoid", Activation::kSigmoid},
                                          {"softmax", Activation::kSoftmax}};
  return t;
}
// Activations of one value at a time (softmax needs a row).
const EnumTable<Activation>& elementwise_activation_table() {
  static const EnumTable<Activation> t = {{"none", Activation::kNone}, {"sigmoid", Activation::kSigmoid}};
  return t;
}
const EnumTable<Activation>& row_activation_table() {
  static const EnumTable<Activation> t = {{"none", Activation::kNone}, {"softmax", Activation::kSoftmax}};
  return t;
}
const EnumTable<LandmarkValue>& landmark_value_table() {
  static const EnumTable<LandmarkValue> t = {{"x", LandmarkValue::kX},
                                             {"y", LandmarkValue::kY},
                                             {"z", LandmarkValue::kZ},
                                             {"visibility", LandmarkValue::kVisibility},
                                             {"presence", LandmarkValue::kPresence},
                                             {"ignore", LandmarkValue::kIgnore}};
  return t;
}
const EnumTable<Trigger>& trigger_table() {
  static const EnumTable<Trigger> t = {{"rising", Trigger::kRising}, {"every", Trigger::kEvery}};
  return t;
}
const EnumTable<BoxFormat>& box_format_table() {
  static const EnumTable<BoxFormat> t = {{"xywh", BoxFormat::kXywh}, {"yxhw", BoxFormat::kYxhw}};
  return t;
}
const EnumTable<SinkType>& sink_table() {
  static const EnumTable<SinkType> t = {{"jsonl", SinkType::kJsonl}};
  return t;
}
const EnumTable<AudioFeatureKind>& feature_kind_table() {
  static const EnumTable<AudioFeatureKind> t = {{"spectrogram", AudioFeatureKind::kSpectrogram},
                                                {"mel", AudioFeatureKind::kMel},
                                                {"log-mel", AudioFeatureKind::kLogMel},
                                                {"mfcc", AudioFeatureKind::kMfcc}};
  return t;
}
const EnumTable<WindowFunction>& window_function_table() {
  static const EnumTable<WindowFunction> t = {{"hann", WindowFunction::kHann},
                                              {"hamming", WindowFunction::kHamming},
                                              {"rectangular", WindowFunction::kRectangular}};
  return t;
}
const EnumTable<MelScale>& mel_scale_table() {
  static const EnumTable<MelScale> t = {{"slaney", MelScale::kSlaney}, {"htk", MelScale::kHtk}};
  return t;
}
const EnumTable<bool>& mel_norm_table() {
  static const EnumTable<bool> t = {{"slaney", true}, {"none", false}};
  return t;
}
const EnumTable<LogKind>& log_kind_table() {
  static const EnumTable<LogKind> t = {{"ln", LogKind::kNatural}, {"db", LogKind::kDecibel}};
  return t;
}
const EnumTable<SchedPolicy>& policy_table() {
  static const EnumTable<SchedPolicy> t = {{"latency", SchedPolicy::kLatency},
                                           {"throughput", SchedPolicy::kThroughput},
                                           {"balanced", SchedPolicy::kBalanced}};
  return t;
}
const EnumTable<FeatureNorm>& feature_norm_table() {
  static const EnumTable<FeatureNorm> t = {{"none", FeatureNorm::kNone}, {"running", FeatureNorm::kRunning}};
  return t;
}
const EnumTable<Isolation>& isolation_table() {
  static const EnumTable<Isolation> t = {{"in-process", Isolation::kInProcess}, {"process", Isolation::kProcess}};
  return t;
}
const EnumTable<Priority>& priority_table() {
  static const EnumTable<Priority> t = {{"high", Priority::kHigh},
                                        {"normal", Priority::kNormal},
                                        {"low", Priority::kLow}};
  return t;
}
const EnumTable<DeviceKind>& device_kind_table() {
  static const EnumTable<DeviceKind> t = {{"cpu", DeviceKind::kCpu}, {"gpu", DeviceKind::kGpu}};
  return t;
}

}  // namespace sensix::docs
