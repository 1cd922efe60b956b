import { caseTwoLe, commandData, type CommandApdu } from './apdu.ts';
import { mayRead, pinEnablement, type CardSession } from './card-session.ts';
import { fcpTemplate } from './fcp.ts';
import { childBySfi, type ElementaryFile, type FileNode } from './file-system.ts';
import { outgoing, reply, type Reply } from './reply.ts';
import { resolveDfName, resolveFileId, resolvePath, selectionAfter } from './selection.ts';
import { SW } from './status-words.ts';
import { exactLength } from './t0-response.ts';
import { tlv } from './tlv.ts';

/** SELECT P1: by file id, by DF name, by path from the MF, by path from the current DF (TS 102 221 Table 11.1). */
const SELECT_BY_FID = 0x00;
const SELECT_BY_NAME = 0x04;
const SELECT_PATH_FROM_MF = 0x08;
const SELECT_PATH_FROM_DF = 0x09;
/** SELECT P2: return the FCP template, or no data (TS 102 221 Table 11.2). */
const RETURN_FCP = 0x04;
const RETURN_NOTHING = 0x0c;
/** The longest DF name (AID), ISO/IEC 7816-4 §8.2.1.2. */
const MAX_AID_LENGTH = 16;

/** SELECT (TS 102 221 §11.1.1): changes the selection and, with P2=04, returns the FCP (via `61xx` on T=0). */
export function select(apdu: CommandApdu, session: CardSession): Reply {
  const { p1, p2 } = apdu;
  if (p1 !== SELECT_BY_FID && p1 !== SELECT_BY_NAME && p1 !== SELECT_PATH_FROM_MF && p1 !== SELECT_PATH_FROM_DF)
    return reply(SW.WRONG_P1P2_FUNCTION);
  if (p2 !== RETURN_FCP && p2 !== RETURN_NOTHING) return reply(SW.WRONG_P1P2_FUNCTION);
  if ((p1 === SELECT_PATH_FROM_MF || p1 === SELECT_PATH_FROM_DF) && session.quirks.has('no-path-select'))
    return reply(SW.WRONG_P1P2_FUNCTION);
  // Some cards only ever return the FCP; TS 102 221 Table 11.2 lets them treat P2=0C as not supported.
  if (p2 === RETURN_NOTHING && session.quirks.has('no-p2-0c')) return reply(SW.WRONG_P1P2_FUNCTION);
  const data = commandData(apdu);
  if (data === undefined) return reply(SW.WRONG_LENGTH);

  let target: FileNode | undefined;
  if (p1 === SELECT_BY_FID) {
    if (data.length !== 2) return reply(SW.WRONG_LENGTH);
    target = resolveFileId(session.tree, session.selection, (data[0]! << 8) | data[1]!);
  } else if (p1 === SELECT_BY_NAME) {
    if (data.length === 0 || data.length > MAX_AID_LENGTH) return reply(SW.WRONG_LENGTH);
    target = resolveDfName(session.tree, data, !session.quirks.has('no-partial-aid'));
  } else {
    if (data.length === 0 || data.length % 2 !== 0) return reply(SW.WRONG_LENGTH);
    const path: number[] = [];
    for (let i = 0; i < data.length; i += 2) path.push((data[i]! << 8) | data[i + 1]!);
    target = resolvePath(session.tree, session.selection, path, p1 === SELECT_PATH_FROM_MF);
  }
  // A failed SELECT leaves the current selection as it was (TS 102 221 §8.4).
  if (target === undefined) return reply(SW.FILE_NOT_FOUND);
  session.selection = selectionAfter(session.tree, session.selection, target);
  return p2 === RETURN_NOTHING ? reply(SW.OK) : outgoing(fcpTemplate(target, pinEnablement(session)));
}

/** STATUS P2 (TS 102 221 Table 11.9): FCP of the current DF, DF name of the application, no data. */
const STATUS_FCP = 0x00;
const STATUS_DF_NAME = 0x01;
const STATUS_NO_DATA = 0x0c;

/** STATUS (TS 102 221 §11.1.2): a case 2 command answering about the current DF, with T=0 `6Cxx` on a wrong Le. */
export function status(apdu: CommandApdu, session: CardSession): Reply {
  const { p1, p2 } = apdu;
  // P1 (Table 11.8): 00 no indication, 01 application initialised, 02 termination coming.
  if (p1 > 0x02) return reply(SW.WRONG_P1P2_FUNCTION);
  if (p2 === STATUS_NO_DATA) {
    return apdu.data.length === 0 && (apdu.p3 ?? 0) === 0 ? reply(SW.OK) : reply(SW.WRONG_LENGTH);
  }
  if (p2 !== STATUS_FCP && p2 !== STATUS_DF_NAME) return reply(SW.WRONG_P1P2_FUNCTION);
  const le = caseTwoLe(apdu);
  if (le === undefined) return reply(SW.WRONG_LENGTH);
  let data: Uint8Array;
  if (p2 === STATUS_FCP) data = fcpTemplate(session.selection.df, pinEnablement(session));
  else {
    const app = session.selection.application;
    if (app?.aid === undefined) return reply(SW.CONDITIONS_NOT_SATISFIED);
    data = tlv(0x84, app.aid);
  }
  return exactLength(data, le, session.t0 || strictLe(session));
}

