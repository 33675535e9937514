-- Unit tests of the plugin's helpers, without a server:
--
--   nvim --headless -u NONE -i NONE --cmd 'set rtp+=editors/nvim' -c 'luafile editors/nvim/test/unit.lua'
--
-- Prints "ok" or the failures; exits 0 only if all pass (:cquit 1
-- otherwise: a Lua error alone would still exit 0).

local safels = require('safels')
local failures = {}

local function check(name, got, want)
  if not vim.deep_equal(got, want) then
    table.insert(failures, string.format('%s:\n  got  %s\n  want %s', name, vim.inspect(got), vim.inspect(want)))
  end
end

local function tests()
  -- format_matrix: the grid as `safels check -matrix` prints it.
  local report = {
    handlers = {
      { name = 'example.com/x.handleAccept', short = 'handleAccept', pos = 'main.go:10:6', model = 'loop', hue = 1, colored = true },
      { name = 'example.com/x.idle', short = '', pos = 'main.go:20:6', model = 'concurrent', hue = 0, colored = false },
    },
    matrix = { { '11', '01' }, { '01', '00' } },
  }
  local lines = safels.format_matrix(report)
  check('matrix grid', { lines[1], lines[2], lines[3] }, {
    '                  1    2   hue color',
    ' 1 handleAccept   11   01     1   ctx',
    ' 2 idle           01   00     -     -',
  })
  check('matrix legend', { lines[4], lines[8], lines[9] }, {
    '',
    ' 1 handleAccept  loop       main.go:10:6',
    ' 2 idle          concurrent main.go:20:6',
  })
  check('matrix from JSON text', safels.format_matrix(vim.json.encode(report)), lines)
  -- Short names keep the minimum width of 7.
  check('matrix narrow', safels.format_matrix({ handlers = { { short = 'h', hue = 2 } }, matrix = { { '10' } } })[2], ' 1 h         10     2     -')
  check('matrix empty', #safels.format_matrix({ handlers = {}, matrix = {} }), 1)
  check('matrix nil', #safels.format_matrix(nil), 1)

  -- related_lines / format_diagnostic: related locations after the message.
  local cwd = vim.fn.getcwd()
  local lsp = {
    message = 'handleSend writes x; handleRead reads it (a.go:3)',
    relatedInformation = {
      { location = { uri = vim.uri_from_fname(cwd .. '/a.go'), range = { start = { line = 2, character = 4 }, ['end'] = { line = 2, character = 5 } } }, message = 'handleRead reads x here' },
      { location = { uri = 'file:///elsewhere/b.go', range = { start = { line = 0, character = 0 }, ['end'] = { line = 0, character = 1 } } }, message = 'via f' },
    },
  }
  check('related_lines', safels.related_lines(lsp), { 'a.go:3: handleRead reads x here', '/elsewhere/b.go:1: via f' })
  check('related_lines none', safels.related_lines({ message = 'x' }), {})
  local d = { source = 'safels', message = lsp.message, lnum = 4, col = 1, severity = 2, user_data = { lsp = lsp } }
  check('format_diagnostic', safels.format_diagnostic(d), lsp.message .. '\n  related: a.go:3: handleRead reads x here\n  related: /elsewhere/b.go:1: via f')
  check('format_diagnostic other source', safels.format_diagnostic({ source = 'gopls', message = 'm', user_data = { lsp = lsp } }), 'm')

  -- related_items: the diagnostic, then its related locations.
  local items = safels.related_items({ d }, 7)
  check('related_items', items, {
    { bufnr = 7, lnum = 5, col = 2, type = 'W', text = lsp.message },
    { filename = cwd .. '/a.go', lnum = 3, col = 5, type = 'I', text = 'related: handleRead reads x here' },
    { filename = '/elsewhere/b.go', lnum = 1, col = 1, type = 'I', text = 'related: via f' },
  })

  -- find_root: the nearest directory with a marker.
  local tmp = vim.fn.tempname()
  vim.fn.mkdir(tmp .. '/mod/pkg/sub', 'p')
  vim.fn.writefile({ 'module m' }, tmp .. '/mod/go.mod')
  vim.fn.writefile({ 'package sub' }, tmp .. '/mod/pkg/sub/x.go')
  check('find_root file', safels.find_root(tmp .. '/mod/pkg/sub/x.go', { 'go.mod' }), tmp .. '/mod')
  check('find_root dir', safels.find_root(tmp .. '/mod/pkg/', { 'go.mod' }), tmp .. '/mod')
  check('find_root none', safels.find_root(tmp .. '/mod/pkg/sub/x.go', { 'no-such-marker' }), nil)
  vim.fn.delete(tmp, 'rf')

  -- lsp_config: severity becomes init_options (and settings); options pass through.
  local cfg = safels.lsp_config({ cmd = { '/bin/safels', 'serve' }, severity = { loop = 'hint' } }, '/r')
  check('lsp_config cmd', cfg.cmd, { '/bin/safels', 'serve' })
  check('lsp_config init_options', cfg.init_options, { severity = { loop = 'hint' } })
  check('lsp_config settings', cfg.settings, { safels = { severity = { loop = 'hint' } } })
  check('lsp_config root', cfg.root_dir, '/r')
  check('lsp_config default init_options', safels.lsp_config(safels.defaults).init_options, nil)

  -- setup installs the related locations in the float format, once, and
  -- keeps a format the user set.
  vim.diagnostic.config({ float = { format = function(x)
    return 'user: ' .. x.message
  end } })
  safels.setup({ cmd = { 'safels-not-installed' } })
  safels.setup({ cmd = { 'safels-not-installed' } })
  local fmt = vim.diagnostic.config().float.format
  check('float format', fmt(d), 'user: ' .. lsp.message .. '\n  related: a.go:3: handleRead reads x here\n  related: /elsewhere/b.go:1: via f')
  check('float format other', fmt({ source = 'gopls', message = 'm' }), 'user: m')
  check('commands', { vim.fn.exists(':SafelsMatrix'), vim.fn.exists(':SafelsRelated') }, { 2, 2 })
end

local ok, err = xpcall(tests, debug.traceback)
if not ok then
  table.insert(failures, 'error: ' .. tostring(err))
end
if #failures > 0 then
  io.stdout:write('FAIL\n' .. table.concat(failures, '\n') .. '\n')
  vim.cmd('cquit 1')
else
  io.stdout:write('ok\n')
  vim.cmd('qa!')
end
