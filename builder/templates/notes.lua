-- mathreel study notes: a pandoc Lua filter (pandoc 2.17+).
--
-- * Display math ($$...$$) becomes a numbered equation, so the notes can say "by (2)".
--   Math that is already a display environment (align, gather, ...) numbers itself;
--   several lines without an environment are set in `gathered` inside the equation.
-- * Headings are shifted so the notes' top level is a \section, whatever level the
--   model or the author started at.
-- * Images are replaced by their description: notes must not make TeX read files
--   (a path or a URL from model-written text), and the site shows the animation anyway.

local min_level = 6

local DISPLAY_ENVS = {
  ["align"] = true, ["align*"] = true, ["alignat"] = true, ["alignat*"] = true,
  ["flalign"] = true, ["flalign*"] = true, ["gather"] = true, ["gather*"] = true,
  ["multline"] = true, ["multline*"] = true, ["equation"] = true, ["equation*"] = true,
  ["eqnarray"] = true, ["eqnarray*"] = true,
}

local function display_env(text)
  local env = text:match("^%s*\\begin{([%a%*]+)}")
  if env and DISPLAY_ENVS[env] and text:match("\\end{" .. env:gsub("%*", "%%*") .. "}%s*$") then
    return env
  end
  return nil
end

local function numbered(text)
  if display_env(text) then
    return text
  end
  -- A line break outside any environment is an error inside `equation`.
  if text:find("\\\\", 1, true) and not text:find("\\begin", 1, true) then
    return "\\begin{equation}\\begin{gathered}" .. text .. "\\end{gathered}\\end{equation}"
  end
  return "\\begin{equation}" .. text .. "\\end{equation}"
end

local function measure(el)
  if el.level < min_level then
    min_level = el.level
  end
end

local function shift(el)
  el.level = math.max(1, el.level - (min_level - 1))
  return el
end

local function math(el)
  if el.mathtype == "DisplayMath" then
    return pandoc.RawInline("latex", numbered(el.text))
  end
end

local function image(el)
  local alt = pandoc.utils.stringify(el.caption)
  if alt == "" then
    alt = "figure"
  end
  return pandoc.Emph({ pandoc.Str("[" .. alt .. "]") })
end

return {
  { Header = measure },
  { Header = shift, Math = math, Image = image },
}
