// KServe v2 JSON tensors: every datatype the engines take, to JSON and back exactly; every bad
// tensor refused naming the input, what was expected and what came.
#include "api/kserve_tensors.h"

#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sensix::api {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

// The same input through the inference API's simdjson path (JsonRequest): a request holding it.
Result<std::pair<std::string, Tensor>> via_simdjson(const std::string& input) {
  SENSIX_ASSIGN_OR_RETURN(JsonRequest r, JsonRequest::parse(R"({"inputs": [)" + input + "]}"));
  const simdjson::dom::element in = r.root()["inputs"].at(0);
  SENSIX_ASSIGN_OR_RETURN(InputHeader h, input_header(in));
  if (h.binary_size) return InvalidArgument("binary data: not this helper's");
  SENSIX_ASSIGN_OR_RETURN(Tensor t, tensor_of_data(*json_field(in, "data"), h));
  return std::make_pair(h.name, std::move(t));
}

// An input's header from its JSON text, read as the inference API reads it.
Result<InputHeader> header_of(const std::string& text) {
  SENSIX_ASSIGN_OR_RETURN(JsonRequest r, JsonRequest::parse(text));
  return input_header(r.root());
}

void leaves_of(const json& data, std::vector<const json*>* out) {
  if (!data.is_array()) return out->push_back(&data);
  for (const json& e : data) leaves_of(e, out);
}

template <typename T>
void put_all(const std::vector<const json*>& leaves, Tensor* t) {
  auto dst = t->values<T>();
  for (size_t k = 0; k < leaves.size(); ++k) {
    dst[k] = leaves[k]->is_number_unsigned() ? static_cast<T>(leaves[k]->get<uint64_t>())
                                             : static_cast<T>(leaves[k]->get<int64_t>());
  }
}

// What an input's tensor must hold, read by nlohmann's parser (an independent reading of the same
// text): each value converted to the datatype.
Tensor expected_tensor(const json& in) {
  const DType dt = *dtype_of_kserve(in["datatype"].get<std::string>());
  Tensor t(dt, in["shape"].get<Shape>());
  std::vector<const json*> leaves;
  leaves_of(in["data"], &leaves);
  EXPECT_EQ(static_cast<int64_t>(leaves.size()), t.size());
  switch (dt) {
    case DType::kBool:
      for (size_t k = 0; k < leaves.size(); ++k) t.values<bool>()[k] = leaves[k]->get<bool>();
      break;
    case DType::kInt8: put_all<int8_t>(leaves, &t); break;
    case DType::kUInt8: put_all<uint8_t>(leaves, &t); break;
    case DType::kInt32: put_all<int32_t>(leaves, &t); break;
    case DType::kInt64: put_all<int64_t>(leaves, &t); break;
    case DType::kFloat32:
      for (size_t k = 0; k < leaves.size(); ++k) t.values<float>()[k] = static_cast<float>(leaves[k]->get<double>());
      break;
    case DType::kFloat16:
      for (size_t k = 0; k < leaves.size(); ++k) {
        const _Float16 f = static_cast<_Float16>(leaves[k]->get<double>());
        std::memcpy(t.data() + k * sizeof(f), &f, sizeof(f));
      }
      break;
  }
  return t;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         (a.byte_size() == 0 || std::memcmp(a.data(), b.data(), a.byte_size()) == 0);
}

TEST(KserveTensors, DatatypeNames) {
  for (DType t :
       {DType::kBool, DType::kInt8, DType::kUInt8, DType::kInt32, DType::kInt64, DType::kFloat16, DType::kFloat32}) {
    auto back = dtype_of_kserve(kserve_datatype(t));
    ASSERT_TRUE(back.ok()) << kserve_datatype(t);
    EXPECT_EQ(*back, t);
  }
  EXPECT_EQ(kserve_datatype(DType::kFloat32), "FP32");
  auto fp64 = dtype_of_kserve("FP64");
  ASSERT_FALSE(fp64.ok());
  EXPECT_EQ(fp64.status().message(),
            "datatype FP64 is not one the engines take (BOOL, INT8, UINT8, INT32, INT64, FP16, FP32)");
  EXPECT_THAT(dtype_of_kserve("float").status().message(), HasSubstr("\"float\" is not a datatype"));
}

