import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { rawHttp, rawUpgrade, startTestBridge, UNTOUCHED, type TestBridge } from './support/harness.test-support.ts';

// Control 2: every request, WebSocket upgrades included, must name the bridge in its Host header
// (127.0.0.1:<port> or localhost:<port>); anything else — a DNS-rebinding page's own name, another
// port, a trailing dot, userinfo, IPv6 when not listening on it — is refused before any handler runs.

let lab: Lab;
let t: TestBridge;
let pairing: WebSocket;
let pendingId: string;

beforeAll(async () => {
  lab = await startLab();
  t = await startTestBridge({ lab });
  // A page of another origin waits for approval: no hostile Host may approve it.
  pairing = new WebSocket(`ws://127.0.0.1:${t.port}/pair`, { origin: 'http://localhost:5173' });
  await new Promise((resolve, reject) => {
    pairing.once('message', resolve);
    pairing.once('error', reject);
  });
  pendingId = t.bridge.approvals.listPending()[0]!.id;
});
afterAll(async () => {
  pairing?.terminate();
  await t?.close();
  await lab?.close();
});

const port = () => t.port;

/** Host header lines to send (none at all for the missing-Host rows), and why each is hostile. */
const HOSTILE: [string, () => string][] = [
  ['the rebinding page’s own name with our port', () => `Host: evil.example:${port()}\r\n`],
  ['the rebinding page’s name without a port', () => 'Host: evil.example\r\n'],
  ['127.0.0.1 on another port', () => `Host: 127.0.0.1:${port() + 1}\r\n`],
  ['localhost on another port', () => `Host: localhost:${port() === 65535 ? 1 : port() + 1}\r\n`],
  ['localhost with a trailing dot', () => `Host: localhost.:${port()}\r\n`],
  ['127.0.0.1 with a trailing dot', () => `Host: 127.0.0.1.:${port()}\r\n`],
  ['127.0.0.1 without a port', () => 'Host: 127.0.0.1\r\n'],
  ['localhost without a port', () => 'Host: localhost\r\n'],
  ['[::1] while not listening on IPv6', () => `Host: [::1]:${port()}\r\n`],
  ['userinfo before our host', () => `Host: user@127.0.0.1:${port()}\r\n`],
  ['our host as userinfo of another', () => `Host: 127.0.0.1:${port()}@evil.example\r\n`],
  ['our name as a subdomain of another', () => `Host: 127.0.0.1.evil.example:${port()}\r\n`],
  ['localhost as a subdomain of another', () => `Host: localhost.evil.example:${port()}\r\n`],
  ['0.0.0.0', () => `Host: 0.0.0.0:${port()}\r\n`],
  ['another loopback address', () => `Host: 127.0.0.2:${port()}\r\n`],
  ['a short form of 127.0.0.1', () => `Host: 127.1:${port()}\r\n`],
  ['127.0.0.1 as a decimal number', () => `Host: 2130706433:${port()}\r\n`],
  ['a zero-padded port', () => `Host: 127.0.0.1:0${port()}\r\n`],
  ['an empty Host', () => 'Host: \r\n'],
  ['two Hosts, ours first', () => `Host: 127.0.0.1:${port()}\r\nHost: evil.example:${port()}\r\n`],
  ['two Hosts, ours second', () => `Host: evil.example:${port()}\r\nHost: 127.0.0.1:${port()}\r\n`],
  ['a list of Hosts in one header', () => `Host: 127.0.0.1:${port()}, evil.example\r\n`],
  ['no Host at all', () => ''],
];

/** What the bridge must answer a hostile Host with: 421, or 400 when Node's parser refuses first (HTTP/1.1 without Host). */
const REFUSED = [400, 421];

describe('Host allow-list over HTTP and WebSocket upgrades: refused before any handler runs', () => {
  describe.each(HOSTILE)('Host: %s', (_why, hostLines) => {
    it('GET /api/config: refused, nothing about the bridge in the answer', async () => {
      const r = await rawHttp(port(), `GET /api/config HTTP/1.1\r\n${hostLines()}Origin: ${t.url}\r\nConnection: close\r\n\r\n`);
      expect(REFUSED).toContain(r.status);
      expect(r.body).not.toMatch(/krypton-web-bridge|"mode"|Virtual/);
      expect(t.touched()).toEqual(UNTOUCHED);
    });

    it('GET / (the app): refused', async () => {
      const r = await rawHttp(port(), `GET / HTTP/1.1\r\n${hostLines()}Connection: close\r\n\r\n`);
      expect(REFUSED).toContain(r.status);
      expect(t.touched()).toEqual(UNTOUCHED);
    });

    it('POST to the Krypton proxy: refused, nothing sent upstream', async () => {
      const body = '{"imsi":"001010000000001"}';
      const r = await rawHttp(
        port(),
        `POST /krypton/lab/v1/keys HTTP/1.1\r\n${hostLines()}Origin: ${t.url}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      expect(REFUSED).toContain(r.status);
      expect(t.touched()).toEqual(UNTOUCHED);
    });

    it('POST approving a waiting page: refused, the page still waits', async () => {
      const r = await rawHttp(
        port(),
        `POST /approvals/${pendingId}/approve HTTP/1.1\r\n${hostLines()}Origin: ${t.url}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      expect(REFUSED).toContain(r.status);
      expect(t.bridge.approvals.listPending().map((p) => p.id)).toContain(pendingId);
      expect(t.bridge.approvals.listApproved()).toEqual([]);
    });

    it('WebSocket upgrade of /ws: refused, no socket, no card command', async () => {
      expect(REFUSED).toContain(await rawUpgrade(port(), '/ws', `${hostLines()}Origin: ${t.url}\r\n`));
      expect(t.touched()).toEqual(UNTOUCHED);
    });

    it('WebSocket upgrade of /pair: refused, no approval request recorded', async () => {
      expect(REFUSED).toContain(await rawUpgrade(port(), '/pair', `${hostLines()}Origin: http://pair.example\r\n`));
      expect(t.bridge.approvals.listPending().map((p) => p.origin)).toEqual(['http://localhost:5173']);
    });
  });

  it('HTTP/1.0 without a Host (which Node lets through) is refused by the bridge itself with 421', async () => {
    const r = await rawHttp(port(), `GET /api/config HTTP/1.0\r\nOrigin: ${t.url}\r\n\r\n`);
    expect(r.status).toBe(421);
    expect(t.touched()).toEqual(UNTOUCHED);
  });
});

describe('Host allow-list: the names the bridge answers to', () => {
  // Host names are case-insensitive (RFC 9110 §4.2.3, and browsers send them lowercased): an
  // uppercase LOCALHOST is still this machine, not a rebinding page, so it is accepted.
  it.each([
    ['127.0.0.1:<port>', () => `127.0.0.1:${port()}`],
    ['localhost:<port>', () => `localhost:${port()}`],
    ['LOCALHOST:<port>', () => `LOCALHOST:${port()}`],
  ])('%s: the app config answers, /ws upgrades', async (_name, host) => {
    const r = await rawHttp(port(), `GET /api/config HTTP/1.1\r\nHost: ${host()}\r\nOrigin: ${t.url}\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ mode: 'demo' });
    expect(await rawUpgrade(port(), '/ws', `Host: ${host()}\r\nOrigin: ${t.url}\r\n`)).toBe(101);
  });
});
