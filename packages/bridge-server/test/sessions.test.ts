import { afterEach, describe, expect, it } from 'vitest';
import { BridgeRemoteError, type BridgeClient } from '@krypton-web/sim-transport';
import {
  connectClient,
  eventually,
  ScriptedPage,
  startTestBridge,
  VIRTUAL_READER_NAME,
  type TestBridge,
} from './support/harness.test-support.ts';

// Exclusive sessions: two tabs (two clients) asking for one reader — one gets it, the other a clear
// "in use"; when the first closes its session, closes its connection, or just vanishes, the second opens.

const started: TestBridge[] = [];
const clients: BridgeClient[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  await Promise.all(started.splice(0).map((b) => b.close()));
});
async function bridge(): Promise<TestBridge> {
  const b = await startTestBridge();
  started.push(b);
  return b;
}
async function tab(t: TestBridge): Promise<BridgeClient> {
  const c = await connectClient(t);
  clients.push(c);
  return c;
}

describe('two tabs, one reader', () => {
  it('the second tab is told the reader is in use (TRANSPORT_BUSY), sees it marked in use, and opens it once the first closes its session', async () => {
    const t = await bridge();
    const [a, b] = [await tab(t), await tab(t)];
    const first = await a.open(VIRTUAL_READER_NAME);
    expect(await first.readImsi()).toBe('001010000000001');

    const refused = await b.open(VIRTUAL_READER_NAME).catch((x: unknown) => x);
    expect(refused).toBeInstanceOf(BridgeRemoteError);
    expect(refused).toMatchObject({
      code: 'TRANSPORT_BUSY',
      message: `The reader "${VIRTUAL_READER_NAME}" is in use by another page or tab`,
    });
    expect((refused as BridgeRemoteError).action).toMatch(/Close the SIM session there/);
    expect((await b.readers())[0]).toMatchObject({ name: VIRTUAL_READER_NAME, inUse: true });
    expect(t.backend.opens).toBe(1);

    await first.close();
    expect((await b.readers())[0]!.inUse).toBe(false);
    const second = await b.open(VIRTUAL_READER_NAME);
    expect(await second.readIccid()).toMatch(/^89/);
    // And now the first tab is the one refused.
    await expect(a.open(VIRTUAL_READER_NAME)).rejects.toMatchObject({ code: 'TRANSPORT_BUSY' });
  });

  /** Waits until `c` opens the reader, and says how long that took. */
  async function opensSoon(c: BridgeClient): Promise<number> {
    const startedAt = performance.now();
    let session: Awaited<ReturnType<BridgeClient['open']>> | undefined;
    await eventually(
      async () => {
        session = await c.open(VIRTUAL_READER_NAME).catch(() => undefined);
        return session !== undefined;
      },
      'the second tab opened the reader',
      2000,
    );
    expect(await session!.readImsi()).toBe('001010000000001');
    return performance.now() - startedAt;
  }

  it('when the first tab closes its connection (without closing the session), the second can open the reader', async () => {
    const t = await bridge();
    const [a, b] = [await tab(t), await tab(t)];
    await a.open(VIRTUAL_READER_NAME);
    await expect(b.open(VIRTUAL_READER_NAME)).rejects.toMatchObject({ code: 'TRANSPORT_BUSY' });
    a.close();
    expect(await opensSoon(b)).toBeLessThan(1000);
  });

  it('when the first tab vanishes without a close handshake (tab killed), the second can open the reader', async () => {
    const t = await bridge();
    const p = await ScriptedPage.connect(`ws://127.0.0.1:${t.port}/ws`, t.url);
    await p.hello();
    expect((await p.request({ id: 1, op: 'open', reader: VIRTUAL_READER_NAME })).ok).toBe(true);
    const b = await tab(t);
    await expect(b.open(VIRTUAL_READER_NAME)).rejects.toMatchObject({ code: 'TRANSPORT_BUSY' });
    p.ws.terminate();
    expect(await opensSoon(b)).toBeLessThan(1000);
  });

  it('two tabs opening at the same instant: exactly one gets the reader, the other is told it is in use', async () => {
    const t = await bridge();
    // Listing readers takes a moment, as a round trip to pcscd does: both opens are in flight together.
    t.backend.listDelayMs = 20;
    const [a, b] = [await tab(t), await tab(t)];
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled([a.open(VIRTUAL_READER_NAME), b.open(VIRTUAL_READER_NAME)]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'TRANSPORT_BUSY' });
      await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<BridgeClient['open']>>>).value.close();
    }
    expect(t.backend.opens).toBe(5);
  });

  it('a tab cannot close or use another tab’s session', async () => {
    const t = await bridge();
    const [a, b] = [await tab(t), await tab(t)];
    const session = await a.open(VIRTUAL_READER_NAME);
    await expect(b.request('close', { session: session.session })).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await expect(b.request('imsi', { session: session.session })).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    expect(await session.readImsi()).toBe('001010000000001');
    expect(t.card.apduCount).toBeGreaterThan(0);
  });
});
