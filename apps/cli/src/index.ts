// krypton-cli as a library: run it in-process (tests, other tools), its flags, and the file key cache.
export { runCli, type CliIo } from './run.ts';
export {
  parseOptions,
  usageText,
  FLAGS,
  VERSION,
  type CliOptions,
  type InterfaceType,
  type RunMode,
  type SerialSettings,
} from './options.ts';
export { parseGoFlags, goUsage, FlagError, type FlagDef, type FlagKind, type ParsedFlags } from './flags/go-flags.ts';
export { CliError, errorLine, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from './errors.ts';
export { FileKeyCache, defaultKeyCachePaths, type FileKeyCacheOptions, type KeyCachePaths } from './key-cache/file-key-cache.ts';
export { goJson } from './output.ts';
