// Tests of model_input_reader.h: audio (with features), image, series, stream, constant and
// state inputs, their defaults, and every refusal with the exact message a user sees.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docs/reader_test_util.h"

namespace sensix::docs_test {
namespace {

using ::testing::HasSubstr;

TEST(ModelInputReaderTest, AudioFeaturesParseWithResolvedDefaults) {
  const std::string text = replace(
      kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
      "audio:\n"
      "        sampleRate: 16000\n"
      "        preEmphasis: 0.97\n"
      "        features: {type: mfcc, frameLength: 400, frameHop: 160, mels: 40, fMin: 20, melScale: htk,\n"
      "                   melNorm: none, log: db, logFloor: 1e-6, coefficients: 13, lifter: 22, normalize: running}\n"
      "        window: 98\n"
      "        hop: 49\n");
  auto r = parse_document_text(text, "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& a = std::get<AudioInputSpec>(r->models.at(0).spec.inputs.at(0).source);
  ASSERT_TRUE(a.pre_emphasis.has_value());
  EXPECT_FLOAT_EQ(*a.pre_emphasis, 0.97f);
  ASSERT_TRUE(a.features.has_value());
  const AudioFeaturesSpec& f = *a.features;
  EXPECT_EQ(f.kind, AudioFeatureKind::kMfcc);
  EXPECT_EQ(f.fft_size, 512);  // the next power of two above frameLength
  EXPECT_DOUBLE_EQ(f.f_min, 20.0);
  EXPECT_DOUBLE_EQ(f.f_max, 8000.0);  // half the sample rate
  EXPECT_EQ(f.mel_scale, MelScale::kHtk);
  EXPECT_FALSE(f.mel_norm);
  EXPECT_EQ(f.log, LogKind::kDecibel);
  EXPECT_FLOAT_EQ(f.log_floor, 1e-6f);
  EXPECT_EQ(f.coefficients, 13);
  EXPECT_FLOAT_EQ(f.lifter, 22.0f);
  EXPECT_EQ(f.norm, FeatureNorm::kRunning);
  EXPECT_EQ(a.row_width(), 13);
  EXPECT_EQ(a.window.window, 98);  // frames, not samples

  const std::string fixed = replace(kModel, "window: 512, hop: 512",
                                    "features: {type: log-mel, mels: 2, normalize: {mean: [1, 2], std: [3, 4]}}, "
                                    "window: 10, hop: 5");
  auto r2 = parse_document_text(fixed, "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(r2.ok()) << r2.status();
  const auto& f2 = *std::get<AudioInputSpec>(r2->models.at(0).spec.inputs.at(0).source).features;
  EXPECT_EQ(f2.norm, FeatureNorm::kFixed);
  EXPECT_EQ(f2.norm_mean, (std::vector<float>{1, 2}));
  EXPECT_EQ(f2.norm_std, (std::vector<float>{3, 4}));
}

TEST(ModelInputReaderTest, SeriesAndUpsamplingInputsParse) {
  auto r = parse_document_text(replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                                       "series: {rate: 50, window: 100, hop: 50, normalize: running, maxGap: 0.5}"),
                               "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& se = std::get<SeriesInputSpec>(r->models.at(0).spec.inputs.at(0).source);
  EXPECT_DOUBLE_EQ(se.rate, 50.0);
  EXPECT_EQ(se.window.window, 100);
  EXPECT_EQ(se.window.hop, 50);
  EXPECT_EQ(se.norm, FeatureNorm::kRunning);
  EXPECT_DOUBLE_EQ(se.max_gap, 0.5);

  auto a = parse_document_text(replace(kModel, "sampleRate: 16000,", "sampleRate: 16000, allowUpsampling: false,"),
                               "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(std::get<AudioInputSpec>(a->models.at(0).spec.inputs.at(0).source).allow_upsampling);

  auto sel = parse_document_text(replace(kModel, "sampleRate: 16000,", "sampleRate: 16000, selectChannels: [1],"),
                                 "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(sel.ok()) << sel.status();
  EXPECT_EQ(std::get<AudioInputSpec>(sel->models.at(0).spec.inputs.at(0).source).select_channels,
            (std::vector<int>{1}));
  auto two = parse_document_text(replace(kModel, "sampleRate: 16000,", "sampleRate: 16000, selectChannels: [0, 1],"),
                                 "t.yaml", "/docs", kRoots);
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().message(),
            "t.yaml: Model/vad: spec.inputs[0].audio.selectChannels: 2 channel(s) selected but channels is 1; "
            "select one sensor channel per model channel (line 11)");
}

TEST(ModelInputReaderTest, ImageRotationCropAndQuantizationParse) {
  auto r = parse_document_text(replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                                       "      dtype: int8\n"
                                       "      image:\n"
                                       "        width: 128\n"
                                       "        height: 96\n"
                                       "        rotate: 270\n"
                                       "        crop: {x: 0.25, y: 0.1, width: 0.5}\n"
                                       "        range: [-1, 1]\n"
                                       "        quantization: {scale: 0.0078125, zeroPoint: -3}"),
                               "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(r.ok()) << r.status();
  const InputSpec& in = r->models.at(0).spec.inputs.at(0);
  EXPECT_EQ(in.dtype, DType::kInt8);
  const auto& im = std::get<ImageInputSpec>(in.source);
  EXPECT_EQ(im.width, 128);
  EXPECT_EQ(im.height, 96);
  EXPECT_EQ(im.rotate, 270);
  ASSERT_TRUE(im.crop.has_value());
  EXPECT_FLOAT_EQ(im.crop->x, 0.25f);
  EXPECT_FLOAT_EQ(im.crop->y, 0.1f);
  EXPECT_FLOAT_EQ(im.crop->width, 0.5f);
  EXPECT_FLOAT_EQ(im.crop->height, 0.9f);  // the rest of the frame below y
  EXPECT_FLOAT_EQ(im.range_lo, -1.0f);
  EXPECT_FLOAT_EQ(im.range_hi, 1.0f);
  ASSERT_TRUE(im.quantization.has_value());
  EXPECT_FLOAT_EQ(im.quantization->scale, 0.0078125f);
  EXPECT_EQ(im.quantization->zero_point, -3);

  // uint8 with quantization may normalise (mean/std); zeroPoint defaults to 0. Without
  // rotate/crop/quantization nothing is set.
  auto u = parse_document_text(replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                                       "      dtype: uint8\n"
                                       "      image: {width: 8, height: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, "
                                       "0.25], "
                                       "quantization: {scale: 0.03}}"),
                               "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(u.ok()) << u.status();
  const auto& um = std::get<ImageInputSpec>(u->models.at(0).spec.inputs.at(0).source);
  ASSERT_TRUE(um.quantization.has_value());
  EXPECT_FLOAT_EQ(um.quantization->scale, 0.03f);
  EXPECT_EQ(um.quantization->zero_point, 0);
  EXPECT_EQ(um.rotate, 0);
  EXPECT_FALSE(um.crop.has_value());

  auto plain = parse_document_text(replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                                           "      dtype: uint8\n      image: {width: 8, height: 8, rotate: 180}"),
                                   "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(plain.ok()) << plain.status();
  const auto& pm = std::get<ImageInputSpec>(plain->models.at(0).spec.inputs.at(0).source);
  EXPECT_EQ(pm.rotate, 180);
  EXPECT_FALSE(pm.quantization.has_value());  // uint8 pixels unchanged
  EXPECT_FALSE(pm.crop.has_value());
}

class ModelInputReaderInvalidTest : public InvalidDocumentTest {};

TEST_P(ModelInputReaderInvalidTest, ReportsTheFieldAndWhatWasExpected) { expect_rejected(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Table, ModelInputReaderInvalidTest,
    ::testing::Values(
        Case{"WrongType", replace(kModel, "sampleRate: 16000", "sampleRate: fast"),
             M + "spec.inputs[0].audio.sampleRate: expected a positive integer, got \"fast\" (line 11)"},
        Case{"QuotedNumberIsAString", replace(kModel, "sampleRate: 16000", "sampleRate: \"16000\""),
             M + "spec.inputs[0].audio.sampleRate: expected a positive integer, got \"16000\" (line 11)"},
        Case{"FloatForInteger", replace(kModel, "sampleRate: 16000", "sampleRate: 16000.5"),
             M + "spec.inputs[0].audio.sampleRate: expected a positive integer, got 16000.5 (line 11)"},
        Case{"Zero", replace(kModel, "sampleRate: 16000", "sampleRate: 0"),
             M + "spec.inputs[0].audio.sampleRate: expected a positive integer, got 0 (line 11)"},
        Case{"Negative", replace(kModel, "window: 512", "window: -5"),
             M + "spec.inputs[0].audio.window: expected a positive integer, got -5 (line 11)"},
        Case{"HopLargerThanWindow", replace(kModel, "hop: 512", "hop: 600"),
             M + "spec.inputs[0].audio.hop: expected an integer from 1 to window (512), got 600 (line 11)"},
        Case{"FeaturesNeedMono",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "audio: {sampleRate: 16000, channels: 2, features: {type: log-mel}, window: 96, hop: 48}"),
             M + "spec.inputs[0].audio.channels: preEmphasis and features need mono audio (channels: 1), got 2 (line "
                 "11)"},
        Case{"FeaturesUnknownType",
             replace(kModel, "window: 512, hop: 512", "features: {type: mfc}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.type: expected one of spectrogram, mel, log-mel, mfcc, got \"mfc\"; "
                 "did you mean \"mfcc\"? (line 11)"},
        Case{"FeaturesFMaxAboveNyquist",
             replace(kModel, "window: 512, hop: 512", "features: {type: mel, fMax: 9000}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.fMax: expected a frequency above 0 and at most 8000 Hz (half the "
                 "sample "
                 "rate), got 9000 (line 11)"},
        Case{"FeaturesFMinAboveFMax",
             replace(kModel, "window: 512, hop: 512",
                     "features: {type: mel, fMin: 5000, fMax: 4000}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.fMin: fMin (5000 Hz) must be below fMax (4000 Hz) (line 11)"},
        Case{"FeaturesMoreCoefficientsThanMels",
             replace(kModel, "window: 512, hop: 512",
                     "features: {type: mfcc, mels: 10, coefficients: 20}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.coefficients: expected an integer from 1 to mels (10), got 20 (line "
                 "11)"},
        Case{"FeaturesFieldOfAnotherType",
             replace(kModel, "window: 512, hop: 512", "features: {type: spectrogram, mels: 40}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.mels: applies to mel, log-mel and mfcc features, not spectrogram (line "
                 "11)"},
        Case{"FeaturesFftShorterThanFrame",
             replace(kModel, "window: 512, hop: 512",
                     "features: {type: log-mel, frameLength: 400, fftSize: 256}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.fftSize: fftSize 256 is shorter than frameLength 400 (line 11)"},
        Case{"FeaturesFrameHopAboveFrameLength",
             replace(kModel, "window: 512, hop: 512",
                     "features: {type: log-mel, frameLength: 400, frameHop: 401}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.frameHop: expected an integer from 1 to frameLength (400), got 401 "
                 "(line 11)"},
        Case{"FeaturesPowerThree",
             replace(kModel, "window: 512, hop: 512", "features: {type: log-mel, power: 3}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.power: expected 1 (magnitude) or 2 (power), got 3 (line 11)"},
        Case{"FeaturesNormalizeCount",
             replace(kModel, "window: 512, hop: 512",
                     "features: {type: log-mel, mels: 2, normalize: {mean: [0], std: [1, 1]}}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.normalize.mean: expected 2 values (one per feature of log-mel "
                 "features), got 1 (line 11)"},
        Case{"FeaturesNormalizeWord",
             replace(kModel, "window: 512, hop: 512",
                     "features: {type: log-mel, normalize: global}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.normalize: expected one of none, running, got \"global\" (line 11)"},
        Case{"PreEmphasisOne", replace(kModel, "window: 512, hop: 512", "preEmphasis: 1, window: 512, hop: 512"),
             M + "spec.inputs[0].audio.preEmphasis: expected a number from 0 up to (not including) 1, got 1 (line 11)"},
        Case{"FeaturesShapeCountsFrames",
             replace(replace(kModel, "window: 512, hop: 512",
                             "features: {type: log-mel, mels: 64}, window: 96, hop: 48"),
                     "    - name: input\n", "    - name: input\n      shape: [1, 96, 40]\n"),
             M + "spec.inputs[0].shape: shape [1, 96, 40] has 3840 elements, but audio.window x the log-mel features "
                 "per "
                 "frame is 96 x 64 = 6144"},
        Case{"UnknownFieldWithSuggestion", replace(kModel, "sampleRate: 16000", "sampleRat: 16000"),
             M + "spec.inputs[0].audio.sampleRat: unknown field (expected one of: sampleRate, channels, "
                 "selectChannels, "
                 "allowUpsampling, preEmphasis, features, window, hop, prefill, scale); did you mean \"sampleRate\"? "
                 "(line 11)"},
        Case{"BadPrefill", replace(kModel, "hop: 512", "hop: 512, prefill: zero"),
             M + "spec.inputs[0].audio.prefill: expected none, zeros or a number, got \"zero\"; did you mean "
                 "\"zeros\"? (line 11)"},
        Case{"TwoSources", replace(kModel, "      audio:", "      stream: {window: 1, hop: 1}\n      audio:"),
             M + "spec.inputs[0]: only one of audio, image, series, stream, constant, state may be given (got audio "
                 "and stream) "
                 "(line 11)"},
        Case{"NoSource", replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}\n", ""),
             M + "spec.inputs[0]: one of audio, image, series, stream, constant, state is required (line 10)"},
        Case{"ShapeDisagrees", replace(kModel, "    - name: input\n", "    - name: input\n      shape: [1, 500]\n"),
             M + "spec.inputs[0].shape: shape [1, 500] has 500 elements, but audio.window x audio.channels is 512 x 1 "
                 "= 512 (line 11)"},
        Case{"ImageMeanPerChannel",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, mean: [0.5], std: [0.5, 0.5, 0.5]}"),
             M + "spec.inputs[0].image.mean: expected 3 values (one per channel of color rgb), got 1 (line 11)"},
        Case{"Uint8ImageWithRange",
             replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "      dtype: uint8\n      image: {width: 8, height: 8, range: [-1, 1]}"),
             M + "spec.inputs[0].image.range: a uint8 image input takes pixels unchanged: range, mean and std are not "
                 "allowed (line 12)"},
        Case{"ImageRotateNotAQuarterTurn",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, rotate: 45}"),
             M + "spec.inputs[0].image.rotate: expected one of 0, 90, 180, 270 (degrees clockwise), got 45 (line 11)"},
        Case{"ImageRotateNegative",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, rotate: -90}"),
             M + "spec.inputs[0].image.rotate: expected one of 0, 90, 180, 270 (degrees clockwise), got -90 (line 11)"},
        Case{"ImageCropPastTheFrame",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, crop: {x: 0.5, width: 0.75}}"),
             M + "spec.inputs[0].image.crop.width: x + width is 0.5 + 0.75 = 1.25; the region must end inside the "
                 "frame (at most 1) (line 11)"},
        Case{"ImageCropZeroHeight",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, crop: {y: 0.5, height: 0}}"),
             M + "spec.inputs[0].image.crop.height: expected a fraction of the frame above 0 and at most 1, got 0 "
                 "(line 11)"},
        Case{"ImageCropInPixels",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, crop: {x: 10, y: 0, width: 100, height: 100}}"),
             M + "spec.inputs[0].image.crop.x: expected a fraction of the frame from 0 up to (not including) 1, got 10 "
                 "(line 11)"},
        Case{"ImageCropStartsAtTheEdge",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, crop: {x: 1}}"),
             M + "spec.inputs[0].image.crop.x: expected a fraction of the frame from 0 up to (not including) 1, got 1 "
                 "(line 11)"},
        Case{"ImageCropUnknownField",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, crop: {left: 0.1}}"),
             M + "spec.inputs[0].image.crop.left: unknown field (expected one of: x, y, width, height)"},
        Case{"QuantizationOnAFloatImage",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, quantization: {scale: 0.5}}"),
             M + "spec.inputs[0].image.quantization: quantization is only allowed with dtype int8 or uint8, the "
                 "input's dtype is float32 (line 11)"},
        Case{"Int8ImageWithoutQuantization",
             replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "      dtype: int8\n      image: {width: 8, height: 8, range: [-1, 1]}"),
             M + "spec.inputs[0].image.quantization: required field is missing: an int8 image input needs "
                 "quantization: {scale, zeroPoint} (line 12)"},
        Case{"Int8ZeroPointOutOfRange",
             replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "      dtype: int8\n      image: {width: 8, height: 8, quantization: {scale: 0.0078125, "
                     "zeroPoint: 200}}"),
             M + "spec.inputs[0].image.quantization.zeroPoint: expected an integer from -128 to 127 (int8), got 200 "
                 "(line 12)"},
        Case{"Uint8ZeroPointOutOfRange",
             replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "      dtype: uint8\n      image: {width: 8, height: 8, quantization: {scale: 0.5, "
                     "zeroPoint: -1}}"),
             M + "spec.inputs[0].image.quantization.zeroPoint: expected an integer from 0 to 255 (uint8), got -1 "
                 "(line 12)"},
        Case{"QuantizationWithoutScale",
             replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "      dtype: uint8\n      image: {width: 8, height: 8, quantization: {zeroPoint: 3}}"),
             M + "spec.inputs[0].image.quantization.scale: required field is missing (line 12)"},
        Case{"QuantizationZeroScale",
             replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "      dtype: int8\n      image: {width: 8, height: 8, quantization: {scale: 0}}"),
             M + "spec.inputs[0].image.quantization.scale: expected a positive number, got 0 (line 12)"}));

}  // namespace
}  // namespace sensix::docs_test
