import { efSize, type DedicatedFile, type ElementaryFile, type FileNode } from './file-system.ts';
import { tlv, uint } from './tlv.ts';

/** PIN enablement as the PS_DO of the PIN status template reports it (TS 102 221 §9.5.2). */
export interface PinEnablement {
  pin1Enabled: boolean;
  pin2Enabled: boolean;
}

/** Life cycle status "operational state, activated" (TS 102 221 §11.1.1.4.9). */
const LCSI_ACTIVATED = 0x05;
/** Data coding byte of every file descriptor (TS 102 221 §11.1.1.4.3). */
const DATA_CODING = 0x21;
/** Key references listed in the PIN status template: PIN1 (global) and PIN2 (local) (TS 102 221 §9.5.1). */
const KEY_PIN1 = 0x01;
const KEY_PIN2 = 0x81;

/** Encodes the FCP template `62 ...` of a file as SELECT and STATUS return it (TS 102 221 §11.1.1.3). */
export function fcpTemplate(node: FileNode, pins: PinEnablement): Uint8Array {
  return node.kind === 'df' ? dfFcp(node, pins) : efFcp(node);
}

/** Encodes the PIN status template DO `C6` (TS 102 221 §9.5.2): PS_DO bit 8 = PIN1 enabled, bit 7 = PIN2. */
export function pinStatusTemplate(pins: PinEnablement): Uint8Array {
  const psDo = (pins.pin1Enabled ? 0x80 : 0) | (pins.pin2Enabled ? 0x40 : 0);
  return tlv(0xc6, tlv(0x90, Uint8Array.of(psDo)), tlv(0x83, Uint8Array.of(KEY_PIN1)), tlv(0x83, Uint8Array.of(KEY_PIN2)));
}

// TS 102 221 Table 11.3 (MF, DF, ADF): 82, 83, 84 (ADF), A5 (MF), 8A, 8B, C6, 81.
function dfFcp(df: DedicatedFile, pins: PinEnablement): Uint8Array {
  const parts = [
    // File descriptor byte 78: DF or ADF, shareable (TS 102 221 Table 11.5).
    tlv(0x82, Uint8Array.of(0x78, DATA_CODING)),
    tlv(0x83, uint(df.fid, 2)),
  ];
  if (df.aid) parts.push(tlv(0x84, df.aid));
  // Proprietary information of the MF: UICC characteristics 71 = clock stop allowed, no preferred
  // level, supply voltage classes A, B and C (TS 102 221 §11.1.1.4.6.1).
  if (df.parent === undefined) parts.push(tlv(0xa5, tlv(0x80, Uint8Array.of(0x71))));
  parts.push(
    tlv(0x8a, Uint8Array.of(LCSI_ACTIVATED)),
    tlv(0x8b, uint(df.arr.fid, 2), Uint8Array.of(df.arr.record)),
    pinStatusTemplate(pins),
    // Total file size: the data bytes of the EFs below this DF (TS 102 221 §11.1.1.4.2).
    tlv(0x81, uint(dataBytesBelow(df), 2)),
  );
  return tlv(0x62, ...parts);
}

// TS 102 221 Table 11.4 (EF): 82, 83, 8A, 8B, 80, 88.
function efFcp(ef: ElementaryFile): Uint8Array {
  // File descriptor byte 41 transparent / 42 linear fixed, both "not shareable"; a linear fixed
  // descriptor adds the record length (2 bytes) and the number of records (TS 102 221 Table 11.5).
  const descriptor =
    ef.kind === 'transparent'
      ? Uint8Array.of(0x41, DATA_CODING)
      : Uint8Array.of(0x42, DATA_CODING, 0x00, ef.recordLength, ef.records.length);
  return tlv(
    0x62,
    tlv(0x82, descriptor),
    tlv(0x83, uint(ef.fid, 2)),
    tlv(0x8a, Uint8Array.of(LCSI_ACTIVATED)),
    tlv(0x8b, uint(ef.arr.fid, 2), Uint8Array.of(ef.arr.record)),
    tlv(0x80, uint(efSize(ef), 2)),
    // SFI in bits 8..4; an empty 88 says the EF has no SFI (TS 102 221 §11.1.1.4.8).
    ef.sfi === undefined ? tlv(0x88) : tlv(0x88, Uint8Array.of(ef.sfi << 3)),
  );
}

function dataBytesBelow(df: DedicatedFile): number {
  let total = 0;
  for (const c of df.children) total += c.kind === 'df' ? dataBytesBelow(c) : efSize(c);
  return total;
}
