/**
 * A tiny VirtualCard for connector and harness tests: a fixed T=0 ATR, a power log, and a few
 * commands with recognisable answers. Not a SIM; the real USIM lives in src/card.
 */
import { fromHex } from '@krypton-web/krypton-core';
import type { VirtualCard } from '../card/virtual-card.ts';

/** TS 3B, T0 04 (no interface bytes, T=0 implied), historical bytes "KRYP". */
export const TINY_CARD_ATR = fromHex('3b044b525950');

/**
 * Commands the tiny card knows:
 * - `00 A4 ...` SELECT: `9000`
 * - `80 CA 00 00 Le` GET DATA: Le bytes 00, 01, 02 ... then `9000`
 * - `80 EE 00 00 Lc data` ECHO: the data reversed, then `9000`
 * - anything else: `6D00` (instruction not supported)
 */
export class TinyCard implements VirtualCard {
  readonly atr = TINY_CARD_ATR;
  /** Every power event in order, to check what vpcd asked for. */
  readonly events: ('on' | 'off' | 'reset')[] = [];
  /** Every command APDU received, in order. */
  readonly commands: Uint8Array[] = [];
  /** Extra time each command takes, to exercise ordering. */
  delayMs = 0;

  powerOn(): Uint8Array {
    this.events.push('on');
    return this.atr;
  }

  powerOff(): void {
    this.events.push('off');
  }

  reset(): Uint8Array {
    this.events.push('reset');
    return this.atr;
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    this.commands.push(apdu.slice());
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const [cla, ins] = [apdu[0], apdu[1]];
    if (ins === 0xa4) return fromHex('9000');
    if (cla === 0x80 && ins === 0xca && apdu.length === 5) {
      const le = apdu[4] === 0 ? 256 : apdu[4]!;
      const out = new Uint8Array(le + 2);
      for (let i = 0; i < le; i++) out[i] = i & 0xff;
      out.set([0x90, 0x00], le);
      return out;
    }
    if (cla === 0x80 && ins === 0xee && apdu.length > 5 && apdu.length === 5 + apdu[4]!) {
      const out = new Uint8Array(apdu.length - 5 + 2);
      out.set(apdu.slice(5).reverse(), 0);
      out.set([0x90, 0x00], apdu.length - 5);
      return out;
    }
    return fromHex('6d00');
  }
}
