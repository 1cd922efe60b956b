import { CliError, errorLine } from '../errors.ts';
import { closeWithin, withDeadline } from '../links/sim-connection.ts';
import { PcscError, PcscService, PcscTransport, type PcscReaderInfo } from '../links/sim-transport-pcsc.ts';
import { aborted, type LaneHost } from './lanes.ts';
import type { LaneSelection } from './options.ts';

/** How long one APDU may take on a reader (an AUTHENTICATE takes well under a second). */
const PCSC_TIMEOUT_MS = 5000;
/** How long a card another program holds is waited for before its check gives up. */
const SHARING_WAIT_MS = 3000;

interface Lane {
  /** The check running on the card in this reader. */
  running?: { cardGone: AbortController; done: Promise<void> };
  /** A card came in while the previous check was still winding down: check it next. */
  insertedMeanwhile?: boolean;
}

type ReaderChoice = NonNullable<LaneSelection['readers']>;

/**
 * Every PC/SC reader (or the one named) as a lane of its own, all in parallel through one pcscd
 * context: a card in a reader is checked (exclusive connection, reset when let go, so no verified
 * PIN stays behind); a card pulled out aborts its reader's check at once.
 */
export class PcscLanes {
  readonly #lanes = new Map<string, Lane>();
  readonly #offs: (() => void)[] = [];
  #taking = false;

  private constructor(
    private readonly service: PcscService,
    private readonly choice: ReaderChoice,
    private readonly host: LaneHost,
    /** Aborts every check (a second Ctrl-C, SIGTERM). */
    private readonly abort: AbortSignal,
  ) {
    // A card leaving aborts its check whether or not new cards are still taken.
    this.#offs.push(service.on('card-removed', (e) => this.#cardRemoved(e.reader)));
  }

  /** Connects to pcscd; fails with what to do when it is not there. */
  static async open(choice: ReaderChoice, host: LaneHost, abort: AbortSignal): Promise<PcscLanes> {
    let service: PcscService;
    try {
      service = await PcscService.open();
    } catch (e) {
      throw new CliError(
        `PC/SC is not available: ${(e as Error).message.replace(/[.:\s]+$/, '')}`,
        'Start pcscd (systemctl start pcscd) and plug in the card reader, then run again',
        'TRANSPORT_FAILED',
        { cause: e },
      );
    }
    return new PcscLanes(service, choice, host, abort);
  }

