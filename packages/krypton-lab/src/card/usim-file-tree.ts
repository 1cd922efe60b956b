import { concatBytes, encodeEfImsi, fromHex, toSwappedBcd } from '@krypton-web/krypton-core';
import type { SimProfile } from '../profiles/index.ts';
import {
  adopt,
  type ArrReference,
  type DedicatedFile,
  type FileNode,
  type LinearFixedEf,
  type ReadAccess,
  type TransparentEf,
} from './file-system.ts';
import { mncLengthForImsi } from './mnc-length.ts';
import { tlv } from './tlv.ts';

/**
 * USIM application identifier: RID A000000087 (3GPP), application code 1002 (USIM, TS 101 220 Annex E),
 * then country, provider and provider-specific fields.
 */
export const USIM_AID = fromHex('a0000000871002ff44ff1289000000ff');

/** File identifiers used by the card (TS 102 221 §13, TS 31.102 §4.2). */
export const FID = {
  MF: 0x3f00,
  EF_DIR: 0x2f00,
  EF_ICCID: 0x2fe2,
  EF_ARR_MF: 0x2f06,
  /** The ADF's own identifier in its FCP; SELECT of 7FFF also names the current application (TS 102 221 §8.5). */
  ADF_USIM: 0x7fff,
  EF_ARR_ADF: 0x6f06,
  EF_IMSI: 0x6f07,
  EF_AD: 0x6fad,
  EF_MSISDN: 0x6f40,
} as const;

/** EF_DIR record length; 38 bytes as on common UICCs, room for a 26-byte template and padding. */
export const EF_DIR_RECORD_LENGTH = 0x26;

/** Alpha identifier length X of EF_MSISDN records (record length X + 14, TS 31.102 §4.2.26). */
const MSISDN_ALPHA_LENGTH = 14;

/**
 * Access rule records of EF_ARR in expanded format (TS 102 221 §9.2.4): an access mode byte (tag 80)
 * followed by its security condition: 90 00 always, 97 00 never, A4 with a key reference (83) and
 * usage qualifier 08 (95) for "user verification with that PIN". Key 01 is PIN1, 0A is ADM1.
 */
const ARR_RECORDS = [
  // 1: EF, READ always, UPDATE ADM1, (de)activate never.
  '8001019000' + '800102a40683010a950108' + '8001189700',
  // 2: EF, READ PIN1, UPDATE ADM1, (de)activate never.
  '800101a406830101950108' + '800102a40683010a950108' + '8001189700',
  // 3: DF, every administrative operation ADM1.
  '80017fa40683010a950108',
].map((hex) => fromHex(hex));
const ARR_RECORD_LENGTH = 0x20;
const ARR_ALWAYS = 1;
const ARR_PIN1 = 2;
const ARR_DF = 3;

/** The card's file tree and direct references to the files commands care about. */
export interface UsimFileTree {
  readonly mf: DedicatedFile;
  readonly adfUsim: DedicatedFile;
  /** Every ADF, in EF_DIR order; SELECT by DF name searches these. */
  readonly applications: readonly DedicatedFile[];
}

/** Options for the file contents a profile does not fix. */
export interface UsimFileOptions {
  /** MNC length written to EF_AD; guessed from the IMSI's MCC when absent. */
  mncLength?: 2 | 3;
  /** EF_DIR lists an ISIM and a vendor applet before the USIM (the `ef-dir-others-first` quirk). */
  othersInEfDir?: boolean;
}

/** An ISIM AID (application code 1004, TS 101 220 Annex E) for crowded EF_DIRs; the card has no such ADF. */
export const ISIM_AID = fromHex('a0000000871004ff44ff1289000000ff');
/** A proprietary AID (RID category F, ISO/IEC 7816-5) standing for a vendor applet listed in EF_DIR. */
export const VENDOR_AID = fromHex('f0564e444f520101');

