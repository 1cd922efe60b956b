/**
 * Reproducible pseudo-random content: the AES-128-CTR keystream under a key derived from a label.
 * Any byte range can be regenerated on its own (the counter is the block index), so tests can
 * check a ranged read of a 1 GiB object without holding the object, and seeding streams it.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const BLOCK = 16;
const CHUNK = 1024 * 1024;

function cipherAt(label: string, offset: number): ReturnType<typeof createCipheriv> {
  const key = createHash('sha256').update(`krypton-lab deterministic content: ${label}`).digest().subarray(0, 16);
  const iv = Buffer.alloc(BLOCK);
  // The counter block is the 128-bit big-endian block index; 2^53 bytes is far beyond any lab object.
  iv.writeBigUInt64BE(BigInt(Math.floor(offset / BLOCK)), 8);
  return createCipheriv('aes-128-ctr', key, iv);
}

/** Bytes `[start, end)` of the content named `label`. */
export function deterministicBytes(label: string, start: number, end: number): Buffer {
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && 0 <= start && start <= end)) {
    throw new RangeError(`bad byte range [${start}, ${end})`);
  }
  const skip = start % BLOCK;
  const out = cipherAt(label, start).update(Buffer.alloc(end - start + skip));
  return out.subarray(skip);
}

/** A stream of the first `size` bytes of the content named `label`, produced chunk by chunk on demand. */
export function deterministicStream(label: string, size: number): Readable {
  const cipher = cipherAt(label, 0);
  const zeros = Buffer.alloc(CHUNK);
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, size - produced);
      produced += n;
      this.push(cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n)));
    },
  });
}
