-- safels for Neovim: starts the safels language server for Go buffers and
-- adds :SafelsMatrix (the conflict matrix) and :SafelsRelated (the partner
-- locations of a diagnostic, which Neovim does not show by itself).
--
-- Works on Neovim 0.7 (vim.lsp.start_client + vim.lsp.buf_attach_client)
-- and on 0.10+ (vim.lsp.start); on 0.11+ lsp/safels.lua also serves
-- vim.lsp.config/vim.lsp.enable.

local M = {}

local uv = vim.uv or vim.loop
local has_start = vim.fn.has('nvim-0.10') == 1 and vim.lsp.start ~= nil

M.name = 'safels'

-- The options of setup and their defaults.
M.defaults = {
  -- The server: `safels` on PATH (go install github.com/safels/safels/cmd/safels@latest).
  cmd = { 'safels' },
  -- Extra environment of the server (merged into Neovim's).
  cmd_env = nil,
  -- Severity per model, sent as initializationOptions
  -- ({loop = ..., concurrent = ...}: "error", "warning", "information", "hint").
  -- nil: the server's defaults (loop: warning, concurrent: error).
  severity = nil,
  -- What marks the workspace root the server analyses.
  root_markers = { 'go.mod' },
  filetypes = { 'go' },
  -- Append the related locations of safels diagnostics to the diagnostic
  -- float (vim.diagnostic.open_float).
  float = true,
  -- Refresh code lenses (conflicts, hue, color above each handler) when
  -- diagnostics arrive.
  codelens = true,
  -- Passed through to the client.
  on_attach = nil,
  capabilities = nil,
  flags = nil,
  init_options = nil, -- overrides the one built from severity
  settings = nil, -- overrides the one built from severity
}

M.options = vim.deepcopy(M.defaults)

local function notify(msg, level)
  vim.notify('safels: ' .. msg, level or vim.log.levels.INFO)
end

---------------------------------------------------------------------------
-- Helpers that only compute (test/unit.lua tests them).

local function relname(fname)
  local rel = vim.fn.fnamemodify(fname, ':.')
  return rel ~= '' and rel or fname
end

--- The related information of an LSP diagnostic as lines
--- "file:line: message" (file relative to the current directory).
---@param lsp_diag table an LSP Diagnostic (or nil)
---@return string[]
function M.related_lines(lsp_diag)
  local out = {}
  for _, r in ipairs((lsp_diag and lsp_diag.relatedInformation) or {}) do
    local loc = r.location or {}
    local line = loc.range and loc.range.start and (loc.range.start.line + 1) or 0
    local file = loc.uri and relname(vim.uri_to_fname(loc.uri)) or '?'
    table.insert(out, string.format('%s:%d: %s', file, line, r.message or ''))
  end
  return out
end

-- The LSP diagnostic behind a vim.diagnostic entry (Neovim 0.7 keeps the
-- relatedInformation in user_data.lsp; 0.10+ keeps the whole diagnostic
-- there).
local function lsp_of(d)
  return d and d.user_data and d.user_data.lsp or nil
end

--- A safels diagnostic's message followed by its related locations, one
--- per line: "\n  related: file:line: message". Other diagnostics' messages
--- are returned unchanged.
---@param d table a vim.diagnostic entry
---@return string
function M.format_diagnostic(d)
  local msg = d.message or ''
  if d.source ~= M.name then
    return msg
  end
  for _, l in ipairs(M.related_lines(lsp_of(d))) do
    msg = msg .. '\n  related: ' .. l
  end
  return msg
end

--- Location-list items for vim.diagnostic entries: each diagnostic, then
--- its related locations ("related: message").
---@param diags table[] vim.diagnostic entries
---@param bufnr number the buffer they belong to
---@return table[] setqflist items
function M.related_items(diags, bufnr)
  local types = { 'E', 'W', 'I', 'N' }
  local items = {}
  for _, d in ipairs(diags) do
    table.insert(items, {
      bufnr = bufnr,
      lnum = d.lnum + 1,
      col = d.col + 1,
      type = types[d.severity] or 'W',
      text = d.message,
    })
    for _, r in ipairs((lsp_of(d) or {}).relatedInformation or {}) do
      local loc = r.location or {}
      local start = loc.range and loc.range.start or { line = 0, character = 0 }
      table.insert(items, {
        filename = loc.uri and vim.uri_to_fname(loc.uri) or '',
        lnum = start.line + 1,
        col = start.character + 1,
        type = 'I',
        text = 'related: ' .. (r.message or ''),
      })
    end
  end
  return items
end

--- The result of workspace/executeCommand safels.matrix as lines, the grid
--- exactly as `safels check -matrix` prints it (cells "b1b0": bit 0 a
--- conflict whatever the contexts, bit 1 only on the same context), then a
--- legend and each handler's model and position.
---@param report table {handlers = {{name, short, pos, model, hue, colored}}, matrix = {{"00", ...}}}
---@return string[]
function M.format_matrix(report)
  if type(report) == 'string' then
    report = vim.json.decode(report)
  end
  local handlers = (type(report) == 'table' and type(report.handlers) == 'table') and report.handlers or {}
  local matrix = (type(report) == 'table' and type(report.matrix) == 'table') and report.matrix or {}
  if #handlers == 0 then
    return { 'safels: no handlers (or no analysis yet: open or save a Go file and retry)' }
  end
  local function short(h, i)
    if type(h.short) == 'string' and h.short ~= '' then
      return h.short
    end
    local name = type(h.name) == 'string' and h.name or ''
    return name:match('([^./]+)$') or ('handler' .. i)
  end
  local width = 7
  for i, h in ipairs(handlers) do
    width = math.max(width, #short(h, i))
  end
  local lines = {}
  local head = string.rep(' ', width + 2)
  for i = 1, #handlers do
    head = head .. string.format(' %4d', i)
  end
  table.insert(lines, head .. '   hue color')
  for i, h in ipairs(handlers) do
    local row = string.format('%2d %-' .. width .. 's', i, short(h, i))
    local cells = matrix[i] or {}
    for j = 1, #handlers do
      local c = cells[j]
      row = row .. string.format(' %4s', c == nil and '??' or tostring(c))
    end
    local hue = (type(h.hue) == 'number' and h.hue > 0) and tostring(h.hue) or '-'
    local color = h.colored == true and 'ctx' or '-'
    table.insert(lines, row .. string.format('   %3s %5s', hue, color))
  end
  table.insert(lines, '')
  table.insert(lines, 'cells b1b0: 01 conflict whatever the contexts, 10 conflict on the same context, 11 both')
  table.insert(lines, 'hue: never runs with another handler of its hue; color ctx: never with another colored one on the same context')
  table.insert(lines, '')
  for i, h in ipairs(handlers) do
    table.insert(lines, string.format('%2d %-' .. width .. 's  %-10s %s', i, short(h, i), h.model or '', h.pos or ''))
  end
  return lines
end

--- The directory holding one of markers, from path upwards; nil if none.
---@param path string a file or directory
---@param markers string[]
function M.find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ':p')
  if vim.fn.isdirectory(dir) == 0 then
    dir = vim.fn.fnamemodify(dir, ':h')
  end
  dir = dir:gsub('(.)/+$', '%1')
  while true do
    for _, m in ipairs(markers) do
      if uv.fs_stat((dir == '/' and '' or dir) .. '/' .. m) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      return nil
    end
    dir = parent
  end
end

---------------------------------------------------------------------------
-- The client.

-- The safels client attached to bufnr, or else any running safels client.
function M.client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local all
  if vim.lsp.get_clients then
    local attached = vim.lsp.get_clients({ bufnr = bufnr, name = M.name })
    if attached[1] then
      return attached[1]
    end
    all = vim.lsp.get_clients({ name = M.name })
  else
    for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do
      if c.name == M.name then
        return c
      end
    end
    all = vim.tbl_filter(function(c)
      return c.name == M.name
    end, vim.lsp.get_active_clients())
  end
  return all[1]
end

-- client:request on 0.11+, client.request before (0.11 made the client a
-- class).
local function request(client, method, params, handler, bufnr)
  if vim.fn.has('nvim-0.11') == 1 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function refresh_codelens(bufnr)
  if not M.options.codelens or not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  if vim.fn.has('nvim-0.10') == 1 then
    pcall(vim.lsp.codelens.refresh, { bufnr = bufnr })
  elseif bufnr == vim.api.nvim_get_current_buf() then
    pcall(vim.lsp.codelens.refresh)
  end
end

-- publishDiagnostics as usual, then the code lenses of the file (they
-- belong to the analysis that produced the diagnostics).
M.published = {} -- file name -> publishDiagnostics received (tests wait on it)

local function on_publish(err, result, ctx, config)
  if result and result.uri then
    local f = vim.uri_to_fname(result.uri)
    M.published[f] = (M.published[f] or 0) + 1
  end
  local default = vim.lsp.handlers['textDocument/publishDiagnostics'] or vim.lsp.diagnostic.on_publish_diagnostics
  local ret = default(err, result, ctx, config)
  local fname = result and result.uri and vim.uri_to_fname(result.uri)
  for _, bufnr in ipairs(fname and vim.api.nvim_list_bufs() or {}) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.api.nvim_buf_get_name(bufnr) == fname then
      vim.schedule(function()
        refresh_codelens(bufnr)
      end)
    end
  end
  return ret
end

--- The client configuration, for vim.lsp.start / vim.lsp.start_client, or,
--- without root_dir, for vim.lsp.config (lsp/safels.lua).
---@param opts table|nil setup options (default: those of the last setup)
---@param root_dir string|nil
function M.lsp_config(opts, root_dir)
  opts = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or M.options)
  local init_options = opts.init_options
  if init_options == nil and opts.severity ~= nil then
    init_options = { severity = opts.severity }
  end
  local settings = opts.settings
  if settings == nil and opts.severity ~= nil then
    settings = { safels = { severity = opts.severity } }
  end
  return {
    name = M.name,
    cmd = opts.cmd,
    cmd_env = opts.cmd_env,
    filetypes = opts.filetypes,
    root_markers = opts.root_markers,
    root_dir = root_dir,
    init_options = init_options,
    settings = settings,
    handlers = { ['textDocument/publishDiagnostics'] = on_publish },
    on_attach = opts.on_attach,
    capabilities = opts.capabilities,
    flags = opts.flags,
  }
