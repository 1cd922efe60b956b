import { KryptonError } from '@krypton-web/krypton-core';
import { FlagError } from './flags/go-flags.ts';

/** A failure the CLI itself detects (bad flag values, no SIM found): what happened, and what to do. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly action: string,
    readonly code = 'BAD_INPUT',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Exit codes, as SORACOM's CLI sets them: 2 for a command line Go's flag package refuses, 1 for every other failure. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** Interrupted by SIGINT (128 + 2), SIGTERM (128 + 15). */
export const EXIT_SIGINT = 130;
export const EXIT_SIGTERM = 143;

/** The exit code for an error. */
export function exitCodeFor(e: unknown): number {
  return e instanceof FlagError ? EXIT_USAGE : EXIT_FAILURE;
}

/** Actions the CLI gives instead of core's, where a command line has a better answer than a UI. */
const CLI_ACTIONS: Partial<Record<string, string>> = {
  PIN_REQUIRED: 'Put the PIN in the environment as KRYPTON_SIM_PIN and run again (or disable the PIN on the SIM)',
  TRANSPORT_BUSY: 'Another program is using the SIM: wait for it to finish, then run again',
};

/**
 * One line for stderr: what happened, then what to do. Messages never hold secrets (krypton-core's
 * errors carry none, and the CLI's own name only flags, files and ports).
 */
export function errorLine(e: unknown): string {
  if (e instanceof FlagError) return `${e.message} (run "krypton-cli -h" to see the flags)`;
  if (e instanceof CliError) return sentence(e.message, e.action);
  if (e instanceof KryptonError) return sentence(e.message, CLI_ACTIONS[e.code] ?? e.action);
  const err = e as { message?: unknown } | undefined;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  return sentence(`unexpected failure: ${message}`, 'Run again with -debug for details; if it repeats, report it with that output');
}

/** Extra lines -debug adds: the error's code, facts and causes (none of which hold secrets). */
export function errorDetailLines(e: unknown): string[] {
  const lines: string[] = [];
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') lines.push(`error code: ${code}`);
  if (e instanceof KryptonError && Object.keys(e.details).length > 0) {
    const details = { ...e.details, ...(e.details.sw === undefined ? {} : { sw: e.details.sw.toString(16).padStart(4, '0') }) };
    lines.push(`error details: ${JSON.stringify(details)}`);
  }
  let cause = (e as { cause?: unknown } | undefined)?.cause;
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    const c = cause as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
    const name = typeof c?.name === 'string' ? c.name : 'Error';
    const codePart = typeof c?.code === 'string' ? ` ${c.code}` : '';
    lines.push(`caused by: ${name}${codePart}: ${typeof c?.message === 'string' ? c.message : describeValue(cause)}`);
    cause = c?.cause;
  }
  return lines;
}

function sentence(message: string, action: string): string {
  const m = message.trim().replace(/[.\s]+$/, '');
  const a = action.trim().replace(/[.\s]+$/, '');
  return a ? `${m}. ${a}.`.replace(/\n+/g, ' ') : `${m}.`.replace(/\n+/g, ' ');
}

/** A thrown value that is not an Error, named without reading its fields (they may hold anything). */
function describeValue(value: unknown): string {
  if (typeof value === 'object' && value !== null) return `a ${value.constructor?.name ?? 'null-prototype'} object`;
  return String(value);
}
