import { STATUS_CODES } from 'node:http';
import type { FetchLike } from '@krypton-web/krypton-core';

/** A provisioning answer exactly as the server sent it. */
export interface RecordedAnswer {
  status: number;
  /** The status line after the version, as Go's `resp.Status` gives it (`404 Not Found`). */
  statusLine: string;
  text: string;
}

/**
 * Keeps the last provisioning answer exactly as the server sent it, whatever its status, so the CLI
 * prints it as SORACOM's does (`fmt.Println(body)`): no reformatting, no reordering, numbers
 * untouched. krypton-core still reads (and size-limits) the body; this only watches it go by.
 */
export class AnswerRecorder {
  private last: RecordedAnswer | undefined;

  constructor(private readonly base: FetchLike = (input, init) => fetch(input, init)) {}

  /** The last answer from a provisioning URL, if one arrived whole. */
  get lastAnswer(): RecordedAnswer | undefined {
    return this.last;
  }

  /** The text of the last provisioning answer when it was a success (2xx). */
  get lastProvisioningAnswer(): string | undefined {
    return this.last && this.last.status >= 200 && this.last.status <= 299 ? this.last.text : undefined;
  }

  /** A fetch for KryptonClient. */
  readonly fetch: FetchLike = async (input, init) => {
    const response = await this.base(input, init);
    if (!isProvisioningUrl(input)) return response;
    const statusLine = `${response.status} ${response.statusText || (STATUS_CODES[response.status] ?? '')}`.trimEnd();
    this.last = undefined;
    if (!response.body) {
      this.last = { status: response.status, statusLine, text: '' };
      return response;
    }
    const chunks: Uint8Array[] = [];
    const watched = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, controller) => {
          chunks.push(chunk);
          controller.enqueue(chunk);
        },
        flush: () => {
          this.last = { status: response.status, statusLine, text: new TextDecoder().decode(concat(chunks)) };
        },
      }),
    );
    return new Response(watched, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

function isProvisioningUrl(url: string): boolean {
  try {
    return new URL(url).pathname.includes('/v1/provisioning/');
  } catch {
    return false;
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/**
 * JSON as Go's `json.Marshal` writes a `map[string]interface{}`: keys sorted, no spaces, and
 * `<`, `>`, `&`, U+2028 and U+2029 escaped as `\u003c` and so on. Used where SORACOM's CLI prints a
 * document it built itself (bootstrapInventoryDevice) rather than the server's answer.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}
