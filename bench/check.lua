-- wrk script of bench/check.py: pre-signed check requests (the signature covers a one-time
-- nonce, so each request is sent once, in file order). The file given after `--` has one request
-- per line: body <TAB> timestamp <TAB> nonce <TAB> signature; the key id is the second argument;
-- a third argument sends them to another path (the check's floors, /bench/floor/read and /write).
-- At the end the summary line of wrk_summary.lua.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "wrk_summary.lua")  -- summary_line

local requests = {}
local i = 0

function init(args)
  local key = args[2]
  local path = args[3] or "/api/v1/checks"
  for line in io.lines(args[1]) do
    local body, ts, nonce, sig = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
    if body then
      requests[#requests + 1] = wrk.format("POST", path, {
        ["Content-Type"] = "application/json",
        ["X-Xinyong-Key"] = key,
        ["X-Xinyong-Timestamp"] = ts,
        ["X-Xinyong-Nonce"] = nonce,
        ["X-Xinyong-Signature"] = sig,
      }, body)
    end
  end
end

function request()
  i = i + 1
  if i > #requests then i = 1 end  -- a replay: refused (401), counted as an error
  return requests[i]
end

function done(summary, latency, requests_)
  io.write(summary_line(summary, latency))
end
