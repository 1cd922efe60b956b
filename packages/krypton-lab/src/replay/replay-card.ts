import { decodeEfImsi, fromHex, REDACTED, toHex, type Transcript } from '@krypton-web/krypton-core';
import { usimAtr } from '../card/atr.ts';
import { VirtualUsim } from '../card/virtual-usim.ts';
import type { VirtualCard } from '../card/virtual-card.ts';
import type { CardQuirk, ProfileSet, SimProfile } from '../profiles/index.ts';

const INS_AUTHENTICATE = 0x88;
const INS_GET_RESPONSE = 0xc0;
// VERIFY, CHANGE, DISABLE, ENABLE, UNBLOCK PIN: their data is masked in a transcript, so it is not matched.
const PIN_INSTRUCTIONS = new Set([0x20, 0x24, 0x26, 0x28, 0x2c]);
/** What a command missing from the transcript is answered: "instruction not supported", as a card says of what it does not know. */
export const REPLAY_UNKNOWN_SW = Uint8Array.of(0x6d, 0x00);
const SELECT_USIM = fromHex('00A4040C07A0000000871002');

/** A command the replayed card could not answer from its transcript. */
export interface ReplayDiagnostic {
  /** The command as it arrived (PIN data masked). */
  command: string;
  /** What happened and what to do, for a person reading a test failure or the lab's stderr. */
  message: string;
}

/** Options of a replayed card. */
export interface ReplayCardOptions {
  /** SIM profiles to look the transcript's IMSI up in (the lab's demo SIMs by default are the caller's choice). */
  profiles?: ProfileSet;
  /** Called for every command the transcript does not hold (the card answers it 6D00). */
  onDiagnostic?: (diagnostic: ReplayDiagnostic) => void;
}

/**
 * A card that answers as a recorded one did: each command gets the response recorded for the same
 * bytes (PIN data wildcarded; a command recorded several times gets its answers in order, then the
 * last again). AUTHENTICATE cannot be replayed — its answer is masked and the lab's Keys API sends a
 * fresh RAND anyway — so it goes to a lab USIM holding the profile of the transcript's IMSI (a lab SIM
 * of that IMSI, or `replayProfile`'s keys derived from it), which answers with Milenage as the lab's HSS
 * expects, in the recorded shape (61xx then GET RESPONSE, chained, or T=1 direct). Anything else the
 * transcript lacks is answered 6D00 with a diagnostic, never a crash.
 */
export class ReplayCard implements VirtualCard {
  readonly atr: Uint8Array;
  /** Every command answered 6D00 because the transcript did not hold it. */
  readonly diagnostics: ReplayDiagnostic[] = [];
  private readonly answers = new Map<string, { responses: string[]; next: number }>();
  private inAuthenticate = false;

  private constructor(
    transcript: Transcript,
    /** The lab SIM whose keys answer AUTHENTICATE. */
    readonly profile: SimProfile,
    private readonly usim: VirtualUsim,
    private readonly options: ReplayCardOptions,
  ) {
    this.atr = transcript.header.identity.atr ? fromHex(transcript.header.identity.atr) : usimAtr();
    let authenticating = false;
    for (const e of transcript.events) {
      if (e.type !== 'apdu') continue;
      const ins = parseInt(e.command.slice(2, 4), 16);
      if (ins === INS_AUTHENTICATE) authenticating = true;
      else if (ins !== INS_GET_RESPONSE) authenticating = false;
      // Masked answers belong to AUTHENTICATE, which the lab USIM answers; they cannot be replayed.
      if (authenticating || e.response.includes(REDACTED)) continue;
      const entry = this.answers.get(e.command) ?? { responses: [], next: 0 };
      entry.responses.push(e.response);
      this.answers.set(e.command, entry);
    }
  }

  /** Builds the card for a parsed transcript. */
  static async create(transcript: Transcript, options: ReplayCardOptions = {}): Promise<ReplayCard> {
    const base = await replayProfile(transcript, options.profiles);
    const profile: SimProfile = {
      ...base,
      // The recorded answers to VERIFY stand for the PIN; the lab USIM only does AUTHENTICATE.
      pin1: { ...base.pin1, enabled: false },
      quirks: authenticateQuirks(transcript),
    };
    const usim = await VirtualUsim.create(profile);
    const card = new ReplayCard(transcript, base, usim, options);
    await card.selectUsim();
    return card;
  }

  /** How many distinct commands the transcript answers. */
  get commandCount(): number {
    return this.answers.size;
  }

  powerOn(): Uint8Array {
    this.rewind();
    this.usim.powerOn();
    void this.selectUsim();
    return this.atr;
  }

  powerOff(): void {
    this.usim.powerOff();
  }

