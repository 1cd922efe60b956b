/**
 * Helpers for the modem's tests (not part of the public API): a modem over a demo SIM with an
 * APDU log, and a tap that sends command lines and returns exactly the bytes that came back.
 */
import { toHex } from '@krypton-web/krypton-core';
import { VirtualUsim } from '../card/index.ts';
import { demoProfileSet, findSim, type SimProfile } from '../profiles/index.ts';
import { HuaweiModemEmulator, type HuaweiModemOptions } from './huawei-modem.ts';

/** Bytes as Latin-1 text, one character per byte. */
export function text(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

/** Records everything a modem prints and sends it command lines. */
export class ModemTap {
  /** Every output chunk, as delivered. */
  readonly chunks: Uint8Array[] = [];
  private all = '';

  constructor(readonly modem: HuaweiModemEmulator) {
    modem.attach((bytes) => {
      this.chunks.push(bytes);
      this.all += text(bytes);
    });
  }

  /** Everything printed so far. */
  get output(): string {
    return this.all;
  }

  /** Sends raw text (add `\r` yourself) and returns what the modem printed until it went idle. */
  async send(raw: string): Promise<string> {
    const from = this.all.length;
    this.modem.receive(raw);
    await this.modem.whenIdle();
    return this.all.slice(from);
  }

  /** Sends one command line (`\r` appended) and returns the answer. */
  async at(line: string): Promise<string> {
    return this.send(`${line}\r`);
  }
}

/** A modem over a fresh T=0 virtual USIM built from a demo SIM, its card, the APDUs it saw (hex), and a tap. */
export async function demoModem(options: HuaweiModemOptions = {}, sim: string | SimProfile = 'demo') {
  const profile = typeof sim === 'string' ? findSim(demoProfileSet(), sim) : sim;
  const apdus: { command: string; response: string }[] = [];
  const card = await VirtualUsim.create(profile, {
    t0Responses: true,
    onApdu: (e) => apdus.push({ command: toHex(e.command), response: toHex(e.response) }),
  });
  const modem = new HuaweiModemEmulator(card, options);
  await modem.ready;
  return { modem, card, profile, apdus, tap: new ModemTap(modem) };
}

/** `\r\n<line>\r\n` for each line: what a modem prints for information and result lines. */
export function framed(...lines: string[]): string {
  return lines.map((l) => `\r\n${l}\r\n`).join('');
}
