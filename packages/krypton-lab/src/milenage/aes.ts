import type { Bytes } from '@krypton-web/krypton-core';

/**
 * AES-128 on single blocks through WebCrypto, so the same code runs in Node, browsers and workers.
 * WebCrypto has no ECB mode; CBC with a zero IV over one block yields exactly E_K(block) as its
 * first 16 bytes (the second block is PKCS#7 padding and is discarded).
 */
const ZERO_IV = new Uint8Array(16);

/** A single-block AES-128 encryptor bound to one key. */
export interface BlockCipher {
  encryptBlock(block: Bytes): Promise<Bytes>;
}

/** Creates a single-block AES-128 encryptor for a 16-byte key. */
export async function aes128(key: Uint8Array): Promise<BlockCipher> {
  if (key.length !== 16) throw new RangeError(`AES-128 key must be 16 bytes, got ${key.length}`);
  const cryptoKey = await crypto.subtle.importKey('raw', new Uint8Array(key), { name: 'AES-CBC' }, false, ['encrypt']);
  return {
    async encryptBlock(block: Bytes): Promise<Bytes> {
      if (block.length !== 16) throw new RangeError(`AES block must be 16 bytes, got ${block.length}`);
      const out = await crypto.subtle.encrypt({ name: 'AES-CBC', iv: ZERO_IV }, cryptoKey, block);
      return new Uint8Array(out, 0, 16).slice();
    },
  };
}
