/** Severity of a bridge log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

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
  log(level: LogLevel, message: string, facts: Record<string, string | number | boolean | undefined> = {}): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const parts = Object.entries(facts)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v.slice(0, 200)) : String(v)}`);
    this.sink(`bridge ${level.padEnd(5)} ${message}${parts.length ? ` ${parts.join(' ')}` : ''}`);
  }

  /** Debug line. */
  debug(message: string, facts?: Record<string, string | number | boolean | undefined>): void {
    this.log('debug', message, facts);
  }

  /** Info line. */
  info(message: string, facts?: Record<string, string | number | boolean | undefined>): void {
    this.log('info', message, facts);
  }

  /** Warning line. */
  warn(message: string, facts?: Record<string, string | number | boolean | undefined>): void {
    this.log('warn', message, facts);
  }

  /** Error line. */
  error(message: string, facts?: Record<string, string | number | boolean | undefined>): void {
    this.log('error', message, facts);
  }
}
