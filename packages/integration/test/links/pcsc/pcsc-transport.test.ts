/**
 * PcscTransport against a real pcscd with vpcd readers and the lab's virtual USIM, through the real
 * pcsclite: connecting, sharing, failures a person meets (no reader, no card, card pulled, card in
 * use, card silent) and recovering from them.
 */
import { demoProfileSet, findSim, VirtualUsim, type VpcdConnection } from '@krypton-web/krypton-lab';
import type { PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '@krypton-web/krypton-core';
import { openFirstReaderWithCard } from '@krypton-web/sim-transport/node';
import { PcscError } from '@krypton-web/sim-transport/node';
import { PcscService } from '@krypton-web/sim-transport/node';
import {
  HeldCard,
  PCSCD_HOOK_TIMEOUT,
  SELECT_USIM,
  T1_ONLY_ATR,
  demoUsim,
  hex,
  insert,
  nextEvent,
  readerShows,
  startTestPcscd,
} from './pcsc-test-kit.test-support.ts';
import { PcscTransport } from '@krypton-web/sim-transport/node';

let pcscd: PcscdHandle;
let service: PcscService;
let first: string;
let second: string;
/** Everything a test opened, closed after it whatever happened. */
const cleanup: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  pcscd = await startTestPcscd();
  [first, second] = pcscd.readerNames as [string, string];
  service = await PcscService.open();
}, PCSCD_HOOK_TIMEOUT);

afterAll(async () => {
  await service?.close();
  await pcscd?.stop();
});

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  // The next test must not see this test's card still reported in a reader.
  await readerShows(service, first, 'empty');
  await readerShows(service, second, 'empty');
});

/** Puts a card (the demo USIM unless given) into a reader and waits until pcscd reports it. */
async function withCard(reader: 'first' | 'second' = 'first', card?: HeldCard): Promise<{ card: HeldCard; conn: VpcdConnection }> {
  const held = card ?? new HeldCard(await demoUsim());
  const name = reader === 'first' ? first : second;
  const inserted = nextEvent(service, 'card-inserted', (e) => e.reader === name);
  const conn = insert(held, pcscd.vpcdPort + (reader === 'first' ? 0 : 1));
  cleanup.push(async () => {
    held.release();
    await conn.close();
  });
  await inserted;
  return { card: held, conn };
}

/** Opens a transport and closes it after the test. */
async function open(reader: string, options: Parameters<typeof PcscTransport.open>[1] = {}): Promise<PcscTransport> {
  const transport = await PcscTransport.open(reader, { service, ...options });
  cleanup.push(() => transport.close());
  return transport;
}

/** The lab's PIN-enabled demo USIM (PIN 1234). */
async function pinUsim(): Promise<VirtualUsim> {
  return VirtualUsim.create(findSim(demoProfileSet(), 'demo-pin'), { t0Responses: true });
}

/** How long `promise` takes to reject, and with what. */
async function rejection(promise: Promise<unknown>): Promise<{ error: PcscError; ms: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (e) {
    if (!(e instanceof PcscError)) throw new Error(`expected a PcscError, got ${String(e)}`, { cause: e });
    return { error: e, ms: performance.now() - started };
  }
  throw new Error('expected a rejection');
}

