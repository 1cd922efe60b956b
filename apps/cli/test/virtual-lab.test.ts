import { createCipheriv } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoProfileSet } from '@krypton-web/krypton-lab/browser';
import { expectedApplicationKey, runBin, startLabServe, tempXdg, type LabProcess } from './support/processes.test-support.ts';

// krypton-cli as scripts run it, against `pnpm lab serve` in another process, with the lab's virtual SIM.
let lab: LabProcess;
beforeAll(async () => {
  lab = await startLabServe(['--latency-ms', '0']);
});
afterAll(async () => {
  await lab?.stop();
});

let xdg: ReturnType<typeof tempXdg>;
beforeEach(() => {
  xdg = tempXdg();
});
afterEach(async () => {
  xdg.dispose();
  await lab.control('faults', { errorRate: 0, errorServices: [] });
});

const endpoints = () => ['-keys-api-endpoint-url', lab.urls.keys, `-provisioning-api-endpoint-url=${lab.urls.provisioning}`];
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runBin(['-interface', 'virtual', ...endpoints(), ...args], { env: { ...xdg.env, ...env } });
const keysHeld = async () => (await lab.state()).keysHeld;

/** A successful run: the answer and one newline on stdout, nothing on stderr. */
function expectAnswer(r: Awaited<ReturnType<typeof runBin>>): string {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.endsWith('\n')).toBe(true);
  expect(r.stdout.slice(0, -1)).not.toContain('\n');
  return r.stdout.slice(0, -1);
}

/** One exchange the recording proxy passed on: path, request body, answer body. */
interface Seen {
  path: string;
  request: string;
  answer: string;
}

