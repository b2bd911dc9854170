// Raw media in, predictions out (runtime/media_request.h, docs/api.md "Raw media in, predictions
// out"), on a real daemon serving the quickstart's models without any pipeline: a JPEG and a PNG
// give the predictions `sensix run` gives on the same image, bit for bit; a clip is cut into the
// model's windows (each window's outputs are what a tensor request of that window gets, bit for
// bit) and resampled to its rate; both BYTES serialisations in and out, over HTTP and gRPC; and bad
// media is refused naming the problem, with the daemon serving on.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "cli_support.h"
#include "common/env.h"
#include "grpc_service.grpc.pb.h"
#include "runtime/media_request.h"
#include "sched/scheduler.h"
#include "sensors/replay/audio_clip.h"
#include "serve_support.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace sensix::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using ::testing::HasSubstr;

// A request whose one input is raw media in base64.
json media_body(const std::string& input, const std::string& content_type, const std::string& bytes,
                const json& outputs = nullptr) {
  json body{{"id", "media-1"},
            {"inputs", json::array({json{{"name", input},
                                         {"shape", {1}},
                                         {"datatype", "BYTES"},
                                         {"parameters", {{"content_type", content_type}}},
                                         {"data", {base64(bytes)}}}})}};
  if (!outputs.is_null()) body["outputs"] = outputs;
  return body;
}

// A 16-bit PCM WAV of `samples` (mono).
std::string wav_bytes(const std::vector<int16_t>& samples, int rate) {
  auto u32 = [](uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [](uint16_t v) { return std::string(reinterpret_cast<const char*>(&v), 2); };
  const uint32_t data = static_cast<uint32_t>(samples.size() * 2);
  std::string w = "RIFF" + u32(36 + data) + "WAVEfmt " + u32(16) + u16(1) + u16(1) + u32(static_cast<uint32_t>(rate)) +
                  u32(static_cast<uint32_t>(rate * 2)) + u16(2) + u16(16) + "data" + u32(data);
  w.append(reinterpret_cast<const char*>(samples.data()), data);
  return w;
}

// The JSON objects of a "predictions" output (BYTES: each element one prediction).
std::vector<json> predictions_of(const json& response) {
  std::vector<json> out;
  for (const json& o : response.value("outputs", json::array())) {
    if (o["name"] != "predictions") continue;
    EXPECT_EQ(o["datatype"], "BYTES");
    for (const json& e : o["data"]) out.push_back(json::parse(e.get<std::string>()));
  }
  return out;
}

// Triton's BYTES serialisation: each element's 4-byte little-endian length, then its bytes.
std::vector<std::string> bytes_elements(std::string_view data) {
  std::vector<std::string> out;
  while (data.size() >= 4) {
    uint32_t n = 0;
    std::memcpy(&n, data.data(), 4);
    if (n > data.size() - 4) break;
    out.emplace_back(data.substr(4, n));
    data.remove_prefix(4 + n);
  }
  EXPECT_TRUE(data.empty()) << data.size() << " bytes left over";
  return out;
}

class MediaApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SENSIX_REQUIRE_FILE(model_file("blazeface/face_detection_back_256x256_barracuda.onnx"));
    SENSIX_REQUIRE_FILE(model_file("openwakeword/melspectrogram.onnx"));
    SENSIX_REQUIRE_FILE(sample_file("images/messi5.jpg"));
    SENSIX_REQUIRE_FILE(sample_file("speech/alexa.wav"));
    ASSERT_TRUE(d_.start((dir_.path() / "state").string(), {"--grpc-listen", "127.0.0.1:0"})) << d_.log();
    // The quickstart's models, served only on request; and its mel model again, refusing to be fed
    // upsampled audio.
    std::string strict = quickstart_document("oww-mel");
    strict.replace(strict.find("name: oww-mel"), 13, "name: mel-no-upsampling");
    strict.replace(strict.find("scale: 32768}"), 13, "scale: 32768, allowUpsampling: false}");
    const std::string docs = quickstart_document("blazeface") + "---\n" + quickstart_document("oww-mel") + "---\n" +
                             quickstart_document("silero-vad") + "---\n" + quickstart_document("alexa") + "---\n" +
                             strict;
    auto [status, applied] = d_.call("POST", "/v1/apply", docs);
    ASSERT_EQ(status, 200) << applied;
    ASSERT_TRUE(d_.wait_ready(60s));
    jpeg_ = file_contents(sample_file("images/messi5.jpg"));
  }
  void TearDown() override { EXPECT_EQ(d_.stop(), 0); }

  std::pair<int, json> post(const std::string& model, const json& body) {
    auto r = d_.client().request("POST", "/v2/models/" + model + "/infer", body.dump(), "application/json");
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {0, nullptr};
    return {r->status, json::parse(r->body, nullptr, false)};
  }

  // What `sensix run --json` predicts on the image file `path` with the quickstart's BlazeFace.
  std::vector<json> sensix_run_on(const std::string& path) {
    const std::filesystem::path doc = dir_.path() / "run.yaml";
    std::ofstream(doc) << fmt::format(
        "apiVersion: sensix/v1\nkind: Sensor\nmetadata: {{name: photo}}\nspec:\n  driver: image-folder\n  path: {}\n"
        "---\n{}---\napiVersion: sensix/v1\nkind: Pipeline\nmetadata: {{name: faces}}\nspec:\n  steps:\n"
        "    - model: blazeface\n      from: {{sensor: photo}}\n",
        path, quickstart_document("blazeface"));
    const Output o = run_sensix("run " + doc.string() + " --json");
    EXPECT_EQ(o.code, 0) << o.err;
    std::vector<json> out;
    std::istringstream lines(o.out);
    for (std::string line; std::getline(lines, line);) {
      json j = json::parse(line, nullptr, false);
      if (j.is_object() && j.value("type", "") == "prediction") out.push_back(std::move(j));
    }
    return out;
  }

  TempDir dir_;
  Daemon d_;
  std::string jpeg_;
};

