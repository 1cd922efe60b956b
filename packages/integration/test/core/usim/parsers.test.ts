/**
 * The USIM parsers against published bytes (TS 35.208 test set 1), FCPs and EF_DIR records captured from
 * the lab's VirtualUsim, and FCPs written by hand after TS 102 221 Tables 11.3–11.5; then hostile input.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { demoProfileSet, findSim, VirtualUsim } from '@krypton-web/krypton-lab/browser';
import { parseResponseApdu, runT0 } from '@krypton-web/krypton-core';
import { concatBytes, fromHex, toHex, type Bytes } from '@krypton-web/krypton-core';
import { KryptonError } from '@krypton-web/krypton-core';
import {
  decodeEfIccid,
  decodeImsi,
  isUsimAid,
  parseAuthenticateResponse,
  parseBerTlv,
  parseEfDirRecord,
  parseFcp,
  parseFileDescriptor,
  parsePinStatusTemplate,
  type Tlv,
} from '@krypton-web/krypton-core';

const hex = (s: string): Bytes => fromHex(s.replace(/\s+/g, ''));

function malformed(fn: () => unknown): KryptonError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KryptonError);
    expect((e as KryptonError).code).toBe('MALFORMED_ANSWER');
    return e as KryptonError;
  }
  throw new Error('expected MALFORMED_ANSWER');
}

describe('BER-TLV (ISO 7816-4 §5.2.2)', () => {
  it('reads one-byte, 81 and 82 lengths', () => {
    const long = new Uint8Array(200).fill(0xab);
    const [a, b, c] = parseBerTlv(concatBytes(hex('8001 7f'), hex('8181c8'), long, hex('8200')));
    expect(a).toMatchObject({ tag: 0x80, constructed: false });
    expect(toHex(a!.value)).toBe('7f');
    expect(b!.value.length).toBe(200);
    expect(c!.tag).toBe(0x82);
    expect(c!.value.length).toBe(0);
    expect(toHex(parseBerTlv(concatBytes(hex('53820101'), new Uint8Array(257)))[0]!.value.subarray(0, 2))).toBe('0000');
  });
  it('reads two- and three-byte tags', () => {
    const objects = parseBerTlv(hex('9F7001AA 5F2D02656E DF81010100'));
    expect(objects.map((o) => o.tag)).toEqual([0x9f70, 0x5f2d, 0xdf8101]);
  });
  it('parses constructed objects into children when asked', () => {
    const fcpLike = hex('6209 8202 7821 A5 03 800171');
    expect(parseBerTlv(fcpLike)[0]!.children).toBeUndefined();
    const [top] = parseBerTlv(fcpLike, { nested: true });
    expect(top!.children!.map((c) => c.tag)).toEqual([0x82, 0xa5]);
    const a5 = top!.children![1]!;
    expect(a5.constructed).toBe(true);
    expect(a5.children).toEqual([{ tag: 0x80, constructed: false, value: hex('71') }]);
  });
  it('skips 00/FF padding only when asked', () => {
    const padded = hex('FFFF 4F01AA 00 5001BB FFFFFF');
    expect(parseBerTlv(padded, { padding: true }).map((o) => o.tag)).toEqual([0x4f, 0x50]);
    malformed(() => parseBerTlv(padded));
  });
  it.each([
    ['a truncated value', '62 05 8202 78'],
    ['a missing length', '62'],
    ['a cut-short 81 length', '62 81'],
    ['a cut-short 82 length', '62 82 01'],
    ['the indefinite length form', '62 80 0000'],
    ['a four-byte length form', '62 83 000001 00'],
    ['a cut-short multi-byte tag', '9F'],
    ['a tag longer than three bytes', '9F818181 01 00'],
  ])('rejects %s', (_, bytes) => {
    malformed(() => parseBerTlv(hex(bytes)));
  });
  it('limits nesting depth', () => {
    let deep = hex('8000');
    for (let i = 0; i < 10; i++) deep = concatBytes(Uint8Array.of(0x62, deep.length), deep);
    malformed(() => parseBerTlv(deep, { nested: true }));
    expect(parseBerTlv(deep, { nested: true, maxDepth: 12 })).toHaveLength(1);
  });
  it('reads back any tree of objects it is given', () => {
    const leaf = fc.record({ tag: fc.constantFrom(0x80, 0x83, 0x4f, 0x9f70, 0x5f2d), value: fc.uint8Array({ maxLength: 300 }) });
    const tree = fc.letrec<{ node: Node }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf.map((l): Node => ({ ...l, children: undefined })),
        fc
          .record({ tag: fc.constantFrom(0x62, 0xa5, 0x61), children: fc.array(tie('node'), { maxLength: 4 }) })
          .map((c): Node => ({ tag: c.tag, value: undefined, children: c.children })),
      ),
    })).node;
    fc.assert(
      fc.property(fc.array(tree, { maxLength: 4 }), (nodes) => {
        const parsed = parseBerTlv(concatBytes(...nodes.map(encode)), { nested: true, maxDepth: 64 });
        expect(parsed.map(shape)).toEqual(nodes.map(shapeOfNode));
      }),
    );
  });
});

interface Node {
  tag: number;
  value: Uint8Array | undefined;
  children: Node[] | undefined;
}

function encode(n: Node): Uint8Array {
  const value = n.children ? concatBytes(...n.children.map(encode)) : n.value!;
  const tag = n.tag > 0xff ? Uint8Array.of(n.tag >> 8, n.tag & 0xff) : Uint8Array.of(n.tag);
  const len =
    value.length < 0x80
      ? Uint8Array.of(value.length)
      : value.length < 0x100
        ? Uint8Array.of(0x81, value.length)
        : Uint8Array.of(0x82, value.length >> 8, value.length & 0xff);
  return concatBytes(tag, len, value);
}

function shape(t: Tlv): unknown {
  return t.children ? { tag: t.tag, children: t.children.map(shape) } : { tag: t.tag, value: toHex(t.value) };
}

function shapeOfNode(n: Node): unknown {
  return n.children ? { tag: n.tag, children: n.children.map(shapeOfNode) } : { tag: n.tag, value: toHex(n.value!) };
}

// Captured from the lab's VirtualUsim (profile demo-pin, PIN1 enabled) with SELECT P2=04 at APDU level.
const LAB_FCP = {
  mf: '62248202782183023f00a5038001718a01058b032f0603c6099001c0830101830181810200b6',
  adfUsim: '62318202782183027fff8410a0000000871002ff44ff1289000000ff8a01058b032f0603c6099001c083010183018181020089',
  efDir: '621a8205422100260283022f008a01058b032f06018002004c8801f0',
  efIccid: '62178202412183022fe28a01058b032f06018002000a880110',
  efImsi: '62178202412183026f078a01058b036f060280020009880138',
  efMsisdn: '621982054221001c0183026f408a01058b036f06028002001c8800',
};

describe('FCP templates (TS 102 221 §11.1.1.3)', () => {
  it('reads the ADF of the USIM: descriptor, id, DF name, PIN status', () => {
    const fcp = parseFcp(hex(LAB_FCP.adfUsim));
    expect(fcp.descriptor).toEqual({ byte: 0x78, shareable: true, structure: 'df' });
    expect(fcp.fileId).toBe(0x7fff);
    expect(toHex(fcp.dfName!)).toBe('a0000000871002ff44ff1289000000ff');
    expect(fcp.lifeCycle).toBe(5);
    expect(fcp.totalFileSize).toBe(0x89);
    expect(fcp.pinStatus).toEqual([
      { keyReference: 0x01, enabled: true },
      { keyReference: 0x81, enabled: true },
    ]);
  });
  it('reads the MF (with proprietary A5)', () => {
    const fcp = parseFcp(hex(LAB_FCP.mf));
    expect(fcp.fileId).toBe(0x3f00);
    expect(fcp.dfName).toBeUndefined();
    expect(fcp.pinStatus?.find((p) => p.keyReference === 1)?.enabled).toBe(true);
  });
  it('reads linear fixed EFs with record length and count', () => {
    expect(parseFcp(hex(LAB_FCP.efDir))).toEqual({
      descriptor: { byte: 0x42, shareable: true, structure: 'linear-fixed', efType: 'working', recordLength: 0x26, recordCount: 2 },
      fileId: 0x2f00,
      lifeCycle: 5,
      fileSize: 0x4c,
      sfi: 0x1e,
    });
    const msisdn = parseFcp(hex(LAB_FCP.efMsisdn));
    expect(msisdn.descriptor).toMatchObject({ recordLength: 0x1c, recordCount: 1 });
    expect(msisdn.sfi).toBeNull();
  });
  it('reads transparent EFs with their size and SFI', () => {
    expect(parseFcp(hex(LAB_FCP.efImsi))).toMatchObject({
      descriptor: { structure: 'transparent', efType: 'working' },
      fileId: 0x6f07,
      fileSize: 9,
      sfi: 7,
    });
    expect(parseFcp(hex(LAB_FCP.efIccid))).toMatchObject({ fileId: 0x2fe2, fileSize: 10, sfi: 2 });
  });
  it('reads what the card sends now, not only these captures', async () => {
    const card = await VirtualUsim.create(findSim(demoProfileSet(), 'demo'));
    const send = (c: Uint8Array): Promise<Uint8Array> => card.transmit(c);
    const r = await runT0(send, hex('00A4040407A0000000871002'));
    const fcp = parseFcp(r.data);
    expect(fcp.fileId).toBe(0x7fff);
    // demo has PIN1 disabled: PS_DO 40 says only PIN2 (81) is enabled.
    expect(fcp.pinStatus).toEqual([
      { keyReference: 0x01, enabled: false },
      { keyReference: 0x81, enabled: true },
    ]);
  });
  it('reads an ADF FCP written by hand after TS 102 221 Table 11.3 (A5 with UICC characteristics, ADM key, PIN1 disabled)', () => {
    const fcp = parseFcp(
      hex(`62 3F
        82 02 78 21
        83 02 7F FF
        84 10 A0 00 00 00 87 10 02 FF 33 FF 01 89 00 00 01 00
        A5 09 80 01 71 83 04 00 01 86 A0
        8A 01 05
        8B 03 2F 06 02
        C6 0C 90 01 60 83 01 01 83 01 81 83 01 0A
        81 02 1F 40`),
    );
    expect(toHex(fcp.dfName!)).toBe('a0000000871002ff33ff018900000100');
    expect(isUsimAid(fcp.dfName!)).toBe(true);
    expect(fcp.totalFileSize).toBe(8000);
    expect(fcp.pinStatus).toEqual([
      { keyReference: 0x01, enabled: false },
      { keyReference: 0x81, enabled: true },
      { keyReference: 0x0a, enabled: true },
    ]);
  });
  it('reads a cyclic EF and a BER-TLV EF written by hand after Table 11.5', () => {
    const cyclic = parseFcp(hex('62 17 82 05 46 21 00 0A 05 83 02 6F 39 8A 01 05 8B 03 6F 06 04 80 02 00 32'));
    expect(cyclic.descriptor).toEqual({
      byte: 0x46,
      shareable: true,
      structure: 'cyclic',
      efType: 'working',
      recordLength: 10,
      recordCount: 5,
    });
    expect(cyclic.sfi).toBeUndefined();
    expect(parseFcp(hex('62 08 82 02 39 21 83 02 6F 99')).descriptor).toEqual({
      byte: 0x39,
      shareable: false,
      structure: 'ber-tlv',
      efType: 'working',
    });
  });
  it('reads PIN status templates with usage qualifiers and a two-byte PS_DO', () => {
    expect(parsePinStatusTemplate(hex('90 01 80 83 01 01 95 01 08 83 01 81'))).toEqual([
      { keyReference: 0x01, enabled: true, usageQualifier: 0x08 },
      { keyReference: 0x81, enabled: false },
    ]);
    const nine = concatBytes(hex('9002 0080'), ...Array.from({ length: 9 }, (_, i) => Uint8Array.of(0x83, 1, i + 1)));
    const entries = parsePinStatusTemplate(nine);
    expect(entries.map((e) => e.enabled)).toEqual([false, false, false, false, false, false, false, false, true]);
    malformed(() => parsePinStatusTemplate(hex('83 01 01')));
    malformed(() => parsePinStatusTemplate(concatBytes(hex('9001 FF'), ...Array.from({ length: 9 }, () => hex('830101')))));
  });
  it('reads record descriptors of every length ISO 7816-4 allows', () => {
    expect(parseFileDescriptor(hex('42'))).toMatchObject({ structure: 'linear-fixed' });
    expect(parseFileDescriptor(hex('422126'))).toMatchObject({ recordLength: 0x26 });
    expect(parseFileDescriptor(hex('42210026'))).toMatchObject({ recordLength: 0x26 });
    expect(parseFileDescriptor(hex('4221002601F4'))).toMatchObject({ recordLength: 0x26, recordCount: 500 });
    expect(parseFileDescriptor(hex('0921'))).toMatchObject({ structure: 'transparent', efType: 'internal' });
  });
  it.each([
    ['not an FCP template', '6F 02 8300'],
    ['two templates', '6200 6200'],
    ['a file id of three bytes', '62 05 83 03 3F 00 01'],
    ['an empty descriptor', '62 02 82 00'],
    ['a descriptor byte with b8 set', '62 04 82 02 F8 21'],
    ['a 17-byte DF name', `62 13 84 11 ${'A0'.repeat(17)}`],
    ['a five-byte file size', '62 07 80 05 0000000001'],
    ['a two-byte SFI', '62 04 88 02 0808'],
    ['a truncated template', '62 10 82 02 78 21'],
  ])('rejects %s', (_, bytes) => {
    malformed(() => parseFcp(hex(bytes)));
  });
});

describe('EF_DIR records (TS 102 221 §13.1)', () => {
  it('reads the record captured from the lab', () => {
    const record = hex('61184f10a0000000871002ff44ff1289000000ff50045553494dffffffffffffffffffffffff');
    const t = parseEfDirRecord(record)!;
    expect(toHex(t.aid)).toBe('a0000000871002ff44ff1289000000ff');
    expect(t.label).toBe('USIM');
    expect(isUsimAid(t.aid)).toBe(true);
  });
  it('reads other applications and templates without a label', () => {
    const isim = parseEfDirRecord(hex('61 12 4F 10 A0000000871004FF49FF0589000001FF FFFF'))!;
    expect(isim.label).toBeUndefined();
    expect(isUsimAid(isim.aid)).toBe(false);
    expect(parseEfDirRecord(hex('61 0B 4F 07 A0000000871002 50 00'))).toEqual({ aid: hex('A0000000871002'), label: '' });
    expect(parseEfDirRecord(hex('61 0A 4F 05 A000000087 50 01 07'))?.label).toBe('?');
  });
  it('treats an unused record as empty', () => {
    expect(parseEfDirRecord(new Uint8Array(38).fill(0xff))).toBeUndefined();
  });
  it('tells a USIM AID by its registered prefix only', () => {
    expect(isUsimAid(hex('A0000000871002'))).toBe(true);
    expect(isUsimAid(hex('A00000008710'))).toBe(false);
    expect(isUsimAid(hex('A0000000871003FF'))).toBe(false);
  });
  it.each([
    ['another tag', '4F 07 A0000000871002'],
    ['a template without AID', '61 03 50 01 41'],
    ['an empty AID', '61 02 4F 00'],
    ['a 17-byte AID', `61 13 4F 11 ${'A0'.repeat(17)}`],
    ['a template longer than the record', '61 20 4F 07 A0000000871002'],
  ])('rejects %s', (_, bytes) => {
    malformed(() => parseEfDirRecord(hex(bytes)));
  });
});

// TS 35.208 test set 1 (protocol notes §9): RES, CK, IK; Kc = c3(CK, IK) (TS 33.102 §6.8.1.2);
// AUTS = (SQN ⊕ AK*) ‖ MAC-S with SQN ff9bb4d0b607, AK* 451e8beca43b, MAC-S 01cfaf9ec4e871e9.
const SET1 = {
  res: 'a54211d5e3ba50bf',
  ck: 'b40ba9a3c58b2a05bbf0d987b21bf8cb',
  ik: 'f769bcd751044604127672711c6d3441',
  kc: 'eae4be823af9a08b',
  auts: 'ba853f3c123c01cfaf9ec4e871e9',
};

describe('AUTHENTICATE answers (TS 31.102 §7.1.2.1)', () => {
  it('reads DB with Kc', () => {
    const r = parseAuthenticateResponse(hex(`DB 08 ${SET1.res} 10 ${SET1.ck} 10 ${SET1.ik} 08 ${SET1.kc}`));
    expect(r.kind).toBe('success');
    if (r.kind !== 'success') return;
    expect([toHex(r.res), toHex(r.ck), toHex(r.ik), toHex(r.kc!)]).toEqual([SET1.res, SET1.ck, SET1.ik, SET1.kc]);
  });
  it('reads DB without Kc (a card without GSM access)', () => {
    const r = parseAuthenticateResponse(hex(`DB 08 ${SET1.res} 10 ${SET1.ck} 10 ${SET1.ik}`));
    expect(r).toEqual({ kind: 'success', res: hex(SET1.res), ck: hex(SET1.ck), ik: hex(SET1.ik) });
    expect('kc' in r).toBe(false);
  });
  it('reads RES of 4 and 16 bytes', () => {
    for (const res of ['01020304', 'ff'.repeat(16)]) {
      const r = parseAuthenticateResponse(hex(`DB ${(res.length / 2).toString(16).padStart(2, '0')} ${res} 10 ${SET1.ck} 10 ${SET1.ik}`));
      expect(r.kind === 'success' && toHex(r.res)).toBe(res);
    }
  });
  it('reads DC with AUTS', () => {
    expect(parseAuthenticateResponse(hex(`DC 0E ${SET1.auts}`))).toEqual({ kind: 'sync-failure', auts: hex(SET1.auts) });
  });
  it.each([
    ['an empty answer', ''],
    ['an unknown tag', `DD 0E ${SET1.auts}`],
    ['AUTS of 13 bytes', `DC 0D ${SET1.auts.slice(2)}`],
    ['bytes after AUTS', `DC 0E ${SET1.auts} 00`],
    ['RES of 3 bytes', `DB 03 010203 10 ${SET1.ck} 10 ${SET1.ik}`],
    ['RES of 17 bytes', `DB 11 ${'00'.repeat(17)} 10 ${SET1.ck} 10 ${SET1.ik}`],
    ['CK of 15 bytes', `DB 08 ${SET1.res} 0F ${SET1.ck.slice(2)} 10 ${SET1.ik}`],
    ['no IK', `DB 08 ${SET1.res} 10 ${SET1.ck}`],
    ['a cut-short IK', `DB 08 ${SET1.res} 10 ${SET1.ck} 10 ${SET1.ik.slice(2)}`],
    ['Kc of 7 bytes', `DB 08 ${SET1.res} 10 ${SET1.ck} 10 ${SET1.ik} 07 ${SET1.kc.slice(2)}`],
    ['bytes after Kc', `DB 08 ${SET1.res} 10 ${SET1.ck} 10 ${SET1.ik} 08 ${SET1.kc} 00`],
    ['a lone tag', 'DB'],
  ])('rejects %s without quoting the bytes', (_, bytes) => {
    const e = malformed(() => parseAuthenticateResponse(hex(bytes)));
    // Errors never carry key material: no hex of RES, CK or IK in the message.
    for (const secret of [SET1.res, SET1.ck.slice(0, 8), SET1.ik.slice(0, 8)])
      expect(JSON.stringify(e.toJSON()).toLowerCase()).not.toContain(secret);
  });
});

describe('EF_ICCID and EF_IMSI', () => {
  it('decodes ICCIDs of 19 and 20 digits', () => {
    expect(decodeEfIccid(hex('981801000000000010f6'))).toBe('8981100000000000016');
    expect(decodeEfIccid(hex('98180100000000001061'))).toBe('89811000000000000116');
    expect(decodeEfIccid(hex('981801000000000010ff'))).toBe('898110000000000001');
  });
  it.each([
    ['9 bytes', '981801000000000010'],
    ['a non-digit nibble', '9818010000000000a0f6'],
    ['a digit after the filler', '98f8010000000000100f'],
    ['a blank file', 'ffffffffffffffffffff'],
    ['too few digits', '9818010000ffffffffff'],
  ])('rejects an EF_ICCID with %s', (_, bytes) => {
    malformed(() => decodeEfIccid(hex(bytes)));
  });
  it('decodes IMSIs of odd and even length (TS 31.102 §4.2.2)', () => {
    expect(decodeImsi(hex('084904011332547698'))).toBe('440103123456789');
    expect(decodeImsi(hex('080910100000000010'))).toBe('001010000000001');
    expect(decodeImsi(hex('0801101000000000f4'))).toBe('00101000000004');
    expect(decodeImsi(hex('052943010230ffffff'))).toBe('234102003');
    expect(decodeImsi(hex('04214351f0ffffffff'))).toBe('234150');
  });
  it('reports a blank EF_IMSI as MALFORMED_ANSWER saying so', () => {
    expect(malformed(() => decodeImsi(new Uint8Array(9).fill(0xff))).message).toMatch(/blank/);
    malformed(() => decodeImsi(hex('00')));
  });
});

describe('hostile input', () => {
  const parsers: [string, (b: Uint8Array) => unknown][] = [
    ['parseBerTlv', (b) => parseBerTlv(b)],
    ['parseBerTlv nested+padding', (b) => parseBerTlv(b, { nested: true, padding: true })],
    ['parseFcp', parseFcp],
    ['parseFileDescriptor', parseFileDescriptor],
    ['parsePinStatusTemplate', parsePinStatusTemplate],
    ['parseEfDirRecord', parseEfDirRecord],
    ['parseAuthenticateResponse', parseAuthenticateResponse],
    ['decodeEfIccid', decodeEfIccid],
    ['decodeImsi', decodeImsi],
    ['parseResponseApdu', parseResponseApdu],
  ];
  // Random bytes, and bytes that start like the real thing so the parsers get past their first check.
  const inputs = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc
      .tuple(
        fc.constantFrom(0x62, 0x61, 0xdb, 0xdc, 0x90, 0x82, 0x08),
        fc.integer({ min: 0, max: 0x84 }),
        fc.uint8Array({ maxLength: 140 }),
      )
      .map(([t, l, rest]) => concatBytes(Uint8Array.of(t, l), rest)),
    fc
      .array(fc.tuple(fc.constantFrom(0x82, 0x83, 0x84, 0x88, 0xc6, 0x90, 0x4f, 0x50, 0x62, 0xa5), fc.uint8Array({ maxLength: 20 })))
      .map((dos) => concatBytes(...dos.map(([tag, v]) => concatBytes(Uint8Array.of(tag, v.length), v)))),
  );
  it.each(parsers)('%s returns a value or throws MALFORMED_ANSWER, nothing else', (_, parse) => {
    fc.assert(
      fc.property(inputs, (bytes) => {
        try {
          parse(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(KryptonError);
          expect((e as KryptonError).code).toBe('MALFORMED_ANSWER');
        }
        // Wrapped in an FCP template too, so the inner parsers see random DOs.
        try {
          parse(concatBytes(Uint8Array.of(0x62, Math.min(bytes.length, 0x7f)), bytes.subarray(0, 0x7f)));
        } catch (e) {
          expect((e as KryptonError).code).toBe('MALFORMED_ANSWER');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
