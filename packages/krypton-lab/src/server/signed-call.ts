import type { Context } from 'hono';
import { concatBytes, constantTimeEqual, fromBase64, utf8 } from '@krypton-web/krypton-core';
import { apiError } from './api-error.ts';
import type { ReadBody } from './json-body.ts';
import type { LabClock } from './lab-clock.ts';
import type { MasterKey, MasterKeyStore } from './master-keys.ts';

/** How far a request's `x-soracom-timestamp` may be from the lab clock. */
export const TIMESTAMP_WINDOW_MS = 5 * 60 * 1000;

/** Which body form a client used: Go (`requestParameters`) or Java (parameters merged at top level). */
export type BodyForm = 'go' | 'java';

/** A signed provisioning call that passed every check. */
export interface VerifiedCall {
  key: MasterKey;
  params: Record<string, unknown>;
  form: BodyForm;
}

const JAVA_ENVELOPE = new Set(['keyId', 'keyLength', 'algorithm', 'timestamp']);

/**
 * Checks a signed provisioning call as Krypton does: the key exists and was verified, the
 * signature is SHA-256(body bytes ‖ timestamp string ‖ CK) over the exact bytes received, and the
 * timestamp is within the window. Answers the refusal itself when a check fails.
 */
export async function verifySignedCall(
  c: Context,
  body: ReadBody,
  keys: MasterKeyStore,
  clock: LabClock,
  unknownKeyStatus?: number,
): Promise<VerifiedCall | Response> {
  if (body.tooLarge) return apiError(c, 'tooLarge');
  const timestamp = c.req.header('x-soracom-timestamp');
  const algorithm = c.req.header('x-soracom-digest-algorithm');
  const signature = c.req.header('x-soracom-signature');
  if (!timestamp || !/^[0-9]{1,16}$/.test(timestamp))
    return apiError(c, 'badRequest', 'x-soracom-timestamp must be the Unix time in milliseconds');
  if (!algorithm || algorithm.toUpperCase() !== 'SHA-256') return apiError(c, 'unsupportedAlgorithm');
  const given = decodeSignature(signature);
  if (!given) return apiError(c, 'badRequest', 'x-soracom-signature must be a base64 SHA-256 digest');
  if (!body.json) return apiError(c, 'badRequest');

  const keyId = body.json.keyId;
  if (typeof keyId !== 'string') return apiError(c, 'badRequest', 'keyId is missing from the body');
  const key = keys.get(keyId);
  if (!key || !key.verified) return apiError(c, 'keyNotVerified', undefined, unknownKeyStatus);

  const expected = new Uint8Array(await crypto.subtle.digest('SHA-256', concatBytes(body.bytes, utf8(timestamp), key.ck)));
  if (!constantTimeEqual(expected, given)) return apiError(c, 'badSignature');

  if (Math.abs(clock.now() - Number(timestamp)) > TIMESTAMP_WINDOW_MS) return apiError(c, 'timestampOutOfRange');

  const form: BodyForm = 'requestParameters' in body.json || !('algorithm' in body.json) ? 'go' : 'java';
  const bodyTimestamp = body.json.timestamp;
  if (
    form === 'java' &&
    bodyTimestamp !== undefined &&
    ((typeof bodyTimestamp !== 'string' && typeof bodyTimestamp !== 'number') || String(bodyTimestamp) !== timestamp)
  ) {
    return apiError(c, 'badRequest', 'the timestamp in the body differs from x-soracom-timestamp');
  }
  return { key, params: requestParameters(body.json, form), form };
}

/** Collects the operation's parameters from either body form. */
export function requestParameters(json: Record<string, unknown>, form: BodyForm): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(json)) {
    if (name === 'requestParameters' || JAVA_ENVELOPE.has(name)) continue;
    params[name] = value;
  }
  if (form === 'go') {
    const rp = json.requestParameters;
    if (typeof rp === 'object' && rp !== null && !Array.isArray(rp)) Object.assign(params, rp);
  }
  return params;
}

function decodeSignature(value: string | undefined): Uint8Array | undefined {
  if (!value) return undefined;
  try {
    const bytes = fromBase64(value);
    return bytes.length === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}
