// The scheduler on the real models (sched/scheduler.h, docs/scheduling.md): batching gives the same
// predictions as single runs; priorities, objectives and placement are applied and reported; under
// real-time overload the low-priority model skips (counted) while the high-priority chain keeps its
// objective; impossible objectives, unknown accelerators and thread budgets above the cores are
// refused at apply time with the numbers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "common/cpu_cores.h"
#include "common/paths.h"
#include "docs/parser.h"
#include "e2e_support.h"
#include "runtime/runtime.h"
#include "support/scoped_env.h"

namespace sensix::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

ModelDoc& model(DocumentSet& d, const std::string& name) {
  for (auto& m : d.models) {
    if (m.metadata.name == name) return m;
  }
  throw std::runtime_error("no model " + name);
}

DeviceDoc device(std::vector<AcceleratorSpec> accs, int cores = 0) {
  DeviceDoc d;
  d.origin.file = "device.yaml";
  d.metadata.name = "edge";
  d.spec.cores = cores;
  d.spec.accelerators = std::move(accs);
  return d;
}

int machine_cores() { return usable_cores(); }

// (label, frame) of every prediction of the wake-word heads, in order.
std::vector<std::pair<std::string, uint64_t>> heads(const RunResult& r) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& p : r.predictions) {
    if (p.model != "hey-jarvis" && p.model != "alexa" && p.model != "hey-mycroft") continue;
    for (const auto& l : p.labels) out.emplace_back(p.model + ":" + l.label, p.frame_seq);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Scheduling, BatchingTheEmbeddingGivesTheSamePredictionsAsSingleRuns) {
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet single = only_pipelines(*docs, {"voice"});
  DocumentSet batched = single;
  ModelDoc& emb = model(batched, "oww-embedding");
  emb.spec.scheduling.batch = BatchSpec{4, 50'000'000};
  emb.spec.scheduling.policy = SchedPolicy::kThroughput;
  auto a = run_to_end(single);
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = run_to_end(batched);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE(heads(*a).empty());
  EXPECT_EQ(heads(*a), heads(*b)) << "the same wake words on the same frames";
  const ModelRuntimeStats* e = b->model_stats("oww-embedding");
  ASSERT_NE(e, nullptr);
  uint64_t inputs = 0, batched_runs = 0;
  for (const auto& [size, runs] : e->sched.batches) {
    inputs += static_cast<uint64_t>(size) * runs;
    if (size > 1) batched_runs += runs;
  }
  EXPECT_EQ(inputs, e->model.runs) << "every input ran, in some batch";
  EXPECT_GT(batched_runs, 0u) << "replaying as fast as possible, inputs queue up and run together";
  EXPECT_EQ(a->model_stats("oww-embedding")->model.runs, e->model.runs);
  EXPECT_EQ(e->sched.policy, "throughput");
}

