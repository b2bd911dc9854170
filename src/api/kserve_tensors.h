// KServe v2 / Open Inference Protocol tensors as JSON (docs/api.md, "Inference"): the protocol's
// datatype names, and tensors to and from the JSON of a request's input and a response's output,
// or Triton's binary tensor extension (the values as raw bytes after the JSON).
//
//   {"name": "x.1", "shape": [1, 16, 96], "datatype": "FP32", "data": [0.1, 0.2, ...]}
//
// `data` is row-major, flat or nested (nested arrays are flattened in order). The datatypes are the
// ones the engines take: BOOL, INT8, UINT8, INT32, INT64, FP16, FP32; the other names of the
// protocol (INT16, UINT16..UINT64, FP64, BYTES) are refused, by name. Every error names the tensor
// and says what was expected and what came.
//
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/tensor.h"

namespace sensix::api {

// "FP32" for DType::kFloat32, ...
std::string_view kserve_datatype(DType t);
// The DType of a protocol datatype name; InvalidArgument for a name the engines do not take (or
// that the protocol does not have), saying which are taken.
Result<DType> dtype_of_kserve(std::string_view name);

// A request's input without its values: name, datatype, shape (non-negative integers) and element
// count, and with Triton's binary tensor extension the size of its binary data
// (`parameters.binary_data_size`; then it has no `data`).
struct InputHeader {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;
  int64_t count = 0;
  std::optional<int64_t> binary_size;
};
// An input of a request (an element of its "inputs"), read from the request's document: checked
// as the protocol and the engines need it (an object with name, shape and datatype, and data or
// parameters.binary_data_size, no other field).
// `*data`, where given, is set to the input's `data` (nullopt with binary data).
Result<InputHeader> input_header(simdjson::dom::element input, std::optional<simdjson::dom::element>* data = nullptr);
// The same from its parts (gRPC's input tensor): the datatype must be one the engines take, the
// dimensions non-negative.
Result<InputHeader> make_input_header(std::string name, std::string_view datatype, std::span<const int64_t> shape);

// The input's tensor from its binary data: little-endian, row-major, no padding, a BOOL one byte
// (0 or 1); exactly the shape's size in bytes.
Result<Tensor> tensor_from_binary(const InputHeader& h, std::string_view bytes);

// A request body parsed with simdjson, read in place: the handler walks root() with the helpers
// below, an input's `data` becomes its tensor straight from the document (tensor_of_data: flat or
// nested, row-major; its count must be the shape's element count and its values must fit the
// datatype; a decimal is rounded to the nearest double, then to the datatype). No second tree is
// built (nlohmann's took most of a small request's time outside the engine). Copies share the
// parsed document, which lives as long as one of them: the elements must not outlive it. Each
// thread keeps a few parsers for its next requests (a parser allocates its buffers at its first
// parse).
class JsonRequest {
 public:
  // InvalidArgument "the request body is not valid JSON" (with simdjson's reason). `readable_after`:
  // the bytes readable past the body's end (a string's capacity beyond it, say); with
  // simdjson::SIMDJSON_PADDING of them the body is parsed where it is, not copied first.
  static Result<JsonRequest> parse(std::string_view body, size_t readable_after = 0);
  simdjson::dom::element root() const;

 private:
  struct Doc;
  std::shared_ptr<const Doc> doc_;
};

// The value of `key` in `object`; where the key repeats, the last (as nlohmann's parser keeps it).
std::optional<simdjson::dom::element> json_field(simdjson::dom::object object, std::string_view key);
// The values of the fields `keys` names in `object`, in that order (each the last given; nullopt:
// absent), in one walk; `*unknown` is set to the first other field's name ("" when none).
template <size_t N>
std::array<std::optional<simdjson::dom::element>, N> json_fields(simdjson::dom::object object,
                                                                 const std::array<std::string_view, N>& keys,
                                                                 std::string_view* unknown) {
  std::array<std::optional<simdjson::dom::element>, N> values;
  *unknown = {};
  for (simdjson::dom::key_value_pair f : object) {
    const auto k = std::find(keys.begin(), keys.end(), f.key);
    if (k != keys.end()) {
      values[static_cast<size_t>(k - keys.begin())] = f.value;
    } else if (unknown->empty()) {
      *unknown = f.key;
    }
  }
  return values;
}
// A value as compact JSON text (for error messages).
std::string json_text(simdjson::dom::element value);
// The value as an int64_t, where it is an integer that fits one.
std::optional<int64_t> json_int64(simdjson::dom::element value);
// `s` as a JSON string (quoted and escaped as nlohmann's dump() writes it), appended to `*out`.
void append_json_string(std::string_view s, std::string* out);

// An input's tensor from its `data`, described by `h`.
Result<Tensor> tensor_of_data(simdjson::dom::element data, const InputHeader& h);
// A BYTES input's one element from its `data`: one base64 string (flat, or nested in arrays),
// decoded. `name` names the input in errors.
Result<std::string> bytes_element(simdjson::dom::element data, std::string_view name);

// A response's output tensor (`data` flat, row-major).
nlohmann::json tensor_to_json(const std::string& name, const Tensor& t);
// A tensor's values as binary data (little-endian, row-major, a BOOL one byte of 0 or 1), appended
// to `*out`: Triton's binary tensors and gRPC's raw contents.
void append_binary(const Tensor& t, std::string* out);
// A response's output as binary data: its bytes appended to `*out`; returns its JSON text, without
// `data` but with `parameters.binary_data_size` (keys in nlohmann's sorted order). Written as text:
// a response's JSON is most of a small request's cost when built as nlohmann values.
std::string tensor_to_binary(const std::string& name, const Tensor& t, std::string* out);

// ---- BYTES: raw media in, predictions out (docs/api.md, "Raw media in, predictions out") ----

// The one element of a BYTES input's binary data: Triton's serialisation (a 4-byte little-endian
// length, then that many bytes), or, when the first four bytes are not the length of the rest,
// the bytes as they are (a file sent as it is).
std::string_view bytes_element_from_binary(std::string_view data);
// Standard base64 (RFC 4648, with padding) decoded; InvalidArgument naming `what` for anything else.
Result<std::string> base64_decode(std::string_view text, std::string_view what);
// A BYTES output in JSON: {"name", "datatype": "BYTES", "shape": [n], "data": [the strings]}.
nlohmann::json bytes_to_json(const std::string& name, const std::vector<std::string>& elements);
// A BYTES output as binary data: each element's 4-byte little-endian length and bytes appended to
// `*out` (Triton's serialisation); its JSON without `data`, with `parameters.binary_data_size`.
nlohmann::json bytes_to_binary(const std::string& name, const std::vector<std::string>& elements, std::string* out);
// The elements as Triton serialises BYTES (gRPC's raw_output_contents).
void append_bytes(const std::vector<std::string>& elements, std::string* out);

}  // namespace sensix::api
