import type { Bytes } from '../bytes/index.ts';
import { malformed } from './malformed.ts';

/** One BER-TLV data object (ISO 7816-4 §5.2.2, as TS 102 221 §11.1.1.3 uses it). */
export interface Tlv {
  /** The tag bytes read as one big-endian number (`0x62`, `0x9f70`). */
  readonly tag: number;
  /** Bit b6 of the first tag byte: the value is itself a sequence of data objects. */
  readonly constructed: boolean;
  readonly value: Bytes;
  /** The nested objects of a constructed value, when parsed with `nested: true`. */
  readonly children?: readonly Tlv[];
}

/** How to read a sequence of data objects. */
export interface BerTlvOptions {
  /** Skip `00` and `FF` bytes before, between and after objects (ISO 7816-4 §5.2.2.1; records padded with FF). */
  padding?: boolean;
  /** Parse constructed values into `children`, down to `maxDepth` levels (default 8). */
  nested?: boolean;
  maxDepth?: number;
  /** What is being read, for the error message. */
  what?: string;
}

/** Longest tag accepted: three bytes, as ISO 7816-4 §5.2.2.1 allows. */
const MAX_TAG_BYTES = 3;

/**
 * Reads a sequence of BER-TLV data objects. Lengths are definite: one byte (`00`..`7F`), or `81 xx`,
 * or `82 xx xx` (ISO 7816-4 §5.2.2.2); indefinite and longer forms, truncated objects and tags longer
 * than three bytes throw MALFORMED_ANSWER. Never reads past the buffer.
 */
export function parseBerTlv(bytes: Uint8Array, options: BerTlvOptions = {}): Tlv[] {
  return parseLevel(bytes, options, 0);
}

function parseLevel(bytes: Uint8Array, options: BerTlvOptions, depth: number): Tlv[] {
  const what = options.what ?? 'BER-TLV';
  const maxDepth = options.maxDepth ?? 8;
  const out: Tlv[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (options.padding && (bytes[i] === 0x00 || bytes[i] === 0xff)) {
      i++;
      continue;
    }
    const start = i;
    const first = bytes[i++]!;
    let tag = first;
    if ((first & 0x1f) === 0x1f) {
      // Subsequent tag bytes follow while b8 is set (ISO 7816-4 §5.2.2.1).
      let more = true;
      while (more) {
        if (i >= bytes.length) throw malformed(`${what}: tag at byte ${start} is cut short`);
        if (i - start >= MAX_TAG_BYTES) throw malformed(`${what}: tag at byte ${start} is longer than ${MAX_TAG_BYTES} bytes`);
        const b = bytes[i++]!;
        tag = tag * 256 + b;
        more = (b & 0x80) !== 0;
      }
    }
    if (i >= bytes.length) throw malformed(`${what}: object ${hexTag(tag)} has no length`);
    const l0 = bytes[i++]!;
    let length: number;
    if (l0 < 0x80) length = l0;
    else if (l0 === 0x81 || l0 === 0x82) {
      const n = l0 - 0x80;
      if (i + n > bytes.length) throw malformed(`${what}: length of ${hexTag(tag)} is cut short`);
      length = n === 1 ? bytes[i]! : (bytes[i]! << 8) | bytes[i + 1]!;
      i += n;
    } else throw malformed(`${what}: object ${hexTag(tag)} has an unsupported length form ${l0.toString(16)}`);
    if (length > bytes.length - i) throw malformed(`${what}: object ${hexTag(tag)} claims ${length} bytes, ${bytes.length - i} remain`);
    const value = bytes.slice(i, i + length);
    i += length;
    const constructed = (first & 0x20) !== 0;
    if (options.nested && constructed) {
      if (depth + 1 > maxDepth) throw malformed(`${what}: objects nested deeper than ${maxDepth} levels`);
      out.push({ tag, constructed, value, children: parseLevel(value, { ...options, padding: false }, depth + 1) });
    } else out.push({ tag, constructed, value });
  }
  return out;
}

/** The first object with the given tag, if any. */
export function findTlv(objects: readonly Tlv[], tag: number): Tlv | undefined {
  return objects.find((o) => o.tag === tag);
}

/** Formats a tag for messages (`62`, `9F70`). */
export function hexTag(tag: number): string {
  const hex = tag.toString(16).toUpperCase();
  return hex.length % 2 === 0 ? hex : `0${hex}`;
}
