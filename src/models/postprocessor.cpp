#include "models/postprocessor.h"

#include <type_traits>
#include <variant>

#include "models/decoders/classify.h"
#include "models/decoders/ctc.h"
#include "models/decoders/detect.h"
#include "models/decoders/landmarks.h"
#include "models/decoders/lines.h"
#include "models/decoders/text_regions.h"

namespace sensix {
namespace {

// A table of decoders by kind: each decoder class names its spec struct (`using Spec`) and has
// `static Result<std::unique_ptr<Decoder>> create(const ModelInstance&, const Spec&)`.
template <typename... Decoders>
struct DecoderTable {
  static Result<std::unique_ptr<Decoder>> create(const ModelInstance& model) {
    return std::visit(
        [&model](const auto& spec) -> Result<std::unique_ptr<Decoder>> {
          using Spec = std::decay_t<decltype(spec)>;
          if constexpr (std::is_same_v<Spec, std::monostate>) {
            return std::unique_ptr<Decoder>();
          } else {
            static_assert((std::is_same_v<Spec, typename Decoders::Spec> + ...) == 1,
                          "every PostprocessSpec alternative needs exactly one decoder in the table");
            return create_for<Spec, Decoders...>(model, spec);
          }
        },
        model.spec().postprocess);
  }

  template <typename Spec, typename D, typename... Rest>
  static Result<std::unique_ptr<Decoder>> create_for(const ModelInstance& model, const Spec& spec) {
    if constexpr (std::is_same_v<Spec, typename D::Spec>) {
      return D::create(model, spec);
    } else {
      return create_for<Spec, Rest...>(model, spec);
    }
  }
};

// The decoders, one line per `postprocess` kind (docs/spec.h PostprocessSpec).
using Decoders = DecoderTable<decoders::Classify,     // classify
                              decoders::Detect,       // detect
                              decoders::Landmarks,    // landmarks
                              decoders::TextRegions,  // textRegions
                              decoders::Ctc,          // ctc
                              decoders::Lines>;       // lines

}  // namespace

Result<std::unique_ptr<Postprocessor>> Postprocessor::create(const ModelInstance& model) {
  SENSIX_ASSIGN_OR_RETURN(std::unique_ptr<Decoder> decoder, Decoders::create(model));
  if (!decoder) return std::unique_ptr<Postprocessor>();
  return std::unique_ptr<Postprocessor>(new Postprocessor(std::move(decoder)));
}

}  // namespace sensix
