import type { Bytes } from '../bytes/index.ts';
import { findTlv, parseBerTlv, type Tlv } from './ber-tlv.ts';
import { malformed } from './malformed.ts';

/** What kind of file an FCP describes (TS 102 221 Table 11.5). */
export type FileStructure = 'df' | 'transparent' | 'linear-fixed' | 'cyclic' | 'ber-tlv' | 'unknown';

/** The file descriptor DO `82` (TS 102 221 §11.1.1.4.3). */
export interface FileDescriptor {
  /** The file descriptor byte as sent. */
  readonly byte: number;
  readonly shareable: boolean;
  readonly structure: FileStructure;
  /** For EFs: working EF (read by commands) or internal EF (used by the card). */
  readonly efType?: 'working' | 'internal' | 'proprietary';
  /** Record length of a linear fixed or cyclic EF. */
  readonly recordLength?: number;
  /** Number of records of a linear fixed or cyclic EF. */
  readonly recordCount?: number;
}

/** One key reference in the PIN status template DO `C6` with whether it is enabled (TS 102 221 §9.5.2). */
export interface PinStatusEntry {
  /** Key reference: `01` PIN1 (universal PIN's global key), `81` PIN2, `0A` ADM1 … (TS 102 221 §9.5.1). */
  readonly keyReference: number;
  readonly enabled: boolean;
  /** Usage qualifier DO `95` following the key reference, when present. */
  readonly usageQualifier?: number;
}

/** The FCP template `62` returned by SELECT or STATUS (TS 102 221 §11.1.1.3). */
export interface Fcp {
  readonly descriptor?: FileDescriptor;
  /** File identifier DO `83`. */
  readonly fileId?: number;
  /** DF name (AID) DO `84`, for ADFs. */
  readonly dfName?: Bytes;
  /** Life cycle status integer DO `8A`. */
  readonly lifeCycle?: number;
  /** File size DO `80`: data bytes of an EF. */
  readonly fileSize?: number;
  /** Total file size DO `81`: bytes allocated below a DF. */
  readonly totalFileSize?: number;
  /** Short file identifier DO `88`: a number, null when the DO is empty (no SFI), absent when not sent. */
  readonly sfi?: number | null;
  /** PIN status template DO `C6`, listed for DFs and ADFs. */
  readonly pinStatus?: readonly PinStatusEntry[];
}

/**
 * Parses an FCP template (`62 L ...`, TS 102 221 §11.1.1.3, Tables 11.3 and 11.4). Unknown DOs are
 * skipped; the DOs read here must have the lengths the spec gives them, else MALFORMED_ANSWER.
 */
export function parseFcp(bytes: Uint8Array): Fcp {
  const top = parseBerTlv(bytes, { what: 'FCP' });
  if (top.length !== 1 || top[0]!.tag !== 0x62) throw malformed('FCP: expected one template with tag 62');
  const dos = parseBerTlv(top[0]!.value, { what: 'FCP' });
  const fcp: { -readonly [K in keyof Fcp]: Fcp[K] } = {};
  const d82 = findTlv(dos, 0x82);
  if (d82) fcp.descriptor = parseFileDescriptor(d82.value);
  const d83 = findTlv(dos, 0x83);
  if (d83) fcp.fileId = fixedNumber(d83, 2, 'file identifier');
  const d84 = findTlv(dos, 0x84);
  if (d84) {
    if (d84.value.length < 1 || d84.value.length > 16) throw malformed(`FCP: DF name of ${d84.value.length} bytes (1 to 16 expected)`);
    fcp.dfName = d84.value;
  }
  const d8a = findTlv(dos, 0x8a);
  if (d8a) fcp.lifeCycle = fixedNumber(d8a, 1, 'life cycle status');
  const d80 = findTlv(dos, 0x80);
  if (d80) fcp.fileSize = sizeNumber(d80, 'file size');
  const d81 = findTlv(dos, 0x81);
  if (d81) fcp.totalFileSize = sizeNumber(d81, 'total file size');
  const d88 = findTlv(dos, 0x88);
  if (d88) {
    if (d88.value.length > 1) throw malformed('FCP: SFI of more than one byte');
    // SFI sits in bits b8..b4 (TS 102 221 §11.1.1.4.8); an empty DO means "no SFI".
    fcp.sfi = d88.value.length === 0 ? null : d88.value[0]! >> 3;
  }
  const c6 = findTlv(dos, 0xc6);
  if (c6) fcp.pinStatus = parsePinStatusTemplate(c6.value);
  return fcp;
}

