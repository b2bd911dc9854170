#include "docs/sensor_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "docs/enum_tables.h"

namespace sensix::docs {
namespace {

// The names of the signals for which `applies` holds: "sine and square", "sine, square and white-noise".
std::string signal_names(bool (*applies)(SyntheticSignal)) {
  std::vector<std::string> names;
  for (const auto& [name, signal] : signal_table()) {
    if (applies(signal)) names.push_back(name);
  }
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  }
  return out;
}

// spec.synthetic: signal (required), frequency (required for sine and square), amplitude, seed,
// duration. A field the signal does not use is an error. Returns whether the signal was read, and
// the valid frequency and duration fields for the checks that need the sample rate.
struct SyntheticFields {
  bool signal_ok = false;
  std::optional<Field> frequency;
  std::optional<Field> duration;
};
SyntheticFields read_synthetic(const Field& f, SyntheticSpec& out) {
  SyntheticFields r;
  auto m = f.as_map({"signal", "frequency", "amplitude", "seed", "duration"});
  if (!m) return r;
  r.signal_ok = m->read_enum("signal", out.signal, signal_table(), true);
  const std::string signal(synthetic_signal_name(out.signal));
  // Reports a field the signal does not use; true when the field may be read.
  auto applies = [&](std::string_view key, bool (*uses)(SyntheticSignal)) {
    Field v = m->get(key);
    if (!v.present() || !r.signal_ok || uses(out.signal)) return true;
    v.error(fmt::format("applies to signals {}, not {}", signal_names(uses), signal));
    return false;
  };
  if (applies("frequency", uses_frequency)) {
    Field freq = m->get("frequency");
    if (freq.present()) {
      if (auto v = freq.as_number(positive_number())) {
        out.frequency = *v;
        r.frequency = freq;
      }
    } else if (r.signal_ok && uses_frequency(out.signal)) {
      f.ctx().report(m->line(), freq.path(), fmt::format("required for signal {}", signal));
    }
  }
  if (applies("amplitude", uses_amplitude)) m->read_number("amplitude", out.amplitude, number_between(0, 1));
  if (applies("seed", uses_seed)) m->read_int("seed", out.seed, int_between(0, UINT32_MAX));
  if (m->read_number("duration", out.duration, nonnegative_number())) r.duration = m->get("duration");
  return r;
}

// spec.mqtt: host, port, topic (required), qos, fields (required), timestamp, timestampUnit.
void read_mqtt(const Field& f, MqttSpec& out) {
  auto m = f.as_map({"host", "port", "topic", "qos", "fields", "timestamp", "timestampUnit"});
  if (!m) return;
  if (m->read_string("host", out.host, false, "a host name or address") && out.host.empty()) {
    m->get("host").expected("a host name or address");
  }
  m->read_int("port", out.port, int_between(1, 65535));
  if (m->read_string("topic", out.topic, true, "an MQTT topic") && out.topic.empty()) {
    m->get("topic").expected("a non-empty MQTT topic");
  }
  m->read_int("qos", out.qos, int_between(0, 2));
  Field fields = m->require("fields");
  if (fields.present()) {
    if (auto v = fields.as_string_list(1)) {
      std::map<std::string, size_t> seen;
      bool ok = true;
      for (size_t i = 0; i < v->size(); ++i) {
        if ((*v)[i].empty()) {
          fields.error(fmt::format("field {} is an empty name", i));
          ok = false;
        } else if (auto [it, fresh] = seen.emplace((*v)[i], i); !fresh) {
          fields.error(fmt::format("\"{}\" is listed twice (fields {} and {})", (*v)[i], it->second, i));
          ok = false;
        }
      }
      if (ok) out.fields = *v;
    }
  }
  const bool has_ts = m->read_string("timestamp", out.timestamp, false, "a JSON field name");
  if (has_ts) {
    if (out.timestamp.empty()) {
      m->get("timestamp").expected("a JSON field name");
    } else if (std::find(out.fields.begin(), out.fields.end(), out.timestamp) != out.fields.end()) {
      m->get("timestamp")
          .error(fmt::format("\"{}\" is also listed in fields; the timestamp is not a channel", out.timestamp));
    }
  }
  if (m->has("timestampUnit")) {
    if (!m->has("timestamp")) {
      m->get("timestampUnit").error("timestampUnit needs timestamp (the JSON field that holds the time)");
    } else {
      m->read_enum("timestampUnit", out.timestamp_unit, timestamp_unit_table());
    }
  }
}

bool is_stream_url(const std::string& u) {
  for (const char* scheme : {"rtsp://", "rtsps://", "http://", "https://", "udp://", "rtp://", "tcp://"}) {
    if (u.rfind(scheme, 0) == 0 && u.size() > std::string_view(scheme).size()) return true;
  }
  return u.size() > 4 && u.compare(u.size() - 4, 4, ".sdp") == 0;
}

// spec.reconnect (live drivers).
void read_reconnect(const Field& f, ReconnectSpec& out) {
  auto m = f.as_map({"initialDelay", "maxDelay", "maxAttempts", "timeout"});
  if (!m) return;
  const NumRange seconds{0.0, 3600.0, true, "a number of seconds above 0 and at most 3600"};
  m->read_number("initialDelay", out.initial_delay, seconds);
  const bool max_given = m->read_number("maxDelay", out.max_delay, seconds);
  m->read_int("maxAttempts", out.max_attempts, int_between(0, 1000000));
  m->read_number("timeout", out.timeout, seconds);
  if (out.max_delay < out.initial_delay) {
    if (max_given) {
      m->get("maxDelay")
          .error(fmt::format("maxDelay ({} s) is shorter than initialDelay ({} s)", out.max_delay, out.initial_delay));
    } else {
      out.max_delay = out.initial_delay;
    }
  }
}

}  // namespace

