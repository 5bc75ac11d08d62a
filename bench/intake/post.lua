-- wrk script: POST /api/cases with random points inside the demo's
-- subdistrict bounding box (points outside every grid get 422 and are
-- counted apart by the runner).
local token = os.getenv("WG_TOKEN")
local x0, y0 = tonumber(os.getenv("WG_X0")), tonumber(os.getenv("WG_Y0"))
local x1, y1 = tonumber(os.getenv("WG_X1")), tonumber(os.getenv("WG_Y1"))
local cats = {"E0101", "E0102", "E0504", "E0105", "C0201"}
math.randomseed(os.time())
request = function()
  local lon = x0 + math.random() * (x1 - x0)
  local lat = y0 + math.random() * (y1 - y0)
  local body = string.format('{"category":"%s","lon":%.7f,"lat":%.7f,"description":"压测上报 %d"}',
    cats[math.random(#cats)], lon, lat, math.random(1000000))
  return wrk.format("POST", "/api/cases", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token}, body)
end
responses = {}
response = function(status, headers, body)
  responses[status] = (responses[status] or 0) + 1
end
done = function(summary, latency, requests)
  for s, n in pairs(responses) do io.write(string.format("status %d: %d\n", s, n)) end
end
