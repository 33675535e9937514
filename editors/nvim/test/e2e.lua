-- End-to-end test of the safels plugin in a headless Neovim, driven by
-- editors/nvim/nvim_test.go:
--
--   timeout 120 nvim --headless -u NONE -i NONE --cmd 'set rtp+=editors/nvim' -c 'luafile editors/nvim/test/e2e.lua'
--
-- Environment: SAFELS_E2E_BIN (the server binary), SAFELS_E2E_LOG (its
-- log), SAFELS_E2E_FILE (handlers.go of a copy of testdata/thttpd),
-- SAFELS_E2E_REPORT (where the JSON report goes). A Lua error does not make
-- Neovim exit non-zero: everything runs under pcall, and a failure ends
-- with :cquit 1.

local report = { ok = false, steps = {} }
local t0 = (vim.uv or vim.loop).hrtime()

local function elapsed()
  return ((vim.uv or vim.loop).hrtime() - t0) / 1e9
end

local function step(fmt, ...)
  local msg = string.format('%6.2fs ' .. fmt, elapsed(), ...)
  table.insert(report.steps, msg)
  io.stdout:write(msg .. '\n')
end

local function env(name)
  local v = os.getenv(name)
  assert(v and v ~= '', name .. ' is not set')
  return v
end

-- Polls cond (every 50 ms) for up to ms; fails with what on timeout.
local function wait(ms, what, cond)
  local start = elapsed()
  local value
  local ok = vim.wait(ms, function()
    value = cond()
    return value ~= nil and value ~= false
  end, 50)
  if not ok then
    error(string.format('timed out after %d ms waiting for %s', ms, what), 0)
  end
  step('%s (%.2fs)', what, elapsed() - start)
  return value
end

local function contains(lines, pat)
  for _, l in ipairs(lines) do
    if l:find(pat, 1, true) then
      return l
    end
  end
  return nil
end

local function lines_of(buf)
  return vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end

local function line_with(buf, text)
  for i, l in ipairs(lines_of(buf)) do
    if l:find(text, 1, true) then
      return i - 1
    end
  end
  return nil
end

local CALL = 'handleSend calls reallyClearConnection'

