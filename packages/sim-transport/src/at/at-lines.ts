/** One unit the line splitter recognises in a modem's byte stream. */
export type AtToken =
  /** A complete, non-empty line, trimmed of surrounding blanks. */
  | { readonly type: 'line'; readonly text: string }
  /** The `> ` text-entry prompt (AT+CMGS and kin), which comes without a line terminator. */
  | { readonly type: 'prompt' }
  /** A line longer than the limit was dropped: whatever command was waiting lost part of its answer. */
  | { readonly type: 'overflow' };

/** Longest line kept by default: an AT+CSIM echo or answer of a 261-byte APDU is about 540 characters. */
export const DEFAULT_MAX_LINE_LENGTH = 2048;

/**
 * Splits the bytes a modem sends into lines, whatever chunks they arrive in. Pure: no I/O and no
 * timers, so any chunking of the same bytes gives the same tokens (it works byte by byte).
 * `\r\n`, a lone `\r` and a lone `\n` all end a line; empty lines are dropped (V.250 frames every
 * answer in `\r\n … \r\n`, so they carry nothing); NUL bytes are dropped (some sticks emit them at
 * power-up). A line longer than `maxLineLength` is discarded up to its end and reported once as
 * `overflow`, so garbage without terminators cannot grow memory.
 */
export class AtLineSplitter {
  private buffer = '';
  private overflowing = false;

  constructor(private readonly maxLineLength = DEFAULT_MAX_LINE_LENGTH) {
    if (!Number.isInteger(maxLineLength) || maxLineLength < 16)
      throw new RangeError(`maxLineLength must be an integer of at least 16, got ${maxLineLength}`);
  }

  /** Feeds received bytes; returns the tokens they complete, in order. */
  push(chunk: Uint8Array): AtToken[] {
    const tokens: AtToken[] = [];
    for (const byte of chunk) {
      if (byte === 0x0d || byte === 0x0a) {
        if (this.overflowing) this.overflowing = false;
        else {
          const text = this.buffer.trim();
          if (text.length > 0) tokens.push({ type: 'line', text });
        }
        this.buffer = '';
        continue;
      }
      if (byte === 0x00 || this.overflowing) continue;
      if (this.buffer.length >= this.maxLineLength) {
        this.buffer = '';
        this.overflowing = true;
        tokens.push({ type: 'overflow' });
        continue;
      }
      // Latin-1: one character per byte, so a multi-byte sequence split across chunks cannot break decoding.
      this.buffer += String.fromCharCode(byte);
      if (this.buffer === '> ') {
        this.buffer = '';
        tokens.push({ type: 'prompt' });
      }
    }
    return tokens;
  }

  /** Forgets a partial line (after the port was reopened, say). */
  reset(): void {
    this.buffer = '';
    this.overflowing = false;
  }
}
