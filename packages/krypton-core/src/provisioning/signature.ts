import { concatBytes, toBase64, utf8, wipe } from '../bytes/index.ts';

/**
 * The Krypton request signature: base64(SHA-256(body bytes ‖ timestamp string ‖ CK)), computed over
 * exactly the bytes that will be sent (SORACOM's Go and Java clients agree on this form).
 */
export async function signProvisioningBody(body: string, timestamp: string, ck: Uint8Array): Promise<string> {
  const input = concatBytes(utf8(body), utf8(timestamp), ck);
  try {
    return toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', input)));
  } finally {
    wipe(input);
  }
}

/** Inventory application key when the server sends none: first 16 bytes of SHA-256(nonce ‖ timestamp ‖ CK), base64. */
export async function inventoryApplicationKey(nonce: Uint8Array, timestamp: string, ck: Uint8Array): Promise<string> {
  const input = concatBytes(nonce, utf8(timestamp), ck);
  try {
    return toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', input)).slice(0, 16));
  } finally {
    wipe(input);
  }
}
