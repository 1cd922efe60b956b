import { Hono } from 'hono';
import { constantTimeEqual, fromBase64, toBase64 } from '@krypton-web/krypton-core';
import { apiError } from './api-error.ts';
import type { Hss } from './hss.ts';
import { readJsonBody } from './json-body.ts';
import type { MasterKeyStore } from './master-keys.ts';
import { ServerPersonality } from './personality.ts';

/** Options of the emulated Keys API. */
export interface KeysApiServerOptions {
  hss: Hss;
  keys: MasterKeyStore;
  /** Status of a successful start: SORACOM's clients accept 200 and 401, both with a usable body. */
  startStatus?: () => 200 | 401;
  /** Where SORACOM may differ from the lab (keyId form, success statuses); the lab's usual behaviour by default. */
  personality?: ServerPersonality;
  /** Wrong RES values tolerated per key before it is dropped. */
  maxVerifyAttempts?: number;
}

/**
 * The Keys API ("Endorse"): `POST /v1/keys` starts a key agreement (or resynchronises with
 * `rand` + `auts`), `POST /v1/keys/{keyId}/verify` checks RES (also sent as `xres` by the Java client).
 */
export function keysApi(options: KeysApiServerOptions): Hono {
  const { hss, keys } = options;
  const personality = options.personality ?? new ServerPersonality();
  const maxAttempts = options.maxVerifyAttempts ?? 3;
  const app = new Hono();

  app.post('/', async (c) => {
    const body = await readJsonBody(c);
    if (body.tooLarge) return apiError(c, 'tooLarge');
    const imsi = body.json?.imsi;
    if (typeof imsi !== 'string' || !/^[0-9]{6,15}$/.test(imsi))
      return apiError(c, 'badRequest', 'imsi must be a string of 6 to 15 digits');
    if (!hss.profile(imsi)) return apiError(c, 'unknownSubscriber');

    const { rand, auts } = body.json ?? {};
    if (rand !== undefined || auts !== undefined) {
      const randBytes = decodeField(rand, 16);
      const autsBytes = decodeField(auts, 14);
      if (!randBytes || !autsBytes) return apiError(c, 'badRequest', 'rand (16 bytes) and auts (14 bytes) must both be standard base64');
      if (!(await hss.resynchronise(imsi, randBytes, autsBytes))) return apiError(c, 'resyncFailed');
    }

    const vector = await hss.generateVector(imsi);
    const key = keys.create(imsi, vector.ck, vector.xres, personality.newKeyId());
    return c.json(
      { keyId: key.keyId, rand: toBase64(vector.rand), autn: toBase64(vector.autn) },
      options.startStatus?.() ?? personality.startStatus,
    );
  });

  app.post('/*', async (c) => {
    const keyId = verifyPathKeyId(new URL(c.req.url).pathname);
    if (keyId === undefined) return apiError(c, 'notFound');
    const key = keys.get(keyId);
    if (!key) return apiError(c, 'unknownKey');
    const body = await readJsonBody(c);
    if (body.tooLarge) return apiError(c, 'tooLarge');
    const res = decodeField(body.json?.res ?? body.json?.xres, undefined);
    if (!res) return apiError(c, 'badRequest', 'res must be standard base64 (the Java client sends it as xres)');
    if (!constantTimeEqual(res, key.xres)) {
      key.failedVerifications += 1;
      if (key.failedVerifications >= maxAttempts) {
        keys.delete(key.keyId);
        return apiError(c, 'tooManyAttempts');
      }
      return apiError(c, 'resMismatch');
    }
    key.verified = true;
    if (personality.verifyStatus === 204) return c.body(null, 204);
    return c.json({ keyId: key.keyId, verified: true }, personality.verifyStatus);
  });

  return app;
}

/**
 * The keyId of `/v1/keys/{keyId}/verify`, read from the raw path and decoded exactly once: a keyId may
 * hold `/` (sent as `%2F`) and `%` (sent as `%25`), which a router that decodes first would split or decode twice.
 */
export function verifyPathKeyId(pathname: string): string | undefined {
  const m = /\/v1\/keys\/([^/]+)\/verify$/.exec(pathname);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}

function decodeField(value: unknown, length: number | undefined): Uint8Array | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const bytes = fromBase64(value);
    return length === undefined || bytes.length === length ? bytes : undefined;
  } catch {
    return undefined;
  }
}
