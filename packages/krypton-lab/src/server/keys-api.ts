import { Hono } from 'hono';
import { constantTimeEqual, fromBase64, toBase64 } from '@krypton-web/krypton-core';
import { apiError } from './api-error.ts';
import type { Hss } from './hss.ts';
import { readJsonBody } from './json-body.ts';
import type { MasterKeyStore } from './master-keys.ts';

/** Options of the emulated Keys API. */
export interface KeysApiServerOptions {
  hss: Hss;
  keys: MasterKeyStore;
  /** Status of a successful start: SORACOM's clients accept 200 and 401, both with a usable body. */
  startStatus?: () => 200 | 401;
  /** Wrong RES values tolerated per key before it is dropped. */
  maxVerifyAttempts?: number;
}

/**
 * The Keys API ("Endorse"): `POST /v1/keys` starts a key agreement (or resynchronises with
 * `rand` + `auts`), `POST /v1/keys/{keyId}/verify` checks RES (also sent as `xres` by the Java client).
 */
export function keysApi(options: KeysApiServerOptions): Hono {
  const { hss, keys } = options;
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
    const key = keys.create(imsi, vector.ck, vector.xres);
    return c.json({ keyId: key.keyId, rand: toBase64(vector.rand), autn: toBase64(vector.autn) }, options.startStatus?.() ?? 200);
  });

  app.post('/:keyId/verify', async (c) => {
    const key = keys.get(c.req.param('keyId'));
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
    return c.json({ keyId: key.keyId, verified: true }, 200);
  });

  return app;
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