TEST(KserveTensors, EveryDatatypeGoesToJsonAndBackExactly) {
  const json inputs[] = {
      json::parse(R"({"name": "b", "shape": [2, 2], "datatype": "BOOL", "data": [[true, false], [false, true]]})"),
      json::parse(R"({"name": "i8", "shape": [3], "datatype": "INT8", "data": [-128, 0, 127]})"),
      json::parse(R"({"name": "u8", "shape": [3], "datatype": "UINT8", "data": [0, 1, 255]})"),
      json::parse(R"({"name": "i32", "shape": [2], "datatype": "INT32", "data": [-2147483648, 2147483647]})"),
      json::parse(
          R"({"name": "i64", "shape": [2], "datatype": "INT64", "data": [-9223372036854775808, 9223372036854775807]})"),
      json::parse(R"({"name": "f16", "shape": [3], "datatype": "FP16", "data": [0.5, -2.0, 65504.0]})"),
      json::parse(
          R"({"name": "f32", "shape": [1, 4], "datatype": "FP32", "data": [0.1, -3.4028234663852886e38, 1e-45, 0]})"),
  };
  for (const json& in : inputs) {
    SCOPED_TRACE(in.dump());
    auto t = via_simdjson(in.dump());
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->first, in["name"]);
    const json out = tensor_to_json(t->first, t->second);
    EXPECT_EQ(out["shape"], in["shape"]);
    EXPECT_EQ(out["datatype"], in["datatype"]);
    // The values nlohmann's parser reads in the same text.
    EXPECT_TRUE(same_bytes(t->second, expected_tensor(in)));
    // Back again: the same bytes.
    auto again = via_simdjson(out.dump());
    ASSERT_TRUE(again.ok()) << again.status();
    ASSERT_EQ(again->second.byte_size(), t->second.byte_size());
    EXPECT_EQ(std::memcmp(again->second.data(), t->second.data(), t->second.byte_size()), 0);
  }
  // FP32 values survive the text exactly (the shortest decimal that reads back as the same float).
  auto f = via_simdjson(R"({"name": "x", "shape": [1], "datatype": "FP32", "data": [0.1]})");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->second.values<float>()[0], 0.1f);
}

TEST(KserveTensors, BadTensorsAreRefusedNamingTheInput) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"shape": [1], "datatype": "FP32", "data": [1]})", "an input has no \"name\""},
      {R"({"name": "x", "datatype": "FP32", "data": [1]})", "input \"x\": \"shape\" is missing"},
      {R"({"name": "x", "shape": [2], "data": [1, 2]})", "input \"x\": \"datatype\" is missing"},
      {R"({"name": "x", "shape": [2], "datatype": "FP32"})", "input \"x\": \"data\" is missing"},
      {R"({"name": "x", "shape": [2], "datatype": "FP32", "data": [1, 2], "contents": {}})",
       "input \"x\": unknown field \"contents\""},
      {R"({"name": "x", "shape": [2, -1], "datatype": "FP32", "data": [1, 2]})",
       "input \"x\": \"shape\" must hold non-negative integers, got [2,-1]"},
      {R"({"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5]})",
       "input \"x\": shape [2, 3] holds 6 values, \"data\" has 5"},
      {R"({"name": "x", "shape": [2], "datatype": "FP64", "data": [1, 2]})",
       "input \"x\": datatype FP64 is not one the engines take"},
      {R"({"name": "x", "shape": [2], "datatype": "INT8", "data": [1, 128]})",
       "input \"x\": data[1] is 128, not a value of INT8"},
      {R"({"name": "x", "shape": [2], "datatype": "INT32", "data": [1, 2.5]})",
       "input \"x\": data[1] is 2.5, not a value of INT32"},
      {R"({"name": "x", "shape": [2], "datatype": "BOOL", "data": [true, 1]})",
       "input \"x\": data[1] is 1, not a BOOL"},
      {R"({"name": "x", "shape": [2], "datatype": "FP32", "data": [1, "2"]})",
       "input \"x\": \"data\" must be numbers (or booleans), flat or nested"},
      {R"({"name": "x", "shape": [65536, 65536, 2], "datatype": "FP32", "data": []})",
       "input \"x\": the shape is too large"},
  };
  for (const Case& c : cases) {
    auto t = via_simdjson(c.json);
    ASSERT_FALSE(t.ok()) << c.json;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(t.status().message(), HasSubstr(c.message)) << c.json;
  }
  EXPECT_THAT(JsonRequest::parse(R"({"inputs": [)").status().message(),
              HasSubstr("the request body is not valid JSON"));
}