TEST_F(MediaApiTest, AJpegAndAPngGiveWhatSensixRunPredictsOnTheSameImage) {
  // The same photo as a PNG, written where `sensix run` can read it too.
  const cv::Mat pixels = cv::imdecode(cv::Mat(1, static_cast<int>(jpeg_.size()), CV_8UC1, jpeg_.data()),
                                      cv::IMREAD_COLOR);
  std::vector<uchar> png_buffer;
  ASSERT_TRUE(cv::imencode(".png", pixels, png_buffer));
  const std::string png(png_buffer.begin(), png_buffer.end());
  const std::string png_path = (dir_.path() / "messi5.png").string();
  std::ofstream(png_path, std::ios::binary) << png;

  for (const auto& [path, bytes, type] : {std::tuple{sample_file("images/messi5.jpg"), jpeg_, "image/jpeg"},
                                          std::tuple{png_path, png, "Image/PNG; charset=binary"}}) {
    SCOPED_TRACE(type);
    auto [status, out] = post("blazeface", media_body("input:0", type, bytes));
    ASSERT_EQ(status, 200) << out;
    EXPECT_EQ(out["id"], "media-1");
    ASSERT_EQ(out["outputs"].size(), 1u) << out;  // predictions only, unless raw tensors are asked for
    const std::vector<json> served = predictions_of(out);
    const std::vector<json> by_run = sensix_run_on(path);
    ASSERT_EQ(served.size(), 1u) << out;
    ASSERT_EQ(by_run.size(), 1u);
    EXPECT_EQ(served[0]["model"], "blazeface");
    EXPECT_EQ(served[0]["kind"], "detection");
    // Boxes and keypoints in the photo's pixels, bit for bit those of the sensor's frame.
    EXPECT_EQ(served[0]["detections"], by_run[0]["detections"]);
    ASSERT_EQ(served[0]["detections"].size(), 1u);
    EXPECT_GT(served[0]["detections"][0]["score"].get<double>(), 0.8);
    EXPECT_NEAR(served[0]["detections"][0]["box"]["x"].get<double>(), 222, 5);  // Messi's face, 37 px wide
  }
}

TEST_F(MediaApiTest, BinaryMediaInEitherSerialisationAndBinaryPredictionsWithRawTensors) {
  auto [sj, by_json] = post("blazeface", media_body("input:0", "image/jpeg", jpeg_));
  ASSERT_EQ(sj, 200) << by_json;
  const std::vector<json> expected = predictions_of(by_json);
  ASSERT_EQ(expected.size(), 1u);

  uint32_t n = static_cast<uint32_t>(jpeg_.size());
  const std::string triton = std::string(reinterpret_cast<const char*>(&n), 4) + jpeg_;
  for (const std::string& binary : {triton, jpeg_}) {
    const json header{{"inputs",
                       {{{"name", "input:0"},
                         {"shape", {1}},
                         {"datatype", "BYTES"},
                         {"parameters", {{"content_type", "image/jpeg"}, {"binary_data_size", binary.size()}}}}}},
                      {"outputs",
                       {{{"name", "predictions"}, {"parameters", {{"binary_data", true}}}},
                        {{"name", "Identity:0"}, {"parameters", {{"binary_data", false}}}}}}};
    const std::string text = header.dump();
    auto r = d_.client().request("POST", "/v2/models/blazeface/infer", text + binary, "application/octet-stream",
                                 {{"Inference-Header-Content-Length", std::to_string(text.size())}});
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status, 200) << r->body;
    const size_t length = std::stoul(r->headers["inference-header-content-length"]);
    const json answer = json::parse(r->body.substr(0, length));
    ASSERT_EQ(answer["outputs"].size(), 2u) << answer;
    // The declared output in the model's order, then the predictions.
    EXPECT_EQ(answer["outputs"][0]["name"], "Identity:0");
    EXPECT_EQ(answer["outputs"][0]["shape"], json::array({1, 512, 1}));
    EXPECT_EQ(answer["outputs"][1]["name"], "predictions");
    EXPECT_EQ(answer["outputs"][1]["shape"], json::array({1}));
    const std::string data = r->body.substr(length);
    ASSERT_EQ(data.size(), answer["outputs"][1]["parameters"]["binary_data_size"].get<size_t>());
    const std::vector<std::string> elements = bytes_elements(data);
    ASSERT_EQ(elements.size(), 1u);
    EXPECT_EQ(json::parse(elements[0])["detections"], expected[0]["detections"]);
  }
}

