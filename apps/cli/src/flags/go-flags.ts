/**
 * Command-line flags parsed the way Go's `flag` package parses them, because scripts written for
 * SORACOM's Go krypton-cli call us: one or two dashes, `-flag value` or `-flag=value`, booleans as
 * `-flag` (or `-flag=false`; `-flag false` does not set false), parsing stops at the first argument
 * that is not a flag and after `--`, and the last occurrence of a flag wins.
 */

/** The three kinds of flag krypton-cli has. */
export type FlagKind = 'string' | 'uint' | 'bool';

/** One flag definition. */
export interface FlagDef {
  name: string;
  kind: FlagKind;
  /** Shown in the help text; `undefined` or the zero value prints no "(default …)". */
  default: string | number | boolean;
  usage: string;
  /** Another name for the same value (Go's `-p` for `-params`, `-h` for `-help`). */
  aliasOf?: string;
  /** The word after the flag name in the help text (`-port-name string`); Go derives it from the kind. */
  valueName?: string;
}

/** What the command line said. */
export interface ParsedFlags {
  /** Every flag's value: the last one given, else the default. Aliases are folded into their target. */
  values: Map<string, string | number | boolean>;
  /** Flags given on the command line (target names). */
  given: Set<string>;
  /** Arguments after the flags, which krypton-cli (like Go's) does not use. */
  rest: string[];
}

/** A command line Go's flag package would refuse; `message` is Go's own wording. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

const MAX_UINT64 = (1n << 64n) - 1n;

/** Parses argv (without the program name) against the definitions. */
export function parseGoFlags(defs: readonly FlagDef[], argv: readonly string[]): ParsedFlags {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const values = new Map<string, string | number | boolean>();
  for (const d of defs) if (!d.aliasOf) values.set(d.name, d.default);
  const given = new Set<string>();
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    if (arg.length < 2 || arg[0] !== '-') break;
    let dashes = 1;
    if (arg[1] === '-') {
      dashes = 2;
      if (arg.length === 2) {
        i++;
        break;
      }
    }
    i++;
    let name = arg.slice(dashes);
    if (name.length === 0 || name[0] === '-' || name[0] === '=') throw new FlagError(`bad flag syntax: ${arg}`);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const found = byName.get(name);
    if (!found) throw new FlagError(`flag provided but not defined: -${name}`);
    const def = found.aliasOf ? byName.get(found.aliasOf)! : found;
    if (def.kind === 'bool') {
      if (value === undefined) values.set(def.name, true);
      else {
        const b = parseGoBool(value);
        if (b === undefined) throw new FlagError(`invalid boolean value ${goQuote(value)} for -${name}: parse error`);
        values.set(def.name, b);
      }
    } else {
      if (value === undefined) {
        // Go takes the next argument whatever it looks like, even "-debug".
        if (i >= argv.length) throw new FlagError(`flag needs an argument: -${name}`);
        value = argv[i]!;
        i++;
      }
      if (def.kind === 'uint') {
        const n = parseGoUint(value);
        if (typeof n === 'string') throw new FlagError(`invalid value ${goQuote(value)} for flag -${name}: ${n}`);
        values.set(def.name, n);
      } else {
        values.set(def.name, value);
      }
    }
    given.add(def.name);
  }
  return { values, given, rest: argv.slice(i) };
}

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/**
 * strconv.ParseUint(s, 0, 64): decimal, `0x` hex, `0o`/leading-0 octal, `0b` binary, underscores
 * only after a base prefix. Returns the number, or Go's reason ("parse error", "value out of range").
 * Values above 2^53 cannot be exact in JavaScript and count as out of range (no flag needs them).
 */
export function parseGoUint(s: string): number | 'parse error' | 'value out of range' {
  let body = s;
  let base = 10;
  let prefixed = false;
  const lower = s.toLowerCase();
  if (lower.startsWith('0x')) [base, body, prefixed] = [16, s.slice(2), true];
  else if (lower.startsWith('0o')) [base, body, prefixed] = [8, s.slice(2), true];
  else if (lower.startsWith('0b')) [base, body, prefixed] = [2, s.slice(2), true];
  else if (s.length > 1 && s[0] === '0') [base, body, prefixed] = [8, s.slice(1), true];
  if (prefixed && body.includes('_')) {
    if (!/^_?[0-9a-zA-Z]+(_[0-9a-zA-Z]+)*$/.test(body)) return 'parse error';
    body = body.replaceAll('_', '');
  }
  const digits = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[base as 2 | 8 | 10 | 16];
  if (body.length === 0 || !digits.test(body)) return 'parse error';
  const prefix = { 2: '0b', 8: '0o', 10: '', 16: '0x' }[base as 2 | 8 | 10 | 16];
  const n = BigInt(prefix + body);
  if (n > MAX_UINT64 || n > BigInt(Number.MAX_SAFE_INTEGER)) return 'value out of range';
  return Number(n);
}

/** Go's %q for the printable strings a command line holds. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/**
 * The help text, in the layout of Go's `flag.PrintDefaults`: flags sorted by name, each as
 * `  -name type` then the usage indented by a tab, then `(default …)` when not the zero value.
 */
export function goUsage(program: string, defs: readonly FlagDef[]): string {
  const lines = [`Usage of ${program}:`];
  for (const d of [...defs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const typeName = d.valueName ?? (d.kind === 'bool' ? '' : d.kind);
    let line = `  -${d.name}`;
    if (typeName) line += ` ${typeName}`;
    line += line.length <= 4 ? '\t' : '\n    \t';
    line += d.usage.replaceAll('\n', '\n    \t');
    const isZero = d.default === '' || d.default === 0 || d.default === false;
    if (!isZero) line += d.kind === 'string' ? ` (default ${goQuote(String(d.default))})` : ` (default ${String(d.default)})`;
    lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}
