import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeysApiClient, KryptonError, Tracer } from '../src/index.ts';

// Issue 15 §1: a Keys API call that fails behind the bridge names SORACOM's host and which failure it
// was (the bridge's own code), never "localhost:8787 answered HTTP 502"; SORACOM's real 5xx names SORACOM.

/** What the stand-in for the bridge answers next: status, headers and body. */
let next: { status: number; headers: Record<string, string>; body: string } = { status: 200, headers: {}, body: '{}' };
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(next.status, { 'Content-Type': 'application/json', ...next.headers });
    res.end(next.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function startFails(url: string): Promise<KryptonError> {
  const client = new KeysApiClient({ url, fetch: (input, init) => fetch(input, init), tracer: new Tracer(), timeoutMs: 10_000 });
  const e: unknown = await client.start('440100123456789').catch((err: unknown) => err);
  expect(e).toBeInstanceOf(KryptonError);
  return e as KryptonError;
}

describe('a Keys API call through the bridge that fails upstream', () => {
  it.each([
    [502, 'UPSTREAM_UNREACHABLE', 'dns'],
    [502, 'UPSTREAM_UNREACHABLE', 'refused'],
    [504, 'UPSTREAM_TIMEOUT', 'timeout'],
    [502, 'UPSTREAM_BROKEN', 'network'],
  ])('HTTP %i %s (%s): keeps the bridge code, its words, the host and the reason', async (status, code, reason) => {
    const message = `Cannot reach SORACOM (g.api.soracom.io): ${reason}`;
    next = {
      status,
      headers: {},
      body: JSON.stringify({ code, message, host: 'g.api.soracom.io', reason, action: 'Check the internet connection' }),
    };
    const e = await startFails(`${base}/krypton/global/v1/keys`);
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
    expect(e.action).toBe('Check the internet connection');
    expect(e.details).toMatchObject({ status, step: 'keys.start', host: 'g.api.soracom.io', reason });
    expect(e.message).not.toContain('127.0.0.1');
  });

  it("SORACOM's own 503 passed on by the bridge stays SERVER_ERROR and names SORACOM's host", async () => {
    next = {
      status: 503,
      headers: { 'X-Krypton-Upstream-Host': 'g.api.soracom.io' },
      body: JSON.stringify({ code: 'COM0001', message: 'Service Unavailable' }),
    };
    const e = await startFails(`${base}/krypton/global/v1/keys`);
    expect(e.code).toBe('SERVER_ERROR');
    expect(e.message).toBe('SORACOM (g.api.soracom.io) answered HTTP 503 (COM0001: Service Unavailable)');
    expect(e.action).toMatch(/wait a minute/);
    expect(e.details).toMatchObject({ status: 503, host: 'g.api.soracom.io' });
  });

  it('a 502 that is not the bridge’s (a proxy’s JSON without its code) stays SERVER_ERROR', async () => {
    next = { status: 502, headers: {}, body: JSON.stringify({ code: 'BAD_GATEWAY', message: 'upstream' }) };
    const e = await startFails(`${base}/v1/keys`);
    expect(e.code).toBe('SERVER_ERROR');
    expect(e.message).toMatch(/^127\.0\.0\.1:\d+ answered HTTP 502/);
  });
});

describe('a Keys API call made directly that cannot connect', () => {
  it('a name that does not resolve: NETWORK_UNREACHABLE "Cannot reach <host>" naming the host', async () => {
    const e = await startFails('http://krypton.nowhere.invalid/v1/keys');
    expect(e.code).toBe('NETWORK_UNREACHABLE');
    expect(e.message).toBe('Cannot reach krypton.nowhere.invalid: no internet, a DNS failure or a proxy in the way');
    expect(e.details).toMatchObject({ host: 'krypton.nowhere.invalid' });
  });
});
