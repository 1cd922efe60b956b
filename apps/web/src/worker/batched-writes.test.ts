import { describe, expect, it } from 'vitest';
import { BatchedWriter, type ByteWritable } from './batched-writes.ts';

/** A file that finishes each write only when told to, recording what was written and how many waited at once. */
class SlowFile implements ByteWritable {
  readonly written: Uint8Array[] = [];
  maxOutstanding = 0;
  private outstanding = 0;
  private readonly finishers: Array<() => void> = [];
  failNext: Error | undefined;

  write(data: Uint8Array<ArrayBuffer>): Promise<void> {
    // As the browser's writable: order is fixed when write() is called.
    this.written.push(data);
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    const error = this.failNext;
    this.failNext = undefined;
    return new Promise<void>((resolve, reject) =>
      this.finishers.push(() => {
        this.outstanding--;
        if (error) reject(error);
        else resolve();
      }),
    );
  }

  finishOne(): void {
    this.finishers.shift()?.();
  }

  get waiting(): number {
    return this.finishers.length;
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const chunk = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i + seed) % 256);

describe('batched writes', () => {
  it('gathers chunks into writes of the batch size, keeps at most `inFlight` unfinished, and writes every byte in order', async () => {
    const file = new SlowFile();
    const writer = new BatchedWriter(file, 100, 2);
    const input = Array.from({ length: 12 }, (_, i) => chunk(30, i));
    let pushed = 0;
    const pushing = (async () => {
      for (const c of input) {
        await writer.push(c);
        pushed++;
      }
      await writer.drain();
    })();
    await tick();
    // 30 + 30 + 30 + 30 = 120 ≥ 100: the first write; 4 more chunks: the second; then the reader must wait.
    expect(file.waiting).toBe(2);
    expect(pushed).toBe(7);
    file.finishOne();
    await tick();
    expect(file.waiting).toBe(2);
    while (file.waiting > 0) {
      file.finishOne();
      await tick();
    }
    await pushing;
    expect(file.maxOutstanding).toBe(2);
    expect(file.written.map((w) => w.byteLength)).toEqual([120, 120, 120]);
    expect(Buffer.concat(file.written).equals(Buffer.concat(input))).toBe(true);
  });

  it('a failed write stops the reader at its next wait and drain() rejects with that error', async () => {
    const file = new SlowFile();
    const writer = new BatchedWriter(file, 10, 2);
    file.failNext = new Error('disk full');
    await writer.push(chunk(10, 0)); // write 1 (will fail), still room for another
    const second = writer.push(chunk(10, 1)); // write 2: two unfinished, waits for write 1
    file.finishOne();
    await expect(second).rejects.toThrow('disk full');
    file.finishOne();
    await expect(writer.drain()).resolves.toBeUndefined();
  });

  it('hands each write an array of its own, so a sink may transfer its buffer', async () => {
    const file = new SlowFile();
    const writer = new BatchedWriter(file, 1, 4);
    const shared = new Uint8Array(new ArrayBuffer(64), 16, 8).fill(7);
    await writer.push(shared);
    file.finishOne();
    await writer.drain();
    const [w] = file.written;
    expect(w!.buffer).not.toBe(shared.buffer);
    expect(w!.byteOffset).toBe(0);
    expect(w!.buffer.byteLength).toBe(8);
    expect([...w!]).toEqual(Array(8).fill(7));
  });
});
