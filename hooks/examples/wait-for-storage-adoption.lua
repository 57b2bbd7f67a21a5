-- Post-hook (actions: bind, rotate). Waits, within the hook's time limit,
-- for the storage accounts using the key to report the expected version.
-- For a binding: that binding's storage account, which must report the
-- pinned version or, for keyVersion auto, the newest one; Storage applies a
-- binding at once, so a lagging account fails the change. For a key
-- rotation: every consumer that follows the newest version (not pinned).
-- Azure Storage moves to a new version within 24 hours, longer than any
-- hook may wait, and the old version stays enabled until every consumer
-- has moved (cmkctl retires it only on the accounts' own evidence), so an
-- adoption still pending is reported, not failed.
-- Polls through cmk.wait_until.

local change = cmk.change
local after = change.after or {}

-- cmkctl names the key every key-related change is about (a Key update, a
-- rotation, a binding) as cmk.change.key.
local key = change.key
if type(key) ~= "string" or key == "" then
  cmk.fail("cannot tell which key " .. tostring(change.address) .. " is about")
end

local live_key = cmk.live("key/" .. key)
if live_key == nil or live_key.versions == nil or #live_key.versions == 0 then
  cmk.fail("key/" .. key .. " has no versions")
end
local newest = live_key.versions[#live_key.versions].version

-- account name -> version it must report
local expected = {}
if change.kind == "StorageCmkBinding" then
  local pinned = after.keyVersion
  if pinned == nil or pinned == "auto" or pinned == "" then pinned = newest end
  expected[after.storageAccount] = pinned
else
  for _, consumer in ipairs(cmk.consumers(key)) do
    if consumer.pinned then
      cmk.log.info(consumer.account .. " is pinned to " .. tostring(consumer.version) .. ": not waited for")
    else
      expected[consumer.account] = newest
    end
  end
end

local function reported_version(account)
  local live = cmk.live("storage/" .. account)
  if live == nil or live.encryption == nil then return nil end
  local kid = live.encryption.currentVersionedKeyIdentifier or ""
  return kid:match("([^/]+)$")
end

local lagging = {}
local function all_adopted()
  lagging = {}
  local accounts = {}
  for account in pairs(expected) do accounts[#accounts + 1] = account end
  table.sort(accounts)
  for _, account in ipairs(accounts) do
    local got = reported_version(account)
    if got ~= expected[account] then
      lagging[#lagging + 1] = account .. " reports " .. tostring(got or "no version") ..
          ", expected " .. expected[account]
    end
  end
  return #lagging == 0
end

-- Leave a few seconds of the hook's own time limit for the report.
local budget = math.max(1, cmk.hook.timeout_seconds - 5)
if cmk.wait_until(all_adopted, budget, 10) then
  cmk.log.info("every consumer of " .. key .. " reports the expected version")
elseif change.kind == "StorageCmkBinding" then
  cmk.fail("not adopted after " .. budget .. " s: " .. table.concat(lagging, "; "))
else
  cmk.log.warn("adoption pending after " .. budget .. " s (Storage moves within 24 hours; " ..
               "the old version stays enabled until then): " .. table.concat(lagging, "; "))
end
