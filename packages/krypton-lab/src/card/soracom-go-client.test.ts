/**
 * SORACOM's Go client (soracom/endorse-client-go `endorse/iso7816.go`, used by krypton-cli) against
 * this card: first the exact transcript it produces on a first run (protocol notes §11: 11 APDUs),
 * then a line-by-line port of its logic, which must reach the same IMSI, RES and CK on its own.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex, xorBytes } from '@krypton-web/krypton-core';
import { Milenage } from '../milenage/index.ts';
import { demoCard, networkAutn, sqnOf } from './card-test-kit.test-support.ts';
import type { VirtualUsim } from './virtual-usim.ts';

const RAND = fromHex('f0e1d2c3b4a5968778695a4b3c2d1e0f');
const SQN = sqnOf(2, 0);
const AID = 'A0000000871002FF44FF1289000000FF';

/** Expected values for the demo SIM, computed here with Milenage from the profile's K and OPc. */
async function expectedValues() {
  const { card, profile } = await demoCard('demo');
  const m = await Milenage.withOpc(fromHex(profile.k), fromHex(profile.opc));
  const out = await m.compute(RAND, SQN, fromHex(profile.amf));
  const kc = xorBytes(xorBytes(out.ck.slice(0, 8), out.ck.slice(8)), xorBytes(out.ik.slice(0, 8), out.ik.slice(8)));
  return { card, profile, autn: await networkAutn(profile, RAND, SQN), res: out.res, ck: out.ck, ik: out.ik, kc };
}

/** Replays `=> command` / `<= response` lines and returns the responses that differ (empty when all match). */
async function replay(card: VirtualUsim, transcript: string): Promise<string[]> {
  const lines = transcript
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const mismatches: string[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const command = lines[i]!;
    const expected = lines[i + 1] ?? '';
    if (!command.startsWith('=> ') || !expected.startsWith('<= ')) throw new Error(`transcript line ${i + 1} is out of order`);
    const got = toHex(await card.transmit(fromHex(command.slice(3).replace(/\s+/g, '')))).toUpperCase();
    const want = expected.slice(3).replace(/\s+/g, '').toUpperCase();
    if (got !== want) mismatches.push(`${command}\n   want ${want}\n   got  ${got}`);
  }
  return mismatches;
}

describe('SORACOM Go client transcript', () => {
  it('answers the first-run sequence byte for byte: IMSI read, then AUTHENTICATE', async () => {
    const { card, autn, res, ck, ik, kc } = await expectedValues();
    const h = (b: Uint8Array): string => toHex(b).toUpperCase();
    const transcript = `
      => 00A40004023F00
      <= 6126
      => 00A40004022F00
      <= 611C
      => 00C000001C
      <= 621A 8205422100260283022F00 8A0105 8B032F0601 8002004C 8801F0 9000
      => 00B2010426
      <= 6118 4F10${AID} 50045553494D ${'FF'.repeat(12)} 9000
      => 00A4040410${AID}
      <= 6133
      => 00A40004026F07
      <= 6119
      => 00B0000009
      <= 08 0910100000000010 9000
      => 00A4040410${AID}
      <= 6133
      => 00C0000033
      <= 6231 82027821 83027FFF 8410${AID} 8A0105 8B032F0603 C609 900140 830101 830181 81020089 9000
      => 0088008122 10${h(RAND)} 10${h(autn)}
      <= 6135
      => 00C0000035
      <= DB08${h(res)} 10${h(ck)} 10${h(ik)} 08${h(kc)} 9000
    `;
    expect(await replay(card, transcript)).toEqual([]);
    expect(card.apduCount).toBe(11);
  });
});

/* ---- A TypeScript port of endorse/iso7816.go (v0.1.6), kept as close to the Go code as the languages allow. ---- */

function isSuccessfulSW(rsp: Uint8Array): boolean {
  if (rsp.length < 2) return false;
  return [0x61, 0x6f, 0x90].includes(rsp[rsp.length - 2]!);
}

function decodeTBCD(bytes: Uint8Array): string {
  return toHex(bytes.map((b) => ((b & 0xf) << 4) | ((b & 0xf0) >> 4)));
}

// parseFCP: walks flat TLVs after 62 L and keeps the file descriptor; getRecordSizeBytes = fd[2:4].
function recordSizeFromFcp(b: Uint8Array): Uint8Array {
  if (b[0] !== 0x62) throw new Error('the first byte is not TAG_FCP_TEMPLATE');
  let rest = b.slice(2, 2 + b[1]!);
  let fileDescriptor: Uint8Array | undefined;
  for (;;) {
    const tag = rest[0]!;
    const l = rest[1]!;
    if (tag === 0x82) fileDescriptor = rest.slice(2, l + 2);
    rest = rest.slice(l + 2);
    if (rest.length < 2) break;
  }
  if (!fileDescriptor) throw new Error('no file descriptor');
  return fileDescriptor.slice(2, 4);
}

function applicationIdentifier(b: Uint8Array): Uint8Array {
  if (b[0] !== 0x61) throw new Error('the first byte is not TAG_APPLICATION_TEMPLATE');
  let rest = b.slice(2, 2 + b[1]!);
  let aid: Uint8Array | undefined;
  for (;;) {
    const tag = rest[0]!;
    const l = rest[1]!;
    if (tag === 0x4f) aid = rest.slice(2, l + 2);
    rest = rest.slice(l + 2);
    if (rest.length < 2) break;
  }
  if (!aid) throw new Error('no AID');
  return aid;
}

