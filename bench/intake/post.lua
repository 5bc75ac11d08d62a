-- wrk script: POST /api/cases at random points drawn from WG_POINTS
-- ("i,lon,lat" lines: points inside the demo's micro-grids, the same list
-- PostgreSQL draws from in bench/intake/run.sh). Each wrk thread builds its
-- requests once, before the run (a random point, category and description
-- number each, one per point, in random order), and sends them in turn:
-- formatting each request as it went cost wrk ~3 µs of CPU a request on
-- the same two cores as the server. wrk counts answers other than 2xx
-- ("Non-2xx"); run.sh counts the cases stored.
local token = os.getenv("WG_TOKEN")
local lons, lats = {}, {}
for line in io.lines(os.getenv("WG_POINTS")) do
  local _, lon, lat = line:match("^(%d+),([^,]+),([^,]+)$")
  lons[#lons + 1], lats[#lats + 1] = tonumber(lon), tonumber(lat)
end
local cats = {"E0101", "E0102", "E0504", "E0105", "C0201"}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

local reqs, at = {}, 0
function init(args)
  math.randomseed(os.time() * 100 + (seed or 0))
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
  for i = 1, #lons do
    local k = math.random(#lons)
    local body = string.format('{"category":"%s","lon":%.7f,"lat":%.7f,"description":"压测上报 %d"}',
      cats[math.random(#cats)], lons[k], lats[k], math.random(1000000))
    reqs[i] = wrk.format("POST", "/api/cases", headers, body)
  end
end

function request()
  at = at % #reqs + 1
  return reqs[at]
end
