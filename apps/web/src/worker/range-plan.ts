/**
 * How a download is cut into byte ranges: the part size, the number of connections and the ranges
 * themselves. Pure functions, so the choices are tested apart from any network (decision 0026).
 */

const MiB = 1024 * 1024;

/** Part size unless the person chose one: large enough that a request's round trip is small beside it. */
export const DEFAULT_PART_BYTES = 8 * MiB;
/** Smallest and largest part size the person may choose (S3's own multipart limits are 5 MiB–5 GiB). */
export const MIN_PART_BYTES = 1 * MiB;
export const MAX_PART_BYTES = 256 * MiB;
/** Most connections the person may choose. */
export const MAX_CONNECTIONS = 8;
/**
 * Most connections chosen by default: Chromium opens at most 6 HTTP/1.1 connections per host (S3
 * speaks HTTP/1.1 to browsers), so a 7th and 8th range would only queue, and the listing behind them.
 */
export const MAX_DEFAULT_CONNECTIONS = 6;

/** One byte range of the object, both ends inclusive (as in a Range header). */
export interface Part {
  index: number;
  start: number;
  end: number;
}

/**
 * The part size, in one place: the person's choice (clamped to what is sensible), else the default.
 * A multipart object's own part size (`multipartPartBytes`, when known) is preferred: its ranges then
 * line up with the parts S3 stores and checksums.
 */
export function partSizeFor(choice: { chosenBytes?: number | undefined; multipartPartBytes?: number | undefined } = {}): number {
  const wanted = choice.chosenBytes ?? choice.multipartPartBytes ?? DEFAULT_PART_BYTES;
  if (!Number.isFinite(wanted)) return DEFAULT_PART_BYTES;
  return Math.min(MAX_PART_BYTES, Math.max(MIN_PART_BYTES, Math.floor(wanted)));
}

/**
 * Connections for an object of `size` bytes: the person's choice (1–8), else one per two parts, from
 * 1 (under two parts: one request is quickest) up to MAX_DEFAULT_CONNECTIONS.
 */
export function connectionsFor(size: number, partBytes: number, chosen?: number): number {
  if (chosen !== undefined && Number.isFinite(chosen)) return Math.min(MAX_CONNECTIONS, Math.max(1, Math.floor(chosen)));
  return Math.min(MAX_DEFAULT_CONNECTIONS, Math.max(1, Math.floor(size / (2 * partBytes))));
}

/**
 * The ranges covering bytes `from`..`size - 1`, `partBytes` each (the last one shorter), numbered
 * from `firstIndex`. With one connection the rest is a single range: parts only pay off in parallel.
 */
export function planParts(from: number, size: number, partBytes: number, connections: number, firstIndex = 0): Part[] {
  if (!(partBytes > 0)) throw new RangeError('planParts: partBytes must be positive');
  const parts: Part[] = [];
  const step = connections <= 1 ? Math.max(size - from, 1) : partBytes;
  for (let start = from, index = firstIndex; start < size; start += step, index++) {
    parts.push({ index, start, end: Math.min(size, start + step) - 1 });
  }
  return parts;
}

/** The object's total size from a Content-Range header (`bytes 0-99/1234`), or undefined (absent, `*`, malformed). */
export function totalFromContentRange(header: string | undefined): number | undefined {
  const m = header === undefined ? null : /^bytes\s+\d+-\d+\/(\d+)$/i.exec(header.trim());
  if (m === null) return undefined;
  const total = Number(m[1]);
  return Number.isSafeInteger(total) ? total : undefined;
}

/** The Range header for a part, resumed `received` bytes in. */
export function rangeHeader(part: Part, received = 0): string {
  return `bytes=${part.start + received}-${part.end}`;
}

/** Milliseconds to wait before retry number `attempt` (1, 2, …): doubling from 250 ms, at most 4 s. */
export function backoffMs(attempt: number): number {
  return Math.min(4000, 250 * 2 ** Math.max(0, attempt - 1));
}
