// Text and JSON renderings of predictions and statistics for the CLI (and, later, the API).
// JSON is produced here, at the edge; nothing below cli/ and api/ sees JSON.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "runtime/event.h"
#include "runtime/stats.h"
#include "spec/prediction.h"

namespace sensix {

// "00:01.84"
std::string format_media_time(int64_t ns);
// A frame source as the console line shows it: a path's file name ("photos/bus.jpg" -> "bus.jpg"),
// a URL ("rtsp://cam/s", "mqtt://broker:1883/imu") or a device under /dev/ in full, anything else
// (a PulseAudio source name) as it is.
std::string short_source(std::string_view source);
// One human-readable line: "  00:01.84  speech    hey-jarvis      hey_jarvis 0.996  from talk.wav";
// the source (short_source) ends the line of every kind, after a crop's "[in crop of ...]".
std::string prediction_to_text(const Prediction& p);
nlohmann::json prediction_to_json(const Prediction& p);
// The inverse, for a client that prints what the API sends (prediction_to_text of the result is
// the line `sensix run` prints; floats as JSON carries them). InvalidArgument for another object.
Result<Prediction> prediction_from_json(const nlohmann::json& j);
// "  00:01.84  EVENT      wake-with-speech hey-jarvis:hey_jarvis 0.996 @00:01.84, silero-vad:speech 0.912 @00:01.60"
std::string event_to_text(const Event& e);
// {"type": "event", "event": name, "pipeline", "rule", "time", "wallTime", "predictions": [...]}
nlohmann::json event_to_json(const Event& e);

// The end-of-run summary: sensors, per-model table, plan sharing.
std::string stats_to_text(const RuntimeStats& s);
nlohmann::json stats_to_json(const RuntimeStats& s);

}  // namespace sensix