// A body with room after it is parsed where it is (as the inference API parses a request body): the
// same values as a copy gives; a body cut short is refused either way.
TEST(KserveTensors, ABodyWithRoomAfterItIsParsedInPlace) {
  const std::string text = R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP32", "data": [1.5, -2, 3e2]}]})";
  std::string body;
  body.reserve(text.size() + 64);
  body = text;
  for (const size_t room : {size_t{0}, body.capacity() - body.size()}) {
    SCOPED_TRACE(room);
    auto r = JsonRequest::parse(body, room);
    ASSERT_TRUE(r.ok()) << r.status();
    const simdjson::dom::element in = r->root()["inputs"].at(0);
    std::optional<simdjson::dom::element> data;
    auto h = input_header(in, &data);
    ASSERT_TRUE(h.ok()) << h.status();
    ASSERT_TRUE(data.has_value());
    auto t = tensor_of_data(*data, *h);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(std::vector<float>(t->values<float>().begin(), t->values<float>().end()),
              (std::vector<float>{1.5f, -2.0f, 300.0f}));
    EXPECT_FALSE(JsonRequest::parse(std::string_view(body).substr(0, body.size() - 3), room + 3).ok());
  }
}

// Many values, and every way a number is written: the simdjson path gives the bytes nlohmann's does.
TEST(KserveTensors, TheSimdjsonPathReadsNumbersAsNlohmannDoes) {
  std::string data = "[0.1, -0, 1e-45, 3.4028234663852886e38, 1E3, 7, -7, 18446744073709551615, 0.30000000000000004";
  for (int i = 0; i < 1000; ++i) data += fmt::format(", {:.9g}", std::sin(i) * std::pow(10.0, i % 20 - 10));
  data += "]";
  const std::string input = fmt::format(R"({{"name": "x", "shape": [1, 1009], "datatype": "FP32", "data": {}}})", data);
  const Tensor slow = expected_tensor(json::parse(input));
  auto fast = via_simdjson(input);
  ASSERT_TRUE(fast.ok()) << fast.status();
  ASSERT_EQ(fast->second.byte_size(), slow.byte_size());
  EXPECT_EQ(std::memcmp(fast->second.data(), slow.data(), slow.byte_size()), 0);
}

