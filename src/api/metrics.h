// The daemon's GET /metrics: the runtime's, the process's and the HTTP server's figures in the
// Prometheus text exposition format 0.0.4 (Content-Type: text/plain; version=0.0.4; charset=utf-8).
//
// Each family has one # HELP and one # TYPE line, then its samples; no family appears twice, and a
// family with no samples (no sensors, no event rules) is left out. Label values are escaped
// (backslash, double quote, newline). Times are in seconds, sizes in bytes; counters end in _total.
// Counters restart from 0 when what they count is rebuilt (a model loaded again, a pipeline
// applied anew), which Prometheus's rate() takes as a reset.
//
// Families (labels in braces):
//   sensors            sensix_sensor_info{sensor,driver} (1)
//                      sensix_sensor_state{sensor,state} (1 for the current state, 0 for each other)
//                      sensix_sensor_frames_total{sensor}
//                      sensix_sensor_dropped_frames_total{sensor}  (the graph's buffer was full)
//                      sensix_sensor_late_frames_total{sensor}
//                      sensix_sensor_errors_total{sensor}
//                      sensix_sensor_reconnects_total{sensor}
//                      sensix_sensor_queued_frames{sensor}
//   models             labels {model,version,engine} on each, M below:
//                      sensix_model_state{M,state} (1 for the current state, 0 for each other)
//                      sensix_model_inferences_total{M}            (runs; warm-up not counted)
//                      sensix_model_errors_total{M}
//                      sensix_model_predictions_total{M}
//                      sensix_model_warmup_inferences_total{M}
//                      sensix_model_warmup_seconds_total{M}        (their total time)
//                      sensix_model_load_duration_seconds{M}       (loading + warming)
//                      sensix_model_resident_memory_bytes{M}       (resident memory its load added)
//                      sensix_model_file_size_bytes{M}
//                      sensix_model_worker_restarts_total{M}       (isolation: process)
//                      sensix_model_dropped_frames_total{M}        (its sensors' frames dropped before it)
//                      sensix_model_skipped_inputs_total{M}        (not run: not admitted, stale or dropped)
//                      sensix_model_dropped_inputs_total{M}        (of the skipped: dropped from a full queue)
//                      sensix_model_deadline_misses_total{M}
//                      sensix_model_queue_depth{M}                 (inputs waiting now)
//                      sensix_model_queue_peak_depth{M}
//                      sensix_model_queue_capacity{M}
//                      sensix_model_admitted_ratio{M}              (share of inputs admitted now, 0..1)
//                      sensix_model_accelerator_runs_total{M,accelerator}
//                      sensix_model_batches_total{M,size}          (engine runs per batch size)
//                      histograms, `le` buckets 0.0005 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5
//                      1 2.5 5 10 +Inf (seconds), with _sum and _count:
//                      sensix_model_inference_duration_seconds{M}  (engine time per run)
//                      sensix_model_end_to_end_latency_seconds{M}  (frame capture -> result)
//                      sensix_model_queue_wait_seconds{M}          (the scheduler's queue, per input)
//   scheduler          sensix_scheduler_info{policy} (1)
//                      sensix_accelerator_runs_total{accelerator,engine,device}
//                      sensix_accelerator_busy_seconds_total{accelerator,engine,device}  (summed over lanes)
//                      sensix_accelerator_threads{accelerator,engine,device}
//   shared plan        sensix_plan_nodes, sensix_plan_requested_nodes, sensix_plan_shared_nodes
//                      sensix_plan_saved_evaluations_total, sensix_plan_saved_seconds_total
//                      (runs of shared steps, and their time, that unshared copies would have added)
//   events             sensix_event_rule_fired_total{pipeline,rule}
//                      sensix_event_rule_suppressed_total{pipeline,rule}  (rising edges within the cooldown)
//                      sensix_event_dropped_results_total, sensix_event_late_results_total,
//                      sensix_event_forced_evaluations_total
//   rollouts           the new version of each canary or shadow in progress, labels
//                      {model,version,from_version,strategy}: sensix_rollout_runs_total,
//                      sensix_rollout_errors_total, sensix_rollout_compared_total,
//                      sensix_rollout_disagreed_total, sensix_rollout_served_total,
//                      sensix_rollout_share (its engine time: GET /v1/rollouts/{model}, p50 and p99)
//   process            process_cpu_seconds_total, process_resident_memory_bytes,
//                      process_virtual_memory_bytes, process_start_time_seconds, process_open_fds,
//                      sensix_process_threads, sensix_uptime_seconds (the runtime's)
//   HTTP               sensix_http_requests_total{route,code}, sensix_http_open_connections,
//                      sensix_http_rejected_connections_total, sensix_sse_subscribers,
//                      sensix_sse_events_sent_total, sensix_sse_events_dropped_total
//   model store        (prometheus_store_text) sensix_model_store_files, sensix_model_store_bytes,
//                      sensix_model_store_free_bytes, sensix_model_store_limit_bytes,
//                      sensix_model_store_fetched_total, sensix_model_store_collected_total,
//                      sensix_model_store_collected_bytes_total
//   inference          (prometheus_inference_text) per model, labels {model,version}, what
//                      GET /v2/models/stats gives: sensix_inference_requests_total{outcome},
//                      sensix_inference_request_duration_seconds_total{outcome} (success,
//                      failure), sensix_inference_refused_requests_total,
//                      sensix_inference_timed_out_requests_total, sensix_inference_inferences_total,
//                      sensix_inference_executions_total, sensix_inference_shared_executions_total,
//                      sensix_inference_queue_duration_seconds_total,
//                      sensix_inference_compute_duration_seconds_total{phase} (input, infer, output),
//                      sensix_inference_sequences_open, sensix_inference_sequences_expired_total;
//                      the raw media decoding queue: sensix_media_decoding_threads,
//                      sensix_media_waiting_requests, sensix_media_refused_requests_total
//
// Histogram buckets come from LatencyHistogram::count_at_most: a sample counts in a bucket when its
// histogram bucket's middle (clamped to the exact min and max) is <= le, as its percentiles are
// reported; so a sample within 1/16 of an `le` may fall on either side of it. _sum is exact.
//
// Thread-safety: a pure function of its arguments.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "api/http_counters.h"
#include "api/process_stats.h"
#include "control/model_store.h"
#include "runtime/request_tasks.h"
#include "runtime/stats.h"

namespace sensix {

std::string prometheus_text(const RuntimeStats& stats, const ProcessStats& process, const HttpCounters& http);

// The daemon's model store (control/model_store.h), families above.
std::string prometheus_store_text(const StoreUsage& store);

// Inference on request (runtime/request_tasks.h, media_request.h): each model's request statistics,
// what GET /v2/models/stats gives in Triton's shape, and the raw media decoding threads' queue.
struct InferenceMetrics {
  struct Model {
    std::string model, version;  // the version as KServe names it ("1" for a model without one)
    RequestStats stats;
  };
  std::vector<Model> models;
  int media_threads = 0;
  int64_t media_waiting = 0;   // raw media requests waiting for a decoding thread now
  uint64_t media_refused = 0;  // refused because `media_waiting` was at its limit
};
std::string prometheus_inference_text(const InferenceMetrics& inference);

}  // namespace sensix
