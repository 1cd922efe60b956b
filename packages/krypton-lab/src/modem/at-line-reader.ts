/**
 * Splits the bytes a modem receives into command lines, as a V.250 command interpreter does:
 * a line ends at S3 (`\r`), S5 (backspace) deletes the character before it, and the `\n` that
 * terminals send after `\r` is dropped. Pure: no timers, no I/O.
 */

/** One command line as typed: `raw` is what the modem echoes, `text` the line after backspace editing. */
export interface AtLine {
  readonly raw: string;
  readonly text: string;
  /** The line outgrew the modem's buffer; the modem answers ERROR without running it. */
  readonly overflow: boolean;
}

const CR = 0x0d;
const LF = 0x0a;
const BACKSPACE = 0x08;

/** Huawei sticks take at least a 261-byte APDU in AT+CSIM (522 hex digits plus the syntax); 2 KiB leaves room. */
export const DEFAULT_MAX_LINE = 2048;

/** Accumulates received bytes and hands out complete lines; chunk boundaries may fall anywhere. */
export class AtLineReader {
  private raw = '';
  private text = '';
  private overflow = false;

  constructor(private readonly maxLength = DEFAULT_MAX_LINE) {}

  /** Feeds bytes and returns the lines they complete, in order. */
  push(chunk: Uint8Array): AtLine[] {
    const lines: AtLine[] = [];
    for (const byte of chunk) {
      if (byte === CR) {
        lines.push({ raw: this.raw, text: this.text, overflow: this.overflow });
        this.raw = '';
        this.text = '';
        this.overflow = false;
      } else if (byte === LF) {
        // Terminals send "\r\n"; the "\n" lands at the start of the next line and means nothing.
        continue;
      } else {
        // Bytes map to characters one to one (Latin-1): AT command lines are ASCII, and a stray
        // high byte must not swallow its neighbours as a UTF-8 decoder would.
        const ch = String.fromCharCode(byte);
        if (this.raw.length < this.maxLength) this.raw += ch;
        if (byte === BACKSPACE) this.text = this.text.slice(0, -1);
        else if (this.text.length < this.maxLength) this.text += ch;
        else this.overflow = true;
      }
    }
    return lines;
  }

  /** Whether part of a line is waiting for its `\r`. */
  get pending(): boolean {
    return this.raw.length > 0;
  }
}
