#include "api/kserve_tensors.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
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

// One pass over the leaves of `data` (nested arrays flattened in order): each leaf is counted into
// `*n` and, while the count is within `room` and no leaf was refused, handed to put(index, leaf,
// type), which writes it and returns false to refuse it (the first refused one is kept in
// `*refused`). False if a leaf is itself not a number or boolean.
template <typename Put>
bool walk_leaves(dom::element data, int64_t room, int64_t* n, std::optional<std::pair<int64_t, dom::element>>* refused,
                 const Put& put) {
  // A leaf: inline in the array's loop below (a call per value cost half the walk).
  const auto leaf = [&](dom::element v, dom::element_type type) __attribute__((always_inline)) {
    if (type == dom::element_type::OBJECT || type == dom::element_type::STRING ||
        type == dom::element_type::NULL_VALUE) {
      return false;
    }
    if (*n < room && !*refused && !put(*n, v, type)) *refused = std::make_pair(*n, v);
    ++*n;
    return true;
  };
  if (data.type() != dom::element_type::ARRAY) return leaf(data, data.type());
  for (dom::element e : dom::array(data)) {
    const dom::element_type type = e.type();
    if (type == dom::element_type::ARRAY ? !walk_leaves(e, room, n, refused, put) : !leaf(e, type)) return false;
  }
  return true;
}

// A leaf as an integer of type T, where it is one that fits.
template <typename T>
bool integer_of(dom::element v, dom::element_type type, T* out) {
  if (type == dom::element_type::INT64) {
    const int64_t x = int64_t(v);
    if (x < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        x > static_cast<int64_t>(std::numeric_limits<T>::max())) {
      return false;
    }
    *out = static_cast<T>(x);
    return true;
  }
  if (type == dom::element_type::UINT64 && uint64_t(v) <= static_cast<uint64_t>(std::numeric_limits<T>::max())) {
    *out = static_cast<T>(uint64_t(v));
    return true;
  }
  return false;
}

// A numeric leaf as a double, rounded as a parser rounds the decimal (integers converted exactly
// where they can be); false for a boolean.
inline __attribute__((always_inline)) bool number_of(dom::element v, dom::element_type type, double* out) {
  switch (type) {
    case dom::element_type::DOUBLE: *out = double(v); return true;
    case dom::element_type::INT64: *out = static_cast<double>(int64_t(v)); return true;
    case dom::element_type::UINT64: *out = static_cast<double>(uint64_t(v)); return true;
    default: return false;
  }
}

}  // namespace

