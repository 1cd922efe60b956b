import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { wireguardKeyPair } from './provisioning-ops.ts';

// Checked with node:crypto's own X25519 (OpenSSL through KeyObject), not with the WebCrypto calls
// that made the keys, so a wrong byte range or swapped keys cannot pass by construction.
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');

const privateKeyFrom = (base64: string): KeyObject =>
  createPrivateKey({ key: Buffer.concat([PKCS8_X25519, Buffer.from(base64, 'base64')]), format: 'der', type: 'pkcs8' });
const publicKeyFrom = (base64: string): KeyObject =>
  createPublicKey({ key: Buffer.concat([SPKI_X25519, Buffer.from(base64, 'base64')]), format: 'der', type: 'spki' });
const rawPublicKey = (key: KeyObject): string => key.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64');

describe('wireguardKeyPair', () => {
  it('answers both keys as padded standard base64 of 32 bytes, as wg(8) writes them', async () => {
    const pair = await wireguardKeyPair();
    for (const key of [pair.privateKey, pair.publicKey]) {
      expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(key, 'base64')).toHaveLength(32);
    }
  });

  it('answers the X25519 public key of the private key it answers', async () => {
    for (let i = 0; i < 20; i++) {
      const pair = await wireguardKeyPair();
      expect(rawPublicKey(createPublicKey(privateKeyFrom(pair.privateKey)))).toBe(pair.publicKey);
    }
  });

  it('gives two pairs the same shared secret from either side, and a fresh pair every call', async () => {
    const a = await wireguardKeyPair();
    const b = await wireguardKeyPair();
    expect(a.privateKey).not.toBe(b.privateKey);
    const ab = diffieHellman({ privateKey: privateKeyFrom(a.privateKey), publicKey: publicKeyFrom(b.publicKey) });
    const ba = diffieHellman({ privateKey: privateKeyFrom(b.privateKey), publicKey: publicKeyFrom(a.publicKey) });
    expect(ab).toHaveLength(32);
    expect(ab.equals(ba)).toBe(true);
    // With the keys swapped inside a pair the agreement no longer matches.
    const swapped = diffieHellman({ privateKey: privateKeyFrom(a.publicKey), publicKey: publicKeyFrom(b.publicKey) });
    expect(swapped.equals(ba)).toBe(false);
  });
});
