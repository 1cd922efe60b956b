import type { Context } from 'hono';

/** Largest request body any emulated SORACOM endpoint accepts. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A request body read as raw bytes and, when possible, parsed as a JSON object. */
export interface ReadBody {
  bytes: Uint8Array;
  json: Record<string, unknown> | undefined;
  tooLarge: boolean;
}

/** Reads the raw body (bounded) and parses it as a JSON object; never throws on bad input. */
export async function readJsonBody(c: Context): Promise<ReadBody> {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) return { bytes: new Uint8Array(), json: undefined, tooLarge: true };
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) return { bytes: new Uint8Array(), json: undefined, tooLarge: true };
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { bytes, json, tooLarge: false };
}
