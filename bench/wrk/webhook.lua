-- Signed Stripe events, each sent once: thread i reads "<Stripe-Signature>\t<body>" lines from
-- LOAD_EVENTS.<i> as it goes. Running out of lines would mean resending (duplicates, acknowledged
-- without work), so the pool wraps around and done() reports how often that happened.
local common = dofile(os.getenv("LOAD_LUA_DIR") .. "/common.lua")
local threads, started = {}, 0
local file, headers, path
wrapped = 0

function setup(thread)
  thread:set("index", started)
  threads[#threads + 1] = thread
  started = started + 1
end

function init(args)
  file = assert(io.open(os.getenv("LOAD_EVENTS") .. "." .. index, "r"))
  headers = {["Content-Type"] = "application/json"}
  path = os.getenv("LOAD_URL_PATH")
end

function request()
  local line = file:read("*l")
  if not line then
    wrapped = wrapped + 1
    file:seek("set")
    line = file:read("*l")
  end
  local tab = line:find("\t", 1, true)
  headers["Stripe-Signature"] = line:sub(1, tab - 1)
  return wrk.format("POST", path, headers, line:sub(tab + 1))
end

function done(summary, latency, per_thread)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + (thread:get("wrapped") or 0)
  end
  common.report(summary, latency, string.format(', "pool_wrapped": %d', total))
end
