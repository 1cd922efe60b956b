import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTranscript, toBase64, toHex } from '@krypton-web/krypton-core';
import { demoProfileSet, Hss } from '@krypton-web/krypton-lab';
import type { BridgeClient } from '@krypton-web/sim-transport';
import { connectClient, startTestBridge, VIRTUAL_READER_NAME, type TestBridge } from './support/harness.test-support.ts';

// pnpm bridge --record DIR: each SIM session leaves a transcript when it ends, secrets masked at the source.

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('bridge --record DIR', () => {
  it('writes one transcript per session: the reader, its ATR, the APDUs by step, and no PIN, RES, CK or IK', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-record-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const t: TestBridge = await startTestBridge({ sim: 'demo-pin', recordDir: dir });
    cleanup.push(() => t.close());
    const client: BridgeClient = await connectClient(t);
    cleanup.push(() => client.close());

    const profiles = demoProfileSet();
    const sim = profiles.sims.find((s) => s.name === 'demo-pin')!;
    const hss = await Hss.create(profiles);
    const v = await hss.generateVector(sim.imsi);
    const session = await client.open(VIRTUAL_READER_NAME);
    await session.verifyPin(sim.pin1.code);
    expect(await session.readImsi()).toBe(sim.imsi);
    const answer = await session.authenticate(v.rand, v.autn);
    expect(answer.kind).toBe('success');
    await session.close();

    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.jsonl$/);
    const text = readFileSync(join(dir, files[0]!), 'utf8');
    const transcript = parseTranscript(text);
    expect(transcript.header.identity).toMatchObject({ link: 'bridge', reader: VIRTUAL_READER_NAME });
    expect(transcript.header.identity.atr).toMatch(/^3B/);
    const apdus = transcript.events.flatMap((e) => (e.type === 'apdu' ? [e] : []));
    expect(apdus.some((a) => a.step === 'pin' && a.command.startsWith('0020000108‹redacted›'))).toBe(true);
    expect(apdus.some((a) => a.step === 'authenticate' && a.command.includes(toHex(v.rand).toUpperCase()))).toBe(true);
    for (const secret of [v.xres, v.ck, v.ik]) {
      expect(text).not.toContain(toHex(secret).toUpperCase());
      expect(text).not.toContain(toBase64(secret));
    }
    expect(text).not.toContain(toHex(new TextEncoder().encode(sim.pin1.code)).toUpperCase());
  });
});
