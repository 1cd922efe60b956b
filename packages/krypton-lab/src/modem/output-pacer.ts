/**
 * The modem's output path. Bytes leave in the order they were produced; with chunking on they leave
 * in small pieces with short pauses between them, as a USB CDC port delivers them, so a reader has
 * to reassemble lines split anywhere.
 */
import { randomInt, seededRandom, type Random } from './seeded-random.ts';

/** How output is split when chunking is on. */
export interface ChunkingOptions {
  /** Seed of the chunk sizes and pauses (default 1). */
  seed?: number;
  /** Largest chunk in bytes (default 7): small, so `\r` and `\n` of one terminator often part. */
  maxChunk?: number;
  /** Longest pause between chunks in milliseconds (default 3). */
  maxDelayMs?: number;
}

/** Orders and optionally chunks output bytes on their way to one sink. */
export class OutputPacer {
  private readonly queue: Uint8Array[] = [];
  private pumping: Promise<void> | undefined;
  private readonly random: Random | undefined;
  private readonly maxChunk: number;
  private readonly maxDelayMs: number;
  private generation = 0;

  constructor(
    private readonly deliver: (bytes: Uint8Array) => void,
    chunking: ChunkingOptions | undefined,
  ) {
    this.random = chunking ? seededRandom(chunking.seed ?? 1) : undefined;
    this.maxChunk = Math.max(1, chunking?.maxChunk ?? 7);
    this.maxDelayMs = Math.max(0, chunking?.maxDelayMs ?? 3);
  }

  /** Queues bytes behind everything queued before. */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (!this.random) {
      this.deliver(bytes);
      return;
    }
    this.queue.push(bytes);
    this.pumping ??= this.pump(this.generation);
  }

  /** Resolves once everything queued so far has been delivered (or dropped). */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /** Drops whatever has not left yet (the cable was pulled). */
  clear(): void {
    this.queue.length = 0;
    this.generation += 1;
  }

  private async pump(generation: number): Promise<void> {
    const random = this.random!;
    try {
      while (this.queue.length > 0 && generation === this.generation) {
        const head = this.queue[0]!;
        const size = Math.min(head.length, randomInt(random, 1, this.maxChunk));
        const piece = head.slice(0, size);
        if (size === head.length) this.queue.shift();
        else this.queue[0] = head.subarray(size);
        this.deliver(piece);
        const pause = randomInt(random, 0, this.maxDelayMs);
        await new Promise<void>((resolve) => setTimeout(resolve, pause));
      }
    } finally {
      this.pumping = undefined;
      // Bytes pushed by a newer generation while this one was pausing still need a pump.
      if (this.queue.length > 0) this.pumping = this.pump(this.generation);
    }
  }
}