TEST(Scheduling, PrioritiesObjectivesAndPlacementAreAppliedAndReported) {
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet set = *docs;
  set.devices.push_back(device({{"ort", "onnxruntime", DeviceKind::kCpu, 1}, {"lite", "tflite", DeviceKind::kCpu, 1}}));
  model(set, "hey-jarvis").spec.variants.clear();  // ONNX only here: its twin is tested below
  for (const char* name : {"oww-mel", "oww-embedding", "hey-jarvis"}) {
    model(set, name).spec.scheduling.priority = Priority::kHigh;
    model(set, name).spec.scheduling.latency_ns = 2'000'000'000;
  }
  model(set, "ssd-oidv4").spec.scheduling.priority = Priority::kLow;
  auto r = run_to_end(set);
  ASSERT_TRUE(r.ok()) << r.status();
  const auto* jarvis = r->model_stats("hey-jarvis");
  const auto* ssd = r->model_stats("ssd-oidv4");
  ASSERT_NE(jarvis, nullptr);
  ASSERT_NE(ssd, nullptr);
  EXPECT_EQ(jarvis->sched.priority, "high");
  EXPECT_EQ(jarvis->sched.objective_ns, 2'000'000'000);
  EXPECT_EQ(jarvis->sched.placements.at("ort"), jarvis->sched.batches.at(1));
  EXPECT_EQ(ssd->sched.priority, "low");
  EXPECT_EQ(ssd->sched.placements.at("lite"), ssd->model.runs);
  EXPECT_EQ(jarvis->sched.skipped, 0u) << "replaying as fast as possible: nothing is skipped";
  EXPECT_GT(jarvis->sched.best_ns, 0);
  EXPECT_EQ(jarvis->sched.queue.count(), static_cast<int64_t>(jarvis->model.runs));
  ASSERT_EQ(r->stats.accelerators.size(), 2u);
  EXPECT_EQ(r->stats.accelerators[0].name, "ort");
  EXPECT_GT(r->stats.accelerators[0].runs, 0u);
  EXPECT_EQ(r->stats.accelerators[1].runs, ssd->model.runs) << "SSD is the only TFLite model";
  EXPECT_EQ(r->stats.policy, "balanced");
}

// Replay as fast as possible (lossless): the mel model runs ~10x faster than the embedding it
// feeds, and a lane's submit never waits, so only backpressure (Scheduler::set_feeds, wired by the
// sensor graph) keeps the embedding's queue, and every queue below a model, bounded. Without it the
// embedding's queue held hundreds of inputs (the whole recording's mel frames, early).
TEST(Scheduling, AtMaxSpeedNoQueueGrowsPastItsCapacity) {
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  auto r = run_to_end(*docs);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_FALSE(r->stats.models.empty());
  for (const auto& m : r->stats.models) {
    ASSERT_GT(m.sched.capacity, 0u) << m.model.name;
    EXPECT_GT(m.model.runs, 0u) << m.model.name;
    EXPECT_EQ(m.sched.skipped, 0u) << m.model.name;
    // A model's run adds at most one input to each model it feeds (one embedding per mel run, one
    // head input per embedding), so a queue fed by a model may pass its capacity by one.
    EXPECT_LE(m.sched.queued_peak, m.sched.capacity + 1) << m.model.name;
  }
  const auto* emb = r->model_stats("oww-embedding");
  ASSERT_NE(emb, nullptr);
  EXPECT_GE(emb->sched.queued_peak, 1u);
}

// Real time, overloaded: BlazeFace and M-LSD (20-60 ms a run) on photos at 100 frames a second
// (several times what one ONNX Runtime thread can do, on any machine this runs on) at low
// priority, on the same accelerator as the high-priority wake-word chain with a 1 s objective. The
// chain keeps its objective; the vision models skip, and every skip is counted.
TEST(Scheduling, UnderOverloadTheLowPriorityModelSkipsAndTheHighPriorityChainKeepsItsObjective) {
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet set = only_pipelines(*docs, {"voice", "vision"});
  set.pipelines[1].spec.steps.erase(set.pipelines[1].spec.steps.begin() + 1);  // no SSD
  set.pipelines[1].spec.events.clear();
  set.models.erase(std::remove_if(set.models.begin(), set.models.end(),
                                  [](const ModelDoc& m) { return m.metadata.name == "ssd-oidv4"; }),
                   set.models.end());
  auto mlsd = parse_document_files({std::string(SENSIX_SOURCE_DIR) + "/examples/zoo/mlsd.yaml"});
  ASSERT_TRUE(mlsd.ok()) << mlsd.status();
  set.models.push_back(mlsd->models.at(0));
  set.pipelines[1].spec.steps.push_back(StepSpec{"mlsd", StepSource{"camera", "", "", std::nullopt}});
  set.devices.push_back(device({{"ort", "onnxruntime", DeviceKind::kCpu, 1}}));
  const auto low = [](const std::string& name) { return name == "blazeface" || name == "mlsd"; };
  for (auto& m : set.models) {
    m.spec.scheduling.priority = low(m.metadata.name) ? Priority::kLow : Priority::kHigh;
    m.spec.scheduling.latency_ns = low(m.metadata.name) ? 500'000'000 : 1'000'000'000;
  }
  for (auto& s : set.sensors) {
    if (s.metadata.name == "camera") {
      s.spec.video.fps = 100;
      s.spec.replay.loop = true;
    }
  }
  RuntimeOptions options;
  options.speed = 1.0;
  auto runtime = Runtime::create(set, options);
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  ASSERT_TRUE((*runtime)->start().ok());
  std::this_thread::sleep_for(std::chrono::seconds(5));
  (*runtime)->stop();
  const RuntimeStats stats = (*runtime)->stats();
  uint64_t skipped = 0;
  for (const auto& m : stats.models) {
    if (!low(m.model.name)) continue;
    std::cout << m.model.name << ": runs " << m.model.runs << " skipped " << m.sched.skipped << " (admit rate "
              << m.sched.admit_rate << ")\n";
    skipped += m.sched.skipped;
  }
  EXPECT_GT(skipped, 0u) << "overloaded: the low-priority models skipped inputs";
  for (const auto& m : stats.models) {
    if (low(m.model.name)) continue;
    std::cout << m.model.name << ": runs " << m.model.runs << " misses " << m.sched.deadline_misses << " skipped "
              << m.sched.skipped << " e2e p99 " << m.model.end_to_end.percentile_ns(99) / 1e6 << " ms\n";
    EXPECT_EQ(m.sched.skipped, 0u) << m.model.name << ": high priority is never skipped";
#if !defined(__SANITIZE_ADDRESS__)
    EXPECT_LE(m.sched.deadline_misses * 50, m.model.runs) << m.model.name << ": more than 2% of its runs missed";
#endif
  }
}

// openWakeWord ships hey_jarvis as ONNX and as TFLite: the TFLite twin as a variant of the ONNX head.
VariantSpec jarvis_tflite() {
  VariantSpec v;
  v.format = ModelFormat::kTflite;
  v.engine = "tflite";
  v.source = "repo:openwakeword/hey_jarvis_v0.1.tflite";
  v.path = model_repo_dir() + "/openwakeword/hey_jarvis_v0.1.tflite";
  v.sha256 = "14bff778604985e1b5c19f0f7bbe477a69cf281d8db34b232b3b972411f710e2";
  v.tensors = {{"x.1", "serving_default_x.1:0"}, {"53", "PartitionedCall:0"}};
  return v;
}

std::vector<uint64_t> frames_of(const RunResult& r, const std::string& model) {
  std::vector<uint64_t> out;
  for (const auto& p : r.of_model(model)) out.push_back(p.frame_seq);
  return out;
}

TEST(Scheduling, AModelWithATwinInAnotherFormatRunsOnEitherEngineWithTheSameResults) {
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet onnx_only = only_pipelines(*docs, {"voice"});
  model(onnx_only, "hey-jarvis").spec.variants.clear();  // the quickstart lists the twin
  set_sensor_path(&onnx_only, "speech", sample_path("speech/hey_jarvis.wav"));
  auto reference = run_to_end(onnx_only);
  ASSERT_TRUE(reference.ok()) << reference.status();
  ASSERT_EQ(reference->of_model("hey-jarvis").size(), 1u);

  // Pinned to the TFLite twin.
  DocumentSet pinned = onnx_only;
  model(pinned, "hey-jarvis").spec.variants.push_back(jarvis_tflite());
  model(pinned, "hey-jarvis").spec.scheduling.accelerators = {"tflite-cpu"};
  auto on_tflite = run_to_end(pinned);
  ASSERT_TRUE(on_tflite.ok()) << on_tflite.status();
  const ModelRuntimeStats* j = on_tflite->model_stats("hey-jarvis");
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->sched.placements.size(), 1u);
  EXPECT_EQ(j->sched.placements.at("tflite-cpu"), j->model.runs);
  ASSERT_EQ(j->sched.profiles.count("tflite-cpu"), 1u);
  EXPECT_EQ(j->sched.profiles.at("tflite-cpu").runs, j->model.runs + 1) << "every run plus the warm-up's best";
  EXPECT_GT(j->sched.profiles.at("tflite-cpu").mean_by_batch.at(1), 0);
  EXPECT_EQ(frames_of(*on_tflite, "hey-jarvis"), frames_of(*reference, "hey-jarvis"))
      << "the same wake word, same frame";

  // Free to use either: ONNX Runtime first, TFLite whenever ONNX Runtime's one thread is busy. The
  // ONNX Runtime lane is made busy on every machine: the embedding model before the head runs in a
  // worker whose every run takes 20 ms longer (SENSIX_WORKER_FAULT=slow-ms=20), and the lane waits for
  // it, so when the head's input is ready the lane is mostly running the next embedding. The
  // results must be the same whatever the split. The spill-over rule itself is tested in
  // src/sched/scheduler_test.cpp.
  ScopedEnv slow("SENSIX_WORKER_FAULT", "slow-ms=20");  // read by the worker processes only
  DocumentSet free = onnx_only;
  model(free, "oww-embedding").spec.resources.isolation = Isolation::kProcess;
  free.devices.push_back(
      device({{"ort", "onnxruntime", DeviceKind::kCpu, 1}, {"lite", "tflite", DeviceKind::kCpu, 1}}));
  model(free, "hey-jarvis").spec.variants.push_back(jarvis_tflite());
  model(free, "hey-jarvis").spec.scheduling.policy = SchedPolicy::kThroughput;
  auto either = run_to_end(free);
  ASSERT_TRUE(either.ok()) << either.status();
  const ModelRuntimeStats* e = either->model_stats("hey-jarvis");
  ASSERT_NE(e, nullptr);
  std::cout << "hey-jarvis placements: ort " << (e->sched.placements.count("ort") ? e->sched.placements.at("ort") : 0)
            << ", lite " << (e->sched.placements.count("lite") ? e->sched.placements.at("lite") : 0) << "\n";
  const uint64_t on_ort = e->sched.placements.count("ort") ? e->sched.placements.at("ort") : 0;
  const uint64_t on_lite = e->sched.placements.count("lite") ? e->sched.placements.at("lite") : 0;
  EXPECT_EQ(on_ort + on_lite, e->model.runs);
  EXPECT_GT(on_lite, 0u) << "the TFLite twin took the head's runs while ONNX Runtime's lane was busy";
  EXPECT_EQ(frames_of(*either, "hey-jarvis"), frames_of(*reference, "hey-jarvis"));
  EXPECT_EQ(either->model_stats("hey-jarvis")->model.runs, reference->model_stats("hey-jarvis")->model.runs);
}