/**
 * Parses the value of a file descriptor DO `82` (TS 102 221 §11.1.1.4.3, Table 11.5): the descriptor
 * byte, the data coding byte, then for record EFs the record length (2 bytes) and the number of records
 * (1 byte; ISO 7816-4 §5.3.3 also allows 1-byte lengths and 2-byte counts, read by the value's length).
 */
export function parseFileDescriptor(value: Uint8Array): FileDescriptor {
  if (value.length < 1 || value.length > 6) throw malformed(`FCP: file descriptor of ${value.length} bytes (1 to 6 expected)`);
  const byte = value[0]!;
  if ((byte & 0x80) !== 0) throw malformed('FCP: file descriptor byte has b8 set');
  const shareable = (byte & 0x40) !== 0;
  const low = byte & 0x3f;
  if (low === 0x38) return { byte, shareable, structure: 'df' };
  if (low === 0x39) return { byte, shareable, structure: 'ber-tlv', efType: 'working' };
  const type = (byte >> 3) & 0x07;
  const efType = type === 0 ? 'working' : type === 1 ? 'internal' : 'proprietary';
  const coding = byte & 0x07;
  const structure: FileStructure = coding === 1 ? 'transparent' : coding === 2 ? 'linear-fixed' : coding === 6 ? 'cyclic' : 'unknown';
  if (structure !== 'linear-fixed' && structure !== 'cyclic') return { byte, shareable, structure, efType };
  // Record EFs: byte 3 (and 4) record length, then 1 or 2 bytes for the count.
  let recordLength: number | undefined;
  let recordCount: number | undefined;
  switch (value.length) {
    case 3:
      recordLength = value[2]!;
      break;
    case 4:
      recordLength = (value[2]! << 8) | value[3]!;
      break;
    case 5:
      recordLength = (value[2]! << 8) | value[3]!;
      recordCount = value[4]!;
      break;
    case 6:
      recordLength = (value[2]! << 8) | value[3]!;
      recordCount = (value[4]! << 8) | value[5]!;
      break;
  }
  return {
    byte,
    shareable,
    structure,
    efType,
    ...(recordLength === undefined ? {} : { recordLength }),
    ...(recordCount === undefined ? {} : { recordCount }),
  };
}

/**
 * Parses the value of the PIN status template DO `C6` (TS 102 221 §9.5.2): a PS_DO `90` whose bits,
 * from b8 of its first byte on, say which of the following key references `83` are enabled; each
 * key reference may be followed by a usage qualifier `95`.
 */
export function parsePinStatusTemplate(value: Uint8Array): PinStatusEntry[] {
  const dos = parseBerTlv(value, { what: 'PIN status template' });
  const psDo = findTlv(dos, 0x90);
  if (psDo === undefined || psDo.value.length === 0) throw malformed('PIN status template without PS_DO');
  const entries: PinStatusEntry[] = [];
  for (let i = 0; i < dos.length; i++) {
    const d = dos[i]!;
    if (d.tag !== 0x83) continue;
    if (d.value.length !== 1) throw malformed('PIN status template: key reference of more than one byte');
    const index = entries.length;
    if (index >= psDo.value.length * 8) throw malformed('PIN status template: more key references than PS_DO bits');
    const enabled = ((psDo.value[index >> 3]! << (index & 7)) & 0x80) !== 0;
    const next = dos[i + 1];
    const usage = next?.tag === 0x95 && next.value.length === 1 ? next.value[0]! : undefined;
    entries.push(
      usage === undefined ? { keyReference: d.value[0]!, enabled } : { keyReference: d.value[0]!, enabled, usageQualifier: usage },
    );
  }
  return entries;
}

function fixedNumber(d: Tlv, length: number, what: string): number {
  if (d.value.length !== length) throw malformed(`FCP: ${what} of ${d.value.length} bytes (${length} expected)`);
  return bigEndian(d.value);
}

function sizeNumber(d: Tlv, what: string): number {
  if (d.value.length < 1 || d.value.length > 4) throw malformed(`FCP: ${what} of ${d.value.length} bytes (1 to 4 expected)`);
  return bigEndian(d.value);
}

function bigEndian(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) n = n * 256 + b;
  return n;
}