local function call_diag(buf)
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.source == 'safels' and d.message:sub(1, #CALL) == CALL then
      return d
    end
  end
  return nil
end

local function test()
  local bin, logfile, file = env('SAFELS_E2E_BIN'), env('SAFELS_E2E_LOG'), env('SAFELS_E2E_FILE')
  local v = vim.version()
  report.nvim = string.format('%d.%d.%d', v.major, v.minor, v.patch)
  step('Neovim %s', report.nvim)

  vim.cmd('filetype on')
  vim.cmd('runtime plugin/safels.lua')
  assert(vim.fn.exists(':SafelsMatrix') == 2, 'plugin/safels.lua did not define :SafelsMatrix')
  assert(vim.fn.exists(':SafelsRelated') == 2, 'plugin/safels.lua did not define :SafelsRelated')
  local safels = require('safels')

  -- lsp/safels.lua: the configuration vim.lsp.config/vim.lsp.enable read.
  local path = vim.api.nvim_get_runtime_file('lsp/safels.lua', false)[1]
  assert(path, 'lsp/safels.lua is not on the runtimepath')
  local cfg = dofile(path)
  assert(type(cfg) == 'table', 'lsp/safels.lua does not return a table')
  assert(vim.deep_equal(cfg.cmd, { 'safels' }), 'lsp/safels.lua cmd: ' .. vim.inspect(cfg.cmd))
  assert(vim.deep_equal(cfg.filetypes, { 'go' }), 'lsp/safels.lua filetypes: ' .. vim.inspect(cfg.filetypes))
  assert(vim.deep_equal(cfg.root_markers, { 'go.mod' }), 'lsp/safels.lua root_markers: ' .. vim.inspect(cfg.root_markers))
  assert(cfg.init_options ~= nil, 'lsp/safels.lua has no init_options')

  -- The server, with a log, and the severity option sent as init_options.
  -- A long didChange debounce: the quick fix is saved at once, and the
  -- server must still analyse the edited text (Neovim sends pending
  -- changes before didSave).
  safels.setup({
    cmd = { bin, 'serve', '-log', logfile },
    severity = { loop = 'warning', concurrent = 'error' },
    flags = { debounce_text_changes = 2000 },
  })
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  local win = vim.api.nvim_get_current_win()
  assert(vim.bo[buf].filetype == 'go', 'filetype is ' .. vim.bo[buf].filetype)
  local client = wait(10000, 'the safels client attached', function()
    return safels.client(buf)
  end)
  assert(client.config.init_options and client.config.init_options.severity.concurrent == 'error', 'init_options: ' .. vim.inspect(client.config.init_options))

  -- The diagnostic on handleSend's call of reallyClearConnection.
  local d = wait(90000, 'the diagnostic on the reallyClearConnection call', function()
    return call_diag(buf)
  end)
  local call_line = line_with(buf, '\treallyClearConnection(c) // want')
  assert(d.lnum == call_line, string.format('diagnostic on line %d, the call is on line %d', d.lnum + 1, (call_line or -1) + 1))
  report.diagnostic = { line = d.lnum + 1, col = d.col + 1, code = d.code, severity = d.severity, message = d.message }
  step('diagnostic %s:%d:%d [%s]: %s', vim.fn.fnamemodify(file, ':t'), d.lnum + 1, d.col + 1, tostring(d.code), d.message)
  local partners = d.message:match(';%s*(.*)$') or ''
  assert(partners:find('handle', 1, true), 'the message names no partner handler: ' .. d.message)
  assert(d.code == 'global-conflict', 'code ' .. tostring(d.code))
  assert(d.severity == vim.diagnostic.severity.WARN, 'severity ' .. tostring(d.severity) .. ', want WARN (loop = warning)')

  -- Related information, in the diagnostic float...
  vim.api.nvim_win_set_cursor(win, { d.lnum + 1, d.col })
  local fbuf, fwin = vim.diagnostic.open_float({ scope = 'cursor' })
  if type(fbuf) == 'table' then -- some versions return {bufnr, winid}
    fbuf, fwin = fbuf[1], fbuf[2]
  end
  assert(fbuf and vim.api.nvim_buf_is_valid(fbuf), 'open_float opened nothing')
  local float = lines_of(fbuf)
  report.float = float
  local rel = contains(float, 'related: handlers.go:')
  assert(rel, 'no "related: handlers.go:" line in the float: ' .. vim.inspect(float))
  step('float: %d lines, e.g. %s', #float, vim.trim(rel))
  if fwin and vim.api.nvim_win_is_valid(fwin) then
    vim.api.nvim_win_close(fwin, true)
  end
  vim.api.nvim_set_current_win(win)

  -- ... and in the location list (:SafelsRelated).
  vim.api.nvim_win_set_cursor(win, { d.lnum + 1, d.col })
  vim.cmd('SafelsRelated')
  local loc = vim.fn.getloclist(win)
  report.loclist = {}
  local related = 0
  for _, it in ipairs(loc) do
    local name = it.bufnr > 0 and vim.fn.fnamemodify(vim.api.nvim_buf_get_name(it.bufnr), ':t') or '?'
    table.insert(report.loclist, string.format('%s:%d:%d: %s', name, it.lnum, it.col, it.text))
    if it.text:sub(1, 9) == 'related: ' and name:match('%.go$') and it.lnum > 0 then
      related = related + 1
    end
  end
  assert(#loc >= 2 and related >= 1, ':SafelsRelated: ' .. vim.inspect(report.loclist))
  assert(loc[1].lnum == d.lnum + 1, ':SafelsRelated: the first item is not the diagnostic')
  step(':SafelsRelated: %d items, %d related locations', #loc, related)
  vim.cmd('lclose')
  vim.api.nvim_set_current_win(win)

  -- :SafelsMatrix
  vim.cmd('SafelsMatrix')
  local mlines = wait(10000, 'the :SafelsMatrix buffer', function()
    local b = safels._matrix_buf
    if b and vim.api.nvim_buf_is_valid(b) and contains(lines_of(b), 'handleSend') then
      return lines_of(b)
    end
  end)
  report.matrix = mlines
  assert(mlines[1]:find('hue color', 1, true), 'matrix header: ' .. mlines[1])
  local row = contains(mlines, 'handleSend')
  assert(row:match('^%s*%d+ handleSend%s+[01][01] '), 'matrix row: ' .. row)
  step('matrix: %s', row)
  vim.cmd('close')
  vim.api.nvim_set_current_win(win)

  -- Code lenses arrive with the diagnostics; running handleSend's opens
  -- the matrix.
  local decl = line_with(buf, 'func handleSend(')
  local lens = wait(10000, "handleSend's code lens", function()
    for _, l in ipairs(vim.lsp.codelens.get(buf)) do
      if l.range.start.line == decl then
        return l
      end
    end
  end)
  report.codelens = lens.command.title
  step('code lens: %s', lens.command.title)
  assert(lens.command.title:find('safels: conflicts with', 1, true), 'lens: ' .. lens.command.title)
  vim.api.nvim_buf_delete(safels._matrix_buf, { force = true })
  vim.api.nvim_win_set_cursor(win, { decl + 1, 0 })
  vim.lsp.codelens.run()
  wait(10000, 'the matrix from the code lens', function()
    local b = safels._matrix_buf
    return b and vim.api.nvim_buf_is_valid(b) and contains(lines_of(b), 'handleSend')
  end)
  vim.cmd('close')
  vim.api.nvim_set_current_win(win)

  -- Hover on the handler's name.
  vim.api.nvim_win_set_cursor(win, { decl + 1, #'func ' })
  local hover = vim.lsp.buf_request_sync(buf, 'textDocument/hover', vim.lsp.util.make_position_params(0, 'utf-16'), 10000)
  local text
  for _, r in pairs(hover or {}) do
    text = r.result and r.result.contents and r.result.contents.value
  end
  assert(text and text:find('**handleSend** · safels handler', 1, true), 'hover: ' .. vim.inspect(hover))
  step('hover: %s', text:match('^[^\n]*'))

  -- The quick fix, through vim.lsp.buf.code_action and the menu.
  vim.api.nvim_win_set_cursor(win, { d.lnum + 1, d.col })
  local titles, chosen
  vim.ui.select = function(items, opts, on_choice)
    titles = {}
    local pick
    for _, item in ipairs(items) do
      local title = opts.format_item and opts.format_item(item) or tostring(item)
      table.insert(titles, title)
      if not pick and title:sub(1, 6) == 'Defer ' then
        pick, chosen = item, title
      end
    end
    on_choice(pick)
  end
  local before = safels.published[vim.api.nvim_buf_get_name(buf)] or 0
  vim.lsp.buf.code_action()
  wait(10000, 'the code action menu', function()
    return titles
  end)
  report.titles = titles
  step('code actions: %s', table.concat(titles, ' | '))
  assert(chosen, 'no code action titled "Defer ..."')
  assert(chosen:find('to new handler', 1, true), 'title: ' .. chosen)
  report.fix = chosen
  local post = wait(10000, 'the Defer edit in the buffer', function()
    return contains(lines_of(buf), 'loop.Post(l, defer')
  end)
  report.post_line = vim.trim(post)
  step('edit: %s', report.post_line)

  vim.cmd('write')
  wait(90000, 'diagnostics after the save', function()
    return (safels.published[vim.api.nvim_buf_get_name(buf)] or 0) > before and call_diag(buf) == nil
  end)
  local post_line = line_with(buf, 'loop.Post(l, defer')
  report.after = {}
  for _, x in ipairs(vim.diagnostic.get(buf)) do
    table.insert(report.after, string.format('%d: %s', x.lnum + 1, x.message))
    if x.lnum == post_line and x.message:find('reallyClearConnection', 1, true) then
      error('the Post line still has a diagnostic about reallyClearConnection: ' .. x.message, 0)
    end
  end
  step('%d diagnostics in handlers.go after the fix, none on the call', #report.after)

  -- Shut the server down cleanly, so that its log is complete.
  local id = client.id
  vim.lsp.stop_client(id)
  wait(10000, 'the server stopped', function()
    return vim.lsp.get_client_by_id(id) == nil
  end)
  report.ok = true
end

local ok, err = xpcall(test, debug.traceback)
if not ok then
  report.error = tostring(err)
  io.stdout:write('FAIL: ' .. report.error .. '\n')
end
report.seconds = elapsed()
local path = os.getenv('SAFELS_E2E_REPORT')
if path and path ~= '' then
  local f = io.open(path, 'w')
  if f then
    f:write(vim.json.encode(report))
    f:close()
  end
end
if report.ok then
  vim.cmd('qa!')
else
  vim.cmd('cquit 1')
end
