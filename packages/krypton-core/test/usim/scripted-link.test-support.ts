/**
 * Test support: a link that plays a script of `=> command` / `<= response` pairs, failing on any
 * command it did not expect and reporting the ones that were never sent (Ledger's recorded-exchange tests).
 */
import type { ApduTransport, TransmitOptions } from '../../src/index.ts';
import { fromHex, toHex } from '../../src/bytes/index.ts';

/** One expected exchange: the command (hex, spaces allowed) and the answer to give. */
export type Step = readonly [command: string, response: string];

/** A transport that follows a script and remembers what it was sent. */
export class ScriptedLink implements ApduTransport {
  readonly kind = 'scripted';
  readonly name = 'Scripted link';
  readonly sent: string[] = [];
  private next = 0;

  constructor(private readonly script: readonly Step[]) {}

  async transmit(apdu: Uint8Array, _options?: TransmitOptions): Promise<Uint8Array> {
    const hex = toHex(apdu).toUpperCase();
    this.sent.push(hex);
    const step = this.script[this.next];
    if (step === undefined) throw new Error(`unexpected extra command ${hex}`);
    const want = clean(step[0]);
    if (hex !== want) throw new Error(`command ${this.next + 1}: sent ${hex}, script expects ${want}`);
    this.next++;
    return fromHex(clean(step[1]));
  }

  async close(): Promise<void> {}

  /** Script steps that were never reached. */
  get unsent(): string[] {
    return this.script.slice(this.next).map((s) => clean(s[0]));
  }
}

/** Upper-case hex without spaces. */
export function clean(hex: string): string {
  return hex.replace(/\s+/g, '').toUpperCase();
}
