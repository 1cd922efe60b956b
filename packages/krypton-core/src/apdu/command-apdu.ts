import type { Bytes } from '../bytes/index.ts';
import { KryptonError } from '../errors/index.ts';

/** The four header bytes of a command APDU: class, instruction, parameters (ISO 7816-4 §5.1). */
export interface ApduHeader {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
}

/** Most data bytes a short command carries (ISO 7816-4 §5.1: Lc from 1 to 255). */
export const MAX_SHORT_DATA = 255;
/** Largest short Le (ISO 7816-4 §5.1: Le from 1 to 256, 256 coded as 00). */
export const MAX_SHORT_LE = 256;

/** Case 1: header only, no data, no response data expected (ISO 7816-4 §5.1, Table 4). */
export function caseOne(header: ApduHeader): Bytes {
  return Uint8Array.from(headerBytes(header));
}

/** Case 2: header and Le (1 to 256; 256 is sent as 00). */
export function caseTwo(header: ApduHeader, le: number): Bytes {
  return Uint8Array.from([...headerBytes(header), leByte(le)]);
}

/** Case 3: header, Lc and 1 to 255 data bytes. */
export function caseThree(header: ApduHeader, data: Uint8Array): Bytes {
  checkData(data);
  const out = new Uint8Array(5 + data.length);
  out.set(headerBytes(header));
  out[4] = data.length;
  out.set(data, 5);
  return out;
}

/** Case 4: header, Lc, 1 to 255 data bytes and Le (T=1 form; a T=0 TPDU drops Le, ISO 7816-3 §12.2.4). */
export function caseFour(header: ApduHeader, data: Uint8Array, le: number): Bytes {
  checkData(data);
  const out = new Uint8Array(6 + data.length);
  out.set(headerBytes(header));
  out[4] = data.length;
  out.set(data, 5);
  out[5 + data.length] = leByte(le);
  return out;
}

/** Builds the short command that fits what is given: data and/or Le select case 1, 2, 3 or 4. */
export function commandApdu(header: ApduHeader, body: { data?: Uint8Array; le?: number } = {}): Bytes {
  const hasData = body.data !== undefined && body.data.length > 0;
  if (hasData) return body.le === undefined ? caseThree(header, body.data!) : caseFour(header, body.data!, body.le);
  return body.le === undefined ? caseOne(header) : caseTwo(header, body.le);
}

/** Whether a command APDU carries a data field (case 3 or 4): only commands without data may be resent on `6Cxx`. */
export function hasCommandData(apdu: Uint8Array): boolean {
  return apdu.length > 5;
}

/** The same case 1 or case 2 command with a new Le (ISO 7816-3 §12.2.2: `6Cxx` asks for exactly xx bytes). */
export function withLe(apdu: Uint8Array, le: number): Bytes {
  if (apdu.length < 4 || hasCommandData(apdu)) throw badCommand('only a command without data can be resent with a new Le');
  return Uint8Array.from([apdu[0]!, apdu[1]!, apdu[2]!, apdu[3]!, leByte(le)]);
}

function headerBytes(h: ApduHeader): number[] {
  for (const [name, v] of [
    ['CLA', h.cla],
    ['INS', h.ins],
    ['P1', h.p1],
    ['P2', h.p2],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw badCommand(`${name} must be a byte, got ${v}`);
  }
  // ISO 7816-3 §10.3.2: INS 6X and 9X are procedure bytes on T=0, never instructions; CLA FF is reserved for PPS.
  if ((h.ins & 0xf0) === 0x60 || (h.ins & 0xf0) === 0x90) throw badCommand(`INS ${h.ins.toString(16)} is not a valid instruction`);
  if (h.cla === 0xff) throw badCommand('CLA FF is reserved');
  return [h.cla, h.ins, h.p1, h.p2];
}

function checkData(data: Uint8Array): void {
  if (data.length < 1 || data.length > MAX_SHORT_DATA)
    throw badCommand(`a short command carries 1 to ${MAX_SHORT_DATA} data bytes, got ${data.length}`);
}

function leByte(le: number): number {
  if (!Number.isInteger(le) || le < 1 || le > MAX_SHORT_LE) throw badCommand(`Le must be 1 to ${MAX_SHORT_LE}, got ${le}`);
  return le & 0xff;
}

function badCommand(what: string): KryptonError {
  return new KryptonError(
    'BAD_INPUT',
    `Cannot build the SIM command: ${what}.`,
    'This is a bug in Krypton Web; report it with the steps that led here.',
  );
}
