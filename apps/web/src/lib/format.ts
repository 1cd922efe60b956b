/**
 * Bytes as a person reads them, in binary units (B, KiB, MiB, GiB, TiB): sizes here are computed in
 * powers of 1024 (a 512 MiB limit, a 192 MiB object), so they read as they were written, in both languages.
 */
export function formatBytes(n: number, locale = 'en'): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n < 1024) return `${new Intl.NumberFormat(locale).format(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: v < 10 ? 1 : 0 }).format(v)} ${units[i]}`;
}

/** A duration as a countdown: 59:07, 1:02:03. */
export function formatCountdown(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

/** Milliseconds, short: 42 ms, 1.3 s. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** Where a time is shown: the person's own time zone unless a test fixes one. */
export interface TimeOptions {
  /** An IANA time zone (Asia/Tokyo, UTC); the browser's when absent. */
  timeZone?: string;
}

/** A date and time in the person's locale and time zone: Dec 3, 2026, 9:05:07 PM / 2026/12/03 21:05:07. */
export function formatDateTime(ms: number, locale = 'en', options: TimeOptions = {}): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium', ...zone(options) }).format(ms);
}

/** A time of day with seconds, in the person's locale and time zone: 9:05:07 PM / 21:05:07. */
export function formatTime(ms: number, locale = 'en', options: TimeOptions = {}): string {
  return new Intl.DateTimeFormat(locale, { timeStyle: 'medium', ...zone(options) }).format(ms);
}

/** A time of day to the minute, 24-hour, for dense lists: 21:05. */
export function formatClockTime(ms: number, locale = 'en', options: TimeOptions = {}): string {
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...zone(options) }).format(ms);
}

/** A date and time to the minute: when a batch started. */
export function formatDateTimeShort(ms: number, locale = 'en', options: TimeOptions = {}): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', ...zone(options) }).format(ms);
}

/** A report cell's time: every field numeric and fixed width, so rows sort and line up: 12/03/2026, 21:05:07. */
export function formatReportTime(ms: number, locale = 'en', options: TimeOptions = {}): string {
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    ...zone(options),
  }).format(ms);
}

/** A trace row's time of day to the millisecond, 24-hour, in the person's time zone: 21:05:07.123. */
export function formatTraceTime(ms: number, locale = 'en', options: TimeOptions = {}): string {
  return new Intl.DateTimeFormat(locale, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: 3,
    hourCycle: 'h23',
    ...zone(options),
  }).format(ms);
}

function zone(options: TimeOptions): { timeZone?: string } {
  return options.timeZone ? { timeZone: options.timeZone } : {};
}

/** A status word as the card gave it: 6983. */
export function formatSw(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * A key or file name cut after each separator (/ - _ .), so a narrow screen can wrap it there:
 * the page puts a <wbr> between the pieces, and the text stays the same.
 */
export function nameBreaks(name: string): string[] {
  return name.split(/(?<=[/_.-])/).filter((piece) => piece !== '');
}
