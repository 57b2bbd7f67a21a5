-- Pre-hook (any action but delete). Every object cmkctl creates or changes
-- must say who owns it: an "owner" label (metadata.labels) or tag.

local change = cmk.change
if change.action == "delete" or change.after == nil then
  cmk.log.info("nothing to check for " .. tostring(change.address) .. " (" .. tostring(change.action) .. ")")
  return
end

local function owner_in(t)
  if type(t) ~= "table" then return nil end
  local owner = t.owner
  if type(owner) == "string" and owner ~= "" then return owner end
  return nil
end

local owner = owner_in(change.labels) or owner_in(change.after.labels) or owner_in(change.after.tags)
if owner == nil then
  cmk.fail(tostring(change.address) .. " carries no owner label (labels.owner or tags.owner)")
end
cmk.log.info(change.address .. " is owned by " .. owner)