describe('PcscTransport', () => {
  it('opens shared by default, negotiates T=0 from the USIM ATR, and selects the USIM by its AID prefix', async () => {
    const { card } = await withCard();
    const transport = await open(first);
    expect(transport.kind).toBe('pcsc');
    expect(transport.name).toBe(first);
    expect(transport.share).toBe('shared');
    expect(transport.protocol).toBe('T=0');
    expect(hex(transport.atr)).toBe(hex(card.atr));
    expect(transport.state).toBe('connected');
    expect(service.readers.find((r) => r.name === first)).toMatchObject({ card: 'present' });
    expect(hex(await transport.transmit(SELECT_USIM))).toBe('9000');
    // Exactly what the card answered, T=0 procedure bytes and all: SELECT MF with FCP gives 61xx, not the FCP.
    expect(hex(await transport.transmit(Uint8Array.from([0x00, 0xa4, 0x00, 0x04, 0x02, 0x3f, 0x00])))).toMatch(/^61[0-9a-f]{2}$/);
  });

  it('negotiates T=1 with a card that offers only T=1', async () => {
    await withCard('first', new HeldCard(await demoUsim({ t0Responses: false }), { atr: T1_ONLY_ATR }));
    const transport = await open(first);
    expect(transport.protocol).toBe('T=1');
    expect(hex(transport.atr)).toBe(hex(T1_ONLY_ATR));
    expect(hex(await transport.transmit(SELECT_USIM))).toBe('9000');
    // A T=1-style card answers SELECT with its FCP and 9000 directly.
    expect(hex(await transport.transmit(Uint8Array.from([0x00, 0xa4, 0x00, 0x04, 0x02, 0x3f, 0x00, 0x00])))).toMatch(/^62.*9000$/);
  });

  it('another program holding the card exclusively: "another program is using the reader", with what to do', async () => {
    await withCard();
    const holder = await open(first, { share: 'exclusive' });
    const other = await PcscService.open();
    cleanup.push(() => other.close());
    for (const share of ['exclusive', 'shared'] as const) {
      const { error } = await rejection(PcscTransport.open(first, { service: other, share }));
      expect(error).toBeInstanceOf(TransportError);
      expect(error).toMatchObject({
        name: 'TransportError',
        code: 'TRANSPORT_FAILED',
        problem: 'sharing-violation',
        scardCode: 0x8010000b,
      });
      expect(error.message).toContain('Another program is using the reader');
      expect(error.message).toContain(first);
      expect(error.message).toMatch(/close/);
    }
    // The holder is undisturbed, and once it lets go the other context gets the card.
    expect(hex(await holder.transmit(SELECT_USIM))).toBe('9000');
    await holder.close();
    const next = await PcscTransport.open(first, { service: other });
    cleanup.push(() => next.close());
    expect(hex(await next.transmit(SELECT_USIM))).toBe('9000');
  });

  it('shares the card with another program; a transaction (a command group, or withTransaction) keeps its commands out', async () => {
    await withCard();
    const a = await open(first, { groupIdleMs: 200 });
    const other = await PcscService.open();
    cleanup.push(() => other.close());
    const b = await PcscTransport.open(first, { service: other });
    cleanup.push(() => b.close());
    expect(hex(await a.transmit(SELECT_USIM))).toBe('9000');
    // a's command group is still open (200 ms without an APDU ends it): b waits for it.
    const started = performance.now();
    expect(hex(await b.transmit(SELECT_USIM))).toBe('9000');
    expect(performance.now() - started).toBeGreaterThan(120);

    let bDone = false;
    const sw = await a.withTransaction(async (t) => {
      // Nested use is an error, not a silent second transaction.
      await expect(t.withTransaction(async () => 1)).rejects.toMatchObject({ code: 'TRANSPORT_BUSY' });
      const waiting = b.transmit(SELECT_USIM).then(() => (bDone = true));
      await new Promise((r) => setTimeout(r, 400));
      // However long a's transaction lasts, b's command does not come between a's.
      expect(bDone).toBe(false);
      const answer = hex(await t.transmit(SELECT_USIM));
      void waiting;
      return answer;
    });
    expect(sw).toBe('9000');
    await waitUntil(() => bDone);
  });

  it('says NO_CARD for an empty reader, and names the readers for an unknown one', async () => {
    const { error: empty } = await rejection(PcscTransport.open(second, { service }));
    expect(empty).toMatchObject({ code: 'NO_CARD', problem: 'no-card' });
    expect(empty.message).toContain(second);
    const { error: unknown } = await rejection(PcscTransport.open('No Such Reader 00 00', { service }));
    expect(unknown).toMatchObject({ code: 'TRANSPORT_FAILED', problem: 'unknown-reader' });
    expect(unknown.message).toContain(first);
  });

  it('opens one reader once per service (TRANSPORT_BUSY), and one exchange at a time', async () => {
    await withCard();
    const transport = await open(first);
    await expect(PcscTransport.open(first, { service })).rejects.toMatchObject({ code: 'TRANSPORT_BUSY', problem: 'already-open' });
    const one = transport.transmit(SELECT_USIM);
    await expect(transport.transmit(SELECT_USIM)).rejects.toMatchObject({ code: 'TRANSPORT_BUSY' });
    expect(hex(await one)).toBe('9000');
  });

  it('fails an APDU sent after the card was pulled with NO_CARD within 2 s, then reconnects once it is back', async () => {
    const { conn } = await withCard();
    const transport = await open(first);
    expect(hex(await transport.transmit(SELECT_USIM))).toBe('9000');
    await conn.remove();
    const { error, ms } = await rejection(transport.transmit(SELECT_USIM));
    expect(error).toMatchObject({ code: 'NO_CARD', problem: 'card-removed' });
    expect(ms).toBeLessThan(2000);
    console.log(`[pcsc] APDU after removal: NO_CARD after ${ms.toFixed(0)} ms`);
    await readerShows(service, first, 'empty');
    expect(transport.state).toBe('lost');
    expect(transport.lostBecause?.problem).toBe('card-removed');
    // Still NO_CARD, and the message says what to do.
    await expect(transport.transmit(SELECT_USIM)).rejects.toMatchObject({ code: 'NO_CARD', message: expect.stringContaining('reconnect') });
    // Reconnecting to an empty reader says so.
    await expect(transport.reconnect()).rejects.toMatchObject({ code: 'NO_CARD' });
    const back = nextEvent(service, 'card-inserted', (e) => e.reader === first);
    conn.insert();
    await back;
    await transport.reconnect();
    expect(transport.state).toBe('connected');
    expect(hex(await transport.transmit(SELECT_USIM))).toBe('9000');
  });

  it('ends a command in flight with NO_CARD within 2 s when the card is pulled mid-command', async () => {
    const { card, conn } = await withCard();
    const transport = await open(first, { timeoutMs: 10_000 });
    card.holdNext();
    const outcome = rejection(transport.transmit(SELECT_USIM));
    await waitUntil(() => card.held === 1);
    const started = performance.now();
    await conn.remove();
    const { error } = await outcome;
    const ms = performance.now() - started;
    expect(error).toMatchObject({ code: 'NO_CARD', problem: 'card-removed' });
    expect(ms).toBeLessThan(2000);
    console.log(`[pcsc] card pulled mid-command: NO_CARD after ${ms.toFixed(0)} ms`);
  });

  it('gives up on a card that never answers with TIMEOUT, and recovers after the card is reinserted', async () => {
    const { card, conn } = await withCard();
    const transport = await open(first, { timeoutMs: 800 });
    card.holdNext();
    const { error, ms } = await rejection(transport.transmit(SELECT_USIM));
    expect(error).toMatchObject({ code: 'TIMEOUT', problem: 'timeout' });
    expect(ms).toBeGreaterThanOrEqual(700);
    expect(ms).toBeLessThan(1500);
    expect(transport.state).toBe('lost');
    await expect(transport.transmit(SELECT_USIM)).rejects.toMatchObject({ code: 'TIMEOUT' });
    // pcscd still waits for that answer; pulling the card ends it.
    await conn.remove();
    card.release();
    await readerShows(service, first, 'empty');
    const back = nextEvent(service, 'card-inserted', (e) => e.reader === first);
    conn.insert();
    await back;
    await transport.reconnect();
    expect(hex(await transport.transmit(SELECT_USIM))).toBe('9000');
  });

  it('cancels a command on abort with ABORTED, and stays usable', async () => {
    const { card } = await withCard();
    const transport = await open(first);
    card.holdNext();
    const controller = new AbortController();
    const outcome = rejection(transport.transmit(SELECT_USIM, { signal: controller.signal }));
    await waitUntil(() => card.held === 1);
    controller.abort();
    const { error, ms } = await outcome;
    expect(error).toMatchObject({ code: 'ABORTED', problem: 'aborted' });
    expect(ms).toBeLessThan(1000);
    card.release();
    expect(transport.state).toBe('connected');
    expect(hex(await transport.transmit(SELECT_USIM))).toBe('9000');
  });

  it('a card reset by another program between our command groups: reconnects and sends the command again, PIN state gone', async () => {
    const { card } = await withCard();
    const transport = await open(first, { groupIdleMs: 1 });
    expect(hex(await transport.transmit(SELECT_USIM))).toBe('9000');
    await new Promise((r) => setTimeout(r, 20));
    const other = await PcscService.open();
    cleanup.push(() => other.close());
    const resets = card.resets;
    const resetter = await PcscTransport.open(first, { service: other, disposition: 'reset' });
    await resetter.close();
    expect(card.resets).toBe(resets + 1);
    // SCARD_W_RESET_CARD is handled inside: the command goes through on the reconnected handle.
    expect(hex(await transport.transmit(SELECT_USIM))).toBe('9000');
    expect(transport.state).toBe('connected');
  });

  it('on close, leaves the card as it is — unless a PIN was verified in the session, then resets it', async () => {
    const plain = await withCard();
    const transport = await open(first);
    expect(hex(await transport.transmit(SELECT_USIM))).toBe('9000');
    // VERIFY without data only asks for the PIN's state: it opens nothing.
    await transport.transmit(Uint8Array.from([0x00, 0x20, 0x00, 0x01]));
    expect(transport.pinVerified).toBe(false);
    const before = plain.card.resets;
    await transport.close();
    expect(transport.state).toBe('closed');
    expect(plain.card.resets).toBe(before);
    await expect(transport.transmit(SELECT_USIM)).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await expect(transport.reconnect()).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await plain.conn.close();
    await readerShows(service, first, 'empty');

    const pin = await withCard('first', new HeldCard(await pinUsim()));
    const verifying = await open(first);
    expect(hex(await verifying.transmit(SELECT_USIM))).toBe('9000');
    const block = [...'1234'].map((c) => c.charCodeAt(0)).concat([0xff, 0xff, 0xff, 0xff]);
    expect(hex(await verifying.transmit(Uint8Array.from([0x00, 0x20, 0x00, 0x01, 0x08, ...block])))).toBe('9000');
    expect(verifying.pinVerified).toBe(true);
    const resets = pin.card.resets;
    await verifying.close();
    // The next program must not find the SIM's PIN open.
    expect(pin.card.resets).toBe(resets + 1);
    const next = await open(first);
    expect(hex(await next.transmit(SELECT_USIM))).toBe('9000');
  });
});

