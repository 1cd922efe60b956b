/**
 * The T=0 procedure as tables of bytes in and bytes out (ISO 7816-3 §12.2, TS 102 221 §7.3.1.1):
 * each row is the command sent, the script the card plays, and the complete answer expected.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeResponseApdu, getResponseClass, runT0 } from '../../src/apdu/index.ts';
import { concatBytes, fromHex, toHex } from '../../src/bytes/index.ts';
import { KryptonError } from '../../src/errors/index.ts';
import { clean, ScriptedLink, type Step } from './scripted-link.test-support.ts';

interface Row {
  name: string;
  command: string;
  script: Step[];
  /** The assembled answer: data ‖ SW, in hex. */
  answer: string;
}

const ROWS: Row[] = [
  {
    name: 'T=1-style card: data and 9000 at once',
    command: '00B0870009',
    script: [['00B0870009', '080910100000000010 9000']],
    answer: '080910100000000010 9000',
  },
  {
    name: 'status word only',
    command: '00A4040C07A0000000871002',
    script: [['00A4040C07A0000000871002', '6A82']],
    answer: '6A82',
  },
  {
    name: '61xx → GET RESPONSE with Le = xx',
    command: '00A40004022F00',
    script: [
      ['00A40004022F00', '611C'],
      ['00C000001C', '621A8205422100260283022F008A01058B032F06018002004C8801F0 9000'],
    ],
    answer: '621A8205422100260283022F008A01058B032F06018002004C8801F0 9000',
  },
  {
    name: 'a chain of 61xx accumulates the data',
    command: '0088008122' + '10' + '11'.repeat(16) + '10' + '22'.repeat(16),
    script: [
      ['0088008122' + '10' + '11'.repeat(16) + '10' + '22'.repeat(16), '6135'],
      ['00C0000035', 'DB08AAAAAAAAAAAAAAAA10 6120'],
      ['00C0000020', 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB10CCCCCCCCCCCCCCCC 6112'],
      ['00C0000012', 'CCCCCCCCCCCCCCCC08DDDDDDDDDDDDDDDD 9000'],
    ],
    answer: 'DB08AAAAAAAAAAAAAAAA10 BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB10CCCCCCCCCCCCCCCC CCCCCCCCCCCCCCCC08DDDDDDDDDDDDDDDD 9000',
  },
  {
    name: '6100 means 256 bytes: GET RESPONSE with Le = 00',
    command: '00B2010400',
    script: [
      ['00B2010400', '6100'],
      ['00C0000000', 'AB'.repeat(256) + '9000'],
    ],
    answer: 'AB'.repeat(256) + '9000',
  },
  {
    name: '6Cxx → the same command again with Le = xx',
    command: '00B0870000',
    script: [
      ['00B0870000', '6C09'],
      ['00B0870009', '080910100000000010 9000'],
    ],
    answer: '080910100000000010 9000',
  },
  {
    name: '6Cxx on a case 1 command adds Le',
    command: '80F20000',
    script: [
      ['80F20000', '6C1C'],
      ['80F200001C', '00'.repeat(0x1c) + '9000'],
    ],
    answer: '00'.repeat(0x1c) + '9000',
  },
  {
    name: '6Cxx on a command with data is final (cannot be resent with Le)',
    command: '00A4040C07A0000000871002',
    script: [['00A4040C07A0000000871002', '6C10']],
    answer: '6C10',
  },
  {
    name: '6Cxx answering GET RESPONSE: GET RESPONSE again with the exact Le',
    command: '00A40004026F07',
    script: [
      ['00A40004026F07', '6119'],
      ['00C0000019', '6C17'],
      ['00C0000017', '62158202412183026F07 8A01058B036F0602 80020009 9000'],
    ],
    answer: '62158202412183026F07 8A01058B036F0602 80020009 9000',
  },
  {
    name: '9Fxx (GSM-era) → GET RESPONSE in class A0',
    command: 'A0A40000027F20',
    script: [
      ['A0A40000027F20', '9F22'],
      ['A0C0000022', '0000000A7F2002' + '00'.repeat(27) + '9000'],
    ],
    answer: '0000000A7F2002' + '00'.repeat(27) + '9000',
  },
  {
    name: 'GET RESPONSE keeps the logical channel of the command (CLA 01)',
    command: '01A4040407A0000000871002',
    script: [
      ['01A4040407A0000000871002', '6102'],
      ['01C0000002', '62009000'],
    ],
    answer: '62009000',
  },
  {
    name: 'an error after 61xx ends the exchange with the data gathered so far',
    command: '00A40004022F00',
    script: [
      ['00A40004022F00', '611C'],
      ['00C000001C', '6F00'],
    ],
    answer: '6F00',
  },
  {
    name: 'a warning with data passes through',
    command: '00B000000A',
    script: [['00B000000A', '0102030405 6282']],
    answer: '0102030405 6282',
  },
];

describe('runT0, table of exchanges', () => {
  it.each(ROWS)('$name', async ({ command, script, answer }) => {
    const link = new ScriptedLink(script);
    const r = await runT0((c) => link.transmit(c), fromHex(clean(command)));
    expect(toHex(encodeResponseApdu(r)).toUpperCase()).toBe(clean(answer));
    expect(link.unsent).toEqual([]);
  });

  it('gives up after the round limit instead of looping on a card that keeps answering 61xx', async () => {
    let sent = 0;
    const endless = async (): Promise<Uint8Array> => {
      sent++;
      return fromHex('016101');
    };
    const run = runT0(endless, fromHex('00B0000001'), { maxRounds: 5 });
    await expect(run).rejects.toMatchObject({ name: 'KryptonError', code: 'CARD_ERROR' });
    expect(sent).toBe(5);
  });

  it('bounds a 6Cxx loop the same way (default 16 rounds)', async () => {
    let sent = 0;
    const stubborn = async (): Promise<Uint8Array> => {
      sent++;
      return fromHex('6C09');
    };
    await expect(runT0(stubborn, fromHex('00B0870009'))).rejects.toBeInstanceOf(KryptonError);
    expect(sent).toBe(16);
  });

  it('reports an answer without a status word as MALFORMED_ANSWER', async () => {
    await expect(runT0(async () => fromHex('90'), fromHex('00B0000001'))).rejects.toMatchObject({ code: 'MALFORMED_ANSWER' });
  });

  it('overwrites the physical answers of a secret exchange once assembled', async () => {
    const raws: Uint8Array[] = [];
    const send = async (c: Uint8Array): Promise<Uint8Array> => {
      const raw = c[1] === 0xc0 ? fromHex('DB04010203049000') : fromHex('6106');
      raws.push(raw);
      return raw;
    };
    const r = await runT0(send, fromHex('0088008101AA'), { secret: true });
    expect(toHex(r.data)).toBe('db0401020304');
    expect(raws.every((b) => b.every((x) => x === 0))).toBe(true);
  });

  it('reassembles any data however the card splits it into 61xx chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 600 }),
        fc.array(fc.integer({ min: 1, max: 256 }), { minLength: 1, maxLength: 12 }),
        async (data, sizes) => {
          // The card hands out chunks of the given sizes, announcing what is left with 61xx.
          let offset = 0;
          let turn = 0;
          const card = async (c: Uint8Array): Promise<Uint8Array> => {
            if (c[1] === 0xc0) {
              const le = c[4] === 0 ? 256 : c[4]!;
              const chunk = data.slice(offset, offset + le);
              offset += chunk.length;
              const left = data.length - offset;
              if (left === 0) return concatBytes(chunk, fromHex('9000'));
              const next = Math.min(left, sizes[turn++ % sizes.length]!);
              return concatBytes(chunk, Uint8Array.of(0x61, next & 0xff));
            }
            return Uint8Array.of(0x61, Math.min(data.length, sizes[turn++ % sizes.length]!) & 0xff);
          };
          const r = await runT0(card, fromHex('00CA000000'), { maxRounds: 1000 });
          expect(r.sw).toBe(0x9000);
          expect(toHex(r.data)).toBe(toHex(data));
        },
      ),
    );
  });

  it('uses the GET RESPONSE class the command needs', () => {
    expect([0x00, 0x01, 0x03, 0x80, 0x81, 0xa0, 0x40, 0x4f, 0x61].map(getResponseClass)).toEqual([
      0x00, 0x01, 0x03, 0x00, 0x01, 0xa0, 0x40, 0x4f, 0x41,
    ]);
  });
});

describe('runT0 without the response data', () => {
  const send = (link: ScriptedLink) => (c: Uint8Array) => link.transmit(c);

  it('stops at 61xx with 9000 and no data: no GET RESPONSE', async () => {
    const link = new ScriptedLink([['00A4040407A0000000871002', '6133']]);
    const r = await runT0(send(link), fromHex('00A4040407A0000000871002'), { skipResponseData: true });
    expect(toHex(encodeResponseApdu(r))).toBe('9000');
    expect(link.unsent).toEqual([]);
  });

  it('still returns data a T=1 card sends at once, and errors as they are', async () => {
    const t1 = new ScriptedLink([['00A4040407A0000000871002', '621A 9000']]);
    expect(toHex(encodeResponseApdu(await runT0(send(t1), fromHex('00A4040407A0000000871002'), { skipResponseData: true })))).toBe(
      '621a9000',
    );
    const refused = new ScriptedLink([['00A4040407A0000000871002', '6A82']]);
    expect((await runT0(send(refused), fromHex('00A4040407A0000000871002'), { skipResponseData: true })).sw).toBe(0x6a82);
  });
});
