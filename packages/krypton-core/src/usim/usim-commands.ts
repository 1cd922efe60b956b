import type { Bytes } from '../bytes/index.ts';
import { caseOne, caseThree, caseTwo } from '../apdu/index.ts';
import { KryptonError } from '../errors/index.ts';

/** Class byte of UICC commands on the basic logical channel (TS 102 221 §10.1.1). */
const CLA = 0x00;

/** Instruction bytes (TS 102 221 Table 10.5, TS 31.102 §7.1). */
export const INS = {
  SELECT: 0xa4,
  READ_BINARY: 0xb0,
  READ_RECORD: 0xb2,
  VERIFY: 0x20,
  CHANGE_PIN: 0x24,
  DISABLE_PIN: 0x26,
  ENABLE_PIN: 0x28,
  UNBLOCK_PIN: 0x2c,
  AUTHENTICATE: 0x88,
} as const;

/** SELECT P2 (TS 102 221 Table 11.2): return the FCP template, or no data. */
export type SelectAnswer = 'fcp' | 'none';
const P2_FCP = 0x04;
const P2_NONE = 0x0c;

/** Key reference of PIN1 (TS 102 221 §9.5.1: the universal PIN's global key reference 01). */
export const KEY_PIN1 = 0x01;

/** SELECT by DF name (P1=04, TS 102 221 §11.1.1): an AID, whole or right-truncated (§8.5.2). */
export function selectByAid(aid: Uint8Array, answer: SelectAnswer): Bytes {
  return caseThree({ cla: CLA, ins: INS.SELECT, p1: 0x04, p2: answer === 'fcp' ? P2_FCP : P2_NONE }, aid);
}

/** SELECT by file identifier (P1=00, TS 102 221 §8.4.1): MF `3F00`, a child of the current DF, … */
export function selectByFid(fid: number, answer: SelectAnswer): Bytes {
  return caseThree({ cla: CLA, ins: INS.SELECT, p1: 0x00, p2: answer === 'fcp' ? P2_FCP : P2_NONE }, Uint8Array.of(fid >> 8, fid & 0xff));
}

/** SELECT by path from the MF (P1=08, TS 102 221 §8.4.2): the file identifiers below the MF, the MF's own left out. */
export function selectByPathFromMf(path: readonly number[], answer: SelectAnswer): Bytes {
  const data = new Uint8Array(path.length * 2);
  path.forEach((fid, i) => data.set([fid >> 8, fid & 0xff], i * 2));
  return caseThree({ cla: CLA, ins: INS.SELECT, p1: 0x08, p2: answer === 'fcp' ? P2_FCP : P2_NONE }, data);
}

/** READ BINARY of the EF with this SFI (P1 = 100 SSSSS, TS 102 221 §11.1.3.2 Table 11.10), from offset 0. */
export function readBinaryBySfi(sfi: number, length: number): Bytes {
  if (!Number.isInteger(sfi) || sfi < 1 || sfi > 30)
    throw new KryptonError(
      'BAD_INPUT',
      `SFI ${sfi} is out of range.`,
      'This is a bug in Krypton Web; report it with the steps that led here.',
    );
  return caseTwo({ cla: CLA, ins: INS.READ_BINARY, p1: 0x80 | sfi, p2: 0x00 }, length);
}

/** READ BINARY of the current EF from an offset below 0x8000 (TS 102 221 §11.1.3). */
export function readBinary(offset: number, length: number): Bytes {
  return caseTwo({ cla: CLA, ins: INS.READ_BINARY, p1: (offset >> 8) & 0x7f, p2: offset & 0xff }, length);
}

/** READ RECORD of the current EF, absolute mode (P2=04, TS 102 221 §11.1.5 Table 11.11). */
export function readRecord(record: number, length: number): Bytes {
  return caseTwo({ cla: CLA, ins: INS.READ_RECORD, p1: record, p2: 0x04 }, length);
}

/** VERIFY PIN without data: asks for the PIN's status, `63Cx` or `9000` (TS 102 221 §11.1.9.1.2). */
export function verifyStatus(key = KEY_PIN1): Bytes {
  return caseOne({ cla: CLA, ins: INS.VERIFY, p1: 0x00, p2: key });
}

/** VERIFY PIN with an 8-byte PIN block (TS 102 221 §11.1.9). */
export function verifyPinCommand(block: Uint8Array, key = KEY_PIN1): Bytes {
  return caseThree({ cla: CLA, ins: INS.VERIFY, p1: 0x00, p2: key }, block);
}

/** CHANGE PIN with the old and the new PIN blocks (TS 102 221 §11.1.10): `00 24 00 key 10 old new`. */
export function changePinCommand(oldBlock: Uint8Array, newBlock: Uint8Array, key = KEY_PIN1): Bytes {
  const data = new Uint8Array(oldBlock.length + newBlock.length);
  data.set(oldBlock);
  data.set(newBlock, oldBlock.length);
  return caseThree({ cla: CLA, ins: INS.CHANGE_PIN, p1: 0x00, p2: key }, data);
}

/**
 * DISABLE PIN with the PIN block (TS 102 221 §11.1.11). P1 `00` disables without replacement (a P1 with
 * b8 set would name an alternative key, the universal PIN, to use instead); P2 is the PIN to disable.
 */
export function disablePinCommand(block: Uint8Array, key = KEY_PIN1): Bytes {
  return caseThree({ cla: CLA, ins: INS.DISABLE_PIN, p1: 0x00, p2: key }, block);
}

/** ENABLE PIN with the PIN block (TS 102 221 §11.1.12): `00 28 00 key 08 pin`. */
export function enablePinCommand(block: Uint8Array, key = KEY_PIN1): Bytes {
  return caseThree({ cla: CLA, ins: INS.ENABLE_PIN, p1: 0x00, p2: key }, block);
}

/** UNBLOCK PIN without data: asks for the PUK tries left, `63Cx` (TS 102 221 §11.1.13.1.2). */
export function unblockStatus(key = KEY_PIN1): Bytes {
  return caseOne({ cla: CLA, ins: INS.UNBLOCK_PIN, p1: 0x00, p2: key });
}

/** UNBLOCK PIN with the PUK block and the new PIN block (TS 102 221 §11.1.13). */
export function unblockPinCommand(pukBlock: Uint8Array, newPinBlock: Uint8Array, key = KEY_PIN1): Bytes {
  const data = new Uint8Array(pukBlock.length + newPinBlock.length);
  data.set(pukBlock);
  data.set(newPinBlock, pukBlock.length);
  return caseThree({ cla: CLA, ins: INS.UNBLOCK_PIN, p1: 0x00, p2: key }, data);
}

/**
 * AUTHENTICATE in 3G context (TS 31.102 §7.1.2, P2=81): `10 RAND 10 AUTN`. Sent without Le, as the
 * T=0 TPDU a reader or AT+CSIM carries (ISO 7816-3 §12.2.4); the answer comes through `61xx`.
 */
export function authenticateCommand(rand: Uint8Array, autn: Uint8Array): Bytes {
  if (rand.length !== 16 || autn.length !== 16) {
    throw new KryptonError(
      'BAD_INPUT',
      `RAND and AUTN are 16 bytes each (got ${rand.length} and ${autn.length}).`,
      'Check the challenge the Keys API returned; start the key agreement again.',
    );
  }
  const data = new Uint8Array(34);
  data[0] = 16;
  data.set(rand, 1);
  data[17] = 16;
  data.set(autn, 18);
  return caseThree({ cla: CLA, ins: INS.AUTHENTICATE, p1: 0x00, p2: 0x81 }, data);
}
