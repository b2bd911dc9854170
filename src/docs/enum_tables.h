// The word tables of the documents' enum fields: each maps the words a document may write to the
// spec/ value they stand for, in the order an error message lists them ("expected one of ...").
// Adding a value to a spec/ enum that documents can name adds one line here. Internal to docs/.
//
// Thread-safety: each table is built once (a function-local static) and read-only after.
#pragma once

#include <string>

#include "common/model_format.h"
#include "common/tensor.h"
#include "docs/field_reader.h"
#include "spec/spec.h"

namespace sensix::docs {

const EnumTable<DriverKind>& driver_table();
const EnumTable<TimestampUnit>& timestamp_unit_table();
const EnumTable<SyntheticSignal>& signal_table();
const EnumTable<Overflow>& overflow_table();
const EnumTable<ModelFormat>& format_table();
const EnumTable<std::string>& engine_table();  // onnxruntime | tflite
const EnumTable<DType>& dtype_table();
const EnumTable<ResizeMode>& resize_table();
const EnumTable<ColorOrder>& color_table();
const EnumTable<Layout>& layout_table();
const EnumTable<Activation>& activation_table();
// Activations of one value at a time (softmax needs a row).
const EnumTable<Activation>& elementwise_activation_table();
const EnumTable<Activation>& row_activation_table();
const EnumTable<LandmarkValue>& landmark_value_table();
const EnumTable<Trigger>& trigger_table();
const EnumTable<BoxFormat>& box_format_table();
const EnumTable<SinkType>& sink_table();
const EnumTable<AudioFeatureKind>& feature_kind_table();
const EnumTable<WindowFunction>& window_function_table();
const EnumTable<MelScale>& mel_scale_table();
const EnumTable<bool>& mel_norm_table();  // slaney (true) | none (false)
const EnumTable<LogKind>& log_kind_table();
const EnumTable<SchedPolicy>& policy_table();
// The word forms of `normalize` (none | running); fixed statistics are a map, read apart.
const EnumTable<FeatureNorm>& feature_norm_table();
const EnumTable<Isolation>& isolation_table();
const EnumTable<Priority>& priority_table();
const EnumTable<DeviceKind>& device_kind_table();

}  // namespace sensix::docs
