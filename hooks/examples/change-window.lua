-- Pre-hook (any action). Refuses changes outside an allowed UTC window given
-- by the allow-listed environment variable CMK_CHANGE_WINDOW, for example
--   "Mon-Fri 08:00-18:00"   weekdays, office hours
--   "Sat,Sun 00:00-24:00"   weekends only
--   "Mon-Fri 22:00-06:00"   nights (a window may cross midnight; the day
--                           names the day the window starts)
-- The time comes from cmk.now() (the host's clock), never from the machine.

local spec = cmk.env("CMK_CHANGE_WINDOW")
if spec == nil or spec == "" then
  cmk.fail("CMK_CHANGE_WINDOW is not set: cannot decide whether the change window is open")
end

local DAY_NUMBER = { Sun = 0, Mon = 1, Tue = 2, Wed = 3, Thu = 4, Fri = 5, Sat = 6 }
local DAY_NAME = { [0] = "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" }

local days, h1, m1, h2, m2 = spec:match("^%s*(%S+)%s+(%d%d):(%d%d)%-(%d%d):(%d%d)%s*$")
if days == nil then
  cmk.fail("CMK_CHANGE_WINDOW '" .. spec .. "' is not like 'Mon-Fri 08:00-18:00'")
end
local start = tonumber(h1) * 60 + tonumber(m1)
local stop = tonumber(h2) * 60 + tonumber(m2)
if tonumber(m1) > 59 or tonumber(m2) > 59 or start > 23 * 60 + 59 or stop > 24 * 60 then
  cmk.fail("CMK_CHANGE_WINDOW '" .. spec .. "' has an invalid time")
end

local allowed = {}
for item in days:gmatch("[^,]+") do
  local first, last = item:match("^(%a%a%a)%-(%a%a%a)$")
  if first ~= nil and DAY_NUMBER[first] ~= nil and DAY_NUMBER[last] ~= nil then
    local d = DAY_NUMBER[first]
    while true do
      allowed[d] = true
      if d == DAY_NUMBER[last] then break end
      d = (d + 1) % 7
    end
  elseif DAY_NUMBER[item] ~= nil then
    allowed[DAY_NUMBER[item]] = true
  elseif item == "*" then
    for d = 0, 6 do allowed[d] = true end
  else
    cmk.fail("CMK_CHANGE_WINDOW '" .. spec .. "': unknown day '" .. item .. "'")
  end
end

local now = cmk.now()
local day = (now // 86400 + 4) % 7  -- 1970-01-01 was a Thursday
local minute = (now % 86400) // 60

local open
if start <= stop then
  open = allowed[day] and minute >= start and minute < stop
else
  open = (allowed[day] and minute >= start) or (allowed[(day + 6) % 7] and minute < stop)
end

local clock = string.format("%s %02d:%02d UTC", DAY_NAME[day], minute // 60, minute % 60)
if not open then
  cmk.fail("outside the change window '" .. spec .. "' (now " .. clock .. ")")
end
cmk.log.info("inside the change window '" .. spec .. "' (now " .. clock .. ")")
