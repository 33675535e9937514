-- The safels language server for Neovim 0.11+'s native configuration:
--
--   vim.lsp.enable('safels')
--   vim.lsp.config('safels', { init_options = { severity = { loop = 'information' } } })  -- optional
--
-- cmd, filetypes, root_markers and init_options as below; the client also
-- refreshes code lenses when diagnostics arrive. :SafelsMatrix and
-- :SafelsRelated come from plugin/safels.lua.
local ok, safels = pcall(require, 'safels')
if ok then
  local config = safels.lsp_config(safels.defaults)
  config.name, config.root_dir = nil, nil
  config.init_options = config.init_options or vim.empty_dict()
  return config
end
return {
  cmd = { 'safels' },
  filetypes = { 'go' },
  root_markers = { 'go.mod' },
  init_options = vim.empty_dict(),
}
