-- Shared by the wrk scripts of bench/ (portal.lua, check.lua): the one line of JSON that ends a
-- run — latency percentiles in microseconds, the request count and the errors (a non-2xx answer
-- counts as a status error).
--
-- wrk corrects its latency histogram for coordinated omission before done() sees it: for every
-- response slower than twice the mean interval between one connection's requests
-- (duration / (requests / connections)), it adds phantom samples at that value minus one, two...
-- intervals, as a constant-rate client would have waited. That models an open arrival process
-- at the measured rate; these benchmarks are closed loops (N connections, one request in flight
-- each), where the heaviest 2 % of the pages then fill the 95th percentile with phantoms. The
-- raw percentiles undo the correction exactly (the phantoms come only from real samples above
-- them) and are the latency each request had.
local function raw_percentiles(summary, latency, connections, ps)
  local data, values = {}, {}
  for i = 1, #latency do
    local v, c = latency(i)
    data[v] = c
    values[#values + 1] = v
  end
  table.sort(values)
  local per_conn = math.floor(summary.requests / connections)
  local expected = per_conn > 0 and math.floor(summary.duration / per_conn) or 0
  local added, orig, total = {}, {}, 0
  for i = #values, 1, -1 do
    local n = values[i]
    local o = data[n] - (added[n] or 0)
    orig[n] = o
    total = total + o
    if expected > 0 and o > 0 and n >= 2 * expected then
      local m = n - expected
      while m > expected do
        added[m] = (added[m] or 0) + o
        m = m - expected
      end
    end
  end
  local out = {}
  for _, p in ipairs(ps) do
    local rank = math.floor(p / 100 * total + 0.5)
    local seen, at = 0, values[#values]
    for _, n in ipairs(values) do
      seen = seen + orig[n]
      if seen >= rank then at = n break end
    end
    out[#out + 1] = at
  end
  return out, total
end


function summary_line(summary, latency)
  local e = summary.errors
  local raw, counted = raw_percentiles(summary, latency, tonumber(os.getenv("WRK_CONNECTIONS") or "1"), {50, 95, 99})
  return string.format(
    '{"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, "raw_p50": %d, "raw_p95": %d, "raw_p99": %d, "raw_count": %d, "status_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, raw[1], raw[2], raw[3], counted, e.status, e.connect + e.read + e.write + e.timeout)
end