TEST_F(MediaApiTest, AClipIsCutIntoTheModelsWindowsEachGivingWhatItsTensorGets) {
  const std::string wav = file_contents(sample_file("speech/alexa.wav"));
  Result<AudioClip> clip = decode_audio(wav, "alexa.wav");
  ASSERT_TRUE(clip.ok()) << clip.status();
  ASSERT_EQ(clip->sample_rate, 16000);
  auto [status, out] = post("oww-mel", media_body("input", "audio/wav", wav));
  ASSERT_EQ(status, 200) << out;
  ASSERT_EQ(out["outputs"].size(), 1u);  // no post-processing: its declared output
  // Window 1760, hop 1280, starting full of zeros: one window per hop of the clip, the last
  // zero-padded, stacked along the first dimension.
  const int64_t windows = (clip->frames + 1279) / 1280;
  const json& mel = out["outputs"][0];
  ASSERT_EQ(mel["shape"], json::array({windows, 1, 8, 32})) << mel["shape"];

  std::vector<float> padded(480, 0.0f);
  for (float s : clip->samples) padded.push_back(s * 32768.0f);  // the document's scale
  padded.resize(480 + static_cast<size_t>(windows) * 1280, 0.0f);
  for (int64_t w : {int64_t{0}, int64_t{7}, windows - 1}) {
    SCOPED_TRACE(w);
    const std::vector<float> window(padded.begin() + w * 1280, padded.begin() + w * 1280 + 1760);
    const json tensor_request{
        {"inputs", {{{"name", "input"}, {"shape", {1, 1760}}, {"datatype", "FP32"}, {"data", window}}}}};
    auto [ts, by_tensor] = post("oww-mel", tensor_request);
    ASSERT_EQ(ts, 200) << by_tensor;
    const json& expected = by_tensor["outputs"][0]["data"];
    ASSERT_EQ(expected.size(), 256u);
    for (size_t k = 0; k < 256; ++k) {
      const float a = mel["data"][static_cast<size_t>(w) * 256 + k].get<float>();
      const float b = expected[k].get<float>();
      ASSERT_EQ(std::memcmp(&a, &b, sizeof(float)), 0) << "value " << k << ": " << a << " vs " << b;
    }
  }

  // The same speech at 22.05 kHz is resampled to the model's 16 kHz: as many windows, close values.
  std::vector<int16_t> at_22k;
  for (int64_t i = 0; i * 16000 < clip->frames * 22050; ++i) {
    const double t = static_cast<double>(i) * 16000.0 / 22050.0;
    const size_t k = static_cast<size_t>(t);
    const float a = clip->samples[k], b = clip->samples[std::min(k + 1, clip->samples.size() - 1)];
    at_22k.push_back(static_cast<int16_t>(std::lround((a + (b - a) * static_cast<float>(t - k)) * 32767.0f)));
  }
  auto [s22, out22] = post("oww-mel", media_body("input", "audio/x-wav", wav_bytes(at_22k, 22050)));
  ASSERT_EQ(s22, 200) << out22;
  const json& shape22 = out22["outputs"][0]["shape"];
  EXPECT_NEAR(shape22[0].get<double>(), static_cast<double>(windows), 1.0) << shape22;
  // Mid-clip, where the word is: within a tenth of the mel scale's range on average.
  double diff = 0;
  for (size_t k = 0; k < 256; ++k) {
    diff += std::abs(out22["outputs"][0]["data"][20 * 256 + k].get<double>() - mel["data"][20 * 256 + k].get<double>());
  }
  EXPECT_LT(diff / 256, 0.5);
}

