import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base64OfHex, MAX_PARTS, MIN_PART_BYTES, PART_BYTES, planUpload, SINGLE_PUT_LIMIT } from './upload-plan.ts';

const MiB = 1024 * 1024;

describe('upload planning', () => {
  it('sends a file below 16 MiB in one PUT', () => {
    expect(planUpload(0)).toEqual({ kind: 'single' });
    expect(planUpload(SINGLE_PUT_LIMIT - 1)).toEqual({ kind: 'single' });
  });

  it('cuts larger files into 8 MiB parts that cover every byte once, the last one shorter', () => {
    const plan = planUpload(20 * MiB + 5);
    expect(plan.kind).toBe('multipart');
    if (plan.kind !== 'multipart') return;
    expect(plan.partBytes).toBe(PART_BYTES);
    expect(plan.parts).toEqual([
      { number: 1, start: 0, end: 8 * MiB },
      { number: 2, start: 8 * MiB, end: 16 * MiB },
      { number: 3, start: 16 * MiB, end: 20 * MiB + 5 },
    ]);
    expect(planUpload(SINGLE_PUT_LIMIT)).toMatchObject({ kind: 'multipart', parts: [{ end: 8 * MiB }, { end: 16 * MiB }] });
  });

  it('never plans a part below S3’s 5 MiB minimum (but the last), and refuses what S3 cannot hold (5 TiB)', () => {
    const small = planUpload(12 * MiB, 1, 1024);
    expect(small.kind === 'multipart' && small.partBytes).toBe(MIN_PART_BYTES);
    expect(() => planUpload(100 * 1024 * 1024 * MiB)).toThrow(expect.objectContaining({ code: 'UPLOAD_TOO_LARGE' }));
  });

  it('grows parts in whole MiB when a file would need more than 10,000', () => {
    const size = 200 * 1024 * MiB; // 200 GiB
    const plan = planUpload(size);
    if (plan.kind !== 'multipart') throw new Error('expected parts');
    expect(plan.parts.length).toBeLessThanOrEqual(MAX_PARTS);
    expect(plan.partBytes % MiB).toBe(0);
    expect(plan.parts.at(-1)!.end).toBe(size);
  });

  it('writes Content-MD5 as base64 of the digest', () => {
    const body = Buffer.from('hello krypton');
    expect(base64OfHex(createHash('md5').update(body).digest('hex'))).toBe(createHash('md5').update(body).digest('base64'));
  });
});
