#include "sensors/live/mqtt_driver.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>

#include <mosquitto.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace sensix {

namespace {

constexpr size_t kMaxPending = 4096;  // parsed messages waiting for read(); older ones are dropped

std::string_view json_kind(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: return "a number";
    default: return "something else";
  }
}

std::string mosq_error(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
  return mosquitto_strerror(rc);
}

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

}  // namespace

Result<MqttSamples> parse_mqtt_payload(std::string_view payload, const MqttSpec& spec) {
  nlohmann::json doc = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("the payload is not JSON");
  std::vector<const nlohmann::json*> items;
  if (doc.is_object()) {
    items.push_back(&doc);
  } else if (doc.is_array()) {
    if (doc.empty()) return InvalidArgument("the payload is an empty array");
    for (const auto& e : doc) items.push_back(&e);
  } else {
    return InvalidArgument(fmt::format("the payload is {}, not a JSON object or an array of objects", json_kind(doc)));
  }
  MqttSamples out;
  out.values.reserve(items.size() * spec.fields.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const nlohmann::json& o = *items[i];
    const std::string where = items.size() > 1 || doc.is_array() ? fmt::format("sample {}: ", i) : "";
    if (!o.is_object()) return InvalidArgument(fmt::format("{}expected a JSON object, got {}", where, json_kind(o)));
    for (const auto& f : spec.fields) {
      auto it = o.find(f);
      if (it == o.end()) return InvalidArgument(fmt::format("{}field \"{}\" is missing", where, f));
      if (!it->is_number()) {
        return InvalidArgument(fmt::format("{}field \"{}\" is {}, not a number", where, f, json_kind(*it)));
      }
      const double v = it->get<double>();
      if (!std::isfinite(v) || std::fabs(v) > 3.4e38) {
        return InvalidArgument(fmt::format("{}field \"{}\" is out of the float range", where, f));
      }
      out.values.push_back(static_cast<float>(v));
    }
    if (!spec.timestamp.empty()) {
      auto it = o.find(spec.timestamp);
      if (it == o.end())
        return InvalidArgument(fmt::format("{}timestamp field \"{}\" is missing", where, spec.timestamp));
      if (!it->is_number()) {
        return InvalidArgument(
            fmt::format("{}timestamp field \"{}\" is {}, not a number", where, spec.timestamp, json_kind(*it)));
      }
      double t = it->get<double>();
      if (spec.timestamp_unit == TimestampUnit::kMilliseconds) t /= 1000.0;
      if (!std::isfinite(t)) return InvalidArgument(fmt::format("{}timestamp is not finite", where));
      out.times.push_back(t);
    }
  }
  out.count = items.size();
  return out;
}

MqttDriver::MqttDriver(std::string name, SensorSpec spec, Env* env)
    : LiveDriver(std::move(name), std::move(spec), env) {}

MqttDriver::~MqttDriver() {
  stop();
  disconnect();
}

std::string MqttDriver::source_label() const {
  return fmt::format("mqtt://{}:{}/{}", spec().mqtt.host, spec().mqtt.port, spec().mqtt.topic);
}

Status MqttDriver::describe(SensorInfo* info) {
  const MqttSpec& m = spec().mqtt;
  if (m.fields.empty()) return InvalidArgument("spec.mqtt.fields: at least one field is needed");
  if (m.topic.empty() || mosquitto_sub_topic_check(m.topic.c_str()) != MOSQ_ERR_SUCCESS) {
    return InvalidArgument(fmt::format("spec.mqtt.topic: \"{}\" is not a valid MQTT subscription", m.topic));
  }
  if (m.port < 1 || m.port > 65535) return InvalidArgument(fmt::format("spec.mqtt.port: {} is not a port", m.port));
  if (m.qos < 0 || m.qos > 2) return InvalidArgument(fmt::format("spec.mqtt.qos: {} is not 0, 1 or 2", m.qos));
  init_library();
  info->modality = Modality::kSeries;
  info->channels = static_cast<int>(m.fields.size());
  info->rate = spec().series.rate;
  info->description = fmt::format(
      "MQTT {}:{} topic {}, {} field(s) ({}){}{}", m.host, m.port, m.topic, m.fields.size(), fmt::join(m.fields, ", "),
      m.timestamp.empty() ? ", stamped on arrival"
                          : fmt::format(", time from \"{}\" ({})", m.timestamp, timestamp_unit_name(m.timestamp_unit)),
      info->rate > 0 ? fmt::format(", about {:g} Hz", info->rate) : "");
  return Status::Ok();
}