const select = (p1: number, p2: number, b: Uint8Array): Uint8Array => Uint8Array.of(0x00, 0xa4, p1, p2, b.length, ...b);
const getResponse = (l: number): Uint8Array => Uint8Array.of(0x00, 0xc0, 0x00, 0x00, l);

async function findAdfUsim(card: VirtualUsim): Promise<Uint8Array> {
  let rsp = await card.transmit(select(0x00, 0x04, fromHex('3f00')));
  if (!isSuccessfulSW(rsp)) throw new Error('unsuccessful response for SELECT MF');
  rsp = await card.transmit(select(0x00, 0x04, fromHex('2f00')));
  if (!isSuccessfulSW(rsp)) throw new Error('unsuccessful response for SELECT EF_DIR');
  if (rsp[rsp.length - 2] !== 0x61) throw new Error('unwanted response');
  rsp = await card.transmit(getResponse(rsp[rsp.length - 1]!));
  if (!isSuccessfulSW(rsp)) throw new Error('unsuccessful response for GET RESPONSE');
  const recSize = recordSizeFromFcp(rsp);
  rsp = await card.transmit(Uint8Array.of(0x00, 0xb2, 0x01, 0x04, recSize[1]!));
  if (!isSuccessfulSW(rsp)) throw new Error('unsuccessful response for READ ADF RECORD');
  return applicationIdentifier(rsp);
}

async function readImsi(card: VirtualUsim, adf: Uint8Array): Promise<string> {
  let rsp = await card.transmit(select(0x04, 0x04, adf));
  if (!isSuccessfulSW(rsp)) throw new Error('unsuccessful response for SELECT ADF RECORD');
  rsp = await card.transmit(select(0x00, 0x04, fromHex('6f07')));
  if (!isSuccessfulSW(rsp)) throw new Error('unsuccessful response for SELECT EF_IMSI');
  rsp = await card.transmit(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 9));
  if (!isSuccessfulSW(rsp)) throw new Error('unsuccessful response for READ BINARY EF_IMSI');
  return decodeTBCD(rsp.slice(1, rsp[0]! + 1)).slice(1);
}

async function authenticateGo(
  card: VirtualUsim,
  adf: Uint8Array,
  rand: Uint8Array,
  autn: Uint8Array,
): Promise<{ res: Uint8Array; ck: Uint8Array; ik: Uint8Array; kc: Uint8Array } | { auts: Uint8Array }> {
  let rsp = await card.transmit(select(0x04, 0x04, adf));
  if (!isSuccessfulSW(rsp)) throw new Error('unsuccessful response for SELECT ADF');
  rsp = await card.transmit(getResponse(rsp[rsp.length - 1]!));
  if (!isSuccessfulSW(rsp)) throw new Error('unsuccessful response for GET RESPONSE');
  rsp = await card.transmit(
    concatBytes(Uint8Array.of(0x00, 0x88, 0x00, 0x81, rand.length + autn.length + 2, rand.length), rand, Uint8Array.of(autn.length), autn),
  );
  const sw1 = rsp[rsp.length - 2];
  if (sw1 !== 0x61 && sw1 !== 0x6e) throw new Error('unsuccessful response for AUTHENTICATE');
  rsp = await card.transmit(getResponse(rsp[rsp.length - 1]!));
  if (!isSuccessfulSW(rsp)) throw new Error('unsuccessful response for GET RESPONSE');
  // parseUICCAuthResult: DC → AUTS; DB → RES, CK, IK, Kc (it indexes Kc unconditionally).
  if (rsp[0] === 0xdc) return { auts: rsp.slice(2, 2 + rsp[1]!) };
  if (rsp[0] !== 0xdb) throw new Error('unable to authenticate');
  const fields: Uint8Array[] = [];
  let rest = rsp.slice(1);
  for (let i = 0; i < 4; i++) {
    const l = rest[0]!;
    if (rest.length < 1 + l) throw new Error('index out of range (the Go client would panic)');
    fields.push(rest.slice(1, 1 + l));
    rest = rest.slice(1 + l);
  }
  return { res: fields[0]!, ck: fields[1]!, ik: fields[2]!, kc: fields[3]! };
}

describe('SORACOM Go client logic (ported)', () => {
  it('finds the USIM from EF_DIR, reads the IMSI and authenticates in 11 APDUs', async () => {
    const { card, profile, autn, res, ck, ik, kc } = await expectedValues();
    const adf = await findAdfUsim(card);
    expect(toHex(adf).toUpperCase()).toBe(AID);
    expect(await readImsi(card, adf)).toBe(profile.imsi);
    expect(card.apduCount).toBe(7);
    const result = await authenticateGo(card, adf, RAND, autn);
    expect(card.apduCount).toBe(11);
    expect(result).toEqual({ res, ck, ik, kc });
  });

  it('reads a 14-digit IMSI the way the Go client decodes it', async () => {
    const { card, profile } = await demoCard('demo-even');
    const adf = await findAdfUsim(card);
    // The Go client keeps the trailing F filler of an even IMSI as an "f" digit.
    expect(await readImsi(card, adf)).toBe(profile.imsi + 'f');
  });

  it('gets an AUTS it can send back when the AUTN is replayed (resync path)', async () => {
    const { card, autn } = await expectedValues();
    const adf = await findAdfUsim(card);
    await authenticateGo(card, adf, RAND, autn);
    const again = await authenticateGo(card, adf, RAND, autn);
    expect('auts' in again && again.auts.length).toBe(14);
  });
});
