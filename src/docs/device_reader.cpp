#include "docs/device_reader.h"

#include <map>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "docs/enum_tables.h"
#include "docs/paths.h"

namespace sensix::docs {

void read_device_spec(const Field& spec_field, DeviceSpec& out) {
  auto spec = spec_field.as_map({"cores", "policy", "accelerators"});
  if (!spec) return;
  spec->read_int("cores", out.cores, int_between(1, 1024));
  spec->read_enum("policy", out.policy, policy_table());
  Field accelerators = spec->get("accelerators");
  if (!accelerators.present()) return;
  auto items = accelerators.as_list(1);
  if (!items) return;
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < items->size(); ++i) {
    auto m = (*items)[i].as_map({"name", "engine", "device", "threads"});
    if (!m) continue;
    AcceleratorSpec a;
    if (m->read_string("name", a.name, true, "an accelerator name")) {
      if (!is_dns_label(a.name)) {
        m->get("name").expected(
            "an accelerator name of lowercase letters, digits and '-' (at most 63, starting and "
            "ending with a letter or digit)");
      } else if (auto [it, fresh] = seen.emplace(a.name, i); !fresh) {
        m->get("name").error(
            fmt::format("accelerator \"{}\" is already defined in spec.accelerators[{}]", a.name, it->second));
      }
    }
    if (m->read_string("engine", a.engine, true, "an engine: onnxruntime or tflite") && a.engine != "onnxruntime" &&
        a.engine != "tflite") {
      m->get("engine").expected("an engine: onnxruntime or tflite");
    }
    m->read_enum("device", a.device, device_kind_table());
    m->read_int("threads", a.threads, int_between(1, 1024));
    out.accelerators.push_back(std::move(a));
  }
}

}  // namespace sensix::docs