void MqttDriver::on_connect(struct mosquitto*, void* self, int rc) { static_cast<MqttDriver*>(self)->connack_ = rc; }

void MqttDriver::on_subscribe(struct mosquitto*, void* self, int mid, int qos_count, const int* granted) {
  auto* d = static_cast<MqttDriver*>(self);
  if (mid == d->subscribe_mid_ && qos_count > 0) d->granted_qos_ = granted[0];
}

void MqttDriver::on_message(struct mosquitto*, void* self, const struct mosquitto_message* msg) {
  std::string_view payload(static_cast<const char*>(msg->payload),
                           msg->payloadlen > 0 ? static_cast<size_t>(msg->payloadlen) : 0);
  static_cast<MqttDriver*>(self)->handle_message(msg->topic ? msg->topic : "", payload);
}

Status MqttDriver::pump(int ms) {
  int rc = mosquitto_loop(mosq_, ms, 1);
  if (rc == MOSQ_ERR_SUCCESS) return Status::Ok();
  return Unavailable(fmt::format("connection to the broker lost ({})", mosq_error(rc)));
}

Status MqttDriver::connect() {
  const MqttSpec& m = spec().mqtt;
  connack_.reset();
  granted_qos_.reset();
  pending_.clear();
  mosq_ = mosquitto_new(nullptr, /*clean_session=*/true, this);
  if (!mosq_) return Unavailable(fmt::format("cannot create an MQTT client: {}", std::strerror(errno)));
  mosquitto_connect_callback_set(mosq_, &MqttDriver::on_connect);
  mosquitto_subscribe_callback_set(mosq_, &MqttDriver::on_subscribe);
  mosquitto_message_callback_set(mosq_, &MqttDriver::on_message);
  const int keepalive = std::max(5, static_cast<int>(std::ceil(spec().reconnect.timeout)));
  int rc = mosquitto_connect(mosq_, m.host.c_str(), m.port, keepalive);
  if (rc != MOSQ_ERR_SUCCESS) return Unavailable(fmt::format("broker {}:{}: {}", m.host, m.port, mosq_error(rc)));

  const auto deadline = env()->now() + std::chrono::duration_cast<SteadyClock::duration>(
                                           std::chrono::duration<double>(spec().reconnect.timeout));
  while (!connack_) {
    if (stop_requested()) return Cancelled("stopped while connecting");
    SENSIX_RETURN_IF_ERROR(pump(100));
    if (env()->now() > deadline) {
      return Unavailable(fmt::format("broker {}:{} did not answer the connection within {} s", m.host, m.port,
                                     spec().reconnect.timeout));
    }
  }
  if (*connack_ != 0) {
    return Unavailable(
        fmt::format("broker {}:{} refused the connection: {}", m.host, m.port, mosquitto_connack_string(*connack_)));
  }
  rc = mosquitto_subscribe(mosq_, &subscribe_mid_, m.topic.c_str(), m.qos);
  if (rc != MOSQ_ERR_SUCCESS) return Unavailable(fmt::format("cannot subscribe to {}: {}", m.topic, mosq_error(rc)));
  while (!granted_qos_) {
    if (stop_requested()) return Cancelled("stopped while subscribing");
    SENSIX_RETURN_IF_ERROR(pump(100));
    if (env()->now() > deadline) {
      return Unavailable(
          fmt::format("broker did not confirm the subscription to {} within {} s", m.topic, spec().reconnect.timeout));
    }
  }
  if (*granted_qos_ > 2) return Unavailable(fmt::format("broker refused the subscription to {}", m.topic));
  return Status::Ok();
}

