/**
 * Where each object of a folder goes on disk (or in a zip): its key below the folder's prefix,
 * one directory per `/`, every segment made safe to create on Windows, macOS and Linux. A key never
 * reaches outside the chosen directory: `..`, `.`, empty segments and leading slashes cannot
 * survive, and no name may hold a path separator.
 */

/** Characters no file system of the three takes in a name (or that Windows refuses), and control characters. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must go
const ILLEGAL = /[<>:"|?*\\\u0000-\u001f\u007f]/g;
/** Names Windows reserves for devices, with any extension. */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
/** Longest name most file systems take, in UTF-8 bytes. */
const MAX_NAME_BYTES = 255;

/** One segment made safe: illegal characters replaced by `_`, dot names and trailing dots or spaces made visible, long names cut. */
export function safeSegment(segment: string): string {
  let s = segment.normalize('NFC').replace(ILLEGAL, '_');
  if (s === '.' || s === '..') s = s.replace(/\./g, '_');
  s = s.replace(/[. ]+$/, (tail) => '_'.repeat(tail.length));
  if (RESERVED.test(s)) s = `_${s}`;
  return cutToBytes(s, MAX_NAME_BYTES);
}

/**
 * The relative path (segments) an object takes under the chosen directory, or undefined when its key
 * leaves no name (the folder's own marker, `prefix/`, or a key of only slashes).
 */
export function safeRelativePath(key: string, prefix: string): string[] | undefined {
  const rel = key.startsWith(prefix) ? key.slice(prefix.length) : key;
  if (rel.endsWith('/')) return undefined; // a folder marker (zero-byte object): the folders come from the files
  const segments = rel.split('/').filter((s) => s !== '');
  if (segments.length === 0) return undefined;
  return segments.map(safeSegment);
}

/** Where one object goes, or why it does not. */
export type PlacedObject<T> =
  { object: T; path: string[] } | { object: T; problem: 'collision'; path: string[]; with: string } | { object: T; problem: 'no-name' };

/**
 * Places a folder's objects: each gets its safe path; a second object whose path is the same as an
 * earlier one's once case is ignored (Windows and macOS would write one over the other), or that
 * would need a file where a directory is (key `a` and key `a/b`), is refused as a collision naming
 * the object it collides with. Earlier keys (S3 order) win.
 */
export function placeObjects<T extends { key: string }>(objects: readonly T[], prefix: string): PlacedObject<T>[] {
  const files = new Map<string, string>();
  const dirs = new Map<string, string>();
  return objects.map((object): PlacedObject<T> => {
    const path = safeRelativePath(object.key, prefix);
    if (!path) return { object, problem: 'no-name' };
    const fold = (segments: string[]) => segments.join('/').toLowerCase();
    const full = fold(path);
    const clash =
      files.get(full) ??
      dirs.get(full) ??
      path
        .slice(0, -1)
        .map((_, i) => files.get(fold(path.slice(0, i + 1))))
        .find((k) => k !== undefined);
    if (clash !== undefined) return { object, problem: 'collision', path, with: clash };
    files.set(full, object.key);
    for (let i = 1; i < path.length; i++) if (!dirs.has(fold(path.slice(0, i)))) dirs.set(fold(path.slice(0, i)), object.key);
    return { object, path };
  });
}

function cutToBytes(s: string, max: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(s).length <= max) return s;
  let out = '';
  for (const ch of s) {
    if (encoder.encode(out + ch).length > max) break;
    out += ch;
  }
  return out;
}
