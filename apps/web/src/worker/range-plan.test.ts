import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  connectionsFor,
  DEFAULT_PART_BYTES,
  MAX_DEFAULT_CONNECTIONS,
  MAX_WHOLE_PART_BYTES,
  partSizeFor,
  planParts,
  rangeHeader,
  readsWhole,
  wholePartBytes,
  totalFromContentRange,
} from './range-plan.ts';

const MiB = 1024 * 1024;

describe('range planning', () => {
  it('chooses the part size in one place: the person’s choice (clamped), else a multipart part size, else by size, else 8 MiB', () => {
    expect(partSizeFor()).toBe(DEFAULT_PART_BYTES);
    expect(DEFAULT_PART_BYTES).toBe(8 * MiB);
    expect(partSizeFor({ chosenBytes: 16 * MiB })).toBe(16 * MiB);
    expect(partSizeFor({ multipartPartBytes: 5 * MiB })).toBe(5 * MiB);
    expect(partSizeFor({ chosenBytes: 4 * MiB, multipartPartBytes: 5 * MiB })).toBe(4 * MiB);
    expect(partSizeFor({ chosenBytes: 10 })).toBe(1 * MiB);
    expect(partSizeFor({ chosenBytes: 10 * 1024 * MiB })).toBe(256 * MiB);
    expect(partSizeFor({ chosenBytes: Number.NaN })).toBe(DEFAULT_PART_BYTES);
    // By size: about eight parts, 8–32 MiB, whole MiB; a choice still wins.
    expect(partSizeFor({ size: 10 * MiB })).toBe(8 * MiB);
    expect(partSizeFor({ size: 64 * MiB })).toBe(8 * MiB);
    expect(partSizeFor({ size: 100 * MiB })).toBe(12 * MiB);
    expect(partSizeFor({ size: 256 * MiB })).toBe(32 * MiB);
    expect(partSizeFor({ size: 10 * 1024 * MiB })).toBe(32 * MiB);
    expect(partSizeFor({ size: 256 * MiB, chosenBytes: 4 * MiB })).toBe(4 * MiB);
    expect(partSizeFor({ size: 256 * MiB, multipartPartBytes: 5 * MiB })).toBe(5 * MiB);
    expect(partSizeFor({ size: Number.NaN })).toBe(DEFAULT_PART_BYTES);
  });

  it('chooses connections by size: one below two parts, one per two parts, at most 6 by default; a choice is clamped to 1–8', () => {
    const part = 8 * MiB;
    expect(connectionsFor(0, part)).toBe(1);
    expect(connectionsFor(15 * MiB, part)).toBe(1);
    expect(connectionsFor(16 * MiB, part)).toBe(1);
    expect(connectionsFor(32 * MiB, part)).toBe(2);
    expect(connectionsFor(64 * MiB, part)).toBe(4);
    expect(connectionsFor(1024 * MiB, part)).toBe(MAX_DEFAULT_CONNECTIONS);
    // Within 128 MiB of parts at once: 32 MiB parts, at most 4 connections unless chosen.
    expect(connectionsFor(1024 * MiB, 32 * MiB)).toBe(4);
    expect(connectionsFor(1024 * MiB, 32 * MiB, 6)).toBe(6);
    expect(connectionsFor(1024 * MiB, part, 8)).toBe(8);
    expect(connectionsFor(1024 * MiB, part, 20)).toBe(8);
    expect(connectionsFor(1 * MiB, part, 0)).toBe(1);
    expect(connectionsFor(1 * MiB, part, 4)).toBe(4);
  });

  it('covers every byte exactly once, in order, the last part shorter', () => {
    const parts = planParts(3, 20, 5, 4, 1);
    expect(parts).toEqual([
      { index: 1, start: 3, end: 7 },
      { index: 2, start: 8, end: 12 },
      { index: 3, start: 13, end: 17 },
      { index: 4, start: 18, end: 19 },
    ]);
    for (const [size, part] of [
      [1, 1],
      [100, 7],
      [64 * MiB + 1, 8 * MiB],
    ] as const) {
      const p = planParts(0, size, part, 4);
      expect(p[0]!.start).toBe(0);
      expect(p.at(-1)!.end).toBe(size - 1);
      for (let i = 1; i < p.length; i++) expect(p[i]!.start).toBe(p[i - 1]!.end + 1);
    }
    expect(planParts(10, 10, 5, 4)).toEqual([]);
    expect(() => planParts(0, 10, 0, 2)).toThrow(RangeError);
  });

  it('reads the rest as one range with one connection', () => {
    expect(planParts(8, 100, 8, 1, 1)).toEqual([{ index: 1, start: 8, end: 99 }]);
  });

  it('reads the total from Content-Range, and nothing from an unknown or malformed one', () => {
    expect(totalFromContentRange('bytes 0-8388607/1073741824')).toBe(1073741824);
    expect(totalFromContentRange('bytes 0-0/1')).toBe(1);
    expect(totalFromContentRange('bytes 0-99/*')).toBeUndefined();
    expect(totalFromContentRange(undefined)).toBeUndefined();
    expect(totalFromContentRange('0-99/100')).toBeUndefined();
  });

  it('resumes a range from its last received byte, and backs off doubling up to 4 s', () => {
    expect(rangeHeader({ index: 2, start: 100, end: 199 })).toBe('bytes=100-199');
    expect(rangeHeader({ index: 2, start: 100, end: 199 }, 37)).toBe('bytes=137-199');
    expect([1, 2, 3, 4, 5, 6, 10].map(backoffMs)).toEqual([250, 500, 1000, 2000, 4000, 4000, 4000]);
  });
});

describe('which parts are read whole', () => {
  it('only into a browser file, with XMLHttpRequest, and for parts up to MAX_WHOLE_PART_BYTES', () => {
    const into = { toBrowserFile: true, hasXhr: true };
    expect(readsWhole({ ...into, partBytes: 32 * MiB })).toBe(true);
    expect(readsWhole({ ...into, partBytes: MAX_WHOLE_PART_BYTES })).toBe(true);
    expect(readsWhole({ ...into, partBytes: MAX_WHOLE_PART_BYTES + 1 })).toBe(false);
    expect(readsWhole({ ...into, toBrowserFile: false, partBytes: 8 * MiB })).toBe(false);
    expect(readsWhole({ ...into, hasXhr: false, partBytes: 8 * MiB })).toBe(false);
  });

  it('over one connection, parts read whole are as large as allowed, unless the person chose a size', () => {
    expect(wholePartBytes(32 * MiB, 1, false)).toBe(MAX_WHOLE_PART_BYTES);
    expect(wholePartBytes(32 * MiB, 1, true)).toBe(32 * MiB);
    expect(wholePartBytes(32 * MiB, 4, false)).toBe(32 * MiB);
  });
});
