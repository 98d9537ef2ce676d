-- Shared by bench/wrk/request.lua and bench/wrk/cycle-keys.lua: done() prints the run's exact
-- figures as one JSON line for bench/load.ts (wrk's own text rounds them and varies its units).
-- wrk counts an answer with status 400 or more as errors.status ("Non-2xx or 3xx responses");
-- the benchmark fails the run on any of those and on any socket error or timeout.

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"durationUs":%d,"requests":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latencyUs":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
