-- A consumer smoke test that fails after reading the account: the account
-- does report the new version, but the (simulated) application cannot read.
local change = cmk.change
local account = cmk.live("storage/" .. change.after.storageAccount)
local kid = account.encryption.currentVersionedKeyIdentifier
cmk.log.info(change.after.storageAccount .. " reports " .. kid:match("([^/]+)$"))
cmk.fail("ledger smoke test cannot read its data with version " .. change.after.keyVersion)
