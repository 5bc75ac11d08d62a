-- wrk script: POST /api/cases at random points drawn from WG_POINTS
-- ("i,lon,lat" lines: points inside the demo's micro-grids, the same list
-- PostgreSQL draws from in bench/intake/run.sh). wrk counts answers other
-- than 2xx ("Non-2xx"); run.sh counts the cases stored.
local token = os.getenv("WG_TOKEN")
local lons, lats = {}, {}
for line in io.lines(os.getenv("WG_POINTS")) do
  local _, lon, lat = line:match("^(%d+),([^,]+),([^,]+)$")
  lons[#lons + 1], lats[#lats + 1] = tonumber(lon), tonumber(lat)
end
local cats = {"E0101", "E0102", "E0504", "E0105", "C0201"}
math.randomseed(os.time())
request = function()
  local k = math.random(#lons)
  local body = string.format('{"category":"%s","lon":%.7f,"lat":%.7f,"description":"压测上报 %d"}',
    cats[math.random(#cats)], lons[k], lats[k], math.random(1000000))
  return wrk.format("POST", "/api/cases", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token}, body)
end
