-- POST requests to LOAD_URL_PATH, rotating over the JSON bodies in LOAD_BODIES (one a line).
local common = dofile(os.getenv("LOAD_LUA_DIR") .. "/common.lua")
local requests, n = {}, 0
local started = 0

function setup(thread)
  thread:set("first", started)
  started = started + 1
end

function init(args)
  local headers = common.headers({["Content-Type"] = "application/json"})
  local path = os.getenv("LOAD_URL_PATH")
  for _, body in ipairs(common.lines(os.getenv("LOAD_BODIES"))) do
    requests[#requests + 1] = wrk.format("POST", path, headers, body)
  end
  n = ((first or 0) * 7919) % #requests  -- threads start far apart in the rotation
end

function request()
  n = n % #requests + 1
  return requests[n]
end

function done(summary, latency, per_thread)
  common.report(summary, latency)
end
