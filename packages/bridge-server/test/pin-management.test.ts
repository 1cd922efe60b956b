import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeClient } from '@krypton-web/sim-transport';
import { connectClient, startTestBridge, VIRTUAL_READER_NAME, type TestBridge } from './support/harness.test-support.ts';

// Issue #15 §4 over the bridge protocol: UNBLOCK, CHANGE, DISABLE and ENABLE PIN run next to the card,
// their failures cross typed (code, tries left), and no PIN or PUK reaches the bridge's log.

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function open(sim: string): Promise<{ t: TestBridge; client: BridgeClient; session: Awaited<ReturnType<BridgeClient['open']>> }> {
  const t = await startTestBridge({ sim });
  cleanups.push(() => t.close());
  const client = await connectClient(t);
  cleanups.push(() => client.close());
  return { t, client, session: await client.open(VIRTUAL_READER_NAME) };
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; details: Record<string, string | number> }> {
  const e = (await p.then(
    () => undefined,
    (err: unknown) => err,
  )) as { code: string; details: Record<string, string | number> } | undefined;
  expect(e).toBeDefined();
  return e!;
}

describe('PIN management through the bridge (#15 §4)', () => {
  it('demo-blocked: a wrong PUK counts down, the last PUK try is asked for, the right PUK unblocks with a new PIN', async () => {
    const { t, session } = await open('demo-blocked');
    expect(await session.pinState()).toEqual({ enabled: true, verified: false, triesLeft: 0, pukTriesLeft: 10 });
    expect(await refusal(session.unblockPin('00000000', '4321'))).toMatchObject({ code: 'PUK_WRONG', details: { triesLeft: 9 } });
    expect(await session.pinState()).toMatchObject({ triesLeft: 0, pukTriesLeft: 9 });
    for (let left = 8; left >= 1; left--) await refusal(session.unblockPin('00000000', '4321'));
    expect((await refusal(session.unblockPin('12345678', '4321'))).code).toBe('PUK_LAST_TRY');
    await session.unblockPin('12345678', '4321', { allowLastTry: true });
    expect(await session.pinState()).toEqual({ enabled: true, verified: true });
    const log = t.lines.join('\n');
    expect(log).toContain('PIN unblocked with the PUK');
    expect(log).not.toMatch(/\b(12345678|00000000|4321)\b/);
  });

  it('demo-pin: change, disable, enable; a wrong PIN says the tries left; no PIN in the log', async () => {
    const { t, session } = await open('demo-pin');
    expect(await refusal(session.changePin('0000', '24680'))).toMatchObject({ code: 'PIN_WRONG', details: { triesLeft: 2 } });
    await session.changePin('1234', '24680');
    expect(await session.pinState()).toEqual({ enabled: true, verified: true });
    await session.setPinEnabled(false, '24680');
    expect(await session.pinState()).toEqual({ enabled: false, verified: false });
    expect((await refusal(session.changePin('24680', '1111'))).code).toBe('PIN_DISABLED');
    await session.setPinEnabled(true, '24680');
    expect(await session.pinState()).toEqual({ enabled: true, verified: true });
    expect(t.card.inner.pin1Enabled).toBe(true);
    const log = t.lines.join('\n');
    expect(log).toMatch(/PIN changed[\s\S]*PIN disabled[\s\S]*PIN enabled/);
    expect(log).not.toMatch(/\b(24680|1234|1111)\b/);
  });
});
