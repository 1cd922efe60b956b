import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex, parseTranscript, toBase64, toHex, type TranscriptEvent } from '@krypton-web/krypton-core';
import { demoProfileSet, Milenage } from '@krypton-web/krypton-lab/browser';
import { runBin, useLabServe } from './support/processes.test-support.ts';

// krypton-cli -record FILE, as a person with a real SIM would run it, here against `pnpm lab serve`.
const run = useLabServe('krypton-record-');

describe('krypton-cli -record', () => {
  it('writes APDUs, HTTP calls, timings and identity, and none of the secrets the lab knows', async () => {
    const file = join(run.dir, 'run.jsonl');
    const sim = demoProfileSet().sims.find((s) => s.name === 'demo-pin')!;
    const r = await runBin(
      ['-interface', 'virtual', '-sim', 'demo-pin', ...run.endpoints(), '-operation', 'generateAmazonCognitoOpenIdToken', '-record', file],
      { env: { ...run.xdg.env, KRYPTON_SIM_PIN: sim.pin1.code } },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    const t = parseTranscript(text);
    expect(t.header.tool).toMatch(/^krypton-cli /);
    expect(t.header.identity).toMatchObject({ link: 'virtual', description: expect.stringContaining('demo-pin') as unknown });
    expect(t.header.identity.atr).toMatch(/^3B/);
    const apdus = t.events.filter((e): e is Extract<TranscriptEvent, { type: 'apdu' }> => e.type === 'apdu');
    const http = t.events.filter((e): e is Extract<TranscriptEvent, { type: 'http' }> => e.type === 'http');
    expect(apdus.length).toBeGreaterThanOrEqual(4);
    expect(http.map((h) => `${h.method} ${new URL(h.url).pathname} ${h.status}`)).toEqual([
      'POST /v1/keys 200',
      expect.stringMatching(/^POST \/v1\/keys\/.+\/verify 200$/) as unknown,
      'POST /v1/provisioning/aws/cognito/open_id_tokens 200',
    ]);
    expect(http[2]!.requestHeaders).toContain('x-soracom-signature');
    expect(http[2]!.responseHeaders).toContain('content-type');
    for (const e of [...apdus, ...http]) expect(e.durationMs).toBeGreaterThanOrEqual(0);
    expect(t.events.some((e) => e.type === 'step' && e.step === 'authenticate')).toBe(true);

    // The PIN went to the card masked; RAND and AUTN are kept; RES, CK, IK and Kc are nowhere.
    expect(apdus.some((a) => a.command.startsWith('0020000108‹redacted›'))).toBe(true);
    const auth = apdus.find((a) => a.command.startsWith('0088008122'))!;
    const rand = fromHex(auth.command.slice(12, 44));
    const milenage = await Milenage.withOpc(fromHex(sim.k), fromHex(sim.opc));
    const { res, ck, ik } = await milenage.f2345(rand);
    const secrets = [res, ck, ik].flatMap((b) => [toHex(b), toHex(b).toUpperCase(), toBase64(b)]);
    secrets.push(`"${sim.pin1.code}"`, toHex(new TextEncoder().encode(sim.pin1.code)).toUpperCase());
    for (const secret of secrets) expect(text, 'a secret in the transcript').not.toContain(secret);
    const answer = JSON.parse(r.stdout) as { token: string };
    expect(text).not.toContain(answer.token);
  });

  it('still writes the transcript when the run fails, and says where it failed', async () => {
    const file = join(run.dir, 'failed.jsonl');
    const r = await runBin(
      ['-interface', 'virtual', '-sim', 'demo-pin', ...run.endpoints(), '-operation', 'getUserData', '-record', file],
      {
        env: run.xdg.env,
      },
    );
    expect(r.code).toBe(1);
    const t = parseTranscript(readFileSync(file, 'utf8'));
    expect(t.events.some((e) => e.type === 'step' && e.phase === 'end' && e.ok === false)).toBe(true);
  });
});
