import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { runCli } from '../src/run.ts';
import { expectedApplicationKey, tempXdg } from './support/processes.test-support.ts';

// In-process: the lab's own key table tells which CK the CLI agreed, so the cache file can be
// searched for it, and the inventory key checked against it.
let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

let xdg: ReturnType<typeof tempXdg>;
beforeEach(() => {
  xdg = tempXdg();
});
afterEach(() => xdg.dispose());

interface Seen {
  url: string;
  requestBody: string;
  status: number;
  responseBody: string;
}

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const seen: Seen[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const text = await response.clone().text();
    seen.push({
      url: input instanceof Request ? input.url : String(input),
      requestBody: typeof init?.body === 'string' ? init.body : '',
      status: response.status,
      responseBody: text,
    });
    return response;
  };
  const code = await runCli(
    ['-interface', 'virtual', '-keys-api-endpoint-url', lab.urls.keys, '-provisioning-api-endpoint-url', lab.urls.provisioning, ...argv],
    {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: xdg.env,
      home: '/nonexistent-home',
      fetch: recordingFetch,
    },
  );
  return { code, stdout, stderr, seen };
}

/** The CK the lab holds for the keyId this run signed with. */
function ckOf(seen: Seen[]): Uint8Array {
  const signed = seen.find((s) => s.url.includes('/v1/provisioning/'));
  const keyId = (JSON.parse(signed!.requestBody) as { keyId: string }).keyId;
  const key = lab.keys.get(keyId);
  expect(key, 'the lab holds the key the CLI signed with').toBeDefined();
  return key!.ck;
}

describe('the key cache file', () => {
  it('holds the agreed key only encrypted: no CK in raw, hex (either case) or base64, no IMSI, no keyId', async () => {
    const r = await run(['-operation', 'getSubscriberMetadata']);
    expect(r.code).toBe(0);
    const ck = Buffer.from(ckOf(r.seen));
    const keyId = (JSON.parse(r.seen.find((s) => s.url.includes('/v1/provisioning/'))!.requestBody) as { keyId: string }).keyId;
    const file = readFileSync(xdg.cacheFile);
    const text = file.toString('latin1');
    expect(file.includes(ck)).toBe(false);
    expect(text).not.toContain(ck.toString('hex'));
    expect(text).not.toContain(ck.toString('hex').toUpperCase());
    expect(text).not.toContain(ck.toString('base64'));
    expect(text).not.toContain(ck.toString('base64url'));
    expect(text).not.toContain('001010000000001');
    expect(text).not.toContain(keyId);
    // Nor does the key file hold it.
    expect(readFileSync(xdg.keyFile).includes(ck)).toBe(false);
  });

  it('serves the same key on the next run (same keyId, no Keys API call)', async () => {
    const first = await run(['-operation', 'getSubscriberMetadata']);
    const second = await run(['-operation', 'getSubscriberMetadata']);
    expect(second.code).toBe(0);
    expect(second.seen.map((s) => new URL(s.url).pathname)).toEqual(['/v1/provisioning/soracom/air/subscriber_metadata']);
    expect(ckOf(second.seen)).toEqual(ckOf(first.seen));
  });

  it('is replaced when corrupt: the run authenticates afresh and succeeds', async () => {
    await run(['-operation', 'getSubscriberMetadata']);
    const bytes = readFileSync(xdg.cacheFile);
    bytes[10]! ^= 0x55;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(xdg.cacheFile, bytes);
    const r = await run(['-operation', 'getSubscriberMetadata', '-debug']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/key cache: .*corrupt/);
    expect(r.seen.filter((s) => s.url.endsWith('/v1/keys'))).toHaveLength(1);
    const again = await run(['-operation', 'getSubscriberMetadata']);
    expect(again.seen).toHaveLength(1);
  });
});

describe("answers printed as SORACOM's CLI prints them", () => {
  it("prints the server's bytes for a JSON answer, and one newline", async () => {
    const r = await run(['-operation', 'bootstrapArc']);
    const answer = r.seen.at(-1)!;
    expect(r.stdout).toBe(`${answer.responseBody}\n`);
  });

  it("derives the inventory application key from the nonce with CK and prints Go's filtered, sorted document", async () => {
    const r = await run(['-operation', 'bootstrapInventoryDevice', '-params', '{"endpoint":"coaps://lab.invalid:5684?a=1&b=<2>"}']);
    expect(r.code).toBe(0);
    const answer = JSON.parse(r.seen.at(-1)!.responseBody) as { nonce: string; timestamp: string; pskId: string; serverUri: string };
    expect(answer.nonce).toBeDefined();
    const ck = ckOf(r.seen);
    const expected = expectedApplicationKey(answer.nonce, answer.timestamp, ck);
    // Go's json.Marshal: keys sorted, <, > and & escaped.
    const serverUri = answer.serverUri.replaceAll('&', '\\u0026').replaceAll('<', '\\u003c').replaceAll('>', '\\u003e');
    expect(r.stdout).toBe(`{"applicationKey":"${expected}","pskId":"${answer.pskId}","serverUri":"${serverUri}"}\n`);
  });

  it("sends the Go client's body: keyId, then the parameters under requestParameters", async () => {
    const r = await run(['-operation', 'registerAzureIotDevice', '-params', '{"registrationId":"dev-7"}']);
    const body = JSON.parse(r.seen.at(-1)!.requestBody) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['keyId', 'requestParameters']);
    expect(body.requestParameters).toEqual({ registrationId: 'dev-7' });
  });
});
