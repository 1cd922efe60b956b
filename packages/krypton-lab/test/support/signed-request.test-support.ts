import { concatBytes, toBase64, utf8 } from '@krypton-web/krypton-core';

/** Headers and body of a provisioning call signed as SORACOM's clients sign it (test-side code). */
export async function signedRequest(
  body: string,
  ck: Uint8Array,
  timestamp = String(Date.now()),
): Promise<{ headers: Record<string, string>; body: string }> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', concatBytes(utf8(body), utf8(timestamp), ck)));
  return {
    body,
    headers: {
      'Content-Type': 'application/json',
      'x-soracom-timestamp': timestamp,
      'x-soracom-digest-algorithm': 'SHA-256',
      'x-soracom-signature': toBase64(digest),
    },
  };
}
