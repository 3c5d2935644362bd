-- wrk script: POST the body read from the file named by WRK_BODY_FILE, with the extra
-- headers in WRK_HEADERS ("Name: value" lines separated by newlines), and print one
-- machine-readable summary line that bench/wrk-output.ts parses.
wrk.method = "POST"
local body_file = assert(io.open(os.getenv("WRK_BODY_FILE"), "rb"))
wrk.body = body_file:read("*a")
body_file:close()
wrk.headers["Content-Type"] = "application/json"
for line in string.gmatch(os.getenv("WRK_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end

function done(summary, latency, requests)
  io.write(string.format(
    'SWITCHBOARD_WRK {"requests":%d,"durationMicroseconds":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyMicroseconds":{"p50":%d,"p90":%d,"p99":%d,"mean":%.1f,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
