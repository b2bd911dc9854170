// `sensix inspect --document` on every model of examples/zoo/ and the quickstart: the draft it
// prints names the same inputs and outputs as the hand-written document, and guesses each input
// as the hand-written document declares it (an image of the same size and layout, a stream of the
// same window, the same state output, an audio window, a constant).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli_support.h"
#include "docs/parser.h"

namespace sensix::testing {
namespace {

namespace fs = std::filesystem;

// One input of a draft, read back from its text.
struct DraftInput {
  std::string name;
  std::string kind;  // image, audio, stream, state, constant, series
  std::string body;  // the flow map after "kind: "
};

struct Draft {
  std::vector<DraftInput> inputs;
  std::vector<std::string> outputs;
};

// A YAML scalar as written in a draft: plain, or double-quoted with \" and \\ escapes.
std::string unquote(const std::string& s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return s;
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\' && i + 2 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

Draft read_draft(const std::string& text) {
  Draft d;
  std::stringstream in(text);
  std::string section;
  const std::regex item(R"(^    - name: (.+?)(  # .*)?$)");
  const std::regex kind(R"(^      (image|audio|stream|state|constant|series): (.*)$)");
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (line == "  inputs:" || line == "  outputs:") {
      section = line;
    } else if (std::regex_match(line, m, item)) {
      if (section == "  inputs:") d.inputs.push_back({unquote(m[1]), "", ""});
      if (section == "  outputs:") d.outputs.push_back(unquote(m[1]));
    } else if (std::regex_match(line, m, kind) && section == "  inputs:" && !d.inputs.empty()) {
      d.inputs.back().kind = m[1];
      d.inputs.back().body = m[2];
    }
  }
  return d;
}

// `key: <int>` in a flow map, or -1.
int64_t int_in(const std::string& body, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(body, m, std::regex("\\b" + key + ": ([0-9]+)"))) return -1;
  return std::stoll(m[1]);
}

std::string kind_of(const InputSpec& in) {
  if (std::holds_alternative<ImageInputSpec>(in.source)) return "image";
  if (std::holds_alternative<AudioInputSpec>(in.source)) return "audio";
  if (std::holds_alternative<StreamInputSpec>(in.source)) return "stream";
  if (std::holds_alternative<StateInputSpec>(in.source)) return "state";
  if (std::holds_alternative<ConstantInputSpec>(in.source)) return "constant";
  return "series";
}

TEST(Inspect, DraftsMatchEveryHandWrittenZooDocument) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  ParseOptions po;
  po.model_repo = cache("models");
  po.samples_dir = cache("samples");
  const fs::path examples = fs::path(SENSIX_SOURCE_DIR) / "examples";
  auto docs = parse_document_files({(examples / "zoo").string(), (examples / "quickstart.yaml").string()}, po);
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_GE(docs->models.size(), 18u);
  for (const ModelDoc& md : docs->models) {
    SCOPED_TRACE(doc_label(md));
    Output o = run_sensix("inspect --document --model-repo " + cache("models") + " " + md.spec.source);
    ASSERT_EQ(o.code, 0) << o.err;
    EXPECT_THAT(o.out, ::testing::HasSubstr("sha256: " + md.spec.sha256 + "\n"));
    const Draft d = read_draft(o.out);
    ASSERT_EQ(d.inputs.size(), md.spec.inputs.size()) << o.out;
    for (const InputSpec& hand : md.spec.inputs) {
      auto it = std::find_if(d.inputs.begin(), d.inputs.end(),
                             [&](const DraftInput& x) { return x.name == hand.name; });
      ASSERT_NE(it, d.inputs.end()) << "input " << hand.name << " in\n" << o.out;
      EXPECT_EQ(it->kind, kind_of(hand)) << "input " << hand.name << "\n" << o.out;
      if (const auto* im = std::get_if<ImageInputSpec>(&hand.source)) {
        // A dynamic size is a placeholder in the draft; a static one must be the document's.
        if (int_in(it->body, "width") >= 0) {
          EXPECT_EQ(int_in(it->body, "width"), im->width) << it->body;
        }
        if (int_in(it->body, "height") >= 0) {
          EXPECT_EQ(int_in(it->body, "height"), im->height) << it->body;
        }
        EXPECT_THAT(it->body, ::testing::HasSubstr(im->layout == Layout::kNhwc ? "layout: nhwc" : "layout: nchw"));
      } else if (const auto* st = std::get_if<StreamInputSpec>(&hand.source)) {
        EXPECT_EQ(int_in(it->body, "window"), st->window.window) << it->body;
      } else if (const auto* s = std::get_if<StateInputSpec>(&hand.source)) {
        EXPECT_EQ(it->body, "{from: " + s->from_output + "}");
      } else if (const auto* a = std::get_if<AudioInputSpec>(&hand.source)) {
        const int64_t window = int_in(it->body, "window");
        if (window >= 0) {
          EXPECT_EQ(window, a->window.window) << it->body;
        }
      }
    }
    for (const OutputSpec& out : md.spec.outputs) {
      EXPECT_NE(std::find(d.outputs.begin(), d.outputs.end(), out.name), d.outputs.end())
          << "output " << out.name << " in\n"
          << o.out;
    }
  }
}

}  // namespace
}  // namespace sensix::testing
