-- GET requests rotating over the paths in LOAD_PATHS (one a line), with X-Tenant and the bearer token.
local common = dofile(os.getenv("LOAD_LUA_DIR") .. "/common.lua")
local requests, n = {}, 0
local threads, started = {}, 0

function setup(thread)
  thread:set("first", started)
  threads[#threads + 1] = thread
  started = started + 1
end

function init(args)
  local headers = common.headers()
  for _, path in ipairs(common.lines(os.getenv("LOAD_PATHS"))) do
    requests[#requests + 1] = wrk.format("GET", path, headers)
  end
  n = (first or 0) % #requests  -- threads start at different paths of the rotation
end

function request()
  n = n % #requests + 1
  return requests[n]
end

function done(summary, latency, per_thread)
  common.report(summary, latency)
end
