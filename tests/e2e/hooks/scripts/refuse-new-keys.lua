-- Pre-hook: new keys need a change ticket, and there is none.
cmk.fail("no change ticket for " .. cmk.change.address)
