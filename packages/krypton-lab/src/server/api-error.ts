import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * Errors of the emulated SORACOM APIs, shaped as SORACOM answers them: `{code, message}`.
 * The codes are the lab's own (SORACOM does not publish its Krypton codes); clients must rely on
 * the status and show the code and message as given.
 */
export const KRYPTON_ERRORS = {
  badRequest: { status: 400, code: 'LAB0400', message: 'The request body is not valid JSON of the expected shape' },
  unknownSubscriber: { status: 404, code: 'KEY0404', message: 'No SIM with this IMSI can use SIM authentication' },
  resyncFailed: { status: 400, code: 'KEY0409', message: 'Resynchronisation failed: AUTS does not verify for this RAND' },
  unknownKey: { status: 404, code: 'KEY0410', message: 'No key agreement with this keyId is in progress' },
  resMismatch: { status: 401, code: 'KEY0401', message: 'RES does not match: the SIM did not prove its identity' },
  tooManyAttempts: { status: 429, code: 'KEY0429', message: 'Too many wrong RES values for this key; start a new key agreement' },
  keyNotVerified: { status: 401, code: 'PRV0401', message: 'The key is unknown, expired or not verified; authenticate the SIM again' },
  badSignature: { status: 403, code: 'PRV0403', message: 'The request signature does not match the body, timestamp and key' },
  timestampOutOfRange: { status: 403, code: 'PRV0408', message: 'The request timestamp is too far from the server clock' },
  unsupportedAlgorithm: { status: 400, code: 'PRV0415', message: 'Only the SHA-256 digest algorithm is supported' },
  missingParameter: { status: 400, code: 'PRV0422', message: 'A required request parameter is missing' },
  notFound: { status: 404, code: 'LAB0404', message: 'No such operation' },
  notOnAir: { status: 403, code: 'CEL0403', message: 'This request did not come through a SORACOM Air connection' },
  tooLarge: { status: 413, code: 'LAB0413', message: 'The request body is too large' },
} as const satisfies Record<string, { status: number; code: string; message: string }>;

/** The name of one of the lab's API errors. */
export type KryptonErrorName = keyof typeof KRYPTON_ERRORS;

/** Answers with one of the lab's API errors, optionally with a more specific message or another status (a server personality). */
export function apiError(c: Context, name: KryptonErrorName, message?: string, status?: number): Response {
  const e = KRYPTON_ERRORS[name];
  return c.json({ code: e.code, message: message ?? e.message }, (status ?? e.status) as ContentfulStatusCode);
}
