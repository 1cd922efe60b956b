import { Usim, type SimAuthenticator, type Tracer } from '@krypton-web/krypton-core';
import type { ApduTransport, ImsiSource } from '@krypton-web/sim-transport';
import type { LinkKind, ModemSummary, PinInfo } from '../api.ts';
import { pinInfo, SimLock, type SimLink } from './sim-link.ts';

/** A link that carries APDUs (virtual SIM, modem over AT+CSIM): krypton-core's USIM commands run here, in the worker. */
export class UsimLink implements SimLink {
  readonly authenticator: SimAuthenticator;
  private readonly usim: Usim;
  private readonly lock = new SimLock();
  private lostListener: ((error: unknown) => void) | undefined;
  private lost = false;

  constructor(
    readonly kind: LinkKind,
    readonly name: string,
    private readonly transport: ApduTransport,
    tracer: Tracer,
    private readonly extra: { imsiSource?: ImsiSource; modemInfo?: () => Promise<ModemSummary>; close?: () => Promise<void> } = {},
  ) {
    this.usim = new Usim(transport, { tracer, ...(extra.imsiSource ? { imsiSource: extra.imsiSource } : {}) });
    this.authenticator = {
      readImsi: () => this.lock.run(() => this.usim.readImsi()),
      authenticate: (rand, autn) => this.lock.run(() => this.usim.authenticate(rand, autn)),
    };
    if (extra.modemInfo) {
      const info = extra.modemInfo;
      this.modemInfo = () => this.lock.run(info);
    }
  }

  modemInfo?: () => Promise<ModemSummary>;

  readImsi(): Promise<string> {
    return this.authenticator.readImsi();
  }

  readIccid(): Promise<string | undefined> {
    return this.lock.run(() => this.usim.readIccid());
  }

  async pinState(): Promise<PinInfo | undefined> {
    return pinInfo(await this.lock.run(() => this.usim.pinState()));
  }

  async verifyPin(pin: string, allowLastTry: boolean): Promise<void> {
    await this.lock.run(() => this.usim.verifyPin(pin, { allowLastTry }));
  }

  onLost(listener: (error: unknown) => void): void {
    this.lostListener = listener;
  }

  /** The link module calls this when the device went away. */
  markLost(error: unknown): void {
    if (this.lost) return;
    this.lost = true;
    this.lostListener?.(error);
  }

  async close(): Promise<void> {
    this.lost = true;
    await (this.extra.close ?? (() => this.transport.close()))();
  }
}