// The input's tensor from its `data`: one pass over simdjson's document, writing each value into
// the tensor as it is checked (no copy of the values in between). The errors are those of a check
// in three steps: a leaf that is not a number or boolean, then the count, then the first value
// that does not fit the datatype.
Result<Tensor> tensor_of_data(dom::element data, const InputHeader& h) {
  const std::string& name = h.name;
  Tensor t = Tensor::uninitialized(h.dtype, h.shape);
  std::byte* out = t.data();
  int64_t n = 0;
  std::optional<std::pair<int64_t, dom::element>> refused;
  auto walk = [&](const auto& put) { return walk_leaves(data, h.count, &n, &refused, put); };
  auto integers = [&]<typename T>(T) {
    return walk([&](int64_t k, dom::element v, dom::element_type type) {
      T x;
      if (!integer_of<T>(v, type, &x)) return false;
      std::memcpy(out + k * static_cast<int64_t>(sizeof(T)), &x, sizeof(T));
      return true;
    });
  };
  auto floats = [&]<typename F>(F) {
    return walk([&](int64_t k, dom::element v, dom::element_type type) {
      double x;
      if (!number_of(v, type, &x)) return false;
      const F f = static_cast<F>(x);
      std::memcpy(out + k * static_cast<int64_t>(sizeof(F)), &f, sizeof(F));
      return true;
    });
  };
  bool leaves = false;
  switch (h.dtype) {
    case DType::kBool:
      leaves = walk([&](int64_t k, dom::element v, dom::element_type type) {
        if (type != dom::element_type::BOOL) return false;
        out[k] = static_cast<std::byte>(bool(v) ? 1 : 0);
        return true;
      });
      break;
    case DType::kInt8: leaves = integers(int8_t{}); break;
    case DType::kUInt8: leaves = integers(uint8_t{}); break;
    case DType::kInt32: leaves = integers(int32_t{}); break;
    case DType::kInt64: leaves = integers(int64_t{}); break;
    case DType::kFloat32: leaves = floats(float{}); break;
    case DType::kFloat16: leaves = floats(_Float16{}); break;
  }
  if (!leaves) {
    return InvalidArgument(fmt::format("input \"{}\": \"data\" must be numbers (or booleans), flat or nested", name));
  }
  if (n != h.count) {
    return InvalidArgument(fmt::format("input \"{}\": shape {} holds {} values, \"data\" has {}", name,
                                       shape_to_string(h.shape), h.count, n));
  }
  if (refused) {
    const auto& [k, v] = *refused;
    switch (h.dtype) {
      case DType::kBool:
        return InvalidArgument(fmt::format("input \"{}\": data[{}] is {}, not a BOOL", name, k, json_text(v)));
      case DType::kFloat32:
      case DType::kFloat16:
        return InvalidArgument(fmt::format("input \"{}\": data[{}] is {}, not a number", name, k, json_text(v)));
      default:
        return InvalidArgument(fmt::format("input \"{}\": data[{}] is {}, not a value of {}", name, k, json_text(v),
                                           kserve_datatype(h.dtype)));
    }
  }
  return t;
}

namespace {

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

Result<InputHeader> input_header(dom::element input, std::optional<dom::element>* data) {
  if (!input.is_object()) return InvalidArgument("each input must be an object with name, shape, datatype and data");
  std::string_view unknown;
  const auto [name_v, shape_v, datatype_v, data_v,
              parameters_v] = json_fields<5>(input, {"name", "shape", "datatype", "data", "parameters"}, &unknown);
  if (!name_v || !name_v->is_string() || std::string_view(*name_v).empty()) {
    return InvalidArgument("an input has no \"name\"");
  }
  InputHeader h;
  h.name = std::string(std::string_view(*name_v));
  const std::string& name = h.name;
  if (!unknown.empty()) return InvalidArgument(fmt::format("input \"{}\": unknown field \"{}\"", name, unknown));
  if (parameters_v) {
    if (!parameters_v->is_object()) {
      return InvalidArgument(fmt::format("input \"{}\": \"parameters\" must be an object", name));
    }
    if (const auto b = json_field(*parameters_v, "binary_data_size")) {
      const std::optional<int64_t> size = json_int64(*b);
      if (!size || *size < 0) {
        return InvalidArgument(
            fmt::format("input \"{}\": parameters.binary_data_size must be a non-negative integer, "
                        "got {}",
                        name, json_text(*b)));
      }
      h.binary_size = *size;
    }
  }
  if (!shape_v) return InvalidArgument(fmt::format("input \"{}\": \"shape\" is missing", name));
  if (!datatype_v) return InvalidArgument(fmt::format("input \"{}\": \"datatype\" is missing", name));
  if (h.binary_size && data_v) {
    return InvalidArgument(
        fmt::format("input \"{}\": has both \"data\" and parameters.binary_data_size (one or the other)", name));
  }
  if (!h.binary_size && !data_v) {
    return InvalidArgument(fmt::format("input \"{}\": \"data\" is missing (or parameters.binary_data_size)", name));
  }
  if (!shape_v->is_array()) return InvalidArgument(fmt::format("input \"{}\": \"shape\" must be an array", name));
  for (dom::element d : dom::array(*shape_v)) {
    const std::optional<int64_t> dim = json_int64(d);
    if (!dim || *dim < 0 || *dim > (int64_t{1} << 31)) {
      return InvalidArgument(
          fmt::format("input \"{}\": \"shape\" must hold non-negative integers, got {}", name, json_text(*shape_v)));
    }
    h.shape.push_back(*dim);
  }
  if (!datatype_v->is_string()) {
    return InvalidArgument(fmt::format("input \"{}\": \"datatype\" must be a string", name));
  }
  Result<InputHeader> made = make_input_header(h.name, std::string_view(*datatype_v), h.shape);
  if (!made.ok()) return made.status();
  made->binary_size = h.binary_size;
  if (data != nullptr) *data = data_v;
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
  std::string entry = R"({"datatype":")";
  entry += kserve_datatype(t.dtype());
  entry += R"(","name":)";
  append_json_string(name, &entry);
  char number[24];
  auto put = [&](auto n) { entry.append(number, std::to_chars(number, number + sizeof number, n).ptr); };
  entry += R"(,"parameters":{"binary_data_size":)";
  put(t.byte_size());
  entry += R"(},"shape":[)";
  for (size_t d = 0; d < t.shape().size(); ++d) {
    if (d > 0) entry += ',';
    put(t.shape()[d]);
  }
  entry += "]}";
  return entry;
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

