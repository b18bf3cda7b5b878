-- Replays pre-signed raw HTTP requests, cycling through them, and counts every non-2xx answer.
-- Usage: wrk -s replay.lua <url> -- <requests file written by signed_requests.write_for_wrk>

local requests = {}
local index = 0
-- Globals, so that done() can read them from each thread.
non_2xx = 0

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

function init(args)
   local file = assert(io.open(args[1], "rb"))
   local data = file:read("*a")
   file:close()
   local position = 1
   while position <= #data do
      local newline = data:find("\n", position, true)
      local length = tonumber(data:sub(position, newline - 1))
      requests[#requests + 1] = data:sub(newline + 1, newline + length)
      position = newline + length + 1
   end
   -- Threads start at different places in the list.
   index = (id * 97) % #requests
end

function request()
   index = index % #requests + 1
   return requests[index]
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non_2xx = non_2xx + 1
   end
end

function done(summary, latency, requests)
   local bad = 0
   for _, thread in ipairs(threads) do
      bad = bad + thread:get("non_2xx")
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "non_2xx": %d, "connect": %d, "read": %d, ' ..
      '"write": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "p999_us": %d, "mean_us": %.1f, ' ..
      '"max_us": %d}\n',
      summary.requests, summary.duration, bad, errors.connect, errors.read, errors.write, errors.timeout,
      latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency:percentile(99.9),
      latency.mean, latency.max))
end