TEST_F(MediaApiTest, BadMediaIsRefusedNamingTheProblemAndTheDaemonServesOn) {
  std::vector<int16_t> tone(8000);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = static_cast<int16_t>(8000 * std::sin(0.1 * i));
  const std::string wav16 = wav_bytes(tone, 16000), wav8 = wav_bytes(tone, 8000);
  json two_elements = media_body("input:0", "image/jpeg", jpeg_);
  two_elements["inputs"][0]["data"] = {base64(jpeg_), base64(jpeg_)};
  two_elements["inputs"][0]["shape"] = {2};
  json no_type = media_body("input:0", "image/jpeg", jpeg_);
  no_type["inputs"][0].erase("parameters");
  json not_base64 = media_body("input:0", "image/jpeg", jpeg_);
  not_base64["inputs"][0]["data"] = {"not base64!"};
  struct Case {
    std::string model;
    json body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"blazeface", media_body("input:0", "image/jpeg", jpeg_.substr(0, jpeg_.size() / 2)),
       "Model/blazeface: input \"input:0\" (image/jpeg): the JPEG is truncated: its " +
           std::to_string(jpeg_.size() / 2) + " bytes do not end with the end-of-image marker (FF D9)"},
      {"blazeface", media_body("input:0", "image/jpeg", wav16),
       "the 16044 bytes are not a JPEG (they start with 52 49"},
      {"blazeface", media_body("input:0", "image/png", jpeg_), "are not a PNG (they start with ff d8 ff"},
      {"blazeface", media_body("input:0", "video/mp4", jpeg_),
       "input \"input:0\": content_type \"video/mp4\" is not one this server decodes (it takes image/jpeg, "
       "image/png, audio/wav, audio/flac, audio/ogg)"},
      {"blazeface", no_type, "input \"input:0\": a BYTES input is raw media here, and parameters.content_type must"},
      {"blazeface", not_base64, "input \"input:0\": not base64"},
      {"blazeface", two_elements, "input \"input:0\": raw media is one BYTES element (shape [1]), got 2"},
      {"blazeface", media_body("image", "image/jpeg", jpeg_),
       "unknown input \"image\" (Model/blazeface takes one input, \"input:0\", which raw media feeds)"},
      {"blazeface", media_body("input:0", "audio/wav", wav16),
       "Model/blazeface: input \"input:0\" is audio/wav, but the model's input \"input:0\" takes an image"},
      {"oww-mel", media_body("input", "image/jpeg", jpeg_),
       "Model/oww-mel: input \"input\" is image/jpeg, but the model's input \"input\" takes audio"},
      {"alexa", media_body("onnx::Flatten_0", "audio/wav", wav16),
       "Model/alexa: input \"onnx::Flatten_0\" is a stream of another model's output: raw media feeds a model whose "
       "data input is audio or an image"},
      {"mel-no-upsampling", media_body("input", "audio/wav", wav8),
       "Model/mel-no-upsampling: input \"input\": the model needs 16000 Hz, 1 ch audio and forbids upsampling "
       "(allowUpsampling: false), but sensor (the request) gives 8000 Hz, 1 ch: its rate is lower"},
      {"oww-mel", media_body("input", "audio/wav", wav16.substr(0, 9000)),
       "Model/oww-mel: input \"input\" (audio/wav): the audio is truncated: its header declares 16000 bytes of "
       "'data' but the file holds 8956"},
      {"oww-mel", media_body("input", "audio/wav", "RIFF...."),
       "input \"input\" (audio/wav): 8 bytes that are not "
       "audio libsndfile can read"},
      {"oww-mel", media_body("input", "audio/wav", wav16, {{{"name", "predictions"}}}),
       "output \"predictions\": Model/oww-mel declares no post-processing, so it has no predictions"},
      {"blazeface", media_body("input:0", "image/jpeg", jpeg_, {{{"name", "scores"}}}),
       "unknown output \"scores\" (the model gives Identity:0, Identity_1:0, Identity_2:0, Identity_3:0)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    auto [status, out] = post(c.model, c.body);
    EXPECT_EQ(status, 400) << out;
    EXPECT_THAT(out.value("error", ""), HasSubstr(c.message));
  }
  // A plain tensor request asking for predictions is told where they come from.
  const json alexa_predictions{{"inputs",
                                {{{"name", "onnx::Flatten_0"},
                                  {"shape", {1, 16, 96}},
                                  {"datatype", "FP32"},
                                  {"data", std::vector<float>(1536)}}}},
                               {"outputs", {{{"name", "predictions"}}}}};
  auto [sp, plain] = post("alexa", alexa_predictions);
  EXPECT_EQ(sp, 400);
  EXPECT_THAT(plain.value("error", ""), HasSubstr("output \"predictions\" comes with raw media inputs"));
  // Nothing was lost: the models still answer.
  auto [status, ok] = post("blazeface", media_body("input:0", "image/jpeg", jpeg_));
  EXPECT_EQ(status, 200) << ok;
  EXPECT_EQ(predictions_of(ok).size(), 1u);
  EXPECT_EQ(post("oww-mel", media_body("input", "audio/wav", wav16)).first, 200);
}

TEST_F(MediaApiTest, OverGrpcRawMediaGivesTheHttpPredictions) {
  auto [sj, by_http] = post("blazeface", media_body("input:0", "image/jpeg", jpeg_));
  ASSERT_EQ(sj, 200) << by_http;
  const std::vector<json> expected = predictions_of(by_http);
  ASSERT_EQ(expected.size(), 1u);
  const std::string address = grpc_address(d_.log());
  ASSERT_FALSE(address.empty()) << d_.log();
  auto stub = inference::GRPCInferenceService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  for (bool raw : {true, false}) {
    SCOPED_TRACE(raw ? "raw_input_contents" : "bytes_contents");
    inference::ModelInferRequest req;
    req.set_model_name("blazeface");
    auto* in = req.add_inputs();
    in->set_name("input:0");
    in->set_datatype("BYTES");
    in->add_shape(1);
    (*in->mutable_parameters())["content_type"].set_string_param("image/jpeg");
    if (raw) {
      req.add_raw_input_contents(jpeg_);
    } else {
      in->mutable_contents()->add_bytes_contents(jpeg_);
    }
    grpc::ClientContext ctx;
    inference::ModelInferResponse response;
    const grpc::Status s = stub->ModelInfer(&ctx, req, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(response.outputs_size(), 1);
    EXPECT_EQ(response.outputs(0).name(), "predictions");
    EXPECT_EQ(response.outputs(0).datatype(), "BYTES");
    ASSERT_EQ(response.raw_output_contents_size(), 1);
    const std::vector<std::string> elements = bytes_elements(response.raw_output_contents(0));
    ASSERT_EQ(elements.size(), 1u);
    EXPECT_EQ(json::parse(elements[0])["detections"], expected[0]["detections"]);
  }
  // A bad one names the problem as over HTTP.
  inference::ModelInferRequest bad;
  bad.set_model_name("blazeface");
  auto* in = bad.add_inputs();
  in->set_name("input:0");
  in->set_datatype("BYTES");
  in->add_shape(1);
  (*in->mutable_parameters())["content_type"].set_string_param("image/jpeg");
  bad.add_raw_input_contents(jpeg_.substr(0, 1000));
  grpc::ClientContext ctx;
  inference::ModelInferResponse response;
  const grpc::Status s = stub->ModelInfer(&ctx, bad, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("the JPEG is truncated"));
}

TEST_F(MediaApiTest, TheCliSendsAPhotoOrARecordingAsItIsAndPrintsThePredictions) {
  const std::string server = " --server " + d_.url();
  const Output photo = run_sensix("infer blazeface " + sample_file("images/messi5.jpg") + server);
  EXPECT_EQ(photo.code, 0) << photo.err;
  EXPECT_THAT(photo.out, HasSubstr("blazeface"));
  EXPECT_THAT(photo.out, HasSubstr("face"));
  EXPECT_EQ(std::count(photo.out.begin(), photo.out.end(), '\n'), 1) << photo.out;  // one face, one line
  // -o json: the protocol's answer, the same predictions as a request of its own.
  const Output as_json = run_sensix("infer blazeface " + sample_file("images/messi5.jpg") + server + " -o json");
  ASSERT_EQ(as_json.code, 0) << as_json.err;
  auto [status, by_http] = post("blazeface", media_body("input:0", "image/jpeg", jpeg_));
  ASSERT_EQ(status, 200) << by_http;
  const std::vector<json> printed = predictions_of(json::parse(as_json.out, nullptr, false));
  ASSERT_EQ(printed.size(), 1u) << as_json.out;
  EXPECT_EQ(printed[0]["detections"], predictions_of(by_http)[0]["detections"]);
  // A model without post-processing: its outputs' names, datatypes and shapes.
  const Output clip = run_sensix("infer oww-mel " + sample_file("speech/alexa.wav") + server);
  EXPECT_EQ(clip.code, 0) << clip.err;
  EXPECT_THAT(clip.out, ::testing::MatchesRegex("output FP32 \\[[0-9]+,1,8,32\\]\n"));
  // What it cannot send, and what the daemon refuses.
  const Output unknown = run_sensix("infer blazeface " + source_path("README.md") + server);
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("give --content-type (the extension \".md\" names no format this takes)"));
  const Output refused = run_sensix("infer blazeface " + source_path("README.md") + " --content-type image/jpeg" +
                                    server);
  EXPECT_EQ(refused.code, 1);
  EXPECT_THAT(refused.err, HasSubstr("are not a JPEG"));
  const Output missing = run_sensix("infer no-such-model " + sample_file("images/messi5.jpg") + server);
  EXPECT_EQ(missing.code, 1) << missing.err;
  EXPECT_THAT(missing.err, HasSubstr("error: no model named \"no-such-model\" is loaded"));
}

