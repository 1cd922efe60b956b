import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../src/index.ts';

// The lab's control API (`/_lab/...`) under the bridge's door rules: only its own loopback Host, and
// no request from a web page of another origin (a demo lab runs beside a browser). Tools that send
// no Origin — `pnpm lab serve` users, tests, the CLI — go on working.

let lab: Lab;
let port: number;
beforeAll(async () => {
  lab = await startLab();
  port = Number(new URL(lab.urls.control).port);
});
afterAll(async () => {
  await lab?.close();
});

/** Sends a raw HTTP/1.1 request (any Host, any Origin) and resolves with the status and body. */
function raw(request: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () =>
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), body: text.slice(text.indexOf('\r\n\r\n') + 4) }),
    );
  });
}

/** A POST of `body` to a control path with the given Host and extra header lines. */
const post = (path: string, body: string, host: string, lines = '') =>
  raw(
    `POST /_lab/${path} HTTP/1.1\r\nHost: ${host}\r\n${lines}Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
const own = () => `127.0.0.1:${port}`;

describe('the lab control API refuses', () => {
  it.each([
    ['a foreign Host (DNS rebinding)', () => `evil.example:${port}`],
    ['a foreign Host on port 80', () => 'evil.example'],
    ['another port on 127.0.0.1', () => `127.0.0.1:${port + 1}`],
    ['localhost with a trailing dot', () => `localhost.:${port}`],
  ])('%s: 421, no fault injected, state not shown', async (_why, host) => {
    const r = await post('faults', '{"errorRate":1}', host());
    expect(r.status).toBe(421);
    expect(lab.faults.snapshot().errorRate).toBe(0);
    const state = await raw(`GET /_lab/state HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`);
    expect(state.status).toBe(421);
    expect(state.body).not.toContain('imsi');
  });

  it.each([
    ['a page on another site', 'Origin: http://evil.example\r\nSec-Fetch-Site: cross-site\r\n'],
    ['a page on another site (no fetch metadata)', 'Origin: http://evil.example\r\n'],
    ["the bridge's own page (another port)", 'Origin: http://127.0.0.1:8787\r\nSec-Fetch-Site: same-site\r\n'],
    ['the null origin', 'Origin: null\r\n'],
    ['a cross-site form without Origin', 'Sec-Fetch-Site: cross-site\r\n'],
  ])('a cross-origin POST from %s: 403, nothing changed', async (_why, lines) => {
    for (const [path, body] of [
      ['faults', '{"errorRate":1}'],
      ['clock', '{"offsetMs":600000}'],
      ['desync', '{"imsi":"001010000000001"}'],
      ['cellular', '{"imsi":null}'],
    ] as const) {
      const r = await post(path, body, own(), lines);
      expect(r.status, path).toBe(403);
    }
    expect(lab.faults.snapshot().errorRate).toBe(0);
    expect(lab.clock.offsetMs).toBe(0);
    expect(lab.cellularImsi).toBe('001010000000001');
  });

  it('a read of the state by a page of another origin: 403', async () => {
    const r = await raw(`GET /_lab/state HTTP/1.1\r\nHost: ${own()}\r\nOrigin: http://evil.example\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(403);
    expect(r.body).not.toContain('imsi');
  });
});

describe('the lab control API still serves its tools', () => {
  it('a client without Origin (the CLI, tests) on 127.0.0.1 or localhost: works', async () => {
    expect((await post('faults', '{"latencyMs":5}', own())).status).toBe(200);
    expect(lab.faults.snapshot().latencyMs).toBe(5);
    expect((await post('faults', '{"latencyMs":0}', `localhost:${port}`)).status).toBe(200);
    const state = await fetch(`${lab.urls.control}/state`);
    expect(state.status).toBe(200);
    expect(((await state.json()) as { faults: { latencyMs: number } }).faults.latencyMs).toBe(0);
  });

  it('a request of its own origin: works', async () => {
    const r = await post('clock', '{"offsetMs":0}', own(), `Origin: http://${own()}\r\nSec-Fetch-Site: same-origin\r\n`);
    expect(r.status).toBe(200);
  });

  it('the emulated Krypton itself is not under these rules (the bridge proxies to it with its own Host)', async () => {
    const r = await fetch(lab.urls.keys, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"imsi":"001010000000001"}',
    });
    expect(r.status).toBe(200);
  });
});
