-- Runs before --citeproc: turns Quarto-style @sec-/@fig- references (which Pandoc reads
-- as citations) into "Section N"/"Figure N" links, as reportgen's resolve stage does.
local labels = {}

local function number(blocks)
  local counters, figures = {0, 0, 0}, 0
  local function visit(list)
    for _, block in ipairs(list) do
      if block.t == "Header" and block.level <= 3 and not block.classes:includes("unnumbered") then
        counters[block.level] = counters[block.level] + 1
        for level = block.level + 1, 3 do counters[level] = 0 end
        local parts = {}
        for level = 1, block.level do parts[#parts + 1] = tostring(counters[level]) end
        if block.identifier ~= "" then labels[block.identifier] = "Section " .. table.concat(parts, ".") end
      elseif block.t == "Figure" then
        figures = figures + 1
        local id = block.identifier
        if id == "" and block.content[1] and block.content[1].content and block.content[1].content[1] then
          id = block.content[1].content[1].identifier or ""
        end
        if id ~= "" then labels[id] = "Figure " .. figures end
      elseif block.t == "Div" or block.t == "BlockQuote" then
        visit(block.content)
      end
    end
  end
  visit(blocks)
end

local function is_xref(id)
  return id:match("^sec%-") or id:match("^fig%-") or id:match("^tbl%-")
end

function Pandoc(doc)
  number(doc.blocks)
  return doc:walk({
    Cite = function(cite)
      local out = pandoc.Inlines({})
      for i, c in ipairs(cite.citations) do
        if not is_xref(c.id) then return nil end
        if i > 1 then out:insert(pandoc.Str("; ")) end
        out:insert(pandoc.Link(labels[c.id] or c.id, "#" .. c.id))
      end
      return out
    end,
  })
end