// Silero VAD's windows of one clip: 64 zeros, then the samples, zero-padded to whole hops of 512.
std::vector<std::vector<float>> vad_windows(const AudioClip& clip) {
  std::vector<float> padded(64, 0.0f);
  padded.insert(padded.end(), clip.samples.begin(), clip.samples.end());
  const size_t windows = (static_cast<size_t>(clip.frames) + 511) / 512;
  padded.resize(64 + windows * 512, 0.0f);
  std::vector<std::vector<float>> out;
  for (size_t w = 0; w < windows; ++w) out.emplace_back(padded.begin() + w * 512, padded.begin() + w * 512 + 576);
  return out;
}

json vad_request(const std::vector<float>& window, const json& parameters) {
  json body{{"inputs", {{{"name", "input"}, {"shape", {1, 576}}, {"datatype", "FP32"}, {"data", window}}}}};
  if (!parameters.is_null()) body["parameters"] = parameters;
  return body;
}

TEST_F(MediaApiTest, AStatefulModelCarriesItsStateThroughAClipAndThroughASequenceOfRequests) {
  SENSIX_REQUIRE_FILE(model_file("silero-vad/silero_vad_v5.onnx"));
  const std::string wav = file_contents(sample_file("speech/alexa.wav"));
  Result<AudioClip> clip = decode_audio(wav, "alexa.wav");
  ASSERT_TRUE(clip.ok()) << clip.status();
  const std::vector<std::vector<float>> windows = vad_windows(*clip);

  // The clip in one request: its windows run in order, the state carried from one to the next.
  auto [status, out] = post("silero-vad",
                            media_body("input", "audio/wav", wav, {{{"name", "output"}}, {{"name", "predictions"}}}));
  ASSERT_EQ(status, 200) << out;
  const json& speech = out["outputs"][0];
  ASSERT_EQ(speech["name"], "output");
  ASSERT_EQ(speech["shape"], json::array({static_cast<int64_t>(windows.size()), 1})) << speech["shape"];
  const std::vector<json> said = predictions_of(out);
  ASSERT_FALSE(said.empty()) << out;  // "alexa" is said in it
  EXPECT_EQ(said[0]["labels"][0]["label"], "speech");

  // The same windows as a sequence of tensor requests: the same probabilities, bit for bit.
  for (size_t w = 0; w < windows.size(); ++w) {
    const json parameters{{"sequence_id", 42}, {"sequence_start", w == 0}, {"sequence_end", w + 1 == windows.size()}};
    auto [s, one] = post("silero-vad", vad_request(windows[w], parameters));
    ASSERT_EQ(s, 200) << one << " (window " << w << ")";
    const float a = one["outputs"][0]["data"][0].get<float>(), b = speech["data"][w].get<float>();
    ASSERT_EQ(std::memcmp(&a, &b, sizeof(float)), 0) << "window " << w << ": " << a << " vs " << b;
  }
  // Without the state carried (each window a sequence of its own), the probabilities differ.
  int differ = 0;
  for (size_t w = 1; w < windows.size(); w += 10) {
    auto [s, alone] = post("silero-vad", vad_request(windows[w], {{"sequence_id", "alone"}, {"sequence_start", true}}));
    ASSERT_EQ(s, 200) << alone;
    differ += alone["outputs"][0]["data"][0].get<float>() != speech["data"][w].get<float>() ? 1 : 0;
  }
  EXPECT_GT(differ, 0);

  // The sequence ended with its last request; a plain request has no state to use.
  struct Case {
    std::string model;
    json body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"silero-vad", vad_request(windows[0], {{"sequence_id", 42}}),
       "Model/silero-vad: sequence \"42\" is not open (sequence_start: true opens it; sequence_end closes it, and a "
       "sequence without a request for 60 s is dropped)"},
      {"silero-vad", vad_request(windows[0], nullptr),
       "keeps state between runs (spec.inputs[1] \"state\" is a state input): a plain request has no stream to keep "
       "it in; give parameters.sequence_id"},
      {"silero-vad", vad_request(windows[0], {{"sequence_start", true}}),
       "parameters.sequence_start and sequence_end need a parameters.sequence_id"},
      {"silero-vad", vad_request(windows[0], {{"sequence_id", -3}}), "parameters.sequence_id must be a positive"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    auto [s, error] = post(c.model, c.body);
    EXPECT_EQ(s, 400) << error;
    EXPECT_THAT(error.value("error", ""), HasSubstr(c.message));
  }
  json mel = media_body("input", "audio/wav", wav);
  mel["parameters"] = {{"sequence_id", "x"}, {"sequence_start", true}};
  auto [sm, stateless] = post("oww-mel", mel);
  EXPECT_EQ(sm, 400);
  EXPECT_THAT(stateless.value("error", ""), HasSubstr("Model/oww-mel keeps no state between runs"));

  auto [ss, stats] = d_.call("GET", "/v2/models/silero-vad/stats");
  ASSERT_EQ(ss, 200) << stats;
  const json& sensix = stats["model_stats"][0]["sensix"];
  EXPECT_EQ(sensix["sequences_open"], 1) << sensix;  // "alone", opened again and again, never ended
  EXPECT_EQ(sensix["sequences_expired"], 0) << sensix;
}

