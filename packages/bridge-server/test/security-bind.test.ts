import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { rawHttp, startTestBridge, type TestBridge } from './support/harness.test-support.ts';

// Control 1: the bridge listens on 127.0.0.1 only, and on ::1 only when asked; never on a wildcard
// or an outside interface.

const started: TestBridge[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.close()));
});

async function bridge(options: Parameters<typeof startTestBridge>[0] = {}): Promise<TestBridge> {
  const t = await startTestBridge(options);
  started.push(t);
  return t;
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 1000 }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
    s.on('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** This machine's addresses that are not loopback (where a LAN neighbour would connect). */
const outside = Object.values(networkInterfaces())
  .flat()
  .filter((a) => a !== undefined && !a.internal && !a.address.startsWith('fe80'))
  .map((a) => a!.address);

describe('bound addresses', () => {
  it('listens on 127.0.0.1 only by default', async () => {
    const t = await bridge();
    expect(t.bridge.addresses).toEqual([{ address: '127.0.0.1', family: 'IPv4', port: t.port }]);
    expect(await accepts('127.0.0.1', t.port)).toBe(true);
    expect(await accepts('::1', t.port)).toBe(false);
  });

  // One test over every outside address (none on a machine without a network: then the bound-address
  // check above is the whole proof), rather than a test per address that would be skipped there.
  it(`is not reachable on any outside address (${outside.join(', ') || 'none here'})`, async () => {
    const t = await bridge();
    const reachable = [];
    for (const address of outside) if (await accepts(address, t.port)) reachable.push(address);
    expect(reachable).toEqual([]);
    expect(await accepts('127.0.0.1', t.port)).toBe(true);
  });

  it('with ipv6, also listens on [::1] (same port) and answers to Host [::1]:<port> there — and still on no other address', async () => {
    const t = await bridge({ ipv6: true });
    expect(t.bridge.addresses).toEqual([
      { address: '127.0.0.1', family: 'IPv4', port: t.port },
      { address: '::1', family: 'IPv6', port: t.port },
    ]);
    for (const a of outside) expect(await accepts(a, t.port)).toBe(false);
    const r = await rawHttp(
      t.port,
      `GET /api/config HTTP/1.1\r\nHost: [::1]:${t.port}\r\nOrigin: http://[::1]:${t.port}\r\nConnection: close\r\n\r\n`,
      { host: '::1' },
    );
    expect(r.status).toBe(200);
  });
});