void read_sensor_spec(const Field& spec_field, const PathRoots& roots, SensorSpec& out) {
  auto spec = spec_field.as_map({"driver", "path", "url", "device", "server", "synthetic", "mqtt", "series", "replay",
                                 "reconnect", "audio", "video", "buffer", "allowDegraded"});
  if (!spec) return;
  const bool driver_ok = spec->read_enum("driver", out.driver, driver_table(), true);
  const DriverKind d = out.driver;
  const std::string dname(sensor_driver_name(d));
  const bool synthetic = driver_ok && d == DriverKind::kSynthetic;
  const bool mqtt = driver_ok && d == DriverKind::kMqtt;
  const bool live = driver_ok && is_live(d);
  const bool file_driver = driver_ok && !synthetic && !live;

  // Where the data comes from: a file (file drivers), a URL, a device, or nothing.
  if (file_driver) {
    read_path(*spec, "path", out.path, driver_ok, roots);
  } else if (Field path = spec->get("path"); path.present() && driver_ok) {
    switch (d) {
      case DriverKind::kSynthetic:
        path.error("the synthetic driver generates its signal and reads no file; remove path");
        break;
      case DriverKind::kMqtt:
        path.error("the mqtt driver receives its readings from a broker and reads no file; remove path");
        break;
      case DriverKind::kNetworkCamera:
        path.error("the network-camera driver reads a stream; give its address as url, not path");
        break;
      case DriverKind::kV4l2Camera:
        path.error("the v4l2-camera driver reads a device; give it as device, not path");
        break;
      default:
        path.error(fmt::format("the {} driver captures live audio and reads no file; remove path", dname));
        break;
    }
  }
  Field url = driver_ok && d == DriverKind::kNetworkCamera ? spec->require("url") : spec->get("url");
  if (url.present() && driver_ok) {
    if (d != DriverKind::kNetworkCamera) {
      url.error(fmt::format("url is only allowed with driver network-camera (this driver is {})", dname));
    } else if (auto v = url.as_string("a stream URL"); v && !is_stream_url(out.url = *v)) {
      url.expected(
          "a stream URL starting with rtsp://, rtsps://, http://, https://, udp://, rtp:// or tcp://, or an "
          ".sdp file");
    }
  }
  Field device = driver_ok && d == DriverKind::kV4l2Camera ? spec->require("device") : spec->get("device");
  if (device.present() && driver_ok) {
    if (d != DriverKind::kV4l2Camera && d != DriverKind::kMicrophone) {
      device.error(
          fmt::format("device is only allowed with drivers v4l2-camera and microphone (this driver is {})", dname));
    } else if (auto v = device.as_string("a device name"); v && (out.device = *v).empty()) {
      device.expected(d == DriverKind::kV4l2Camera ? "a video device path such as /dev/video0"
                                                   : "a PulseAudio source name (omit it for the default source)");
    }
  }
  Field server = spec->get("server");
  if (server.present() && driver_ok) {
    if (d != DriverKind::kMicrophone) {
      server.error(fmt::format("server is only allowed with driver microphone (this driver is {})", dname));
    } else if (auto v = server.as_string("a PulseAudio server"); v && (out.server = *v).empty()) {
      server.expected("a PulseAudio server such as unix:/run/user/1000/pulse/native (omit it for the default)");
    }
  }

  // What the sensor gives, when known: from the driver, or from a synthetic sensor's signal.
  std::optional<Modality> modality;
  if (driver_ok && !synthetic) modality = modality_of(out);
  SyntheticFields syn_fields;
  Field syn = synthetic ? spec->require("synthetic") : spec->get("synthetic");
  if (syn.present()) {
    if (synthetic) {
      syn_fields = read_synthetic(syn, out.synthetic);
      if (syn_fields.signal_ok) modality = modality_of(out.synthetic.signal);
    } else if (driver_ok) {
      syn.error(fmt::format("synthetic settings are only allowed with driver synthetic (this driver is {})", dname));
    }
  }

  Field mq = mqtt ? spec->require("mqtt") : spec->get("mqtt");
  if (mq.present()) {
    if (mqtt) {
      read_mqtt(mq, out.mqtt);
    } else if (driver_ok) {
      mq.error(fmt::format("mqtt settings are only allowed with driver mqtt (this driver is {})", dname));
    }
  }
  Field series = spec->get("series");
  if (series.present()) {
    if (mqtt) {
      if (auto m = series.as_map({"rate"})) m->read_number("rate", out.series.rate, positive_number());
    } else if (driver_ok) {
      series.error(fmt::format("series settings are only allowed with driver mqtt (this driver is {})", dname));
    }
  }

  Field replay = spec->get("replay");
  if (replay.present() && live) {
    replay.error(fmt::format("the {} driver reads a live source; replay applies to file and synthetic drivers", dname));
  } else if (replay.present()) {
    if (auto m = replay.as_map({"speed", "loop"})) {
      Field speed = m->get("speed");
      if (speed.present()) {
        if (speed.is_scalar() && speed.scalar_type() == ScalarType::kString && speed.node().Scalar() == "max") {
          out.replay.speed = 0;
        } else if (speed.is_number()) {
          if (auto v = speed.as_number(nonnegative_number())) out.replay.speed = *v;
        } else {
          speed.expected("a number >= 0 or \"max\"");
        }
      }
      m->read_bool("loop", out.replay.loop);
    }
  }
  spec->read_bool("allowDegraded", out.allow_degraded);
  Field reconnect = spec->get("reconnect");
  if (reconnect.present() && driver_ok) {
    if (live) {
      read_reconnect(reconnect, out.reconnect);
    } else {
      reconnect.error(
          fmt::format("reconnect applies to live drivers (mqtt, network-camera, v4l2-camera, microphone); "
                      "this driver is {}",
                      dname));
    }
  }
  // A live source runs on its own clock: replaying it faster or slower means nothing.
  if (live) out.replay.speed = 1.0;

  // A synthetic sensor has no file to take its format from: it is required.
  const bool audio_required = synthetic && modality == Modality::kAudio;
  const bool video_required = synthetic && modality == Modality::kImage;
  const std::string signal(synthetic_signal_name(out.synthetic.signal));
  Field audio = audio_required ? spec->require("audio") : spec->get("audio");
  bool rate_ok = false;
  if (audio.present()) {
    if (mqtt) {
      audio.error(
          "audio settings are only allowed with drivers audio-file, microphone or an audio synthetic signal "
          "(this driver is mqtt)");
    } else if (modality == Modality::kImage) {
      if (synthetic) {
        audio.error(fmt::format("signal {} gives images; give video settings, not audio", signal));
      } else {
        audio.error(fmt::format("audio settings are only allowed with driver audio-file (this driver is {})", dname));
      }
    } else if (auto m = audio.as_map({"sampleRate", "channels", "frameMs"})) {
      rate_ok = m->read_int("sampleRate", out.audio.sample_rate, positive_int(), audio_required);
      m->read_int("channels", out.audio.channels, positive_int(), audio_required);
      m->read_int("frameMs", out.audio.frame_ms, int_between(1, 1000));
    }
  }
  if (driver_ok && d == DriverKind::kMicrophone) {
    // The capture format asked of PulseAudio (it converts from the device's own).
    if (out.audio.sample_rate == 0) out.audio.sample_rate = 16000;
    if (out.audio.channels == 0) out.audio.channels = 1;
    if (out.audio.channels > 32)
      audio.error(fmt::format("channels {} is more than PulseAudio's 32", out.audio.channels));
  }
  Field video = video_required ? spec->require("video") : spec->get("video");
  if (video.present()) {
    if (mqtt) {
      video.error(
          "video settings are only allowed with camera, video-file and image-folder drivers or an image "
          "synthetic signal (this driver is mqtt)");
    } else if (modality == Modality::kAudio) {
      if (synthetic) {
        video.error(fmt::format("signal {} gives audio; give audio settings, not video", signal));
      } else {
        video.error(
            fmt::format("video settings are only allowed with camera, video-file and image-folder drivers "
                        "(this driver is {})",
                        dname));
      }
    } else if (auto m = video.as_map({"fps", "width", "height"})) {
      m->read_number("fps", out.video.fps, positive_number(), video_required);
      m->read_int("width", out.video.width, positive_int(), video_required);
      m->read_int("height", out.video.height, positive_int(), video_required);
    }
  }
  if (driver_ok && d == DriverKind::kImageFolder && out.video.fps == 0) out.video.fps = 1;

  // Synthetic audio: the tone must be below the Nyquist frequency, the duration at least one sample.
  if (audio_required && rate_ok) {
    const double nyquist = out.audio.sample_rate / 2.0;
    if (syn_fields.frequency && out.synthetic.frequency >= nyquist) {
      syn_fields.frequency->expected(
          fmt::format("a frequency above 0 and below {} Hz (half the sample rate)", nyquist));
    }
    if (syn_fields.duration && out.synthetic.duration > 0 &&
        std::llround(out.synthetic.duration * out.audio.sample_rate) < 1) {
      syn_fields.duration->expected(fmt::format("0 (endless) or at least one sample (1/{} s)", out.audio.sample_rate));
    }
  }

  Field buffer = spec->get("buffer");
  if (buffer.present()) {
    if (auto m = buffer.as_map({"capacity", "overflow"})) {
      m->read_int("capacity", out.buffer.capacity, int_between(1, 4096));
      Overflow o{};
      if (m->read_enum("overflow", o, overflow_table())) {
        // File and synthetic drivers set their own pace and can wait; a live source cannot.
        if (live && o == Overflow::kBlock) {
          m->get("overflow")
              .error(fmt::format("block is only allowed for file and synthetic drivers; the {} driver "
                                 "reads a live source and drops the oldest frame when the buffer is full",
                                 dname));
        } else {
          out.buffer.overflow = o;
        }
      }
    }
  }
  if (live) out.buffer.overflow = Overflow::kDropOldest;
}

}  // namespace sensix::docs
