-- Shared by the wrk scripts of bench/load.py: read the request pool, write wrk's figures as JSON.
local common = {}

-- The non-empty lines of a file, in order.
function common.lines(path)
  local items = {}
  for line in io.lines(path) do
    if line ~= "" then
      items[#items + 1] = line
    end
  end
  assert(#items > 0, "no lines in " .. path)
  return items
end

-- The headers every request of a run carries (tenant and bearer token when given).
function common.headers(extra)
  local headers = {}
  local tenant, token = os.getenv("LOAD_TENANT"), os.getenv("LOAD_TOKEN")
  if tenant and tenant ~= "" then
    headers["X-Tenant"] = tenant
  end
  if token and token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  for name, value in pairs(extra or {}) do
    headers[name] = value
  end
  return headers
end

-- done(): wrk's summary and latency percentiles (microseconds) as one JSON object in LOAD_RESULT.
function common.report(summary, latency, extra)
  local out = assert(io.open(os.getenv("LOAD_RESULT"), "w"))
  local e = summary.errors
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "p50": %d, "p90": %d, "p99": %d, '
      .. '"p999": %d, "max": %d}%s}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max,
    extra or ""
  ))
  out:close()
end

return common
