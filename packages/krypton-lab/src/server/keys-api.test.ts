import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '@krypton-web/krypton-core';
import { findSim } from '../profiles/index.ts';
import { kryptonFixture } from '../../test/support/krypton-fixture.test-support.ts';
import { simAuts, simRespond } from '../../test/support/milenage-sim.test-support.ts';
import { verifyPathKeyId } from './keys-api.ts';
import { ServerPersonality } from './personality.ts';

describe('Keys API: start', () => {
  it('answers keyId, rand and autn in padded standard base64, with an AUTN whose MAC verifies on the SIM', async () => {
    const f = await kryptonFixture();
    const sim = findSim(f.profiles, 'demo');
    const res = await f.post('/v1/keys', { imsi: sim.imsi });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['autn', 'keyId', 'rand']);
    expect(body.rand).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(fromBase64(body.autn!)).toHaveLength(16);
    const card = await simRespond(sim, fromBase64(body.rand!), fromBase64(body.autn!));
    expect(card.macOk).toBe(true);
  });

  it('issues increasing SEQ values with cycling IND (TS 33.102 Annex C)', async () => {
    const f = await kryptonFixture();
    const sim = findSim(f.profiles, 'demo');
    const sqns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const body = (await (await f.post('/v1/keys', { imsi: sim.imsi })).json()) as Record<string, string>;
      const card = await simRespond(sim, fromBase64(body.rand!), fromBase64(body.autn!));
      sqns.push(card.sqn.reduce((n, b) => n * 256 + b, 0));
    }
    // profile sqn 0x20 = SEQ 1, IND 0: the HSS then issues SEQ 2, 3, 4 with IND 1, 2, 3.
    expect(sqns.map((s) => [Math.floor(s / 32), s % 32])).toEqual([
      [2, 1],
      [3, 2],
      [4, 3],
    ]);
  });

  it.each([
    ['no body', '', 400, 'LAB0400'],
    ['not JSON', '{imsi:', 400, 'LAB0400'],
    ['an array', '[]', 400, 'LAB0400'],
    ['imsi as a number', '{"imsi":1234567}', 400, 'LAB0400'],
    ['imsi with letters', '{"imsi":"00101abc"}', 400, 'LAB0400'],
    ['an unknown IMSI', '{"imsi":"999990000000000"}', 404, 'KEY0404'],
    ['rand without auts', '{"imsi":"001010000000001","rand":"AAAAAAAAAAAAAAAAAAAAAA=="}', 400, 'LAB0400'],
    ['auts of the wrong length', '{"imsi":"001010000000001","rand":"AAAAAAAAAAAAAAAAAAAAAA==","auts":"AAAA"}', 400, 'LAB0400'],
    ['URL-safe base64', '{"imsi":"001010000000001","rand":"____________________AA==","auts":"AAAAAAAAAAAAAAAAAAA="}', 400, 'LAB0400'],
  ])('refuses %s with {code, message}', async (_name, body, status, code) => {
    const f = await kryptonFixture();
    const res = await f.post('/v1/keys', body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as Record<string, string>;
    expect(json.code).toBe(code);
    expect(json.message).toEqual(expect.any(String));
  });
});

describe('Keys API: resync', () => {
  it('accepts a valid AUTS, moves SEQ_HE to SEQ_MS and issues SEQ_MS + 1', async () => {
    const f = await kryptonFixture();
    const sim = findSim(f.profiles, 'demo');
    const first = (await (await f.post('/v1/keys', { imsi: sim.imsi })).json()) as Record<string, string>;
    const rand = fromBase64(first.rand!);
    const sqnMs = new Uint8Array([0, 0, 0, 0, 0x10, 0x05]); // SEQ 128, IND 5
    const auts = await simAuts(sim, rand, sqnMs);
    const res = await f.post('/v1/keys', { imsi: sim.imsi, rand: first.rand, auts: toBase64(auts) });
    expect(res.status).toBe(200);
    const again = (await res.json()) as Record<string, string>;
    expect(again.keyId).not.toBe(first.keyId);
    const card = await simRespond(sim, fromBase64(again.rand!), fromBase64(again.autn!));
    const sqn = card.sqn.reduce((n, b) => n * 256 + b, 0);
    expect(Math.floor(sqn / 32)).toBe(129);
    expect(card.macOk).toBe(true);
  });

  it('refuses an AUTS whose MAC-S does not verify, and one computed for another RAND', async () => {
    const f = await kryptonFixture();
    const sim = findSim(f.profiles, 'demo');
    const rand = new Uint8Array(16).fill(7);
    const auts = await simAuts(sim, rand, new Uint8Array([0, 0, 0, 0, 0x10, 0]));
    const forged = auts.slice();
    forged[13]! ^= 1;
    for (const [r, a] of [
      [rand, forged],
      [new Uint8Array(16).fill(8), auts],
    ] as const) {
      const res = await f.post('/v1/keys', { imsi: sim.imsi, rand: toBase64(r), auts: toBase64(a) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as Record<string, string>).code).toBe('KEY0409');
    }
  });
});