TEST(Scheduling, ATwinWhoseTensorsDoNotMatchIsRefused) {
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet set = only_pipelines(*docs, {"voice"});
  VariantSpec v = jarvis_tflite();
  v.tensors.erase("53");  // the TFLite file calls its output PartitionedCall:0
  model(set, "hey-jarvis").spec.variants = {v};
  auto r = Runtime::create(set);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr(
                  "Model/hey-jarvis: spec.variants[0]: tensors: output \"53\" is \"53\" in this file, which has no "
                  "such output; its outputs are: PartitionedCall:0 (float32 [1, 1])"));
}

TEST(Scheduling, AnObjectiveShorterThanTheBestRunIsRefusedWithTheNumbers) {
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet set = only_pipelines(*docs, {"vision"});
  model(set, "ssd-oidv4").spec.scheduling.latency_ns = 1'000'000;
  auto r = Runtime::create(set);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              MatchesRegex(".*Model/ssd-oidv4: spec.scheduling.latency: the objective of 1.0 ms is shorter than the "
                           "model's best measured run, [0-9.]+ ms \\(3 warm-up runs on tflite-cpu with 1 thread\\).*"));
}

TEST(Scheduling, DevicesAndPlacementsThatCannotWorkAreRefusedWithTheNumbers) {
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  const DocumentSet vision = only_pipelines(*docs, {"vision"});
  const int cores = machine_cores();
  {
    DocumentSet set = vision;
    set.devices.push_back(
        device({{"ort", "onnxruntime", DeviceKind::kCpu, 1}, {"lite", "tflite", DeviceKind::kCpu, cores + 1}}));
    auto r = Runtime::create(set);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(std::string(r.status().message()),
              fmt::format("device.yaml: Device/edge: spec.accelerators[1].threads: {} threads for \"lite\", more than "
                          "the {} cores of this machine (the CPU accelerators share the cores; each may use at most "
                          "all of them)",
                          cores + 1, cores));
  }
  {
    DocumentSet set = vision;
    set.devices.push_back(device({}, cores + 1));
    auto r = Runtime::create(set);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(std::string(r.status().message()),
              fmt::format("device.yaml: Device/edge: spec.cores: {} cores asked for, but this machine has {}",
                          cores + 1, cores));
  }
  {
    DocumentSet set = vision;
    set.devices.push_back(device({{"gpu", "onnxruntime", DeviceKind::kGpu, 1}}));
    auto r = Runtime::create(set);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(std::string(r.status().message()),
                HasSubstr("spec.accelerators[0] (gpu): onnxruntime on gpu: this build "
                          "of sensix runs onnxruntime on the CPU only"));
  }
  {
    DocumentSet set = vision;  // the default accelerators: SSD is TFLite
    model(set, "ssd-oidv4").spec.scheduling.accelerators = {"onnxruntime-cpu"};
    auto r = Runtime::create(set);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("Model/ssd-oidv4: spec.scheduling.accelerators: "
                                                             "\"onnxruntime-cpu\" runs onnxruntime, but this "
                                                             "model runs on tflite"));
  }
  {
    DocumentSet set = vision;
    set.devices.push_back(
        device({{"ort", "onnxruntime", DeviceKind::kCpu, 1}, {"lite", "tflite", DeviceKind::kCpu, 1}}));
    model(set, "blazeface").spec.resources.threads = 2;
    auto r = Runtime::create(set);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(std::string(r.status().message()),
                HasSubstr("Model/blazeface: spec.resources.threads: 2 threads per run, more than any onnxruntime "
                          "accelerator's budget (\"ort\" has 1 threads)"));
  }
  {
    DocumentSet set = only_pipelines(*docs, {"voice"});
    model(set, "hey-jarvis").spec.scheduling.batch = BatchSpec{4, 0};
    auto r = Runtime::create(set);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(std::string(r.status().message()),
                HasSubstr("Model/hey-jarvis: spec.scheduling.batch.max: 4 inputs per run need a dynamic first (batch) "
                          "dimension of size 1 in the document, but input \"x.1\" is [1, 16, 96] in the model"));
  }
}

}  // namespace
}  // namespace sensix::testing
