#include "api/kserve_tensors.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <simdjson.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/evp.h>

namespace sensix::api {

static_assert(std::endian::native == std::endian::little, "binary tensors are little-endian");

using json = nlohmann::json;

namespace {

struct Name {
  DType dtype;
  std::string_view name;
};
constexpr Name kNames[] = {{DType::kBool, "BOOL"},   {DType::kInt8, "INT8"},   {DType::kUInt8, "UINT8"},
                           {DType::kInt32, "INT32"}, {DType::kInt64, "INT64"}, {DType::kFloat16, "FP16"},
                           {DType::kFloat32, "FP32"}};
constexpr std::string_view kOthers[] = {"INT16", "UINT16", "UINT32", "UINT64", "FP64", "BYTES"};

namespace dom = simdjson::dom;

// Counts the leaves of `data` (nested arrays flattened in order) into `*n`; false if a leaf is
// itself not a number or boolean.
bool count_leaves(dom::element data, int64_t* n) {
  if (data.is_array()) {
    for (dom::element e : dom::array(data)) {
      if (!count_leaves(e, n)) return false;
    }
    return true;
  }
  if (!data.is_number() && !data.is_bool()) return false;
  ++*n;
  return true;
}

// Calls put(index, leaf) for each leaf of `data` in order, up to the first error.
template <typename Put>
Status for_each_leaf(dom::element data, size_t* i, const Put& put) {
  if (data.is_array()) {
    for (dom::element e : dom::array(data)) SENSIX_RETURN_IF_ERROR(for_each_leaf(e, i, put));
    return Status::Ok();
  }
  return put((*i)++, data);
}

std::string text_of(dom::element v) { return std::string(simdjson::minify(v)); }

// The number as a double, rounded as a parser rounds the decimal (integers converted exactly where
// they can be).
double double_of(dom::element v) {
  if (v.is_int64()) return static_cast<double>(int64_t(v));
  if (v.is_uint64()) return static_cast<double>(uint64_t(v));
  return double(v);
}

template <typename T>
Status fill_integers(const InputHeader& h, dom::element data, Tensor* t) {
  auto dst = t->values<T>();
  size_t i = 0;
  return for_each_leaf(data, &i, [&](size_t k, dom::element v) -> Status {
    if (v.is_int64()) {
      const int64_t x = int64_t(v);
      if (x >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
          x <= static_cast<int64_t>(std::numeric_limits<T>::max())) {
        dst[k] = static_cast<T>(x);
        return Status::Ok();
      }
    } else if (v.is_uint64() && uint64_t(v) <= static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      dst[k] = static_cast<T>(uint64_t(v));
      return Status::Ok();
    }
    return InvalidArgument(fmt::format("input \"{}\": data[{}] is {}, not a value of {}", h.name, k, text_of(v),
                                       kserve_datatype(h.dtype)));
  });
}

// The input's tensor from its `data`: two passes over simdjson's document (count and check, then
// write), no copy of the values in between.
Result<Tensor> tensor_of(const InputHeader& h, dom::element data) {
  const std::string& name = h.name;
  int64_t n = 0;
  if (!count_leaves(data, &n)) {
    return InvalidArgument(fmt::format("input \"{}\": \"data\" must be numbers (or booleans), flat or nested", name));
  }
  if (n != h.count) {
    return InvalidArgument(fmt::format("input \"{}\": shape {} holds {} values, \"data\" has {}", name,
                                       shape_to_string(h.shape), h.count, n));
  }
  Tensor t(h.dtype, h.shape);
  size_t i = 0;
  switch (h.dtype) {
    case DType::kBool: {
      auto dst = t.values<bool>();
      SENSIX_RETURN_IF_ERROR(for_each_leaf(data, &i, [&](size_t k, dom::element v) -> Status {
        if (!v.is_bool()) {
          return InvalidArgument(fmt::format("input \"{}\": data[{}] is {}, not a BOOL", name, k, text_of(v)));
        }
        dst[k] = bool(v);
        return Status::Ok();
      }));
      break;
    }
    case DType::kInt8: SENSIX_RETURN_IF_ERROR(fill_integers<int8_t>(h, data, &t)); break;
    case DType::kUInt8: SENSIX_RETURN_IF_ERROR(fill_integers<uint8_t>(h, data, &t)); break;
    case DType::kInt32: SENSIX_RETURN_IF_ERROR(fill_integers<int32_t>(h, data, &t)); break;
    case DType::kInt64: SENSIX_RETURN_IF_ERROR(fill_integers<int64_t>(h, data, &t)); break;
    case DType::kFloat32:
    case DType::kFloat16: {
      SENSIX_RETURN_IF_ERROR(for_each_leaf(data, &i, [&](size_t k, dom::element v) -> Status {
        if (v.is_bool()) {
          return InvalidArgument(fmt::format("input \"{}\": data[{}] is {}, not a number", name, k, text_of(v)));
        }
        if (h.dtype == DType::kFloat32) {
          t.values<float>()[k] = static_cast<float>(double_of(v));
        } else {
          const _Float16 f = static_cast<_Float16>(double_of(v));
          std::memcpy(t.data() + k * sizeof(f), &f, sizeof(f));
        }
        return Status::Ok();
      }));
      break;
    }
  }
  return t;
}

// A tensor's values as a flat JSON array.
template <typename T>
json values_json(const Tensor& t) {
  json a = json::array();
  for (T v : t.values<T>()) a.push_back(v);
  return a;
}

}  // namespace

std::string_view kserve_datatype(DType t) {
  for (const Name& n : kNames) {
    if (n.dtype == t) return n.name;
  }
  return "UNKNOWN";
}

Result<DType> dtype_of_kserve(std::string_view name) {
  for (const Name& n : kNames) {
    if (n.name == name) return n.dtype;
  }
  std::string taken;
  for (const Name& n : kNames) taken += (taken.empty() ? "" : ", ") + std::string(n.name);
  for (std::string_view o : kOthers) {
    if (o == name) {
      return InvalidArgument(fmt::format("datatype {} is not one the engines take ({})", name, taken));
    }
  }
  return InvalidArgument(fmt::format("\"{}\" is not a datatype (the engines take {})", name, taken));
}

Result<InputHeader> input_header(const json& input) {
  if (!input.is_object()) return InvalidArgument("each input must be an object with name, shape, datatype and data");
  const auto name_it = input.find("name");
  if (name_it == input.end() || !name_it->is_string() || name_it->get<std::string>().empty()) {
    return InvalidArgument("an input has no \"name\"");
  }
  InputHeader h;
  h.name = name_it->get<std::string>();
  const std::string& name = h.name;
  for (const auto& [key, v] : input.items()) {
    if (key != "name" && key != "shape" && key != "datatype" && key != "data" && key != "parameters") {
      return InvalidArgument(fmt::format("input \"{}\": unknown field \"{}\"", name, key));
    }
  }
  if (const auto p = input.find("parameters"); p != input.end()) {
    if (!p->is_object()) return InvalidArgument(fmt::format("input \"{}\": \"parameters\" must be an object", name));
    if (const auto b = p->find("binary_data_size"); b != p->end()) {
      if (!b->is_number_integer() || b->get<int64_t>() < 0) {
        return InvalidArgument(
            fmt::format("input \"{}\": parameters.binary_data_size must be a non-negative integer, "
                        "got {}",
                        name, b->dump()));
      }
      h.binary_size = b->get<int64_t>();
    }
  }
  for (const char* key : {"shape", "datatype"}) {
    if (!input.contains(key)) return InvalidArgument(fmt::format("input \"{}\": \"{}\" is missing", name, key));
  }
  if (h.binary_size && input.contains("data")) {
    return InvalidArgument(
        fmt::format("input \"{}\": has both \"data\" and parameters.binary_data_size (one or the other)", name));
  }
  if (!h.binary_size && !input.contains("data")) {
    return InvalidArgument(fmt::format("input \"{}\": \"data\" is missing (or parameters.binary_data_size)", name));
  }
  const json& shape_j = input["shape"];
  if (!shape_j.is_array()) return InvalidArgument(fmt::format("input \"{}\": \"shape\" must be an array", name));
  for (const json& d : shape_j) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > (int64_t{1} << 31)) {
      return InvalidArgument(
          fmt::format("input \"{}\": \"shape\" must hold non-negative integers, got {}", name, shape_j.dump()));
    }
    h.shape.push_back(d.get<int64_t>());
  }
  if (!input["datatype"].is_string())
    return InvalidArgument(fmt::format("input \"{}\": \"datatype\" must be a string", name));
  Result<InputHeader> made = make_input_header(h.name, input["datatype"].get<std::string>(), h.shape);
  if (!made.ok()) return made.status();
  made->binary_size = h.binary_size;
  return made;
}

