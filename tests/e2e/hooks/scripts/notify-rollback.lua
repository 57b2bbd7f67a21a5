-- Rollback script: runs after cmkctl reverted the change.
local account = cmk.live("storage/" .. cmk.change.after.storageAccount)
local version = account.encryption.currentVersionedKeyIdentifier:match("([^/]+)$")
cmk.log.warn("rolled back: " .. cmk.change.address .. " uses " .. version .. " again")
