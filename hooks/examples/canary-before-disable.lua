-- Pre-hook (action: disable-version). Before a key version is disabled, run
-- the wrap/unwrap canary (cmk.verify) on every version that a consumer
-- really uses; refuse the change if any of them fails.

local change = cmk.change
-- cmkctl names the key every key-related change is about as cmk.change.key.
local key = change.key
if type(key) ~= "string" or key == "" then
  cmk.fail("cannot tell which key " .. tostring(change.address) .. " is about")
end

local versions, seen = {}, {}
for _, consumer in ipairs(cmk.consumers(key)) do
  local v = consumer.version
  if type(v) == "string" and v ~= "" and not seen[v] then
    seen[v] = true
    versions[#versions + 1] = v
  end
end
table.sort(versions)

if #versions == 0 then
  cmk.log.info("no consumer uses a version of " .. key .. ": nothing to verify")
  return
end

local failures = {}
for _, v in ipairs(versions) do
  local result = cmk.verify(key, v)
  if result.outcome == "FAIL" then
    failures[#failures + 1] = v .. ": " .. tostring(result.message)
  elseif result.outcome == "skip" then
    cmk.log.warn("canary skipped for " .. key .. " version " .. v .. ": " .. tostring(result.message))
  else
    cmk.log.info("canary passed for " .. key .. " version " .. v)
  end
end

if #failures > 0 then
  cmk.fail("canary failed for " .. key .. " (" .. table.concat(failures, "; ") .. ")")
end
