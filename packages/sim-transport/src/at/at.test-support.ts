import type { SerialChannel, SerialChannelHandlers } from '../serial-channel.ts';
import type { AtTimers } from './at-engine.ts';

/** Timers a test moves by hand. */
export class ManualTimers implements AtTimers {
  now = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers still armed. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing due timers in order (including ones they arm). */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const t of this.timers) if (t[1].at <= end && (!due || t[1].at < due[1].at)) due = t;
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }
}

/** A channel the test drives synchronously: it records writes and feeds bytes on demand. */
export class FakeChannel implements SerialChannel {
  readonly name = 'fake modem';
  readonly written: string[] = [];
  closeCalls = 0;
  failWrites: Error | undefined;
  private handlers: SerialChannelHandlers | undefined;

  start(handlers: SerialChannelHandlers): void {
    this.handlers = handlers;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.failWrites) throw this.failWrites;
    this.written.push(String.fromCharCode(...bytes));
  }

  close(): Promise<void> {
    this.closeCalls++;
    return Promise.resolve();
  }

  /** Delivers text (latin-1) or bytes, optionally cut into chunks at the given offsets. */
  feed(data: string | Uint8Array, cuts: readonly number[] = []): void {
    const bytes = typeof data === 'string' ? latin1(data) : data;
    let from = 0;
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      this.handlers!.onData(bytes.subarray(from, cut));
      from = cut;
    }
    this.handlers!.onData(bytes.subarray(from));
  }

  /** Every command written, without its CR. */
  get commands(): string[] {
    return this.written
      .join('')
      .split('\r')
      .filter((c) => c !== '');
  }

  unplug(error?: Error): void {
    this.handlers!.onClose(error);
  }
}

/** Frames lines as a modem does: `\r\n<line>\r\n` each. */
export function framed(...lines: string[]): string {
  return lines.map((l) => `\r\n${l}\r\n`).join('');
}

export function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

export function fromHex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** Lets queued microtasks and promise callbacks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setTimeout(r, 0));
}
