-- A placeholder hook script: the loader only checks that it exists.
return true
