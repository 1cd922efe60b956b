import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KryptonClient, simEndpoint, type SimAuthenticator, type SimAuthResult } from '@krypton-web/krypton-core';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { BridgeClient, requestBridgeApproval } from '@krypton-web/sim-transport';
import { TOKEN_HEADER } from '../src/index.ts';
import {
  eventually,
  rawHttp,
  rawUpgrade,
  startTestBridge,
  VIRTUAL_READER_NAME,
  wsFrom,
  type TestBridge,
  approveOnPage,
} from './support/harness.test-support.ts';

// Control 6: the log (debug level, so every level) of a full authentication through the bridge — an
// approved page pairing, the Krypton proxy calls to the lab, AUTHENTICATE (a resync included) over
// /ws, AWS credentials vended — holds no RAND, AUTN, RES, CK, IK, Kc, AUTS, signature, approval token
// or AWS secret, in hex or base64.

const PAGE = 'http://localhost:5173';

let lab: Lab;
let t: TestBridge;
const secrets: { name: string; bytes?: Uint8Array; text?: string }[] = [];
let credentials: { accessKeyId: string; secretKey: string; sessionToken: string };
let openIdToken: string;

beforeAll(async () => {
  lab = await startLab();
  t = await startTestBridge({ lab });

  // The page pairs: code on both sides, the person approves on the bridge's page.
  const tokenPromise = requestBridgeApproval(`ws://127.0.0.1:${t.port}/pair`, () => undefined, { WebSocket: wsFrom(PAGE) });
  await eventually(() => t.bridge.approvals.listPending().length === 1, 'the approval request arrived');
  const id = t.bridge.approvals.listPending()[0]!.id;
  const approved = await approveOnPage(t, id);
  expect(approved.status).toBe(303);
  const token = await tokenPromise;
  secrets.push({ name: 'approval token', text: token });

  // The page's SIM: the bridge client, with every challenge and answer recorded.
  const client = await BridgeClient.connect(`ws://127.0.0.1:${t.port}/ws`, { WebSocket: wsFrom(PAGE), token });
  const session = await client.open(VIRTUAL_READER_NAME);
  const sim: SimAuthenticator = {
    readImsi: () => session.readImsi(),
    authenticate: async (rand, autn): Promise<SimAuthResult> => {
      secrets.push({ name: 'RAND', bytes: rand.slice() }, { name: 'AUTN', bytes: autn.slice() });
      const r = await session.authenticate(rand, autn);
      if (r.kind === 'success') {
        secrets.push({ name: 'RES', bytes: r.res }, { name: 'CK', bytes: r.ck }, { name: 'IK', bytes: r.ik });
        if (r.kc) secrets.push({ name: 'Kc', bytes: r.kc });
      } else secrets.push({ name: 'AUTS', bytes: r.auts });
      return r;
    },
  };
  // The page's calls go through the bridge's proxy, with its Origin and token, as a browser sends them.
  const krypton = new KryptonClient({
    endpoint: simEndpoint(`${t.url}/krypton/lab`),
    sim,
    fetch: async (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('origin', PAGE);
      headers.set(TOKEN_HEADER, token);
      const signature = headers.get('x-soracom-signature');
      if (signature) secrets.push({ name: 'request signature', text: signature });
      return fetch(input, { ...init, headers });
    },
  });

  // First a resync: the network's sequence number is behind the card's.
  await krypton.authenticate();
  lab.hss.forceDesync('001010000000001');
  const info = await krypton.authenticate({ fresh: true });
  expect(info.resynchronised).toBe(true);
  const vended = await krypton.generateAmazonCognitoSessionCredentials();
  credentials = vended.credentials;
  openIdToken = (await krypton.generateAmazonCognitoOpenIdToken()).token;
  secrets.push(
    { name: 'AWS secret key', text: credentials.secretKey },
    { name: 'AWS session token', text: credentials.sessionToken },
    { name: 'OpenID token', text: openIdToken },
  );

  // A hostile page tries the token where it does not belong: in the URL.
  await rawUpgrade(t.port, `/ws?token=${token}`, `Host: ${t.host}\r\nOrigin: http://evil.example\r\n`);
  await rawHttp(
    t.port,
    `POST /krypton/lab/v1/keys?token=${token} HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${PAGE}\r\n${TOKEN_HEADER}: ${token}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
  );
  await session.close();
  client.close();
});
afterAll(async () => {
  await t?.close();
  await lab?.close();
});

/** Every spelling a secret could take in a log line. */
function spellings(s: { bytes?: Uint8Array; text?: string }): string[] {
  if (s.text !== undefined) return [s.text, encodeURIComponent(s.text), JSON.stringify(s.text).slice(1, -1)].filter((v) => v.length >= 8);
  const b = Buffer.from(s.bytes!);
  const hex = b.toString('hex');
  const b64 = b.toString('base64');
  const url = b.toString('base64url');
  // Whole values, and any 8-byte window of them (a log could carry a prefix or a slice).
  const windows = [];
  for (let i = 0; i + 8 <= b.length; i += 4) windows.push(b.subarray(i, i + 8).toString('hex'));
  return [hex, hex.toUpperCase(), b64, b64.replace(/=+$/, ''), url, ...windows, ...windows.map((w) => w.toUpperCase())];
}

describe('the log of a full authentication through the bridge', () => {
  it('is a real log: debug level, with the session, the AUTHENTICATEs, the proxy calls and the pairing in it', () => {
    const log = t.lines.join('\n');
    expect(t.lines.length).toBeGreaterThan(8);
    expect(log).toMatch(/session opened/);
    expect(log).toMatch(/AUTHENTICATE done .*outcome="sync-failure"/);
    expect(log).toMatch(/AUTHENTICATE done .*outcome="success"/);
    expect(log).toMatch(/Krypton call target="lab" path="\/v1\/keys\/\{keyId\}\/verify"/);
    expect(log).toMatch(/Krypton call target="lab" path="\/v1\/provisioning\/aws\/cognito\/credentials"/);
    expect(log).toMatch(/approval requested by http:\/\/localhost:5173: code [0-9]{6}/);
    expect(log).toMatch(/WebSocket refused/);
  });

  it('recorded every kind of secret it must look for', () => {
    const names = new Set(secrets.map((s) => s.name));
    for (const n of [
      'RAND',
      'AUTN',
      'RES',
      'CK',
      'IK',
      'AUTS',
      'approval token',
      'request signature',
      'AWS secret key',
      'AWS session token',
      'OpenID token',
    ])
      expect(names).toContain(n);
    expect(secrets.filter((s) => s.name === 'RAND').length).toBeGreaterThanOrEqual(3);
  });

  it('holds none of them, in any spelling', () => {
    const log = t.lines.join('\n');
    const found = secrets.flatMap((s) =>
      spellings(s)
        .filter((v) => log.includes(v))
        .map((v) => `${s.name}: ${v}`),
    );
    expect(found).toEqual([]);
  });

  it('holds none of the lab’s vended AWS credentials', () => {
    const log = t.lines.join('\n');
    const vended = lab.credentials.lookup(credentials.accessKeyId);
    expect(vended?.secretAccessKey).toBe(credentials.secretKey);
    expect(log).not.toContain(vended!.secretAccessKey);
    expect(log).not.toContain(vended!.sessionToken);
    expect(log).not.toContain(credentials.secretKey);
    expect(log).not.toContain(credentials.sessionToken);
  });
});
