import { xorBytes, type Bytes } from '@krypton-web/krypton-core';
import { aes128, type BlockCipher } from './aes.ts';

/** Everything Milenage computes for one (K, OPc, RAND, SQN, AMF), as in 3GPP TS 35.206 §4.1. */
export interface MilenageOutput {
  /** f1: network authentication code (8 bytes). */
  macA: Bytes;
  /** f1*: resynchronisation authentication code (8 bytes). */
  macS: Bytes;
  /** f2: response (8 bytes). */
  res: Bytes;
  /** f3: cipher key (16 bytes). */
  ck: Bytes;
  /** f4: integrity key (16 bytes). */
  ik: Bytes;
  /** f5: anonymity key (6 bytes). */
  ak: Bytes;
  /** f5*: resynchronisation anonymity key (6 bytes). */
  akStar: Bytes;
}

// TS 35.206 §4.1: rotation amounts r1..r5 in bits and constants c1..c5 (only the last byte is non-zero).
const R = [64, 0, 32, 64, 96] as const;
const C_LAST_BYTE = [0x00, 0x01, 0x02, 0x04, 0x08] as const;

/** Milenage bound to one subscriber key K and operator constant OPc. */
export class Milenage {
  private constructor(
    private readonly cipher: BlockCipher,
    private readonly opcBytes: Bytes,
  ) {}

  /** OPc in use (a copy: changing it cannot alter later results). */
  get opc(): Bytes {
    return this.opcBytes.slice();
  }

  /** Creates a Milenage instance from K and OPc (16 bytes each). */
  static async withOpc(k: Uint8Array, opc: Uint8Array): Promise<Milenage> {
    checkLength('OPc', opc, 16);
    return new Milenage(await aes128(k), new Uint8Array(opc));
  }

  /** Creates a Milenage instance from K and OP, deriving OPc = OP ⊕ E_K(OP). */
  static async withOp(k: Uint8Array, op: Uint8Array): Promise<Milenage> {
    checkLength('OP', op, 16);
    const cipher = await aes128(k);
    return new Milenage(cipher, xorBytes(op, await cipher.encryptBlock(new Uint8Array(op))));
  }

  /** Computes f1, f1*, f2, f3, f4, f5 and f5* for one challenge. */
  async compute(rand: Uint8Array, sqn: Uint8Array, amf: Uint8Array): Promise<MilenageOutput> {
    const [out1, f2to5] = await Promise.all([this.out1(rand, sqn, amf), this.f2345(rand)]);
    return { macA: out1.slice(0, 8), macS: out1.slice(8, 16), ...f2to5 };
  }

  /** f1 and f1*: MAC-A and MAC-S over SQN and AMF. */
  async f1(rand: Uint8Array, sqn: Uint8Array, amf: Uint8Array): Promise<{ macA: Bytes; macS: Bytes }> {
    const out1 = await this.out1(rand, sqn, amf);
    return { macA: out1.slice(0, 8), macS: out1.slice(8, 16) };
  }

  /** f2 to f5 and f5*, which depend on RAND only. */
  async f2345(rand: Uint8Array): Promise<Omit<MilenageOutput, 'macA' | 'macS'>> {
    const temp = await this.temp(rand);
    const [out2, out3, out4, out5] = await Promise.all([2, 3, 4, 5].map((i) => this.outN(temp, i)));
    return {
      ak: out2!.slice(0, 6),
      res: out2!.slice(8, 16),
      ck: out3!,
      ik: out4!,
      akStar: out5!.slice(0, 6),
    };
  }

  private async temp(rand: Uint8Array): Promise<Bytes> {
    checkLength('RAND', rand, 16);
    return this.cipher.encryptBlock(xorBytes(rand, this.opcBytes));
  }

  private async out1(rand: Uint8Array, sqn: Uint8Array, amf: Uint8Array): Promise<Bytes> {
    checkLength('SQN', sqn, 6);
    checkLength('AMF', amf, 2);
    // Copy SQN and AMF before the first await: a caller may reuse its buffers once we yield.
    const in1 = new Uint8Array(16);
    in1.set(sqn, 0);
    in1.set(amf, 6);
    in1.set(sqn, 8);
    in1.set(amf, 14);
    const temp = await this.temp(rand);
    const block = xorBytes(temp, rotateLeft(xorBytes(in1, this.opcBytes), R[0]));
    block[15]! ^= C_LAST_BYTE[0];
    return xorBytes(await this.cipher.encryptBlock(block), this.opcBytes);
  }

  private async outN(temp: Uint8Array, n: number): Promise<Bytes> {
    const block = rotateLeft(xorBytes(temp, this.opcBytes), R[n - 1]!);
    block[15]! ^= C_LAST_BYTE[n - 1]!;
    return xorBytes(await this.cipher.encryptBlock(block), this.opcBytes);
  }
}

/** Derives OPc = OP ⊕ E_K(OP) (TS 35.206 §4.1). */
export async function deriveOpc(k: Uint8Array, op: Uint8Array): Promise<Bytes> {
  return (await Milenage.withOp(k, op)).opc;
}

/** Derives the GSM cipher key Kc from CK and IK with conversion function c3 (TS 33.102 §6.8.1.2). */
export function kcFromCkIk(ck: Uint8Array, ik: Uint8Array): Bytes {
  checkLength('CK', ck, 16);
  checkLength('IK', ik, 16);
  const kc = new Uint8Array(8);
  for (let i = 0; i < 8; i++) kc[i] = ck[i]! ^ ck[i + 8]! ^ ik[i]! ^ ik[i + 8]!;
  return kc;
}

/** Derives the GSM SRES from RES with conversion function c2 (TS 33.102 §6.8.1.2), for an 8-byte RES. */
export function sresFromRes(res: Uint8Array): Bytes {
  checkLength('RES', res, 8);
  const sres = new Uint8Array(4);
  for (let i = 0; i < 4; i++) sres[i] = res[i]! ^ res[i + 4]!;
  return sres;
}

/** Rotates a 128-bit block left by a multiple of 8 bits. */
function rotateLeft(block: Uint8Array, bits: number): Bytes {
  const bytes = bits / 8;
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = block[(i + bytes) % 16]!;
  return out;
}

function checkLength(label: string, value: Uint8Array, length: number): void {
  if (value.length !== length) throw new RangeError(`${label} must be ${length} bytes, got ${value.length}`);
}
