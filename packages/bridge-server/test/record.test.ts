import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  KryptonClient,
  MemoryKeyCache,
  parseTranscript,
  simEndpoint,
  toBase64,
  toHex,
  type FetchLike,
  type SimAuthenticator,
  type TranscriptEvent,
} from '@krypton-web/krypton-core';
import { demoProfileSet, Hss, startLab } from '@krypton-web/krypton-lab';
import type { BridgeClient } from '@krypton-web/sim-transport';
import { connectClient, startTestBridge, VIRTUAL_READER_NAME, type TestBridge } from './support/harness.test-support.ts';

// pnpm bridge --record DIR: each SIM session leaves a transcript when it ends, secrets masked at the source,
// with its page's Krypton calls through the proxy; calls with no session open go to the run's proxy transcript.
vi.setConfig({ testTimeout: 30_000 });

const labBin = fileURLToPath(new URL('../../krypton-lab/bin/lab.js', import.meta.url));
const cliBin = fileURLToPath(new URL('../../../apps/cli/bin/krypton-cli', import.meta.url));

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('bridge --record DIR', () => {
  it('writes one transcript per session: the reader, its ATR, the APDUs by step, and no PIN, RES, CK or IK', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-record-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const t: TestBridge = await startTestBridge({ sim: 'demo-pin', recordDir: dir });
    cleanup.push(() => t.close());
    const client: BridgeClient = await connectClient(t);
    cleanup.push(() => client.close());

    const profiles = demoProfileSet();
    const sim = profiles.sims.find((s) => s.name === 'demo-pin')!;
    const hss = await Hss.create(profiles);
    const v = await hss.generateVector(sim.imsi);
    const session = await client.open(VIRTUAL_READER_NAME);
    await session.verifyPin(sim.pin1.code);
    expect(await session.readImsi()).toBe(sim.imsi);
    const answer = await session.authenticate(v.rand, v.autn);
    expect(answer.kind).toBe('success');
    await session.close();

    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.jsonl$/);
    const text = readFileSync(join(dir, files[0]!), 'utf8');
    const transcript = parseTranscript(text);
    expect(transcript.header.identity).toMatchObject({ link: 'bridge', reader: VIRTUAL_READER_NAME });
    expect(transcript.header.identity.atr).toMatch(/^3B/);
    const apdus = transcript.events.flatMap((e) => (e.type === 'apdu' ? [e] : []));
    expect(apdus.some((a) => a.step === 'pin' && a.command.startsWith('0020000108‹redacted›'))).toBe(true);
    expect(apdus.some((a) => a.step === 'authenticate' && a.command.includes(toHex(v.rand).toUpperCase()))).toBe(true);
    for (const secret of [v.xres, v.ck, v.ik]) {
      expect(text).not.toContain(toHex(secret).toUpperCase());
      expect(text).not.toContain(toBase64(secret));
    }
    expect(text).not.toContain(toHex(new TextEncoder().encode(sim.pin1.code)).toUpperCase());
  });
});

type HttpEvent = Extract<TranscriptEvent, { type: 'http' }>;