/** Builds MF, EF_DIR, EF_ICCID, EF_ARR and ADF USIM with EF_IMSI, EF_AD, EF_MSISDN and EF_ARR from a profile. */
export function buildUsimFileTree(profile: SimProfile, options: UsimFileOptions = {}): UsimFileTree {
  const mfArr = (record: number): ArrReference => ({ fid: FID.EF_ARR_MF, record });
  const adfArr = (record: number): ArrReference => ({ fid: FID.EF_ARR_ADF, record });

  const mf = dedicated(FID.MF, 'MF', mfArr(ARR_DF));
  const adfUsim = dedicated(FID.ADF_USIM, 'ADF.USIM', mfArr(ARR_DF), USIM_AID);

  adopt(
    mf,
    // TS 102 221 §13.1: EF_DIR, SFI 1E, one application template per record.
    linearFixed(FID.EF_DIR, 'EF_DIR', 0x1e, 'always', mfArr(ARR_ALWAYS), EF_DIR_RECORD_LENGTH, [
      ...(options.othersInEfDir === true ? [applicationTemplate(ISIM_AID, 'ISIM'), applicationTemplate(VENDOR_AID, 'Vendor applet')] : []),
      applicationTemplate(USIM_AID, 'USIM'),
      new Uint8Array(0),
    ]),
    // TS 102 221 §13.2: EF_ICCID, SFI 02, 10 bytes of swapped BCD, always readable.
    transparent(FID.EF_ICCID, 'EF_ICCID', 0x02, 'always', mfArr(ARR_ALWAYS), toSwappedBcd(profile.iccid, 10)),
    // TS 102 221 §13.4: EF_ARR, SFI 06.
    linearFixed(FID.EF_ARR_MF, 'EF_ARR', 0x06, 'always', mfArr(ARR_ALWAYS), ARR_RECORD_LENGTH, ARR_RECORDS),
  );
  // The ADF hangs below the MF for "parent" navigation but is reached by AID or 7FFF, not as a child.
  adfUsim.parent = mf;

  const mncLength = options.mncLength ?? mncLengthForImsi(profile.imsi);
  adopt(
    adfUsim,
    // TS 31.102 §4.2.2: EF_IMSI, SFI 07, readable after PIN1 verification.
    transparent(FID.EF_IMSI, 'EF_IMSI', 0x07, 'pin1', adfArr(ARR_PIN1), encodeEfImsi(profile.imsi)),
    // TS 31.102 §4.2.18: EF_AD, SFI 03: UE operation mode 00 (normal), additional info 0000, MNC length.
    transparent(FID.EF_AD, 'EF_AD', 0x03, 'always', adfArr(ARR_ALWAYS), Uint8Array.of(0x00, 0x00, 0x00, mncLength)),
    // TS 31.102 §4.2.26: EF_MSISDN, no SFI, PIN1 to read.
    linearFixed(FID.EF_MSISDN, 'EF_MSISDN', undefined, 'pin1', adfArr(ARR_PIN1), MSISDN_ALPHA_LENGTH + 14, [msisdnRecord(profile.msisdn)]),
    // TS 31.102: EF_ARR of the ADF (6F06), SFI 17.
    linearFixed(FID.EF_ARR_ADF, 'EF_ARR', 0x17, 'always', adfArr(ARR_ALWAYS), ARR_RECORD_LENGTH, ARR_RECORDS),
  );
  return { mf, adfUsim, applications: [adfUsim] };
}

/** Encodes an application template for EF_DIR: `61 L 4F <AID> 50 <label>` (TS 102 221 §13.1). */
export function applicationTemplate(aid: Uint8Array, label: string): Uint8Array {
  return tlv(0x61, tlv(0x4f, aid), tlv(0x50, new TextEncoder().encode(label)));
}

/**
 * Encodes an EF_MSISDN record (TS 31.102 §4.2.26, coded as EF_ADN in TS 31.102 §4.4.2.3): alpha
 * identifier (blank), length of TON/NPI plus BCD bytes, TON/NPI 91 (international, ISDN), ten bytes of
 * swapped BCD, capability and extension identifiers unused. An empty MSISDN gives a blank record.
 */
export function msisdnRecord(msisdn: string): Uint8Array {
  const alpha = new Uint8Array(MSISDN_ALPHA_LENGTH).fill(0xff);
  if (msisdn === '') return concatBytes(alpha, new Uint8Array(14).fill(0xff));
  const bcd = toSwappedBcd(msisdn, 10);
  const used = Math.ceil(msisdn.length / 2);
  return concatBytes(alpha, Uint8Array.of(used + 1, 0x91), bcd, Uint8Array.of(0xff, 0xff));
}

function dedicated(fid: number, name: string, arr: ArrReference, aid?: Uint8Array): DedicatedFile {
  return aid
    ? { kind: 'df', fid, name, arr, aid, children: [], parent: undefined }
    : { kind: 'df', fid, name, arr, children: [], parent: undefined };
}

function transparent(
  fid: number,
  name: string,
  sfi: number | undefined,
  read: ReadAccess,
  arr: ArrReference,
  content: Uint8Array,
): TransparentEf {
  const ef: TransparentEf = { kind: 'transparent', fid, name, read, arr, content, parent: undefined };
  return sfi === undefined ? ef : { ...ef, sfi };
}

function linearFixed(
  fid: number,
  name: string,
  sfi: number | undefined,
  read: ReadAccess,
  arr: ArrReference,
  recordLength: number,
  contents: readonly Uint8Array[],
): LinearFixedEf {
  // Unused bytes of a record are FF (TS 102 221 §13.1 pads application templates this way).
  const records = contents.map((c) => {
    if (c.length > recordLength) throw new RangeError(`${name}: record of ${c.length} bytes exceeds ${recordLength}`);
    const r = new Uint8Array(recordLength).fill(0xff);
    r.set(c);
    return r;
  });
  const ef: LinearFixedEf = { kind: 'linear-fixed', fid, name, read, arr, recordLength, records, parent: undefined };
  return sfi === undefined ? ef : { ...ef, sfi };
}

/** Lists every node of a tree, depth first, starting at the MF and including ADFs (for tests and tools). */
export function allFiles(tree: UsimFileTree): FileNode[] {
  const out: FileNode[] = [];
  const walk = (n: FileNode): void => {
    out.push(n);
    if (n.kind === 'df') n.children.forEach(walk);
  };
  walk(tree.mf);
  tree.applications.forEach(walk);
  return out;
}