TEST(MediaSequences, ASequenceIdleLongerThanTheTimeoutIsDroppedAndCounted) {
  SENSIX_REQUIRE_FILE(model_file("silero-vad/silero_vad_v5.onnx"));
  TempDir dir;
  Daemon d;
  ASSERT_TRUE(d.start((dir.path() / "state").string(), {"--sequence-idle-timeout", "0.5"})) << d.log();
  auto [status, applied] = d.call("POST", "/v1/apply", quickstart_document("silero-vad"));
  ASSERT_EQ(status, 200) << applied;
  ASSERT_TRUE(d.wait_ready(60s));
  const std::vector<float> silence(576, 0.0f);
  auto post = [&](const json& parameters) {
    auto r = d.client().request("POST", "/v2/models/silero-vad/infer", vad_request(silence, parameters).dump(),
                                "application/json");
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::pair{r->status, json::parse(r->body, nullptr, false)} : std::pair{0, json()};
  };
  EXPECT_EQ(post({{"sequence_id", "s"}, {"sequence_start", true}}).first, 200);
  EXPECT_EQ(post({{"sequence_id", "s"}}).first, 200);  // within the timeout
  std::this_thread::sleep_for(1200ms);
  auto [s, dropped] = post({{"sequence_id", "s"}});
  EXPECT_EQ(s, 400) << dropped;
  EXPECT_THAT(dropped.value("error", ""),
              HasSubstr("sequence \"s\" is not open (sequence_start: true opens it; sequence_end closes it, and a "
                        "sequence without a request for 0.5 s is dropped)"));
  auto [ss, stats] = d.call("GET", "/v2/models/silero-vad/stats");
  ASSERT_EQ(ss, 200) << stats;
  EXPECT_EQ(stats["model_stats"][0]["sensix"]["sequences_expired"], 1) << stats;
  EXPECT_EQ(stats["model_stats"][0]["sensix"]["sequences_open"], 0) << stats;
  EXPECT_EQ(d.stop(), 0);
}

// A PNG whose header (IHDR) declares `width` x `height`: the header of one OpenCV wrote, with its
// size changed. What the limits read is the header, before anything is decoded.
std::string png_declaring(uint32_t width, uint32_t height) {
  std::vector<uchar> png;
  EXPECT_TRUE(cv::imencode(".png", cv::Mat(8, 8, CV_8UC3, cv::Scalar(40, 80, 120)), png));
  std::string bytes(png.begin(), png.end());
  for (int i = 0; i < 4; ++i) {
    bytes[16 + i] = static_cast<char>(width >> (24 - 8 * i));
    bytes[20 + i] = static_cast<char>(height >> (24 - 8 * i));
  }
  return bytes;
}

std::string encoded(const std::string& ext, const cv::Mat& image, const std::vector<int>& params = {}) {
  std::vector<uchar> out;
  EXPECT_TRUE(cv::imencode(ext, image, out, params));
  return std::string(out.begin(), out.end());
}

