import { AtMasker, fromHex, REDACTED, toHex, type Transcript, type TranscriptEvent } from '@krypton-web/krypton-core';
import type { ProfileSet } from '../profiles/index.ts';
import { ReplayCard, type ReplayDiagnostic } from './replay-card.ts';

const CSIM_SEND = /^AT\+CSIM\s*=\s*\d+\s*,\s*"([^"]*)"/i;
const CSIM_ANSWER = /^\+CSIM\s*:\s*\d+\s*,\s*"([^"]*)"/i;

/** Options of a replayed modem. */
export interface ReplayModemOptions {
  profiles?: ProfileSet;
  /** Called for every line the transcript does not hold (answered ERROR) and every APDU the card lacks. */
  onDiagnostic?: (diagnostic: ReplayDiagnostic) => void;
}

/**
 * A modem that answers as a recorded one did: each command line gets the lines recorded after the same
 * (masked) command, and APDUs sent with `AT+CSIM` go to a `ReplayCard` built from the recorded
 * `+CSIM` exchanges — so PIN data is wildcarded and AUTHENTICATE is answered by the lab's Milenage, as
 * on a replayed card. A line the transcript lacks is answered `ERROR` with a diagnostic.
 */
export class ReplayModem {
  /** Every line or APDU the transcript could not answer. */
  readonly diagnostics: ReplayDiagnostic[] = [];
  private readonly answers = new Map<string, { blocks: string[][]; next: number }>();
  private readonly echo: boolean;
  private readonly outputs = new Set<(bytes: Uint8Array) => void>();
  private buffer = '';
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    transcript: Transcript,
    /** The card behind `AT+CSIM`. */
    readonly card: ReplayCard,
    private readonly options: ReplayModemOptions,
  ) {
    const lines = transcript.events.flatMap((e) => (e.type === 'at' ? [e] : []));
    this.echo = lines.some((l) => l.dir === 'recv' && /^\s*AT/i.test(l.line));
    let current: string[] | undefined;
    for (const l of lines) {
      if (l.dir === 'send') {
        const key = l.line.trim();
        const entry = this.answers.get(key) ?? { blocks: [], next: 0 };
        current = [];
        entry.blocks.push(current);
        this.answers.set(key, entry);
      } else if (current && !/^\s*AT/i.test(l.line)) {
        current.push(l.line);
      }
    }
  }

  /** Builds the modem (and its card) for a parsed transcript holding AT lines. */
  static async create(transcript: Transcript, options: ReplayModemOptions = {}): Promise<ReplayModem> {
    const card = await ReplayCard.create(csimAsApdus(transcript), {
      ...(options.profiles ? { profiles: options.profiles } : {}),
      ...(options.onDiagnostic ? { onDiagnostic: options.onDiagnostic } : {}),
    });
    return new ReplayModem(transcript, card, options);
  }

  /** Sends the modem's bytes to `output` until the returned function is called. */
  attach(output: (bytes: Uint8Array) => void): () => void {
    this.outputs.add(output);
    return () => this.outputs.delete(output);
  }

  /** Bytes from the host; each line ending in CR is answered in order. */
  receive(chunk: Uint8Array | string): void {
    this.buffer += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
    const parts = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim() === '') continue;
      this.queue = this.queue.then(() => this.answer(line)).catch(() => undefined);
    }
  }

  /** Resolves when every line received so far has been answered. */
  async whenIdle(): Promise<void> {
    await this.queue;
  }

  private async answer(line: string): Promise<void> {
    if (this.echo) this.write(`${line}\r`);
    const csim = CSIM_SEND.exec(line.trim());
    if (csim) {
      let apdu: Uint8Array;
      try {
        apdu = fromHex(csim[1]!);
      } catch {
        this.write('\r\nERROR\r\n');
        return;
      }
      const response = toHex(await this.card.transmit(apdu)).toUpperCase();
      this.write(`\r\n+CSIM: ${response.length},"${response}"\r\n\r\nOK\r\n`);
      return;
    }
    // The same masking the recorder applied, so a PIN typed here finds the recorded AT+CPIN.
    const key = new AtMasker().mask(line.trim(), 'send');
    const entry = this.answers.get(key);
    if (!entry) {
      const diagnostic: ReplayDiagnostic = {
        command: key,
        message: `replay: the transcript holds no answer to "${key}"; answered ERROR. Record again with this client, or add the line to the transcript`,
      };
      this.diagnostics.push(diagnostic);
      try {
        this.options.onDiagnostic?.(diagnostic);
      } catch {
        // A listener's failure must not become a modem failure.
      }
      this.write('\r\nERROR\r\n');
      return;
    }
    const block = entry.blocks[Math.min(entry.next, entry.blocks.length - 1)]!;
    entry.next++;
    this.write(block.map((l) => `\r\n${l}\r\n`).join(''));
  }

  private write(text: string): void {
    const bytes = new TextEncoder().encode(text);
    for (const out of this.outputs) out(bytes);
  }
}

/** The APDUs a modem transcript carried in AT+CSIM, as a card transcript (masks kept). */
export function csimAsApdus(transcript: Transcript): Transcript {
  // AT lines stay: the IMSI may only be in AT+CIMI's answer.
  const events: TranscriptEvent[] = transcript.events.filter((e) => e.type === 'at');
  let pending: { command: string; t: number } | undefined;
  for (const e of transcript.events) {
    if (e.type !== 'at') continue;
    if (e.dir === 'send') {
      const m = CSIM_SEND.exec(e.line.trim());
      pending = m ? { command: m[1]!.toUpperCase().replace(REDACTED.toUpperCase(), REDACTED), t: e.t } : undefined;
      continue;
    }
    const a = CSIM_ANSWER.exec(e.line.trim());
    if (a && pending) {
      events.push({ type: 'apdu', t: pending.t, command: pending.command, response: a[1]!, durationMs: e.t - pending.t });
      pending = undefined;
    }
  }
  return { header: transcript.header, events };
}