  /**
   * Without --watch: checks the cards in the readers now, waiting up to `waitMs` for a first one when
   * every reader is empty; resolves when every check is recorded.
   */
  async checkPresent(waitMs: number): Promise<void> {
    const readers = await this.#readers();
    let present = readers.filter((r) => r.card === 'present');
    if (present.length === 0) {
      this.host.notice(
        undefined,
        `no SIM in ${describe(readers)}: waiting up to ${Math.round(waitMs / 1000)} s for one (insert a SIM, contacts down; Ctrl-C stops)`,
      );
      try {
        await this.service.waitForCard({
          ...(this.choice.kind === 'one' ? { reader: this.choice.name } : {}),
          timeoutMs: waitMs,
          signal: this.abort,
        });
      } catch (e) {
        if (this.abort.aborted) return;
        throw new CliError(
          `no SIM was inserted in ${describe(readers)} within ${Math.round(waitMs / 1000)} s`,
          'Insert a SIM (contacts down, fully in) and run again, or give --wait SECONDS, or use --watch',
          'NO_CARD',
          { cause: e },
        );
      }
      present = (await this.service.listReaders()).filter((r) => this.#matches(r.name) && r.card === 'present');
    }
    for (const r of readers) if (r.card === 'mute') this.#mute(r.name);
    for (const r of present) this.#start(r.name);
    await this.#settled();
  }

  /**
   * --watch: checks each card as it is inserted, in every lane, until `stop` aborts; then takes no
   * new card and resolves once the checks in flight are recorded.
   */
  async watch(stop: AbortSignal): Promise<void> {
    this.#taking = true;
    this.#offs.push(
      this.service.on('card-inserted', (e) => {
        if (!this.#matches(e.reader)) return;
        if (e.mute) this.#mute(e.reader);
        else this.#start(e.reader);
      }),
      this.service.on('reader-added', (e) => {
        if (!this.#matches(e.reader)) return;
        this.host.addLane(e.reader);
        this.host.notice(e.reader, 'reader connected: insert a SIM');
      }),
      this.service.on('reader-removed', (e) => {
        if (this.#matches(e.reader)) this.host.notice(e.reader, 'reader unplugged');
      }),
      this.service.on('service-lost', () => this.host.notice(undefined, 'pcscd went away: waiting for it to come back')),
      this.service.on('service-restored', () => this.host.notice(undefined, 'pcscd is back')),
    );
    const readers = await this.#readers(true);
    this.host.notice(
      undefined,
      readers.length > 0
        ? `watching ${describe(readers)}: insert SIMs; Ctrl-C ends the batch`
        : `waiting for the reader "${this.choice.kind === 'one' ? this.choice.name : ''}"; Ctrl-C ends the batch`,
    );
    for (const r of readers) {
      if (r.card === 'present') this.#start(r.name);
      else if (r.card === 'mute') this.#mute(r.name);
    }
    await Promise.race([aborted(stop), aborted(this.abort)]);
    this.#taking = false;
    await this.#settled();
  }

  /** Stops following pcscd and releases every reader. */
  async close(): Promise<void> {
    for (const off of this.#offs.splice(0)) off();
    await this.service.close();
  }

  #matches(reader: string): boolean {
    return this.choice.kind === 'all' || reader === this.choice.name;
  }

  /** The readers of this run; the named one must exist unless `waiting` (--watch waits for it). */
  async #readers(waiting = false): Promise<PcscReaderInfo[]> {
    const all = await this.service.listReaders();
    const mine = all.filter((r) => this.#matches(r.name));
    if (mine.length === 0 && !waiting) {
      const known = all.length > 0 ? ` (readers: ${all.map((r) => `"${r.name}"`).join(', ')})` : '';
      throw new CliError(
        this.choice.kind === 'one' ? `there is no card reader "${this.choice.name}"${known}` : 'no card reader is connected',
        this.choice.kind === 'one'
          ? 'Give --reader with one of the names listed (pcsc_scan shows them too)'
          : 'Plug in a card reader, then run again',
        'NO_READER',
      );
    }
    for (const r of mine) this.host.addLane(r.name);
    return mine;
  }

  #start(reader: string): void {
    if (this.abort.aborted) return;
    const lane = this.#lanes.get(reader) ?? {};
    this.#lanes.set(reader, lane);
    if (lane.running) {
      lane.insertedMeanwhile = true;
      return;
    }
    const cardGone = new AbortController();
    const done = this.#checkCard(reader, cardGone.signal).finally(() => {
      lane.running = undefined;
      if (lane.insertedMeanwhile && this.#taking) {
        lane.insertedMeanwhile = false;
        if (this.service.readers.find((r) => r.name === reader)?.card === 'present') this.#start(reader);
      }
    });
    lane.running = { cardGone, done };
  }

  async #checkCard(reader: string, cardGone: AbortSignal): Promise<void> {
    const transport = await this.#open(reader, cardGone).catch((e: unknown) => {
      // Pulled out before we connected: nothing to check, nothing to record.
      if (!cardGone.aborted) this.host.notice(reader, `the card could not be opened: ${errorLine(e)}`);
      return undefined;
    });
    if (!transport) return;
    try {
      await this.host.check(
        reader,
        { transport: withDeadline(transport), description: `PC/SC reader "${reader}"`, close: () => transport.close() },
        cardGone,
      );
    } finally {
      await closeWithin(() => transport.close());
    }
  }

  /**
   * Opens the card exclusively. Other programs often take a freshly inserted card for a moment (a
   * smart-card daemon reading it, another PC/SC client): a sharing violation is retried for a few
   * seconds before it counts.
   */
  async #open(reader: string, cardGone: AbortSignal): Promise<PcscTransport> {
    const deadline = Date.now() + SHARING_WAIT_MS;
    for (;;) {
      try {
        return await PcscTransport.open(reader, { service: this.service, timeoutMs: PCSC_TIMEOUT_MS });
      } catch (e) {
        if (
          !(e instanceof PcscError && e.problem === 'sharing-violation') ||
          Date.now() > deadline ||
          cardGone.aborted ||
          this.abort.aborted
        )
          throw e;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  #cardRemoved(reader: string): void {
    const lane = this.#lanes.get(reader);
    if (lane?.running) lane.running.cardGone.abort(new Error('card removed'));
    if (this.#taking && this.#matches(reader)) this.host.notice(reader, 'card out: insert the next SIM');
  }

  #mute(reader: string): void {
    this.host.notice(reader, 'the card does not answer: check that it is a SIM, inserted contacts down and the right way round');
  }

  /** Until no check is running in any lane. */
  async #settled(): Promise<void> {
    for (;;) {
      const running = [...this.#lanes.values()].flatMap((l) => (l.running ? [l.running.done] : []));
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }
}

function describe(readers: readonly PcscReaderInfo[]): string {
  if (readers.length === 1) return `the reader "${readers[0]!.name}"`;
  return `${readers.length} readers (${readers.map((r) => r.name).join(', ')})`;
}