/** An HTTP proxy in front of the lab that records every exchange (the CLI runs in another process). */
async function recordingProxy(target: string): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = Buffer.concat(chunks).toString();
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => k === 'content-type' || k.startsWith('x-soracom-')),
      ) as Record<string, string>;
      fetch(`${target}${req.url}`, { method: req.method, headers, ...(req.method === 'POST' ? { body: request } : {}) })
        .then(async (upstream) => {
          const answer = await upstream.text();
          seen.push({ path: req.url ?? '', request, answer });
          res.writeHead(upstream.status, {
            'Content-Type': upstream.headers.get('content-type') ?? 'application/json',
            Date: upstream.headers.get('date') ?? new Date().toUTCString(),
          });
          res.end(answer);
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Milenage f3 (3GPP TS 35.206 §4.1), computed here with node:crypto: CK = E_K(rot(E_K(RAND ⊕ OPc) ⊕ OPc, 32) ⊕ c3) ⊕ OPc. */
function milenageCk(k: Buffer, opc: Buffer, rand: Buffer): Buffer {
  const aes = (block: Buffer) => {
    const c = createCipheriv('aes-128-ecb', k, null).setAutoPadding(false);
    return Buffer.concat([c.update(block), c.final()]);
  };
  const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((v, i) => v ^ b[i]!));
  const temp = aes(xor(rand, opc));
  const x = xor(temp, opc);
  const rotated = Buffer.concat([x.subarray(4), x.subarray(0, 4)]);
  rotated[15]! ^= 0x02;
  return xor(aes(rotated), opc);
}

describe('-interface virtual against pnpm lab serve', () => {
  it('prints the OpenID token answer on stdout, as the server sent it', async () => {
    const out = expectAnswer(await cli(['-operation', 'generateAmazonCognitoOpenIdToken']));
    const json = JSON.parse(out) as Record<string, string>;
    expect(Object.keys(json).sort()).toEqual(['identityId', 'region', 'token']);
    expect(json.token).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    // Compact, in the server's key order: the bytes went through untouched.
    expect(out).toBe(JSON.stringify(json));
  });

  it('authenticates once, then signs from the cache without any Keys API call (the Keys API is made to fail to prove it)', async () => {
    const before = await keysHeld();
    expectAnswer(await cli(['-operation', 'generateAmazonCognitoOpenIdToken']));
    expect(await keysHeld()).toBe(before + 1);
    expect(existsSync(xdg.cacheFile)).toBe(true);
    expect(existsSync(xdg.keyFile)).toBe(true);

    // Every Keys API request now fails: a second run that touched it would fail too.
    await lab.control('faults', { errorRate: 1, errorStatus: 503, errorServices: ['keys'] });
    const second = await cli(['-operation', 'generateAmazonCognitoOpenIdToken', '-debug']);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('signed with the cached key');
    expect(second.stderr).not.toMatch(/POST \S+\/v1\/keys/);
    expect(JSON.parse(second.stdout)).toHaveProperty('token');
    expect(await keysHeld()).toBe(before + 1);

    // Without the cache the same fault is fatal, which is what makes the previous run a proof.
    const uncached = await cli(['-operation', 'generateAmazonCognitoOpenIdToken', '-disable-key-cache']);
    expect(uncached.code).toBe(1);
    expect(uncached.stdout).toBe('');
    expect(uncached.stderr.trim().split('\n')).toHaveLength(1);
    expect(uncached.stderr).toMatch(/503/);
  });

  it('-disable-key-cache authenticates on every run and neither reads nor writes the cache', async () => {
    const before = await keysHeld();
    expectAnswer(await cli(['-operation', 'getSubscriberMetadata', '-disable-key-cache']));
    expectAnswer(await cli(['-operation', 'getSubscriberMetadata', '-disable-key-cache']));
    expect(await keysHeld()).toBe(before + 2);
    expect(existsSync(xdg.root + '/cache')).toBe(false);
    expect(existsSync(xdg.root + '/config')).toBe(false);

    // A cache that holds a key is not read either.
    expectAnswer(await cli(['-operation', 'getSubscriberMetadata']));
    const cached = readFileSync(xdg.cacheFile);
    const n = await keysHeld();
    expectAnswer(await cli(['-operation', 'getSubscriberMetadata', '-disable-key-cache']));
    expect(await keysHeld()).toBe(n + 1);
    expect(readFileSync(xdg.cacheFile).equals(cached)).toBe(true);
  });

  it('-clear-key-cache with an operation forgets the cached key first; alone it clears and exits 0 silently', async () => {
    expectAnswer(await cli(['-operation', 'getUserData']));
    const n = await keysHeld();
    expectAnswer(await cli(['-operation', 'getUserData', '-clear-key-cache']));
    expect(await keysHeld()).toBe(n + 1);
    // The new key is cached again.
    expectAnswer(await cli(['-operation', 'getUserData']));
    expect(await keysHeld()).toBe(n + 1);

    const alone = await runBin(['-clear-key-cache'], { env: xdg.env });
    expect(alone).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(existsSync(xdg.cacheFile)).toBe(false);
    expectAnswer(await cli(['-operation', 'getUserData']));
    expect(await keysHeld()).toBe(n + 2);
  });

  it("recovers from a cached key the server forgot (SORACOM's CLI fails there): one fresh authentication", async () => {
    expectAnswer(await cli(['-operation', 'getSubscriberMetadata']));
    await lab.control('forget-keys', {});
    const n = await keysHeld();
    expectAnswer(await cli(['-operation', 'getSubscriberMetadata']));
    expect(await keysHeld()).toBe(n + 1);
  });

  it('runs every operation and prints each answer', async () => {
    const userdata = demoProfileSet().groups.find((g) => g.groupId === 'lab-group')!.userdata;
    expect(expectAnswer(await cli(['-operation', 'getUserData']))).toBe(userdata);

    const meta = JSON.parse(expectAnswer(await cli(['-operation', 'getSubscriberMetadata']))) as Record<string, unknown>;
    expect(meta.imsi).toBe('001010000000001');

    const creds = JSON.parse(expectAnswer(await cli(['-operation', 'generateAmazonCognitoSessionCredentials']))) as {
      credentials: Record<string, unknown>;
    };
    expect(Object.keys(creds.credentials).sort()).toEqual(['accessKeyId', 'expiration', 'secretKey', 'sessionToken']);

    const iot = JSON.parse(expectAnswer(await cli(['-operation', 'bootstrapAwsIotThing']))) as Record<string, string>;
    expect(iot.certificate).toContain('BEGIN CERTIFICATE');
    expect(iot.privateKey).toContain('PRIVATE KEY');

    const arc = JSON.parse(expectAnswer(await cli(['-operation', 'bootstrapArc']))) as Record<string, unknown>;
    expect(arc).toHaveProperty('arcClientPeerPrivateKey');

    // bootstrapInventoryDevice: its own test below, which sees the traffic it needs to check the key.

    const reg = JSON.parse(expectAnswer(await cli(['-operation', 'registerAzureIotDevice', '-p', '{"registrationId":"dev-1"}']))) as {
      operationId: string;
    };
    expect(reg.operationId).toBeTruthy();
    const status = JSON.parse(
      expectAnswer(
        await cli(['-operation', 'getAzureIotDeviceRegistrationStatus', `-params={"operationId":${JSON.stringify(reg.operationId)}}`]),
      ),
    ) as Record<string, unknown>;
    expect(status).toHaveProperty('operationId', reg.operationId);
  });

  it('computes Milenage f3 as TS 35.208 test set 1 says (the CK check below relies on it)', () => {
    const ck = milenageCk(
      Buffer.from('465b5ce8b199b49faa5f0a2ee238a6bc', 'hex'),
      Buffer.from('cd63cb71954a9f4e48a5994e37a02baf', 'hex'),
      Buffer.from('23553cbe9637a89d218ae64dae47bf35', 'hex'),
    );
    expect(ck.toString('hex')).toBe('b40ba9a3c58b2a05bbf0d987b21bf8cb');
  });

  it("bootstrapInventoryDevice prints the key derived from the lab's nonce with the CK of the SIM's AUTHENTICATE, in SORACOM's filtered document", async () => {
    const proxy = await recordingProxy(new URL(lab.urls.provisioning).origin);
    try {
      const r = await runBin(
        [
          '-interface',
          'virtual',
          '-keys-api-endpoint-url',
          `${proxy.url}/v1/keys`,
          `-provisioning-api-endpoint-url=${proxy.url}`,
          '-operation',
          'bootstrapInventoryDevice',
          '-params',
          '{"endpoint":"coaps://jp.inventory.soracom.io:5684"}',
        ],
        { env: xdg.env },
      );
      const printed = expectAnswer(r);
      // The key the call was signed with, and the RAND the lab challenged the SIM with for it.
      const inventory = proxy.seen.find((s) => s.path === '/v1/provisioning/soracom/inventory/bootstrap')!;
      const keyId = (JSON.parse(inventory.request) as { keyId: string }).keyId;
      const challenge = proxy.seen
        .filter((s) => s.path.startsWith('/v1/keys') && s.answer.includes(keyId) && s.answer.includes('"rand"'))
        .at(-1);
      expect(challenge, 'the key agreement that made the key').toBeDefined();
      const demo = demoProfileSet().sims.find((p) => p.name === 'demo')!;
      const ck = milenageCk(
        Buffer.from(demo.k, 'hex'),
        Buffer.from(demo.opc, 'hex'),
        Buffer.from((JSON.parse(challenge!.answer) as { rand: string }).rand, 'base64'),
      );
      const answer = JSON.parse(inventory.answer) as { nonce: string; timestamp: string; pskId: string; serverUri: string };
      const applicationKey = expectedApplicationKey(answer.nonce, answer.timestamp, ck);
      // SORACOM's CLI prints its own document: keys sorted, the derived key, nothing else.
      expect(printed).toBe(
        JSON.stringify({
          applicationKey,
          pskId: 'soracom-inventory-lab:001010000000001',
          serverUri: 'coaps://jp.inventory.soracom.io:5684',
        }),
      );
    } finally {
      await proxy.close();
    }
  });

  it("reports a refused operation as SORACOM's CLI does (status line and body on stderr), then one line with what to do; exit 1, nothing on stdout", async () => {
    const r = await cli(['-operation', 'getAzureIotDeviceRegistrationStatus', '-params', '{"operationId":"no-such-operation"}']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('unsuccessful response: 404 Not Found');
    expect(JSON.parse(lines[1]!)).toMatchObject({ code: 'LAB0404' });
    expect(lines[2]).toMatch(/getAzureIotDeviceRegistrationStatus \(HTTP 404\) \(LAB0404: no registration operation/);
    expect(lines[2]).toMatch(/\. [A-Z]/);
  });

  it('uses another lab SIM by name (-sim), and fails clearly on an unknown one', async () => {
    const r = await cli(['-operation', 'getSubscriberMetadata', '-sim', 'demo-even']);
    expect((JSON.parse(expectAnswer(r)) as { imsi: string }).imsi).toBe('00101000000004');
    const bad = await cli(['-operation', 'getSubscriberMetadata', '-sim', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/no SIM named "nope"; known: demo, demo-pin/);
  });

  it('verifies the PIN from KRYPTON_SIM_PIN when the SIM asks for one, and says how when it is missing', async () => {
    const missing = await cli(['-operation', 'getSubscriberMetadata', '-sim', 'demo-pin']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/PIN.*KRYPTON_SIM_PIN/);
    const ok = await cli(['-operation', 'getSubscriberMetadata', '-sim', 'demo-pin'], { KRYPTON_SIM_PIN: '1234' });
    expect((JSON.parse(expectAnswer(ok)) as { imsi: string }).imsi).toBe('001010000000002');
  });

  it('-debug traces steps, APDUs and HTTP calls on stderr, never CK, RES or the token; stdout unchanged', async () => {
    const r = await cli(['-operation', 'generateAmazonCognitoOpenIdToken', '-debug', '-disable-key-cache']);
    expect(r.code).toBe(0);
    const token = (JSON.parse(r.stdout) as { token: string }).token;
    expect(r.stderr).toMatch(/step authenticate: done/);
    expect(r.stderr).toMatch(/APDU 0088008122/);
    expect(r.stderr).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/v1\/keys -> HTTP 200/);
    expect(r.stderr).toContain('‹redacted›');
    expect(r.stderr).not.toContain(token.slice(0, 30));
    // The AUTHENTICATE answer (RES, CK, IK, Kc) never appears: only its status word does.
    expect(r.stderr).not.toMatch(/DB08[0-9A-F]{16}10/);
  });

  it('works from the repository root as `pnpm krypton-cli`', async () => {
    const { spawnSync } = await import('node:child_process');
    const { repoRoot } = await import('./support/processes.test-support.ts');
    const r = spawnSync('pnpm', ['krypton-cli', '-interface', 'virtual', ...endpoints(), '-operation', 'getUserData'], {
      cwd: repoRoot,
      env: { ...process.env, ...xdg.env },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('{')).toBe(true);
    const version = spawnSync('pnpm', ['krypton-cli', '-version'], { cwd: repoRoot, encoding: 'utf8' });
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    expect(version.stderr).toBe('');
  });
});