// Triton's binary tensor extension: every datatype to raw bytes and back, the bytes being the
// little-endian values (a BOOL one byte).
TEST(KserveTensors, EveryDatatypeGoesToBinaryAndBackExactly) {
  const json inputs[] = {
      json::parse(R"({"name": "b", "shape": [2, 2], "datatype": "BOOL", "data": [true, false, false, true]})"),
      json::parse(R"({"name": "i8", "shape": [3], "datatype": "INT8", "data": [-128, 0, 127]})"),
      json::parse(R"({"name": "u8", "shape": [3], "datatype": "UINT8", "data": [0, 1, 255]})"),
      json::parse(R"({"name": "i32", "shape": [2], "datatype": "INT32", "data": [-2147483648, 2147483647]})"),
      json::parse(R"({"name": "i64", "shape": [1], "datatype": "INT64", "data": [-9223372036854775808]})"),
      json::parse(R"({"name": "f16", "shape": [3], "datatype": "FP16", "data": [0.5, -2.0, 65504.0]})"),
      json::parse(R"({"name": "f32", "shape": [1, 2], "datatype": "FP32", "data": [0.1, -1e-45]})"),
      json::parse(R"({"name": "empty", "shape": [0, 3], "datatype": "FP32", "data": []})"),
  };
  std::string all;  // every tensor's bytes, one after the other, as in a body
  for (const json& in : inputs) {
    SCOPED_TRACE(in.dump());
    auto t = via_simdjson(in.dump());
    ASSERT_TRUE(t.ok()) << t.status();
    std::string bytes = "prefix";
    const json out = json::parse(tensor_to_binary(t->first, t->second, &bytes));
    EXPECT_EQ(out, (json{{"name", in["name"]},
                         {"shape", in["shape"]},
                         {"datatype", in["datatype"]},
                         {"parameters", {{"binary_data_size", t->second.byte_size()}}}}));
    ASSERT_EQ(bytes.size(), 6 + t->second.byte_size());
    auto h = header_of(out.dump());
    ASSERT_TRUE(h.ok()) << h.status();
    ASSERT_EQ(h->binary_size, static_cast<int64_t>(t->second.byte_size()));
    auto back = tensor_from_binary(*h, std::string_view(bytes).substr(6));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->shape(), t->second.shape());
    ASSERT_EQ(back->byte_size(), t->second.byte_size());
    if (back->byte_size() > 0) {
      EXPECT_EQ(std::memcmp(back->data(), t->second.data(), back->byte_size()), 0);
    }
    all += bytes.substr(6);
  }
  // The bytes are the protocol's: little-endian, a BOOL one byte of 0 or 1.
  EXPECT_EQ(all.substr(0, 4), std::string("\x01\x00\x00\x01", 4));
  EXPECT_EQ(all.substr(4, 3), std::string("\x80\x00\x7f", 3));
  EXPECT_EQ(all.substr(10, 4), std::string("\x00\x00\x00\x80", 4));  // INT32 -2147483648
}

TEST(KserveTensors, BadBinaryTensorsAreRefusedNamingTheInput) {
  auto header = [](const char* text) {
    auto h = header_of(text);
    EXPECT_TRUE(h.ok()) << h.status();
    return h.ok() ? *h : InputHeader{};
  };
  const InputHeader f32 = header(R"({"name": "x", "shape": [2, 3], "datatype": "FP32",
                                     "parameters": {"binary_data_size": 24}})");
  EXPECT_EQ(tensor_from_binary(f32, std::string(20, '\0')).status().message(),
            "input \"x\": shape [2, 3] of FP32 takes 24 bytes, binary_data_size is 20");
  const InputHeader b = header(R"({"name": "flags", "shape": [2], "datatype": "BOOL",
                                   "parameters": {"binary_data_size": 2}})");
  EXPECT_EQ(tensor_from_binary(b, std::string("\x01\x02", 2)).status().message(),
            "input \"flags\": byte 1 is 2, not a BOOL (0 or 1)");
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"name": "x", "shape": [2], "datatype": "FP32", "parameters": {"binary_data_size": -8}})",
       "input \"x\": parameters.binary_data_size must be a non-negative integer, got -8"},
      {R"({"name": "x", "shape": [2], "datatype": "FP32", "parameters": {"binary_data_size": "8"}})",
       "input \"x\": parameters.binary_data_size must be a non-negative integer, got \"8\""},
      {R"({"name": "x", "shape": [2], "datatype": "FP32", "data": [1, 2], "parameters": {"binary_data_size": 8}})",
       "input \"x\": has both \"data\" and parameters.binary_data_size (one or the other)"},
      {R"({"name": "x", "shape": [2], "datatype": "FP32", "parameters": []})",
       "input \"x\": \"parameters\" must be an object"},
  };
  for (const Case& c : cases) {
    auto t = via_simdjson(c.json);
    ASSERT_FALSE(t.ok()) << c.json;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(t.status().message(), c.message) << c.json;
  }
}

