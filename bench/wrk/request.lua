-- wrk -s bench/wrk/request.lua <url> -- <request file>
-- One fixed request, built once per thread (no request() hook, so wrk sends it without calling
-- Lua per request). The request file, written by bench/api.ts: the method on the first line, then
-- "name: value" header lines, an empty line, and the body (may be empty).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

function init(args)
  assert(args[1], "the request file is missing")
  local f = assert(io.open(args[1], "rb"))
  local text = f:read("*a")
  f:close()
  local head, body = text:match("^(.-)\n\n(.*)$")
  if not head then head, body = text, "" end
  local first = true
  for line in head:gmatch("[^\n]+") do
    if first then
      wrk.method = line
      first = false
    else
      local name, value = line:match("^([^:]+):%s*(.*)$")
      wrk.headers[name] = value
    end
  end
  if body ~= "" then wrk.body = body end
end
