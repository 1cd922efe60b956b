/**
 * How a download is cut into byte ranges: the part size, the number of connections and the ranges
 * themselves. Pure functions, so the choices are tested apart from any network (decision 0026).
 */

const MiB = 1024 * 1024;

/** Part size of the first range, sent before the object's size is known (beside the HEAD that tells it). */
export const DEFAULT_PART_BYTES = 8 * MiB;
/**
 * Parts an object is cut into when the person chose no size: per-request cost (a round trip, the
 * server's first byte, the browser's own work per request) is paid about this many times, whatever
 * the size, within LARGEST_DEFAULT_PART_BYTES. Measured (December, 256 MiB, 4 connections, this
 * machine): 8 MiB parts 25 MiB/s shaped and 24 unshaped; 32 MiB parts 30–32 and 34–39, against
 * a bare fetch's 38 and 42 (decision 0026).
 */
export const DEFAULT_PARTS_PER_OBJECT = 8;
/** Largest part chosen by default: with the window of N + 1 parts, 4 connections hold at most 160 MiB. */
export const LARGEST_DEFAULT_PART_BYTES = 32 * MiB;
/** Bytes of parts in flight that the default number of connections stays within (connections × part size). */
export const DEFAULT_IN_FLIGHT_BYTES = 128 * MiB;
/** Smallest and largest part size the person may choose (S3's own multipart limits are 5 MiB–5 GiB). */
export const MIN_PART_BYTES = 1 * MiB;
export const MAX_PART_BYTES = 256 * MiB;
/**
 * Largest part read whole into a Blob (range-reader.ts): the browser holds up to connections + 2 of
 * them (the window, and the one being checked) in its own memory or blob files; larger chosen parts
 * are read as streams, held to PART_BUFFER_BYTES each in the page instead.
 */
export const MAX_WHOLE_PART_BYTES = 64 * MiB;
/**
 * Whether the parts after the first are read whole into Blobs (range-reader.ts): only into a browser
 * file (a File System Access writable takes a Blob; the service-worker path and memory take a
 * stream), where XMLHttpRequest exists, and for parts of at most MAX_WHOLE_PART_BYTES.
 */
export function readsWhole(o: { toBrowserFile: boolean; hasXhr: boolean; partBytes: number }): boolean {
  return o.toBrowserFile && o.hasXhr && o.partBytes <= MAX_WHOLE_PART_BYTES;
}

/**
 * The part size for parts read whole: over one connection they are read one after another, each
 * paying a round trip and the request's start, so they are as large as whole parts may be unless
 * the person chose a size. Measured (December, 256 MiB, 20 MiB/s and 50 ms): 32 MiB parts 17.1–17.5
 * MiB/s, 64 MiB parts 18.0–18.4, against 19.8 for curl.
 */
export function wholePartBytes(partBytes: number, connections: number, chosen: boolean): number {
  return connections <= 1 && !chosen ? Math.max(partBytes, MAX_WHOLE_PART_BYTES) : partBytes;
}

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
 * The part size, in one place: the person's choice (clamped to what is sensible), else a multipart
 * object's own part size (its ranges then line up with the parts S3 stores and checksums), else,
 * once the object's size is known, about DEFAULT_PARTS_PER_OBJECT parts of 8–32 MiB (whole MiB),
 * else DEFAULT_PART_BYTES.
 */
export function partSizeFor(
  choice: { chosenBytes?: number | undefined; multipartPartBytes?: number | undefined; size?: number | undefined } = {},
): number {
  const bySize =
    choice.size !== undefined && Number.isFinite(choice.size)
      ? Math.min(LARGEST_DEFAULT_PART_BYTES, Math.max(DEFAULT_PART_BYTES, Math.floor(choice.size / DEFAULT_PARTS_PER_OBJECT / MiB) * MiB))
      : DEFAULT_PART_BYTES;
  const wanted = choice.chosenBytes ?? choice.multipartPartBytes ?? bySize;
  if (!Number.isFinite(wanted)) return DEFAULT_PART_BYTES;
  return Math.min(MAX_PART_BYTES, Math.max(MIN_PART_BYTES, Math.floor(wanted)));
}

/**
 * Connections for an object of `size` bytes: the person's choice (1–8), else one per two parts, from
 * 1 (under two parts: one request is quickest) up to MAX_DEFAULT_CONNECTIONS, and within
 * DEFAULT_IN_FLIGHT_BYTES of parts at once.
 */
export function connectionsFor(size: number, partBytes: number, chosen?: number): number {
  if (chosen !== undefined && Number.isFinite(chosen)) return Math.min(MAX_CONNECTIONS, Math.max(1, Math.floor(chosen)));
  const byMemory = Math.max(1, Math.floor(DEFAULT_IN_FLIGHT_BYTES / partBytes));
  return Math.min(MAX_DEFAULT_CONNECTIONS, byMemory, Math.max(1, Math.floor(size / (2 * partBytes))));
}

/**
 * The ranges covering bytes `from`..`size - 1`, `partBytes` each (the last one shorter), numbered
 * from `firstIndex`. With one connection the rest is a single range (parts only pay off in
 * parallel), unless `wholeParts`: parts read whole must stay part-sized, whatever the connections.
 */
export function planParts(from: number, size: number, partBytes: number, connections: number, firstIndex = 0, wholeParts = false): Part[] {
  if (!(partBytes > 0)) throw new RangeError('planParts: partBytes must be positive');
  const parts: Part[] = [];
  const step = connections <= 1 && !wholeParts ? Math.max(size - from, 1) : partBytes;
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
