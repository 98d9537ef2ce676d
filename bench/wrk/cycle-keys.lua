-- wrk -s bench/wrk/cycle-keys.lua <url> -- <keys file> <offset> <threads>
-- GET <url's path> with X-ApiKey set to the next secret of the keys file (one per line) on every
-- request, so consecutive requests, on whichever connection, present different keys. The
-- position starts at <offset> (bench/api.ts continues each run where the previous one ended, so
-- keys are not reused while the pool lasts); with several threads, thread i takes every
-- <threads>-th key starting at offset + i, so no two threads send the same key.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

local created = 0
function setup(thread)
  thread:set("thread_index", created)
  created = created + 1
end

local keys, count, position, step, prefix = {}, 0, 0, 1, nil

function init(args)
  assert(args[1], "the keys file is missing")
  for line in io.lines(args[1]) do
    if line ~= "" then
      count = count + 1
      keys[count] = line
    end
  end
  assert(count > 0, "the keys file is empty")
  step = tonumber(args[3]) or 1
  position = (tonumber(args[2]) or 0) + (thread_index or 0)
  -- Built by hand rather than with wrk.format(): this runs for every request, and wrk's CPU is
  -- the server's CPU on a small machine.
  prefix = "GET " .. wrk.path .. " HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. wrk.port .. "\r\nX-ApiKey: "
end

function request()
  local key = keys[position % count + 1]
  position = position + step
  return prefix .. key .. "\r\n\r\n"
end