TEST(MediaLimits, TheSizeAJpegOrPngDeclaresIsReadFromItsHeaderWithoutDecodingIt) {
  const cv::Mat image(23, 37, CV_8UC3, cv::Scalar(10, 200, 30));
  struct Case {
    std::string name, bytes;
    bool png;
  };
  const std::vector<Case> cases = {
      {"baseline JPEG", encoded(".jpg", image), false},
      {"progressive JPEG (SOF2)", encoded(".jpg", image, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}), false},
      {"PNG", encoded(".png", image), true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<ImageSize> size = encoded_image_size(c.bytes, c.png);
    ASSERT_TRUE(size.ok()) << size.status();
    EXPECT_EQ(size->width, 37);
    EXPECT_EQ(size->height, 23);
  }
  std::string photo = file_contents(sample_file("images/messi5.jpg"));
  const cv::Mat decoded = cv::imdecode(cv::Mat(1, static_cast<int>(photo.size()), CV_8UC1, photo.data()), 1);
  Result<ImageSize> messi = encoded_image_size(photo, false);
  ASSERT_TRUE(messi.ok()) << messi.status();
  EXPECT_EQ(messi->width, decoded.cols);
  EXPECT_EQ(messi->height, decoded.rows);
  Result<ImageSize> huge = encoded_image_size(png_declaring(100000, 70000), true);
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(huge->width * huge->height, int64_t{7'000'000'000});

  // Headers cut short or damaged: an error, never a read past the bytes.
  const std::string jpeg = encoded(".jpg", image), png = encoded(".png", image);
  for (size_t n : {size_t{3}, size_t{4}, size_t{20}, size_t{100}}) {
    EXPECT_THAT(encoded_image_size(jpeg.substr(0, n), false).status().message(),
                HasSubstr(fmt::format("the {} bytes hold no JPEG frame header (SOFn)", n)));
  }
  EXPECT_THAT(encoded_image_size(png.substr(0, 20), true).status().message(),
              HasSubstr("the 20 bytes hold no PNG header (IHDR)"));
  std::string no_length = jpeg.substr(0, 4) + std::string("\x00\x01", 2) + jpeg.substr(6);
  EXPECT_FALSE(encoded_image_size(no_length, false).ok());
  std::string scan_first = std::string("\xff\xd8\xff\xda\x00\x08", 6) + std::string(64, '\x11');
  EXPECT_THAT(encoded_image_size(scan_first, false).status().message(), HasSubstr("no JPEG frame header"));
}

// The request tasks of a scheduler without models: a request for any model is refused on the
// thread that decodes it (the model is unknown), which lets a test hold that thread in the answer.
struct NoModels {
  explicit NoModels(Env* env = Env::Default()) : scheduler(plan(), {.queue_capacity = 8}), tasks(&scheduler, env) {}
  static DevicePlan plan() {
    DevicePlan p;
    p.accelerators.push_back(Accelerator{"cpu", "onnxruntime", DeviceKind::kCpu, 1});
    return p;
  }
  Scheduler scheduler;
  RequestTasks tasks;
};

MediaInput photo_input() {
  return MediaInput{"input:0", "image/jpeg", file_contents(sample_file("images/messi5.jpg"))};
}

// Holds one of `media`'s decoding threads: it takes a request for an unknown model, decodes it,
// and stays in the request's answer (NotFound, given on that thread) until release().
class HeldDecoder {
 public:
  explicit HeldDecoder(MediaRequests& media) : released_(release_.get_future().share()) {
    std::promise<Status> answered;
    std::future<Status> status = answered.get_future();
    media.infer("nobody", photo_input(), {},
                [answered = std::make_shared<std::promise<Status>>(std::move(answered)),
                 released = released_](Result<MediaAnswer> r) {
                  answered->set_value(r.status());
                  released.wait();
                });
    if (status.wait_for(10s) == std::future_status::ready) first_ = status.get();
  }
  ~HeldDecoder() { release(); }
  const Status& first() const { return first_; }  // the held request's answer
  void release() {
    if (!done_) release_.set_value();
    done_ = true;
  }

 private:
  std::promise<void> release_;
  std::shared_future<void> released_;
  Status first_ = Internal("the decoding thread did not take the request within 10 s");
  bool done_ = false;
};

TEST(MediaRequests, AFullQueueIsRefusedAtOnceAndClosingAnswersTheWaitingOnes) {
  NoModels m;
  MediaRequests media(&m.tasks, {.threads = 1, .queue = 1, .limits = {}});
  ASSERT_EQ(media.threads(), 1);
  std::promise<Status> second, third;
  // The one decoding thread takes the first request and stays in its answer until released.
  HeldDecoder held(media);
  ASSERT_EQ(held.first().code(), StatusCode::kNotFound) << held.first();
  // The second waits (the queue holds one); the third is refused on this thread, at once.
  media.infer("nobody", photo_input(), {}, [&](Result<MediaAnswer> r) { second.set_value(r.status()); });
  const std::thread::id here = std::this_thread::get_id();
  std::thread::id answered_on;
  media.infer("nobody", photo_input(), {}, [&](Result<MediaAnswer> r) {
    answered_on = std::this_thread::get_id();
    third.set_value(r.status());
  });
  std::future<Status> third_status = third.get_future();
  ASSERT_EQ(third_status.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(answered_on, here);
  const Status busy = third_status.get();
  EXPECT_EQ(busy.code(), StatusCode::kUnavailable);
  EXPECT_THAT(busy.message(), HasSubstr("Model/nobody: 1 raw media requests wait for the 1 decoding thread(s) already; "
                                        "try again later (sensix serve --media-threads, --media-queue)"));
  EXPECT_EQ(media.refused_busy(), 1u);
  // Closing answers the waiting one at once, then waits for the thread that holds the first.
  std::future<Status> second_status = second.get_future();
  std::thread closer([&] { media.close(); });
  ASSERT_EQ(second_status.wait_for(10s), std::future_status::ready);
  const Status stopping = second_status.get();
  EXPECT_EQ(stopping.code(), StatusCode::kUnavailable);
  EXPECT_THAT(stopping.message(), HasSubstr("Model/nobody: the server is stopping"));
  held.release();
  closer.join();
  std::promise<Status> after;
  media.infer("nobody", photo_input(), {}, [&](Result<MediaAnswer> r) { after.set_value(r.status()); });
  EXPECT_THAT(after.get_future().get().message(), HasSubstr("the server is stopping"));
}

TEST(MediaRequests, WithoutAQueueAnIdleThreadStillTakesARequestAndABusyOneRefusesTheNext) {
  NoModels m;
  MediaRequests media(&m.tasks, {.threads = 1, .queue = 0, .limits = {}});
  std::promise<Status> second;
  HeldDecoder held(media);
  ASSERT_EQ(held.first().code(), StatusCode::kNotFound) << held.first();  // decoded: its model looked up
  media.infer("nobody", photo_input(), {}, [&](Result<MediaAnswer> r) { second.set_value(r.status()); });
  std::future<Status> second_status = second.get_future();
  ASSERT_EQ(second_status.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(second_status.get().code(), StatusCode::kUnavailable);
}

TEST(MediaRequests, ARequestWhoseTimeoutPassesWhileItWaitsIsAnsweredWithoutBeingDecoded) {
  ManualEnv env;
  NoModels m(&env);
  MediaRequests media(&m.tasks, {.threads = 1, .queue = 4, .limits = {}});
  HeldDecoder held(media);
  ASSERT_EQ(held.first().code(), StatusCode::kNotFound) << held.first();
  RequestTasks::Options quick;
  quick.timeout = 5ms;
  std::promise<Status> late;
  media.infer("nobody", photo_input(), quick, [&](Result<MediaAnswer> r) { late.set_value(r.status()); });
  env.advance(6ms);  // past its timeout while it waits
  held.release();
  std::future<Status> late_status = late.get_future();
  ASSERT_EQ(late_status.wait_for(10s), std::future_status::ready);
  const Status s = late_status.get();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);  // not NotFound: the model was never looked up
  EXPECT_THAT(s.message(),
              HasSubstr("Model/nobody: no answer within 5000 us: the request waited that long for a decoding thread"));
}

TEST_F(MediaApiTest, MediaThatDeclaresMoreThanTheLimitsIsRefusedBeforeItIsDecoded) {
  // The defaults: 50 megapixels. A few hundred bytes of PNG may declare gigapixels.
  auto [status, out] = post("blazeface", media_body("input:0", "image/png", png_declaring(16000, 16000)));
  EXPECT_EQ(status, 400) << out;
  EXPECT_THAT(out.value("error", ""),
              HasSubstr("Model/blazeface: input \"input:0\" (image/png): the image is 16000x16000 (256.0 megapixels): "
                        "more than a request's image may decode to here (50.0 megapixels; sensix serve "
                        "--media-max-pixels)"));
  auto [no_size_status, no_size] = post("blazeface", media_body("input:0", "image/png", png_declaring(0, 10)));
  EXPECT_EQ(no_size_status, 400);
  EXPECT_THAT(no_size.value("error", ""), HasSubstr("the image declares a size of 0x10"));

  // A daemon with tighter limits refuses a real photo and a real recording by what their headers say.
  Daemon tight;
  ASSERT_TRUE(tight.start((dir_.path() / "tight").string(),
                          {"--media-max-pixels", "100000", "--media-max-seconds", "0.5", "--media-threads", "1"}))
      << tight.log();
  auto [applied, body] = tight.call("POST", "/v1/apply",
                                    quickstart_document("blazeface") + "---\n" + quickstart_document("oww-mel"));
  ASSERT_EQ(applied, 200) << body;
  ASSERT_TRUE(tight.wait_ready(60s));
  const cv::Mat photo = cv::imdecode(cv::Mat(1, static_cast<int>(jpeg_.size()), CV_8UC1, jpeg_.data()), 1);
  auto ask = [&](const std::string& model, const json& request) {
    auto r = tight.client().request("POST", "/v2/models/" + model + "/infer", request.dump(), "application/json");
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::pair{r->status, json::parse(r->body, nullptr, false)} : std::pair{0, json()};
  };
  auto [photo_status, refused] = ask("blazeface", media_body("input:0", "image/jpeg", jpeg_));
  EXPECT_EQ(photo_status, 400);
  EXPECT_THAT(refused.value("error", ""),
              HasSubstr(fmt::format("the image is {}x{} ({:.1f} megapixels): more than a request's image may decode "
                                    "to here (0.1 megapixels",
                                    photo.cols, photo.rows, photo.cols * photo.rows / 1e6)));
  std::vector<int16_t> second(16000);
  for (size_t i = 0; i < second.size(); ++i) second[i] = static_cast<int16_t>(8000 * std::sin(0.1 * i));
  auto [clip_status, clip] = ask("oww-mel", media_body("input", "audio/wav", wav_bytes(second, 16000)));
  EXPECT_EQ(clip_status, 400);
  EXPECT_THAT(clip.value("error", ""),
              HasSubstr("input \"input\" (audio/wav): the audio declares 16000 sample frames of 1 channels at 16000 Hz "
                        "(1.0 s): more than a clip may decode to here (at most 0.5 s and "));
  // Within the limits, both serve on.
  second.resize(4000);
  EXPECT_EQ(ask("oww-mel", media_body("input", "audio/wav", wav_bytes(second, 16000))).first, 200);
  EXPECT_EQ(
      ask("blazeface", media_body("input:0", "image/png", encoded(".png", photo(cv::Rect(0, 0, 200, 200))))).first,
      200);
  EXPECT_EQ(tight.stop(), 0);
}

}  // namespace
}  // namespace sensix::testing
