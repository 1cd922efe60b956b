import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '@krypton-web/krypton-core';
import { transmitT0 } from './t0.ts';

/** A scripted card: answers each expected command in turn and records what was sent. */
function script(pairs: [string, string][]) {
  const sent: string[] = [];
  let i = 0;
  const send = async (apdu: Uint8Array): Promise<Uint8Array> => {
    sent.push(toHex(apdu));
    const pair = pairs[i++];
    if (!pair) throw new Error(`unexpected APDU ${toHex(apdu)}`);
    expect(toHex(apdu)).toBe(pair[0]);
    return fromHex(pair[1]);
  };
  return { send, sent, done: () => expect(i).toBe(pairs.length) };
}

describe('transmitT0', () => {
  it.each<[string, string, [string, string][], string]>([
    ['a direct answer', '00b0000009', [['00b0000009', '0809101000000000109000']], '0809101000000000109000'],
    ['61xx followed with GET RESPONSE', '00a4040407a0000000871002', [['00a4040407a0000000871002', '6103'], ['00c0000003', '6201829000']], '6201829000'],
    ['61xx twice, data joined', '0088008122' + '11'.repeat(34), [['0088008122' + '11'.repeat(34), '6104'], ['00c0000004', 'db0201026102'], ['00c0000002', '03049000']], 'db02010203049000'],
    ['6Cxx resent with the right Le', '00b0000000', [['00b0000000', '6c09'], ['00b0000009', '0809101000000000109000']], '0809101000000000109000'],
    ['GET RESPONSE on the same logical channel', '01a40004026f07', [['01a40004026f07', '6102'], ['01c0000002', '62009000']], '62009000'],
    ['an error status word as final', '00a40004026f99', [['00a40004026f99', '6a82']], '6a82'],
    ['6Cxx to a command with data as final', '00a40004026f07', [['00a40004026f07', '6c10']], '6c10'],
  ])('handles %s', async (_what, apdu, pairs, final) => {
    const s = script(pairs);
    expect(toHex(await transmitT0(s.send, fromHex(apdu)))).toBe(final);
    s.done();
  });

  it('gives up on an endless 61xx chain', async () => {
    const send = async () => fromHex('6101');
    await expect(transmitT0(send, fromHex('00c0000001'), 4)).rejects.toThrow(/after 4 exchanges/);
  });

  it('rejects a response without status word and a short command', async () => {
    await expect(transmitT0(async () => fromHex('90'), fromHex('00b00000'))).rejects.toThrow(/no status word/);
    await expect(transmitT0(async () => fromHex('9000'), fromHex('00b0'))).rejects.toThrow(/at least 4 bytes/);
  });
});
