import { describe, expect, it } from 'vitest';
import { storedEncoding } from './content-encoding.ts';

describe('storedEncoding: what an object is stored as, from its Content-Encoding', () => {
  it('plain bytes: no header, an empty one, or identity in any case', () => {
    for (const v of [undefined, '', '  ', 'identity', 'Identity', ' IDENTITY ']) expect(storedEncoding(v), String(v)).toBeUndefined();
  });

  it('an encoding, lower-cased and trimmed, so the page can name it and say how to unpack it', () => {
    expect(storedEncoding('gzip')).toBe('gzip');
    expect(storedEncoding(' GZIP ')).toBe('gzip');
    expect(storedEncoding('br')).toBe('br');
    expect(storedEncoding('gzip, br')).toBe('gzip, br');
  });
});
