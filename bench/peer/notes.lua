-- Runs after --citeproc: each Note becomes an inline <span class="footnote" data-n="N">,
-- which the stylesheet floats to the page foot (float: footnote), as reportgen's HTML does.
local n = 0

function Note(note)
  n = n + 1
  return pandoc.Span(pandoc.utils.blocks_to_inlines(note.content), {class = "footnote", ["data-n"] = tostring(n)})
end