void MqttDriver::disconnect() {
  if (mosq_) {
    mosquitto_disconnect(mosq_);
    mosquitto_destroy(mosq_);
    mosq_ = nullptr;
  }
  pending_.clear();
}

void MqttDriver::handle_message(std::string_view topic, std::string_view payload) {
  const MqttSpec& m = spec().mqtt;
  auto parsed = parse_mqtt_payload(payload, m);
  if (!parsed.ok()) {
    count_error(fmt::format("message on {} dropped: {}", topic, parsed.status().message()));
    return;
  }
  const size_t n = parsed->count;
  const int64_t arrival = now_media_ns();
  std::vector<int64_t> t(n);
  if (!m.timestamp.empty()) {
    if (!have_origin_) {
      have_origin_ = true;
      ts_origin_s_ = parsed->times[0];
      media_origin_ns_ = arrival;
    }
    for (size_t i = 0; i < n; ++i) {
      t[i] = media_origin_ns_ + static_cast<int64_t>(std::llround((parsed->times[i] - ts_origin_s_) * 1e9));
    }
  } else if (n == 1) {
    t[0] = arrival;
  } else if (spec().series.rate > 0) {
    const double step = 1e9 / spec().series.rate;
    for (size_t i = 0; i < n; ++i)
      t[i] = arrival - static_cast<int64_t>(std::llround(step * static_cast<double>(n - 1 - i)));
  } else {
    count_error(
        fmt::format("message on {} dropped: an array of {} samples needs spec.mqtt.timestamp or spec.series.rate "
                    "to place them in time",
                    topic, n));
    return;
  }
  SeriesChunk chunk;
  chunk.channels = static_cast<int>(m.fields.size());
  chunk.t_ns.reserve(n);
  chunk.values.reserve(parsed->values.size());
  size_t rejected = 0;
  for (size_t i = 0; i < n; ++i) {
    int64_t ti = t[i];
    if (ti <= last_t_ns_) {
      if (!m.timestamp.empty()) {
        ++rejected;  // a timestamp that does not move forward: out of order or repeated
        continue;
      }
      ti = last_t_ns_ + 1;  // arrival stamps: keep them strictly increasing
    }
    last_t_ns_ = ti;
    chunk.t_ns.push_back(ti);
    const auto* v = parsed->values.data() + i * m.fields.size();
    chunk.values.insert(chunk.values.end(), v, v + m.fields.size());
  }
  if (rejected > 0) {
    count_error(
        fmt::format("message on {}: sample(s) dropped whose \"{}\" is not after the previous sample's (out of "
                    "order or repeated)",
                    topic, m.timestamp));
  }
  if (chunk.t_ns.empty()) return;
  if (pending_.size() >= kMaxPending) {
    pending_.pop_front();
    count_error("more messages arrived than the sensor could take; the oldest was dropped");
  }
  if (!last_source_ || topic != last_topic_) {
    last_topic_ = std::string(topic);
    last_source_ = make_frame_source(fmt::format("mqtt://{}:{}/{}", m.host, m.port, topic));
  }
  pending_.push_back(Pending{std::move(chunk), last_source_});
}

Result<LiveDriver::Read> MqttDriver::read(Unit* out) {
  if (pending_.empty()) {
    SENSIX_RETURN_IF_ERROR(pump(100));
    if (pending_.empty()) return Read::kNothing;
  }
  SeriesChunk c = std::move(pending_.front().chunk);
  out->source = std::move(pending_.front().source);
  pending_.pop_front();
  out->media_ns = c.t_ns.front();
  out->duration_ns = c.t_ns.back() - c.t_ns.front();
  out->data = std::move(c);
  return Read::kUnit;
}

}  // namespace sensix