  reset(): Uint8Array {
    this.rewind();
    this.usim.reset();
    void this.selectUsim();
    return this.atr;
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const ins = apdu[1];
    if (apdu.length >= 4 && ins === INS_AUTHENTICATE) {
      this.inAuthenticate = true;
      return this.usim.transmit(apdu);
    }
    if (this.inAuthenticate && ins === INS_GET_RESPONSE) return this.usim.transmit(apdu);
    this.inAuthenticate = false;
    const key = commandKey(apdu);
    const entry = this.answers.get(key);
    if (!entry) {
      const diagnostic: ReplayDiagnostic = {
        command: key,
        message:
          `replay: the transcript holds no answer to ${key}; answered 6D00. The client asked what the recorded ` +
          'card was never asked: record again with this client, or add the exchange to the transcript',
      };
      this.diagnostics.push(diagnostic);
      try {
        this.options.onDiagnostic?.(diagnostic);
      } catch {
        // A listener's failure must not turn into a card failure.
      }
      return REPLAY_UNKNOWN_SW.slice();
    }
    const response = entry.responses[Math.min(entry.next, entry.responses.length - 1)]!;
    entry.next++;
    return fromHex(response);
  }

  // A new session of the client replays the recording from its start.
  private rewind(): void {
    this.inAuthenticate = false;
    for (const entry of this.answers.values()) entry.next = 0;
  }

  // The lab USIM must have the USIM selected for AUTHENTICATE; the client's SELECTs go to the recording.
  private async selectUsim(): Promise<void> {
    await this.usim.transmit(SELECT_USIM);
  }
}

/** The command as a transcript keys it: upper-case hex, PIN data replaced by the redaction marker. */
function commandKey(apdu: Uint8Array): string {
  if (apdu.length > 5 && PIN_INSTRUCTIONS.has(apdu[1]!)) return `${toHex(apdu.subarray(0, 5)).toUpperCase()}${REDACTED}`;
  return toHex(apdu).toUpperCase();
}

/** The IMSI the transcript's card gave (its EF_IMSI answer), if it read one. */
export function transcriptImsi(transcript: Transcript): string | undefined {
  let afterCimi = false;
  for (const e of transcript.events) {
    // A modem reads it with AT+CIMI: the first line of digits after it.
    if (e.type === 'at') {
      if (e.dir === 'send') afterCimi = /^AT\+CIMI\s*$/i.test(e.line.trim());
      else if (afterCimi && /^\d{6,15}$/.test(e.line.trim())) return e.line.trim();
      continue;
    }
    if (e.type !== 'apdu' || !e.command.startsWith('00B0') || !e.response.endsWith('9000') || e.response.includes(REDACTED)) continue;
    const data = fromHex(e.response.slice(0, -4));
    if (data.length !== 9 || data[0]! < 1 || data[0]! > 8) continue;
    try {
      return decodeEfImsi(data);
    } catch {
      // Another file of 9 bytes: keep looking.
    }
  }
  return undefined;
}

/**
 * The lab SIM a replay authenticates as: the one in `profiles` with the transcript's IMSI, or, for a
 * SIM the lab does not know (a field report), a profile with that IMSI and keys derived from it, so that
 * `pnpm lab serve --profiles` given the same profile (`pnpm lab replay --print-profile`) agrees with the card.
 */
export async function replayProfile(transcript: Transcript, profiles?: ProfileSet): Promise<SimProfile> {
  const imsi = transcriptImsi(transcript) ?? '001019999999999';
  const known = profiles?.sims.find((s) => s.imsi === imsi);
  if (known) return known;
  // Deterministic per IMSI: the card and a lab started later must derive the same K and OPc.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`krypton-lab replay ${imsi}`)));
  return {
    name: `replay-${imsi}`,
    description: `Replayed SIM ${imsi} (lab keys derived from the IMSI; the real SIM's keys are not in the transcript)`,
    imsi,
    iccid: '8981100000000000999',
    msisdn: '810000000999',
    k: toHex(digest.subarray(0, 16)),
    opc: toHex(digest.subarray(16, 32)),
    amf: '8000',
    sqn: '000000000020',
    pin1: { enabled: false, code: '0000', retries: 3, puk: '00000000', pukRetries: 10 },
    groupId: 'lab-group',
    tags: { name: `replay-${imsi}` },
  };
}

// The shape the recorded AUTHENTICATE answered in, as quirks of the lab USIM.
function authenticateQuirks(transcript: Transcript): CardQuirk[] {
  const apdus = transcript.events.flatMap((e) => (e.type === 'apdu' ? [e] : []));
  const i = apdus.findIndex((a) => a.command.startsWith('0088'));
  if (i < 0) return [];
  if (apdus[i]!.response.startsWith(REDACTED)) return ['t1-direct'];
  const next = apdus[i + 1];
  if (next && next.command.startsWith('00C0') && /61[0-9A-F]{2}$/.test(next.response)) return ['chained-61xx'];
  return [];
}