// simdjson parsers kept by each thread for its next requests: a parser allocates its buffers at its
// first parse, which cost a small request more than the parse itself. A thread keeps a few, each
// sized for at most kKeptParserBytes (one that grew for a larger body is freed).
constexpr size_t kKeptParsers = 4;
constexpr size_t kKeptParserBytes = 1 << 20;

thread_local std::vector<std::unique_ptr<dom::parser>> kept_parsers;

void return_parser(dom::parser* p) {
  std::unique_ptr<dom::parser> owned(p);
  if (owned->capacity() <= kKeptParserBytes && kept_parsers.size() < kKeptParsers) {
    kept_parsers.push_back(std::move(owned));
  }
}

using PooledParser = std::unique_ptr<dom::parser, void (*)(dom::parser*)>;

PooledParser take_parser() {
  if (kept_parsers.empty()) return PooledParser(new dom::parser(), return_parser);
  PooledParser p(kept_parsers.back().release(), return_parser);
  kept_parsers.pop_back();
  return p;
}

}  // namespace

struct JsonRequest::Doc {
  std::unique_ptr<dom::parser, void (*)(dom::parser*)> parser = take_parser();  // root points into it
  dom::element root;
};

Result<JsonRequest> JsonRequest::parse(std::string_view body, size_t readable_after) {
  auto doc = std::make_shared<Doc>();
  // simdjson reads up to SIMDJSON_PADDING bytes past a document's end: where they are readable it
  // parses the body where it is, else it copies it into a padded buffer of its own first.
  const bool in_place = readable_after >= simdjson::SIMDJSON_PADDING;
  if (auto error = doc->parser->parse(body.data(), body.size(), !in_place).get(doc->root); error != simdjson::SUCCESS) {
    return InvalidArgument(fmt::format("the request body is not valid JSON ({})", simdjson::error_message(error)));
  }
  JsonRequest r;
  r.doc_ = std::move(doc);
  return r;
}

dom::element JsonRequest::root() const { return doc_->root; }

std::optional<dom::element> json_field(dom::object object, std::string_view key) {
  std::optional<dom::element> found;
  for (dom::key_value_pair f : object) {
    if (f.key == key) found = f.value;
  }
  return found;
}

std::string json_text(dom::element value) { return std::string(simdjson::minify(value)); }

std::optional<int64_t> json_int64(dom::element value) {
  if (value.is_int64()) return int64_t(value);
  return std::nullopt;
}

void append_json_string(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + s.size() + 2);
  *out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          *out += "\\u00";
          *out += kHex[static_cast<unsigned char>(c) >> 4];
          *out += kHex[static_cast<unsigned char>(c) & 0xf];
        } else {
          *out += c;
        }
    }
  }
  *out += '"';
}

Result<std::string> bytes_element(dom::element data, std::string_view name) {
  dom::element e = data;
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
