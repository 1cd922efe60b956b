import { toHex } from '../bytes/index.ts';

/** What replaces secret bytes in a trace. */
export const REDACTED = '‹redacted›';

// INS codes whose command data is a PIN or PUK (VERIFY, CHANGE, DISABLE, ENABLE, UNBLOCK).
const PIN_INSTRUCTIONS = new Set([0x20, 0x24, 0x26, 0x28, 0x2c]);

/** A command APDU as a trace may show it: PIN-carrying data replaced, everything else in hex. */
export function redactCommand(apdu: Uint8Array): string {
  if (apdu.length > 5 && PIN_INSTRUCTIONS.has(apdu[1]!)) return `${toHex(apdu.subarray(0, 5))}${REDACTED}`;
  return toHex(apdu);
}

/** A response APDU as a trace may show it: data replaced when it is secret, the status word kept. */
export function redactResponse(response: Uint8Array, secretData: boolean): string {
  if (!secretData || response.length <= 2) return toHex(response);
  return `${REDACTED}${toHex(response.subarray(response.length - 2))}`;
}

/** A URL as a trace may show it: no query string (presigned URLs carry signatures there). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?${REDACTED}`;
}