describe('Keys API: verify', () => {
  it('accepts RES as "res" (Go) and as "xres" (Java), exactly 200', async () => {
    const f = await kryptonFixture();
    const sim = findSim(f.profiles, 'demo');
    for (const field of ['res', 'xres']) {
      const start = (await (await f.post('/v1/keys', { imsi: sim.imsi })).json()) as Record<string, string>;
      const card = await simRespond(sim, fromBase64(start.rand!), fromBase64(start.autn!));
      const res = await f.post(`/v1/keys/${start.keyId}/verify`, { [field]: toBase64(card.res) });
      expect(res.status).toBe(200);
      expect(f.keys.get(start.keyId!)?.verified).toBe(true);
    }
  });

  it('refuses a wrong RES with 401, and drops the key after three', async () => {
    const f = await kryptonFixture();
    const sim = findSim(f.profiles, 'demo');
    const start = (await (await f.post('/v1/keys', { imsi: sim.imsi })).json()) as Record<string, string>;
    const wrong = { res: toBase64(new Uint8Array(8)) };
    expect((await f.post(`/v1/keys/${start.keyId}/verify`, wrong)).status).toBe(401);
    expect((await f.post(`/v1/keys/${start.keyId}/verify`, wrong)).status).toBe(401);
    const third = await f.post(`/v1/keys/${start.keyId}/verify`, wrong);
    expect(third.status).toBe(429);
    expect(f.keys.get(start.keyId!)).toBeUndefined();
    const after = await f.post(`/v1/keys/${start.keyId}/verify`, wrong);
    expect(after.status).toBe(404);
    expect(((await after.json()) as Record<string, string>).code).toBe('KEY0410');
  });

  it('refuses an unknown keyId and a malformed body', async () => {
    const f = await kryptonFixture();
    expect((await f.post('/v1/keys/no-such-key/verify', { res: 'AAAAAAAAAAA=' })).status).toBe(404);
    const { keyId } = (await (await f.post('/v1/keys', { imsi: '001010000000001' })).json()) as Record<string, string>;
    expect((await f.post(`/v1/keys/${keyId}/verify`, { res: 42 })).status).toBe(400);
    expect((await f.post(`/v1/keys/${keyId}/verify`, '{')).status).toBe(400);
  });

  it('forgets keys once their time is up on the lab clock', async () => {
    const f = await kryptonFixture();
    const key = await f.agree('demo');
    expect(f.keys.get(key.keyId)).toBeDefined();
    f.clock.offsetMs = f.keys.ttlMs + 1;
    expect(f.keys.get(key.keyId)).toBeUndefined();
  });
});

describe('Keys API: the keyId in the verify path', () => {
  it('is read from the raw path and decoded exactly once', () => {
    const id = 'lab:1+a/b=c%2F%d e';
    expect(verifyPathKeyId(`/v1/keys/${encodeURIComponent(id)}/verify`)).toBe(id);
    expect(verifyPathKeyId('/v1/keys/plain-uuid/verify')).toBe('plain-uuid');
    expect(verifyPathKeyId('/v1/keys/a%zz/verify')).toBeUndefined();
    expect(verifyPathKeyId('/v1/keys/a/b/verify')).toBeUndefined();
    expect(verifyPathKeyId('/v1/keys//verify')).toBeUndefined();
  });

  it('with the special-keyId personality, a start names such a key and its verify finds it', async () => {
    const personality = new ServerPersonality();
    personality.update({ keyIds: 'special', verifyStatus: 204 });
    const f = await kryptonFixture({ personality });
    const key = await f.agree();
    expect(key.keyId).toMatch(/^lab:[0-9a-f-]{36}\+a\/b=c%2F%d e$/);
  });
});
