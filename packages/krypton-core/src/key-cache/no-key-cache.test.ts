import { describe, expect, it } from 'vitest';
import { KryptonError } from '../errors/index.ts';
import { CK_B, IMSI_A, IMSI_B, sampleKey } from './key-cache-contract.test-support.ts';
import { NoKeyCache } from './no-key-cache.ts';

describe('NoKeyCache', () => {
  it('never returns anything, whatever was put', async () => {
    const cache = new NoKeyCache();
    await cache.put(sampleKey(IMSI_A));
    await cache.put(sampleKey(IMSI_B, CK_B));
    expect(await cache.get(IMSI_A)).toBeUndefined();
    expect(await cache.get(IMSI_B)).toBeUndefined();
    await cache.delete(IMSI_A);
    await cache.clear();
    expect(await cache.get(IMSI_A)).toBeUndefined();
  });

  it('still rejects malformed keys, so a bug does not hide behind the disabled cache', async () => {
    const cache = new NoKeyCache();
    await expect(cache.put({ ...sampleKey(), ck: new Uint8Array(8) })).rejects.toSatisfy((e) => KryptonError.is(e, 'BAD_INPUT'));
    await expect(cache.get('x')).rejects.toSatisfy((e) => KryptonError.is(e, 'BAD_INPUT'));
  });
});