TEST(KserveBytes, Base64DecodesWithPaddingAndRefusesWhatIsNot) {
  EXPECT_EQ(*base64_decode("", "x"), "");
  EXPECT_EQ(*base64_decode("TQ==", "x"), "M");
  EXPECT_EQ(*base64_decode("TWE=", "x"), "Ma");
  EXPECT_EQ(*base64_decode("TWFu", "x"), "Man");
  EXPECT_EQ(*base64_decode("/9j/4A==", "x"), std::string("\xff\xd8\xff\xe0", 4));
  EXPECT_EQ(base64_decode("TWF", "input \"a\"").status().message(),
            "input \"a\": not base64 (3 characters, not a multiple of 4); a BYTES element in JSON is the file in "
            "base64");
  EXPECT_EQ(base64_decode("TW!u", "input \"a\"").status().message(),
            "input \"a\": not base64 (a character outside the base64 alphabet); a BYTES element in JSON is the file "
            "in base64");
}

TEST(KserveBytes, AnElementInTritonsSerialisationOrAsItIs) {
  const std::string file = "\xff\xd8\xff\xe0 a jpeg";
  uint32_t n = static_cast<uint32_t>(file.size());
  const std::string triton = std::string(reinterpret_cast<const char*>(&n), 4) + file;
  EXPECT_EQ(bytes_element_from_binary(triton), file);
  EXPECT_EQ(bytes_element_from_binary(file), file);  // its first 4 bytes are not the length of the rest
  EXPECT_EQ(bytes_element_from_binary("ab"), "ab");
  EXPECT_EQ(bytes_element_from_binary(std::string(4, '\0')), "");  // an empty element
}

TEST(KserveBytes, OutputsAsJsonAndAsTritonsSerialisation) {
  const std::vector<std::string> elements{"{\"a\":1}", ""};
  EXPECT_EQ(bytes_to_json("predictions", elements),
            nlohmann::json::parse(R"({"name": "predictions", "datatype": "BYTES", "shape": [2],
                                      "data": ["{\"a\":1}", ""]})"));
  std::string data = "xy";
  EXPECT_EQ(bytes_to_binary("predictions", elements, &data),
            nlohmann::json::parse(R"({"name": "predictions", "datatype": "BYTES", "shape": [2],
                                      "parameters": {"binary_data_size": 15}})"));
  EXPECT_EQ(data, std::string("xy\x07\0\0\0{\"a\":1}\0\0\0\0", 17));
  // JsonRequest reads one base64 element, flat or nested.
  for (const char* body :
       {R"({"inputs": [{"name": "img", "data": ["TWFu"]}]})", R"({"inputs": [{"name": "img", "data": [["TWFu"]]}]})"}) {
    auto r = JsonRequest::parse(body);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*bytes_element(r->root()["inputs"].at(0)["data"], "img"), "Man");
  }
  auto two = JsonRequest::parse(R"({"inputs": [{"name": "img", "data": ["TWFu", "TWFu"]}]})");
  EXPECT_EQ(bytes_element(two->root()["inputs"].at(0)["data"], "img").status().message(),
            "input \"img\": a BYTES input holds one element (the file, in base64), got 2");
  auto number = JsonRequest::parse(R"({"inputs": [{"name": "img", "data": [1]}]})");
  EXPECT_EQ(bytes_element(number->root()["inputs"].at(0)["data"], "img").status().message(),
            "input \"img\": a BYTES element is a string (the file, in base64)");
}

}  // namespace
}  // namespace sensix::api
