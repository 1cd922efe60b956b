import { fromHex, type Bytes } from '../bytes/index.ts';
import { findTlv, parseBerTlv } from './ber-tlv.ts';
import { malformed } from './malformed.ts';

/** One application template of EF_DIR (TS 102 221 §13.1): `61 L 4F <AID> 50 <label>`. */
export interface ApplicationTemplate {
  readonly aid: Bytes;
  /** The application label DO `50`, when present (printable ASCII kept, other bytes shown as `?`). */
  readonly label?: string;
}

/** The registered USIM AID prefix: RID A000000087 (3GPP) and application code 1002 (TS 101 220 Annex E). */
export const USIM_AID_PREFIX: Bytes = fromHex('a0000000871002');

/**
 * Parses one EF_DIR record: an application template padded with `FF`. A record of only padding
 * (an unused record) gives undefined. Anything else that is not a `61` template with an AID `4F` of
 * 1 to 16 bytes throws MALFORMED_ANSWER.
 */
export function parseEfDirRecord(record: Uint8Array): ApplicationTemplate | undefined {
  const objects = parseBerTlv(record, { padding: true, what: 'EF_DIR record' });
  if (objects.length === 0) return undefined;
  const template = objects[0]!;
  if (template.tag !== 0x61) throw malformed(`EF_DIR record: expected an application template (61)`);
  const inner = parseBerTlv(template.value, { what: 'EF_DIR application template' });
  const aid = findTlv(inner, 0x4f);
  if (aid === undefined) throw malformed('EF_DIR record: application template without AID (4F)');
  if (aid.value.length < 1 || aid.value.length > 16) throw malformed(`EF_DIR record: AID of ${aid.value.length} bytes (1 to 16 expected)`);
  const label = findTlv(inner, 0x50);
  return label === undefined ? { aid: aid.value } : { aid: aid.value, label: printable(label.value) };
}

/** Whether an AID names a USIM: it starts with `A0000000871002` (TS 101 220 Annex E, TS 31.102 §1). */
export function isUsimAid(aid: Uint8Array): boolean {
  return aid.length >= USIM_AID_PREFIX.length && USIM_AID_PREFIX.every((b, i) => aid[i] === b);
}

function printable(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '?';
  return out;
}