describe('openFirstReaderWithCard', () => {
  it('takes the first reader that holds a card, skipping an empty first reader', async () => {
    await withCard('second');
    const transport = await openFirstReaderWithCard({ service });
    cleanup.push(() => transport.close());
    expect(transport.name).toBe(second);
    expect(hex(await transport.transmit(SELECT_USIM))).toBe('9000');
  });

  it('prefers the first reader when both hold a card, and moves on when another program holds it', async () => {
    await withCard('first');
    await withCard('second');
    const transport = await openFirstReaderWithCard({ service });
    expect(transport.name).toBe(first);
    await transport.close();
    const other = await PcscService.open();
    cleanup.push(() => other.close());
    const holder = await PcscTransport.open(first, { service: other, share: 'exclusive' });
    cleanup.push(() => holder.close());
    const next = await openFirstReaderWithCard({ service });
    expect(next.name).toBe(second);
    await next.close();
    // The same with a service of its own (which the sharing violation on the first reader must not close).
    const own = await openFirstReaderWithCard();
    cleanup.push(() => own.close());
    expect(own.name).toBe(second);
    expect(hex(await own.transmit(SELECT_USIM))).toBe('9000');
  });

  it('says NO_CARD naming the readers when none holds a card, and can wait for one', async () => {
    const { error } = await rejection(openFirstReaderWithCard({ service }));
    expect(error).toMatchObject({ code: 'NO_CARD', problem: 'no-card' });
    expect(error.message).toContain(first);
    expect(error.message).toContain(second);
    const waiting = openFirstReaderWithCard({ service, waitForCardMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    await withCard('second');
    const transport = await waiting;
    cleanup.push(() => transport.close());
    expect(transport.name).toBe(second);
  });

  it('opens and closes its own service when none is given', async () => {
    await withCard();
    const transport = await openFirstReaderWithCard();
    expect(transport.name).toBe(first);
    expect(hex(await transport.transmit(SELECT_USIM))).toBe('9000');
    await transport.close();
    // The card is free again: its own service let go of it.
    const next = await open(first);
    expect(hex(await next.transmit(SELECT_USIM))).toBe('9000');
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