Result<InputHeader> make_input_header(std::string name, std::string_view datatype, std::span<const int64_t> shape) {
  InputHeader h;
  h.name = std::move(name);
  for (int64_t d : shape) {
    if (d < 0 || d > (int64_t{1} << 31)) {
      return InvalidArgument(fmt::format("input \"{}\": the shape must hold non-negative integers, got [{}]", h.name,
                                         fmt::join(shape, ", ")));
    }
  }
  h.shape.assign(shape.begin(), shape.end());
  Result<DType> dt = dtype_of_kserve(datatype);
  if (!dt.ok()) return InvalidArgument(fmt::format("input \"{}\": {}", h.name, dt.status().message()));
  h.dtype = *dt;
  h.count = 1;
  for (int64_t d : h.shape) {
    h.count *= d;
    if (h.count > (int64_t{1} << 31))
      return InvalidArgument(fmt::format("input \"{}\": the shape is too large", h.name));
  }
  return h;
}

Result<Tensor> tensor_from_binary(const InputHeader& h, std::string_view bytes) {
  const uint64_t want = static_cast<uint64_t>(h.count) * dtype_size(h.dtype);
  if (bytes.size() != want) {
    return InvalidArgument(fmt::format("input \"{}\": shape {} of {} takes {} bytes, binary_data_size is {}", h.name,
                                       shape_to_string(h.shape), kserve_datatype(h.dtype), want, bytes.size()));
  }
  Tensor t = Tensor::uninitialized(h.dtype, h.shape);  // every byte written below
  if (h.dtype == DType::kBool) {
    auto dst = t.values<bool>();
    for (size_t i = 0; i < bytes.size(); ++i) {
      const auto b = static_cast<unsigned char>(bytes[i]);
      if (b > 1) {
        return InvalidArgument(
            fmt::format("input \"{}\": byte {} is {}, not a BOOL (0 or 1)", h.name, i, static_cast<int>(b)));
      }
      dst[i] = b == 1;
    }
  } else if (!bytes.empty()) {
    std::memcpy(t.data(), bytes.data(), bytes.size());  // little-endian on every target sensix builds for
  }
  return t;
}

