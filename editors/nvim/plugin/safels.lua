-- safels: the user commands, defined without loading the plugin's Lua
-- module until one is run. The server starts through
-- require('safels').setup() (Neovim 0.7+) or vim.lsp.enable('safels')
-- (Neovim 0.11+, with lsp/safels.lua).
if vim.g.loaded_safels then
  return
end
vim.g.loaded_safels = true

vim.api.nvim_create_user_command('SafelsMatrix', function()
  require('safels').matrix()
end, { desc = 'safels: show the conflict matrix of the workspace' })

vim.api.nvim_create_user_command('SafelsRelated', function(a)
  require('safels').related(a.bang)
end, { bang = true, desc = "safels: the partner locations of the line's diagnostics (! the buffer's) in the location list" })

-- The code lenses run safels.matrix: show it here rather than discard it.
vim.lsp.commands['safels.matrix'] = function(_, ctx)
  require('safels').matrix({ bufnr = ctx and ctx.bufnr })
end
