-- wrk script of benchmarks/serve.sh: POST /score bodies made by serve_setup.py, and one JSON line of results.
-- Environment:
--   WRK_BODY   a body file of serve_setup.py bodies: line 1 the first feature of each row, line 2 the JSON body
--              with "@" where those values go
--   WRK_VARY   1: every request's rows differ (a result-cache miss): each row's first feature is multiplied by
--              1 + k 1e-12, k unique to the request (WRK_SEED + request counter, interleaved over wrk's threads);
--              0: the same body every time (a cache hit after the first)
--   WRK_SEED   offset of k, distinct per run so that a rerun against the same server misses too
--   WRK_OUT    where done() writes its JSON line (requests, seconds, errors, latency percentiles in µs)
local body_file = assert(os.getenv("WRK_BODY"), "WRK_BODY is not set")
local vary = os.getenv("WRK_VARY") == "1"
local seed = tonumber(os.getenv("WRK_SEED") or "0")

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count - 1)
  table.insert(threads, thread)
end

local function read_body()
  local f = assert(io.open(body_file, "r"))
  local first = f:read("*l")
  local template = f:read("*l")
  f:close()
  local bases = {}
  for v in first:gmatch("%S+") do
    table.insert(bases, tonumber(v))
  end
  local pieces = {}
  for piece in (template .. "@"):gmatch("([^@]*)@") do
    table.insert(pieces, piece)
  end
  assert(#pieces == #bases + 1, "body file: " .. #bases .. " values for " .. (#pieces - 1) .. " markers")
  return bases, pieces
end

local bases, pieces, fixed
local counter = 0

local function render(k)
  local out = {}
  for i, base in ipairs(bases) do
    out[#out + 1] = pieces[i]
    out[#out + 1] = string.format("%.17g", base * (1 + k * 1e-12))
  end
  out[#out + 1] = pieces[#pieces]
  return table.concat(out)
end

function init(args)
  bases, pieces = read_body()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  fixed = wrk.format(nil, nil, nil, render(0))
end

function request()
  if not vary then
    return fixed
  end
  counter = counter + 1
  -- tid comes from setup(); the main thread count is not visible here, so interleave over 16 slots.
  local k = seed + counter * 16 + tid + 1
  return wrk.format(nil, nil, nil, render(k))
end

function done(summary, latency, requests)
  local e = summary.errors
  local line = string.format(
    '{"requests": %d, "seconds": %.6f, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, ' ..
      '"timeout": %d}, "latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}, "threads": %d}',
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean, thread_count)
  local out = os.getenv("WRK_OUT")
  if out then
    local f = assert(io.open(out, "w"))
    f:write(line, "\n")
    f:close()
  end
  io.write(line, "\n")
end
