/**
 * What the PC/SC tests share: a pcscd of their own (the lab harness), virtual cards put into its
 * vpcd readers, and waits on service events. Real pcscd, real pcsclite, real vpcd: no mocks.
 */
import { fromHex } from '@krypton-web/krypton-core';
import { VirtualUsim, connectCardToVpcd, demoProfileSet, findSim, type VirtualCard, type VpcdConnection } from '@krypton-web/krypton-lab';
import { enableLoopbackQuickAck, startPcscd, type LoopbackQuickAck, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import type { PcscService, PcscServiceEvent, PcscServiceEventOf, PcscServiceEventType } from '@krypton-web/sim-transport/node';

/** Each file starts pcscd and may wait its turn for the machine-wide lock. */
export const PCSCD_HOOK_TIMEOUT = 150_000;

/** SELECT the USIM by its registered AID prefix, no data back (TS 102 221 §11.1.1): answers 9000. */
export const SELECT_USIM = fromHex('00A4040C07A0000000871002');

/** A card offering T=1 only: TS 3B, T0 80 (TD1 follows), TD1 01 (T=1), TCK 81. */
export const T1_ONLY_ATR = fromHex('3B800181');

/** Starts this file's pcscd (libpcsclite reads PCSCLITE_CSOCK_NAME once per process: make sure it points at the default). */
export async function startTestPcscd(): Promise<PcscdHandle> {
  delete process.env.PCSCLITE_CSOCK_NAME;
  return startPcscd();
}

/** The demo USIM of the lab (IMSI 001010000000001), as a T=0 card unless told otherwise. */
export async function demoUsim(options: { t0Responses?: boolean } = {}): Promise<VirtualUsim> {
  return VirtualUsim.create(findSim(demoProfileSet(), 'demo'), options);
}

/**
 * A card that passes everything to another one, but can be told to sit on the next command (as a
 * card that stopped answering), and can present another ATR (to offer T=1).
 */
export class HeldCard implements VirtualCard {
  readonly #inner: VirtualCard;
  readonly #atr: Uint8Array | undefined;
  #holdNext = false;
  #releases: (() => void)[] = [];
  /** Commands currently held. */
  held = 0;
  /** Warm resets and power-ups the reader gave the card (what a disconnect with SCARD_RESET_CARD causes). */
  resets = 0;

  constructor(inner: VirtualCard, options: { atr?: Uint8Array } = {}) {
    this.#inner = inner;
    this.#atr = options.atr;
  }

  get atr(): Uint8Array {
    return this.#atr ?? this.#inner.atr;
  }

  powerOn(): Uint8Array {
    this.resets++;
    this.#inner.powerOn();
    return this.atr;
  }

  powerOff(): void {
    this.#inner.powerOff();
  }

  reset(): Uint8Array {
    this.resets++;
    this.#inner.reset();
    return this.atr;
  }

  /** Makes the next command wait until `release()`. */
  holdNext(): void {
    this.#holdNext = true;
  }

  /** Lets every held command go on (its answer goes nowhere if the card was pulled meanwhile). */
  release(): void {
    this.#holdNext = false;
    for (const go of this.#releases.splice(0)) go();
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.#holdNext) {
      this.#holdNext = false;
      this.held++;
      await new Promise<void>((resolve) => this.#releases.push(resolve));
      this.held--;
    }
    return this.#inner.transmit(apdu);
  }
}

/** The card side's address: plain loopback, or a quick-ACK one when KRYPTON_PCSC_QUICKACK=1 (see quickack.ts in the lab). */
export async function cardHost(): Promise<{ host: string; quickAck: LoopbackQuickAck | undefined }> {
  if (process.env.KRYPTON_PCSC_QUICKACK !== '1') return { host: '127.0.0.1', quickAck: undefined };
  const quickAck = await enableLoopbackQuickAck();
  return { host: quickAck.address, quickAck };
}

/** Puts `card` into the reader served on `port` (the first reader's vpcd port, or +1 for the second). */
export function insert(card: VirtualCard, port: number, host = '127.0.0.1'): VpcdConnection {
  return connectCardToVpcd({ host, port, card, backoff: { initialMs: 50, maxMs: 500 } });
}

/** Records every event of a service, in order. */
export function recordEvents(service: PcscService): { events: PcscServiceEvent[]; stop: () => void } {
  const events: PcscServiceEvent[] = [];
  const types: PcscServiceEventType[] = [
    'reader-added',
    'reader-removed',
    'card-inserted',
    'card-removed',
    'service-lost',
    'service-restored',
  ];
  const offs = types.map((type) => service.on(type, (e) => events.push(e)));
  return { events, stop: () => offs.forEach((off) => off()) };
}

/** Resolves with the next event of `type` that `match` accepts; rejects after `timeoutMs` naming what it waited for. */
export function nextEvent<T extends PcscServiceEventType>(
  service: PcscService,
  type: T,
  match: (event: PcscServiceEventOf<T>) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<PcscServiceEventOf<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${type} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = service.on(type, (event) => {
      if (!match(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

/** Waits until the service shows `reader` with the given card state (pcscd polls vpcd about every 400 ms). */
export async function readerShows(service: PcscService, reader: string, card: 'empty' | 'present', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (service.readers.find((r) => r.name === reader)?.card !== card) {
    if (Date.now() > deadline) throw new Error(`reader "${reader}" did not show card ${card} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Hex of a response, for readable assertions. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