void append_binary(const Tensor& t, std::string* out) {
  const size_t at = out->size();
  out->resize(at + t.byte_size());
  if (t.dtype() == DType::kBool) {
    const auto src = t.values<bool>();
    for (size_t i = 0; i < src.size(); ++i) (*out)[at + i] = src[i] ? 1 : 0;
  } else if (t.byte_size() > 0) {
    std::memcpy(out->data() + at, t.data(), t.byte_size());
  }
}

std::string tensor_to_binary(const std::string& name, const Tensor& t, std::string* out) {
  append_binary(t, out);
  return fmt::format(R"({{"datatype":"{}","name":{},"parameters":{{"binary_data_size":{}}},"shape":[{}]}})",
                     kserve_datatype(t.dtype()), json(name).dump(), t.byte_size(), fmt::join(t.shape(), ","));
}

json tensor_to_json(const std::string& name, const Tensor& t) {
  json data;
  switch (t.dtype()) {
    case DType::kBool: data = values_json<bool>(t); break;
    case DType::kInt8: data = values_json<int8_t>(t); break;
    case DType::kUInt8: data = values_json<uint8_t>(t); break;
    case DType::kInt32: data = values_json<int32_t>(t); break;
    case DType::kInt64: data = values_json<int64_t>(t); break;
    case DType::kFloat32: data = values_json<float>(t); break;
    case DType::kFloat16:
      data = json::array();
      for (size_t i = 0; i < static_cast<size_t>(t.size()); ++i) {
        _Float16 h;
        std::memcpy(&h, t.data() + i * sizeof(h), sizeof(h));
        data.push_back(static_cast<float>(h));
      }
      break;
  }
  return json{
      {"name", name}, {"shape", t.shape()}, {"datatype", kserve_datatype(t.dtype())}, {"data", std::move(data)}};
}

namespace {

json to_nlohmann(dom::element e) {
  switch (e.type()) {
    case dom::element_type::ARRAY: {
      json a = json::array();
      for (dom::element x : dom::array(e)) a.push_back(to_nlohmann(x));
      return a;
    }
    case dom::element_type::OBJECT: {
      json o = json::object();
      for (dom::key_value_pair kv : dom::object(e)) o[std::string(kv.key)] = to_nlohmann(kv.value);
      return o;
    }
    case dom::element_type::INT64: return json(int64_t(e));
    case dom::element_type::UINT64: return json(uint64_t(e));
    case dom::element_type::DOUBLE: return json(double(e));
    case dom::element_type::STRING: return json(std::string(std::string_view(e)));
    case dom::element_type::BOOL: return json(bool(e));
    case dom::element_type::NULL_VALUE: return json(nullptr);
  }
  return json(nullptr);
}

// The request as nlohmann JSON, each input's `data` null and kept in `*data` (one per input).
json request_to_nlohmann(dom::element root, std::vector<std::optional<dom::element>>* data) {
  if (!root.is_object()) return to_nlohmann(root);
  json o = json::object();
  for (dom::key_value_pair kv : dom::object(root)) {
    if (kv.key != "inputs" || !kv.value.is_array()) {
      o[std::string(kv.key)] = to_nlohmann(kv.value);
      continue;
    }
    data->clear();  // a repeated "inputs": the last one counts, as in nlohmann's parser
    json inputs = json::array();
    for (dom::element x : dom::array(kv.value)) {
      data->emplace_back();
      if (!x.is_object()) {
        inputs.push_back(to_nlohmann(x));
        continue;
      }
      json in = json::object();
      for (dom::key_value_pair f : dom::object(x)) {
        if (f.key == "data") {
          data->back() = f.value;
          in["data"] = nullptr;
        } else {
          in[std::string(f.key)] = to_nlohmann(f.value);
        }
      }
      inputs.push_back(std::move(in));
    }
    o["inputs"] = std::move(inputs);
  }
  return o;
}

}  // namespace