end

local started = {} -- root -> client id (Neovim < 0.10)

local function usable(bufnr)
  return vim.api.nvim_buf_is_valid(bufnr)
    and vim.bo[bufnr].buftype == ''
    and vim.api.nvim_buf_get_name(bufnr) ~= ''
end

--- Starts (or reuses) the server of bufnr's workspace and attaches it.
---@return number|nil client id
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not usable(bufnr) then
    return nil
  end
  local opts = M.options
  if vim.fn.executable(opts.cmd[1]) == 0 then
    if not M._warned then
      M._warned = true
      notify(
        string.format('%q not found; install it with: go install github.com/safels/safels/cmd/safels@latest', opts.cmd[1]),
        vim.log.levels.WARN
      )
    end
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  local root = M.find_root(name, opts.root_markers) or vim.fn.fnamemodify(name, ':p:h')
  local config = M.lsp_config(opts, root)
  config.filetypes, config.root_markers = nil, nil -- the root is found already
  if has_start then
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = started[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or client.is_stopped() then
    id = vim.lsp.start_client(config)
    if not id then
      notify('could not start ' .. table.concat(opts.cmd, ' '), vim.log.levels.ERROR)
      return nil
    end
    started[root] = id
  end
  if not vim.lsp.buf_is_attached(bufnr, id) then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

---------------------------------------------------------------------------
-- Commands.

--- Fills the location list with the safels diagnostics of the cursor's line
--- (all of the buffer's with all = true) and their related locations, and
--- opens it. Returns the items.
function M.related(all)
  local bufnr = vim.api.nvim_get_current_buf()
  local diags = vim.diagnostic.get(bufnr)
  local line = vim.api.nvim_win_get_cursor(0)[1] - 1
  diags = vim.tbl_filter(function(d)
    return d.source == M.name and (all or d.lnum == line)
  end, diags)
  table.sort(diags, function(a, b)
    return a.lnum < b.lnum or a.lnum == b.lnum and a.col < b.col
  end)
  if #diags == 0 then
    notify(all and 'no diagnostics in this buffer' or 'no diagnostic on this line')
    return {}
  end
  local items = M.related_items(diags, bufnr)
  vim.fn.setloclist(0, {}, ' ', { title = 'safels: related locations', items = items })
  vim.cmd('lopen')
  return items
end

--- Shows lines in the matrix scratch buffer (reused), in a split.
local function show(lines)
  local buf = M._matrix_buf
  if not (buf and vim.api.nvim_buf_is_valid(buf)) then
    buf = vim.api.nvim_create_buf(false, true)
    M._matrix_buf = buf
    vim.bo[buf].bufhidden = 'hide'
    vim.bo[buf].filetype = 'safelsmatrix'
    pcall(vim.api.nvim_buf_set_name, buf, 'safels-matrix')
    vim.keymap.set('n', 'q', '<cmd>close<cr>', { buffer = buf, nowait = true, desc = 'close the safels matrix' })
  end
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  local win = vim.fn.bufwinid(buf)
  if win == -1 then
    vim.cmd('botright split')
    win = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(win, buf)
  else
    vim.api.nvim_set_current_win(win)
  end
  vim.wo[win].wrap = false
  vim.api.nvim_win_set_height(win, math.min(#lines + 1, math.max(5, math.floor(vim.o.lines / 2))))
  return buf
end

--- Runs safels.matrix on the server and shows the result in a scratch
--- buffer (filetype safelsmatrix). opts.bufnr: whose server; opts.on_done:
--- called with the buffer (or nil and an error).
function M.matrix(opts)
  opts = opts or {}
  local client = M.client(opts.bufnr)
  if not client then
    notify('no safels server is running (open a Go file first)', vim.log.levels.WARN)
    if opts.on_done then
      opts.on_done(nil, 'no client')
    end
    return
  end
  request(client, 'workspace/executeCommand', { command = 'safels.matrix' }, function(err, result)
    if err then
      notify('safels.matrix: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      if opts.on_done then
        opts.on_done(nil, err)
      end
      return
    end
    local buf = show(M.format_matrix(result))
    if opts.on_done then
      opts.on_done(buf)
    end
  end, opts.bufnr or vim.api.nvim_get_current_buf())
end

--- Defines :SafelsMatrix, :SafelsRelated and the client command
--- safels.matrix (run by the code lenses). Idempotent.
function M.commands()
  vim.api.nvim_create_user_command('SafelsMatrix', function()
    M.matrix()
  end, { desc = 'safels: show the conflict matrix of the workspace' })
  vim.api.nvim_create_user_command('SafelsRelated', function(a)
    M.related(a.bang)
  end, { bang = true, desc = "safels: the partner locations of the line's diagnostics (! the buffer's) in the location list" })
  vim.lsp.commands['safels.matrix'] = function(_, ctx)
    M.matrix({ bufnr = ctx and ctx.bufnr })
  end
end

--- Adds the related locations of safels diagnostics to the diagnostic
--- float (vim.diagnostic.open_float), keeping any float format already set.
--- setup() calls it (option float); call it yourself with vim.lsp.enable.
function M.related_in_float()
  local cfg = vim.diagnostic.config() or {}
  local float = type(cfg.float) == 'table' and vim.deepcopy(cfg.float) or {}
  if float.format == M._float_format and M._float_format ~= nil then
    return
  end
  local prev = float.format
  M._float_format = function(d)
    local msg = d.message
    if prev then
      msg = prev(d)
      if msg == nil then
        return nil
      end
    end
    if d.source ~= M.name then
      return msg
    end
    return M.format_diagnostic(vim.tbl_extend('force', d, { message = msg }))
  end
  float.format = M._float_format
  vim.diagnostic.config({ float = float })
end

--- Configures safels and attaches it to Go buffers (now and on FileType).
---@param opts table|nil see M.defaults
function M.setup(opts)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  if type(M.options.cmd) == 'string' then
    M.options.cmd = { M.options.cmd }
  end
  M._warned = false
  M.commands()
  if M.options.float then
    M.related_in_float()
  end
  local group = vim.api.nvim_create_augroup('safels', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.options.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) and vim.tbl_contains(M.options.filetypes, vim.bo[b].filetype) then
      M.attach(b)
    end
  end
end

return M
