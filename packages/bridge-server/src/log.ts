/** Severity of a bridge log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The facts of a log line: names, codes, counts, times — never payloads. */
export type LogFacts = Record<string, string | number | boolean | undefined>;

/** Where log lines go; the default writes to stderr. */
export type LogSink = (line: string) => void;

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * The bridge's log. Callers pass facts (reader names, origins, operation names, status codes),
 * never payloads: APDUs, RAND/AUTN, RES, keys and tokens have no parameter to travel through.
 */
export class Logger {
  constructor(
    private readonly sink: LogSink = (line) => process.stderr.write(`${line}\n`),
    private readonly level: LogLevel = 'info',
  ) {}

  /** Logs one line at a level, with optional key=value facts. */
  log(level: LogLevel, message: string, facts: LogFacts = {}): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const parts = Object.entries(facts)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v.slice(0, 200)) : String(v)}`);
    this.sink(`bridge ${level.padEnd(5)} ${message}${parts.length ? ` ${parts.join(' ')}` : ''}`);
  }

  /** Debug line. */
  debug(message: string, facts?: LogFacts): void {
    this.log('debug', message, facts);
  }

  /** Info line. */
  info(message: string, facts?: LogFacts): void {
    this.log('info', message, facts);
  }

  /** Warning line. */
  warn(message: string, facts?: LogFacts): void {
    this.log('warn', message, facts);
  }

  /** Error line. */
  error(message: string, facts?: LogFacts): void {
    this.log('error', message, facts);
  }
}

/**
 * What may be logged about an error: its kind (`TypeError`) and a system or library code of it or its
 * cause (`ECONNRESET`, `UND_ERR_SOCKET`, `Z_DATA_ERROR`), never its message, which can carry anything
 * (a URL with a query, a value from a body).
 */
export function errorFacts(err: unknown): { error: string; cause: string | undefined } {
  return { error: err instanceof Error ? err.name : err === null ? 'null' : typeof err, cause: causeCode(err) };
}

function causeCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  }
  return undefined;
}