struct JsonRequest::Doc {
  dom::parser parser;
  nlohmann::json request;
  std::vector<std::optional<dom::element>> data;
};

Result<JsonRequest> JsonRequest::parse(std::string_view body) {
  auto doc = std::make_shared<Doc>();
  dom::element root;
  if (auto error = doc->parser.parse(body.data(), body.size()).get(root); error != simdjson::SUCCESS) {
    return InvalidArgument(fmt::format("the request body is not valid JSON ({})", simdjson::error_message(error)));
  }
  doc->request = request_to_nlohmann(root, &doc->data);
  JsonRequest r;
  r.doc_ = std::move(doc);
  return r;
}

const nlohmann::json& JsonRequest::json() const { return doc_->request; }

bool JsonRequest::has_data(size_t i) const { return i < doc_->data.size() && doc_->data[i].has_value(); }

Result<Tensor> JsonRequest::tensor(size_t i, const InputHeader& h) const {
  if (!has_data(i)) return InvalidArgument(fmt::format("input \"{}\": \"data\" is missing", h.name));
  return tensor_of(h, *doc_->data[i]);
}

Result<std::string> JsonRequest::bytes_element(size_t i, std::string_view name) const {
  if (!has_data(i)) return InvalidArgument(fmt::format("input \"{}\": \"data\" is missing", name));
  dom::element e = *doc_->data[i];
  while (e.is_array()) {
    dom::array a = e;
    if (a.size() != 1) {
      return InvalidArgument(
          fmt::format("input \"{}\": a BYTES input holds one element (the file, in base64), got {}", name, a.size()));
    }
    e = a.at(0);
  }
  if (!e.is_string()) {
    return InvalidArgument(fmt::format("input \"{}\": a BYTES element is a string (the file, in base64)", name));
  }
  return base64_decode(std::string_view(e), fmt::format("input \"{}\"", name));
}

std::string_view bytes_element_from_binary(std::string_view data) {
  if (data.size() >= 4) {
    uint32_t n = 0;
    std::memcpy(&n, data.data(), 4);
    if constexpr (std::endian::native == std::endian::big) n = __builtin_bswap32(n);
    if (n == data.size() - 4) return data.substr(4);
  }
  return data;
}

Result<std::string> base64_decode(std::string_view text, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument(
        fmt::format("{}: not base64 ({}); a BYTES element in JSON is the file in base64", what, why));
  };
  if (text.size() % 4 != 0) return bad(fmt::format("{} characters, not a multiple of 4", text.size()));
  if (text.size() > static_cast<size_t>(std::numeric_limits<int>::max())) return bad("too long");
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return bad("a character outside the base64 alphabet");
  out.resize(static_cast<size_t>(n) - pad);  // EVP_DecodeBlock counts the padding's zero bytes
  return out;
}

json bytes_to_json(const std::string& name, const std::vector<std::string>& elements) {
  return json{
      {"name", name}, {"datatype", "BYTES"}, {"shape", {static_cast<int64_t>(elements.size())}}, {"data", elements}};
}

void append_bytes(const std::vector<std::string>& elements, std::string* out) {
  for (const std::string& e : elements) {
    uint32_t n = static_cast<uint32_t>(e.size());
    if constexpr (std::endian::native == std::endian::big) n = __builtin_bswap32(n);
    out->append(reinterpret_cast<const char*>(&n), 4);
    out->append(e);
  }
}

json bytes_to_binary(const std::string& name, const std::vector<std::string>& elements, std::string* out) {
  const size_t before = out->size();
  append_bytes(elements, out);
  return json{{"name", name},
              {"datatype", "BYTES"},
              {"shape", {static_cast<int64_t>(elements.size())}},
              {"parameters", {{"binary_data_size", out->size() - before}}}};
}

}  // namespace sensix::api
