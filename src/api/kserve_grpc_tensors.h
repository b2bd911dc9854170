// KServe v2 gRPC tensors (api/kserve_grpc.h): an input's values from the protocol's typed
// `contents` (the repeated field of its datatype), checked as the JSON and binary paths check
// theirs (api/kserve_tensors.h): the shape's element count, and every value within its datatype.
//
// Thread-safety: pure functions.
#pragma once

#include "api/kserve_tensors.h"
#include "common/status.h"
#include "common/tensor.h"
#include "grpc_service.pb.h"

namespace sensix::api {

// BOOL from bool_contents, INT8 and INT32 from int_contents, INT64 from int64_contents, UINT8 from
// uint_contents, FP32 from fp32_contents; FP16 has no contents field (InvalidArgument: give it in
// raw_input_contents). InvalidArgument naming the input for a count that is not the shape's, or a
// value beyond the datatype.
Result<Tensor> tensor_from_contents(const InputHeader& h, const inference::InferTensorContents& c);

}  // namespace sensix::api
