-- Hostile: tries to swallow the limit with pcall.
while true do
  pcall(function() while true do end end)
end
