-- wrk script of the inference benchmark (bench/inference_bench.cpp): POSTs one prepared KServe v2
-- request over and over, and prints one machine-readable line at the end.
--   wrk ... -s kserve.lua URL -- BODY_FILE CONTENT_TYPE [INFERENCE_HEADER_CONTENT_LENGTH]
-- An empty BODY_FILE sends GETs without a body instead. The body is read once per thread; with a third argument the request carries Triton's binary tensor
-- header. wrk counts answers other than 2xx/3xx in errors.status.
local req

init = function(args)
  if args[1] == nil or args[1] == "" then  -- no body: a GET (the round trip without a model)
    wrk.method = "GET"
    req = wrk.format()
    return
  end
  local f = assert(io.open(args[1], "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = args[2]
  if args[3] ~= nil and args[3] ~= "" then
    wrk.headers["Inference-Header-Content-Length"] = args[3]
  end
  req = wrk.format()
end

request = function()
  return req
end

-- SENSIX_WRK requests duration_us p50_us p99_us mean_us socket_errors status_errors
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("SENSIX_WRK %d %d %d %d %.1f %d %d\n", summary.requests, summary.duration,
                         latency:percentile(50), latency:percentile(99), latency.mean,
                         e.connect + e.read + e.write + e.timeout, e.status))
end