/** READ BINARY (TS 102 221 §11.1.3): bytes of the current transparent EF, or of one named by SFI in P1. */
export function readBinary(apdu: CommandApdu, session: CardSession): Reply {
  const le = caseTwoLe(apdu);
  if (le === undefined) return reply(SW.WRONG_LENGTH);
  let ef: ElementaryFile | undefined;
  let offset: number;
  if ((apdu.p1 & 0x80) !== 0) {
    // Table 11.10: 1 0 0 S S S S S = SFI in b5..b1 and the offset in P2; b7..b6 must be zero.
    if ((apdu.p1 & 0x60) !== 0) return reply(SW.WRONG_P1P2);
    const refused = sfiRefusal(session);
    if (refused !== undefined) return reply(refused);
    ef = childBySfi(session.selection.df, apdu.p1 & 0x1f);
    if (ef === undefined) return reply(SW.FILE_NOT_FOUND);
    offset = apdu.p2;
  } else {
    ef = session.selection.ef;
    if (ef === undefined) return reply(SW.NO_EF_SELECTED);
    offset = (apdu.p1 << 8) | apdu.p2;
  }
  if (ef.kind !== 'transparent') return reply(SW.INCOMPATIBLE_FILE_STRUCTURE);
  if (!mayRead(session, ef)) return reply(SW.SECURITY_NOT_SATISFIED);
  if (offset >= ef.content.length) return reply(SW.WRONG_P1P2);
  const available = ef.content.length - offset;
  // A strict card wants exactly what is there: anything else, Le=00 included, is told the length.
  if (strictLe(session) && le !== available) return reply(SW.WRONG_LE | (available & 0xff));
  // P3=00 asks for 256 bytes; on T=0 the card tells the exact length with 6Cxx (TS 102 221 Annex C.1.2),
  // at APDU level Le=00 means "all available".
  if (le === 256 && available < 256) {
    if (session.t0) return reply(SW.WRONG_LE | available);
    return succeed(session, ef, reply(SW.OK, ef.content.slice(offset)));
  }
  if (le <= available) return succeed(session, ef, reply(SW.OK, ef.content.slice(offset, offset + le)));
  // Fewer bytes than Le remain: return them with the warning 6282 (TS 102 221 §10.2.1.2).
  return succeed(session, ef, reply(SW.END_OF_FILE, ef.content.slice(offset)));
}

/** READ RECORD P2 modes (TS 102 221 Table 11.11): next, previous, absolute/current. */
const MODE_NEXT = 0x02;
const MODE_PREVIOUS = 0x03;
const MODE_ABSOLUTE = 0x04;

/** READ RECORD (TS 102 221 §11.1.5): one record of the current linear fixed EF, or of one named by SFI in P2. */
export function readRecord(apdu: CommandApdu, session: CardSession): Reply {
  const le = caseTwoLe(apdu);
  if (le === undefined) return reply(SW.WRONG_LENGTH);
  const mode = apdu.p2 & 0x07;
  const sfi = apdu.p2 >> 3;
  if (mode !== MODE_NEXT && mode !== MODE_PREVIOUS && mode !== MODE_ABSOLUTE) return reply(SW.WRONG_P1P2_FUNCTION);
  if (sfi === 0x1f) return reply(SW.WRONG_P1P2_FUNCTION); // SFI 11111 is RFU.
  const bySfi = sfi !== 0;
  const refused = bySfi ? sfiRefusal(session) : undefined;
  if (refused !== undefined) return reply(refused);
  const ef = bySfi ? childBySfi(session.selection.df, sfi) : session.selection.ef;
  if (ef === undefined) return reply(bySfi ? SW.FILE_NOT_FOUND : SW.NO_EF_SELECTED);
  if (ef.kind !== 'linear-fixed') return reply(SW.INCOMPATIBLE_FILE_STRUCTURE);
  if (!mayRead(session, ef)) return reply(SW.SECURITY_NOT_SATISFIED);

  // An EF reached by SFI is newly selected, so it has no record pointer yet.
  const pointer = bySfi && ef !== session.selection.ef ? undefined : session.selection.record;
  let number: number | undefined;
  if (mode === MODE_ABSOLUTE) number = apdu.p1 === 0 ? pointer : apdu.p1;
  else if (mode === MODE_NEXT) number = (pointer ?? 0) + 1;
  else number = pointer === undefined ? ef.records.length : pointer - 1;
  if (number === undefined || number < 1 || number > ef.records.length) return reply(SW.RECORD_NOT_FOUND);

  const answer = exactLength(ef.records[number - 1]!, le, session.t0 || strictLe(session));
  if (answer.sw !== SW.OK) return answer;
  // NEXT and PREVIOUS move the record pointer; ABSOLUTE leaves it where it was (TS 102 221 §11.1.5.1).
  const record = mode === MODE_ABSOLUTE ? pointer : number;
  session.selection = { ...selectionAfter(session.tree, session.selection, ef), ...(record === undefined ? {} : { record }) };
  return answer;
}

// A read that returns data makes its EF current, which matters when it was named by SFI (TS 102 221 §8.3).
function succeed(session: CardSession, ef: ElementaryFile, answer: Reply): Reply {
  if (session.selection.ef !== ef) session.selection = selectionAfter(session.tree, session.selection, ef);
  return answer;
}

// SFIs are optional for a card to support by name in P1/P2 (TS 102 221 §8.4.3); each quirk is one of the
// status words real cards use to say so.
function sfiRefusal(session: CardSession): number | undefined {
  if (session.quirks.has('no-sfi-6981')) return SW.INCOMPATIBLE_FILE_STRUCTURE;
  if (session.quirks.has('no-sfi-6a86')) return SW.WRONG_P1P2_FUNCTION;
  if (session.quirks.has('no-sfi-6a82')) return SW.FILE_NOT_FOUND;
  return undefined;
}

function strictLe(session: CardSession): boolean {
  return session.quirks.has('wrong-le-6c');
}