describe('bridge --record DIR: the page’s Krypton calls through the proxy', () => {
  it('a run (IMSI → keys → AUTHENTICATE → verify → provisioning) lands in the session transcript in order, with method, path, status, header names and timings, and no secret value; pnpm lab replay loads it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-record-http-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const lab = await startLab();
    cleanup.push(() => lab.close());
    const t = await startTestBridge({ lab, recordDir: dir });
    cleanup.push(() => t.close());
    const client = await connectClient(t);
    cleanup.push(() => client.close());
    const session = await client.open(VIRTUAL_READER_NAME);

    // Every secret value the run handles, as the test sees it: the SIM's answer, the page's signatures, the credentials.
    const secrets: string[] = [];
    const sim: SimAuthenticator = {
      readImsi: () => session.readImsi(),
      authenticate: async (rand, autn) => {
        const r = await session.authenticate(rand, autn);
        if (r.kind === 'success')
          for (const v of [r.res, r.ck, r.ik, ...(r.kc ? [r.kc] : [])]) secrets.push(toHex(v), toHex(v).toUpperCase(), toBase64(v));
        return r;
      },
    };
    // A page of the bridge's own origin, over real HTTP.
    const pageFetch: FetchLike = (url, init) => {
      const signature = new Headers(init.headers).get('x-soracom-signature');
      if (signature) secrets.push(signature);
      return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), Origin: t.url } });
    };
    const krypton = new KryptonClient({
      endpoint: simEndpoint(`${t.url}/krypton/lab`),
      sim,
      keyCache: new MemoryKeyCache(),
      fetch: pageFetch,
    });
    const key = await krypton.authenticate({ fresh: true });
    const credentials = await krypton.generateAmazonCognitoSessionCredentials();
    secrets.push(credentials.credentials.secretKey, credentials.credentials.sessionToken);
    expect(await krypton.getSubscriberMetadata()).toMatchObject({ imsi: key.imsi });
    await session.close();

    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const text = readFileSync(join(dir, files[0]!), 'utf8');
    const transcript = parseTranscript(text);
    const base = lab.urls.provisioning;
    const http = transcript.events.filter((e): e is HttpEvent => e.type === 'http');
    expect(http.map((e) => [e.method, e.url, e.status])).toEqual([
      ['POST', `${base}/v1/keys`, 200],
      ['POST', `${base}/v1/keys/${encodeURIComponent(key.keyId)}/verify`, 200],
      ['POST', `${base}/v1/provisioning/aws/cognito/credentials`, 200],
      ['POST', `${base}/v1/provisioning/soracom/air/subscriber_metadata`, 200],
    ]);
    for (const e of http) {
      expect(e.requestHeaders).toContain('content-type');
      expect(e.responseHeaders).toContain('content-type');
      expect(e.responseHeaders).toEqual([...e.responseHeaders].sort());
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(http[2]!.requestHeaders).toEqual(['content-type', 'x-soracom-digest-algorithm', 'x-soracom-signature', 'x-soracom-timestamp']);
    // In the run's order with the APDUs: IMSI read, keys asked, AUTHENTICATE, verified, then the signed calls.
    const at = (match: (e: TranscriptEvent) => boolean) => transcript.events.findIndex(match);
    const imsiRead = at((e) => e.type === 'apdu' && e.step === 'imsi');
    const keys = transcript.events.indexOf(http[0]!);
    const authenticate = at((e) => e.type === 'apdu' && e.step === 'authenticate' && e.command.startsWith('00880081'));
    const verify = transcript.events.indexOf(http[1]!);
    expect(imsiRead).toBeGreaterThanOrEqual(0);
    expect([imsiRead, keys, authenticate, verify, transcript.events.indexOf(http[2]!)]).toEqual(
      [imsiRead, keys, authenticate, verify, transcript.events.indexOf(http[2]!)].sort((a, b) => a - b),
    );
    const times = transcript.events.map((e) => e.t);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(secrets.length).toBeGreaterThanOrEqual(9);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/"(res|ck|ik|secretKey|sessionToken|token|body)"/);

    // pnpm lab replay reads the bridge's transcript, HTTP calls and all.
    const file = join(dir, files[0]!);
    const summary = await promisify(execFile)(process.execPath, [labBin, 'replay', file, '--summary']);
    expect(summary.stdout).toMatch(/APDUs, 0 AT lines, 4 HTTP calls/);
    const profile = await promisify(execFile)(process.execPath, [labBin, 'replay', file, '--print-profile']);
    expect(JSON.parse(profile.stdout)).toMatchObject({ sims: [{ imsi: key.imsi }] });
    // Replayed as a card (krypton-cli -interface virtual -sim FILE.jsonl, the in-process form of lab replay):
    // it answers the same run against the lab, AUTHENTICATE answered by the lab's SIM of the recorded IMSI.
    const xdg = mkdtempSync(join(tmpdir(), 'bridge-record-xdg-'));
    cleanup.push(() => rmSync(xdg, { recursive: true, force: true }));
    const replayed = await promisify(execFile)(
      cliBin,
      [
        '-interface',
        'virtual',
        '-sim',
        file,
        '-disable-key-cache',
        '-keys-api-endpoint-url',
        lab.urls.keys,
        '-provisioning-api-endpoint-url',
        lab.urls.provisioning,
        '-operation',
        'getSubscriberMetadata',
      ],
      {
        env: {
          ...process.env,
          XDG_CACHE_HOME: join(xdg, 'cache'),
          XDG_CONFIG_HOME: join(xdg, 'config'),
          KRYPTON_CLI_CACHE_DIR: '',
          KRYPTON_CLI_CONFIG_DIR: '',
        },
      },
    );
    expect(JSON.parse(replayed.stdout)).toMatchObject({ imsi: key.imsi });
  });

  it('calls of a page holding no session go to the run’s proxy transcript, on disk as soon as the page has its answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-record-proxy-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const lab = await startLab();
    cleanup.push(() => lab.close());
    const t = await startTestBridge({ lab, recordDir: dir });
    let closed = false;
    cleanup.push(() => (closed ? undefined : t.close()));
    const client = await connectClient(t);
    cleanup.push(() => client.close());
    const pageFetch: FetchLike = (url, init) =>
      fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), Origin: t.url } });

    // A key agreed in a session, then used after the session ended (a cached key, as the page keeps one).
    const session = await client.open(VIRTUAL_READER_NAME);
    const keyCache = new MemoryKeyCache();
    const krypton = new KryptonClient({ endpoint: simEndpoint(`${t.url}/krypton/lab`), sim: session, keyCache, fetch: pageFetch });
    const key = await krypton.authenticate({ fresh: true });
    await session.close();
    const sessionFile = readdirSync(dir).find((f) => !f.includes('-proxy-'))!;
    expect(parseTranscript(readFileSync(join(dir, sessionFile), 'utf8')).events.filter((e) => e.type === 'http')).toHaveLength(2);

    // The page knows the IMSI from before; the SIM is not asked again.
    const known: SimAuthenticator = {
      readImsi: async () => key.imsi,
      authenticate: () => Promise.reject(new Error('the cached key should have been used')),
    };
    const later = new KryptonClient({ endpoint: simEndpoint(`${t.url}/krypton/lab`), keyCache, fetch: pageFetch, sim: known });
    await later.getSubscriberMetadata();
    // Before the bridge stops (a crash now loses nothing): the call is already in the proxy transcript.
    const proxyFile = readdirSync(dir).find((f) => f.includes('-proxy-'));
    expect(proxyFile).toBeDefined();
    let proxy = parseTranscript(readFileSync(join(dir, proxyFile!), 'utf8'));
    expect(proxy.header.identity.link).toBe('bridge');
    expect(proxy.events.map((e) => (e.type === 'http' ? [e.method, e.url, e.status] : e.type))).toEqual([
      ['POST', `${lab.urls.provisioning}/v1/provisioning/soracom/air/subscriber_metadata`, 200],
    ]);
    await later.getUserData().catch(() => undefined);
    proxy = parseTranscript(readFileSync(join(dir, proxyFile!), 'utf8'));
    expect(proxy.events).toHaveLength(2);
    closed = true;
    await t.close();
    // The session's file did not change, and the two files are all there is.
    expect(readdirSync(dir).sort()).toEqual([proxyFile!, sessionFile].sort());
  });
});
