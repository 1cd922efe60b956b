/**
 * The card calls bound through koffi (scard-card.ts) against a real pcscd with vpcd readers: shared
 * connections, transactions that keep another program's commands out, a reset by another program
 * (SCARD_W_RESET_CARD) and SCardReconnect, and an exclusive holder's sharing violation.
 */
import type { PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isCardReset, PcscService, ScardCallError, ScardCard } from '@krypton-web/sim-transport/node';
import {
  HeldCard,
  PCSCD_HOOK_TIMEOUT,
  SELECT_USIM,
  demoUsim,
  hex,
  insert,
  nextEvent,
  readerShows,
  startTestPcscd,
} from './pcsc-test-kit.test-support.ts';

let pcscd: PcscdHandle;
let service: PcscService;
let reader: string;
const cleanup: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  pcscd = await startTestPcscd();
  reader = pcscd.readerNames[0]!;
  service = await PcscService.open();
}, PCSCD_HOOK_TIMEOUT);

afterAll(async () => {
  await service?.close();
  await pcscd?.stop();
});

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await readerShows(service, reader, 'empty');
});

async function withCard(): Promise<HeldCard> {
  const held = new HeldCard(await demoUsim());
  const inserted = nextEvent(service, 'card-inserted', (e) => e.reader === reader);
  const conn = insert(held, pcscd.vpcdPort);
  cleanup.push(async () => {
    held.release();
    await conn.close();
  });
  await inserted;
  return held;
}

async function connect(share: 'shared' | 'exclusive'): Promise<ScardCard> {
  const card = await ScardCard.connect(reader, share);
  cleanup.push(() => card.disconnect('leave').catch(() => undefined));
  return card;
}

describe('ScardCard: libpcsclite through koffi', () => {
  it('two programs share the card; a transaction keeps the other one waiting until it ends', async () => {
    await withCard();
    const a = await connect('shared');
    const b = await connect('shared');
    expect(hex(await a.transmit(SELECT_USIM, 258))).toBe('9000');
    expect(hex(await b.transmit(SELECT_USIM, 258))).toBe('9000');
    await a.begin();
    let bIn = false;
    const bBegins = b.begin().then(() => (bIn = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(bIn).toBe(false);
    expect(hex(await a.transmit(SELECT_USIM, 258))).toBe('9000');
    await a.end();
    await bBegins;
    expect(bIn).toBe(true);
    await b.end();
  });

  it('an exclusive holder refuses others with a sharing violation', async () => {
    await withCard();
    await connect('exclusive');
    const refused = await ScardCard.connect(reader, 'shared').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ScardCallError);
    expect((refused as ScardCallError).scardCode).toBe(0x8010000b);
    expect((refused as Error).message).toMatch(/\(0x8010000b\)$/);
  });

  it('a reset by another program answers W_RESET_CARD once; SCardReconnect makes the handle usable again', async () => {
    const held = await withCard();
    const a = await connect('shared');
    const b = await connect('shared');
    expect(hex(await a.transmit(SELECT_USIM, 258))).toBe('9000');
    const resets = held.resets;
    await b.reconnect('shared', 'reset');
    expect(held.resets).toBe(resets + 1);
    const failed = await a.transmit(SELECT_USIM, 258).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCardReset(failed)).toBe(true);
    await a.reconnect('shared', 'leave');
    expect(hex(await a.transmit(SELECT_USIM, 258))).toBe('9000');
  });
});
