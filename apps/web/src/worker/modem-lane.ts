import { Usim } from '@krypton-web/krypton-core';
import { AtModem, SimWatch, type SimPresence } from '@krypton-web/sim-transport';
import type { LaneBridge, LaneBridgeEvents, LaneReader, LaneSession } from './batch-lane.ts';
import { workerCardPaths } from './card-path-store.ts';
import { failure } from './failure.ts';
import { PipeSerialChannel } from './links/pipe-serial-channel.ts';

/**
 * The ports of one modem lane, as the page hands them over: one at Start, another each time the
 * modem is plugged back in (Web Serial needs the page to open a port; the lane waits for it).
 */
export class ModemPipes {
  private queued: MessagePort | undefined;
  private waiting: { resolve: (pipe: MessagePort) => void; reject: (e: unknown) => void } | undefined;
  private ended = false;

  /** A port the page opened for this lane; one not taken yet is replaced (and closed). */
  give(pipe: MessagePort): void {
    if (this.ended) return closePipe(pipe);
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting.resolve(pipe);
      return;
    }
    if (this.queued) closePipe(this.queued);
    this.queued = pipe;
  }

  /** The next port: at once when the page gave one, else when it does. Rejects once the lane ended. */
  next(): Promise<MessagePort> {
    if (this.ended) return Promise.reject(failure('STOPPED', 'The batch was stopped', 'Press Start'));
    const queued = this.queued;
    if (queued) {
      this.queued = undefined;
      return Promise.resolve(queued);
    }
    this.waiting?.reject(failure('STOPPED', 'Another wait for the modem took over', 'Press Start'));
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** The lane ended: a wait is refused and a port not taken is closed. */
  end(): void {
    this.ended = true;
    this.waiting?.reject(failure('STOPPED', 'The batch was stopped', 'Press Start'));
    this.waiting = undefined;
    if (this.queued) closePipe(this.queued);
    this.queued = undefined;
  }
}

/** Options of a modem lane's link. */
export interface ModemLaneOptions {
  /** How often the SIM slot is asked about (AT+CPIN?) between checks, ms. */
  pollMs?: number;
}

/**
 * A USB modem as a lane sees a bridge: one "reader" (the modem's SIM slot, named as the lane), SIM
 * sessions on its AT+CSIM link (one at a time; the modem stays open between SIMs), and news of the
 * slot — a SIM taken out or put in (sim-transport's SimWatch) and the modem unplugged.
 */
export class ModemLaneBridge implements LaneBridge {
  private session: LaneSession | undefined;
  private sessions = 0;
  private closed = false;

  private constructor(
    private readonly lane: string,
    private readonly modem: AtModem,
    private readonly watch: SimWatch,
  ) {}

  /** Opens the modem on the page's port; rejects with a failure that says what to do when it is not a usable modem. */
  static async open(pipe: MessagePort, lane: string, events: LaneBridgeEvents, options: ModemLaneOptions = {}): Promise<ModemLaneBridge> {
    const channel = new PipeSerialChannel(lane, pipe);
    const modem = await AtModem.open(channel, { name: lane });
    if (!modem.csimSupported) {
      await modem.close();
      throw failure(
        'MODEM_NO_CSIM',
        `The modem (${lane}) does not pass commands to the SIM (it refused AT+CSIM), so SIMs cannot be checked in it`,
        'Use a modem that supports AT+CSIM (Huawei MS2131, E3372 and similar), or a card reader',
      );
    }
    let bridge: ModemLaneBridge | undefined;
    const watch = new SimWatch(modem, {
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      busy: () => bridge?.session !== undefined,
      onChange: (presence) => bridge?.changed(presence, events),
    });
    bridge = new ModemLaneBridge(lane, modem, watch);
    const self = bridge;
    modem.on('disconnect', () => {
      if (self.closed) return;
      self.close();
      events.onUnplugged?.();
    });
    // A modem whose slot cannot be asked is taken at its word from opening (AT+CIMI found a SIM or not).
    await watch.start().catch(() => undefined);
    return bridge;
  }

  async readers(): Promise<LaneReader[]> {
    return [this.reader(this.session ? 'present' : await this.watch.look().catch(() => this.watch.presence))];
  }

  async open(reader: string): Promise<LaneSession> {
    if (reader !== this.lane) throw failure('NO_READER', `There is no reader "${reader}" on this modem`, 'Choose the lane again');
    if (this.closed) throw failure('TRANSPORT_CLOSED', `The modem (${this.lane}) is closed`, 'Plug the modem in again');
    if (this.session) throw failure('TRANSPORT_BUSY', `The SIM in ${this.lane} is being checked`, 'Wait for the check to end');
    // A Usim of its own per SIM: a SIM put in starts with nothing selected; it goes straight by its ICCID once read.
    const usim = new Usim(this.modem.transport, { imsiSource: this.modem, simInfoSource: this.modem, cardPaths: workerCardPaths() });
    const session: LaneSession = {
      session: `${this.lane} #${++this.sessions}`,
      readIccid: () => usim.readIccid(),
      readImsi: () => usim.readImsi(),
      pinState: () => usim.pinState(),
      verifyPin: (pin, options) => usim.verifyPin(pin, options),
      authenticate: (rand, autn) => usim.authenticate(rand, autn),
      close: async () => {
        // The modem stays open for the next SIM: closing a session only frees the slot.
        if (this.session === session) this.session = undefined;
      },
    };
    this.session = session;
    return session;
  }

  /** Closes the modem (and so the page's port). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watch.stop();
    void this.modem.close().catch(() => undefined);
  }

  private changed(presence: SimPresence, events: LaneBridgeEvents): void {
    if (this.closed) return;
    const session = this.session;
    if (presence === 'absent' && session) events.onSessionLost(session.session);
    events.onReaders([this.reader(presence)]);
  }

  private reader(presence: SimPresence | undefined): LaneReader {
    const card = presence === undefined ? this.modem.simErrorAtOpen?.code !== 'NO_CARD' : presence === 'present';
    return { name: this.lane, card, inUse: false };
  }
}

function closePipe(pipe: MessagePort): void {
  // The page's end closes the port when asked (serial-pipe.ts).
  pipe.postMessage({ type: 'close' });
  pipe.close();
}
