import http from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runBin, startLabServe, tempXdg, type LabProcess } from './support/processes.test-support.ts';

// krypton-cli (the built bin) against every answer class, printing and exiting as SORACOM's Go
// krypton-cli does (krypton-protocol.md §12): status ≤ 400 → body on stdout, exit 0; > 400 →
// "unsuccessful response: <status line>" and the body on stderr, exit 1; bootstrapAwsIotThing prints
// the body whatever the status; a transport failure is one line on stderr, exit 1.
let lab: LabProcess;
let front: { url: string; answer: { status: number; body: string } | undefined; close(): Promise<void> };
beforeAll(async () => {
  lab = await startLabServe(['--latency-ms', '0']);
  front = await answeringFront(lab.urls.provisioning);
});
afterAll(async () => {
  await front?.close();
  await lab?.stop();
});

let xdg: ReturnType<typeof tempXdg>;
beforeEach(() => {
  xdg = tempXdg();
});
afterEach(async () => {
  xdg.dispose();
  front.answer = undefined;
  await lab.control('personality', { reset: true });
});

/**
 * A server in front of the lab: the Keys API passes through; provisioning calls pass through too, or
 * get the answer a test sets (the lab itself never answers 3xx, nor a chosen 4xx/5xx body).
 */
async function answeringFront(target: string): Promise<typeof front> {
  const state: typeof front = { url: '', answer: undefined, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const canned = state.answer;
      if (canned && req.url?.startsWith('/v1/provisioning/')) {
        res.writeHead(canned.status, { 'Content-Type': 'application/json' });
        res.end(canned.body);
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => k === 'content-type' || k.startsWith('x-soracom-')),
      ) as Record<string, string>;
      fetch(`${target}${req.url}`, { method: 'POST', headers, body: Buffer.concat(chunks) })
        .then(async (upstream) => {
          const body = await upstream.text();
          res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/json' });
          res.end(body);
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((resolve) => server.close(() => resolve()));
  return state;
}

const cli = (args: string[], base = front.url) =>
  runBin(['-interface', 'virtual', '-keys-api-endpoint-url', `${base}/v1/keys`, '-provisioning-api-endpoint-url', base, ...args], {
    env: xdg.env,
  });

const ERROR_BODY = (status: number) => `{"code":"SRV${status}","message":"the server says ${status}"}`;

describe('answer classes', () => {
  it('2xx other than 200 (the lab answering 201): the body on stdout, exit 0, nothing on stderr', async () => {
    await lab.control('personality', { provisioningStatus: 201 });
    const r = await cli(['-operation', 'getSubscriberMetadata']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ imsi: expect.stringMatching(/^\d+$/) });
  });

  it.each([300, 400])("%i: the body on stdout and exit 0, as Go's CLI; the server's code and message on stderr", async (status) => {
    front.answer = { status, body: ERROR_BODY(status) };
    const r = await cli(['-operation', 'getSubscriberMetadata']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${ERROR_BODY(status)}\n`);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`HTTP ${status}`);
    expect(r.stderr).toContain(`SRV${status}: the server says ${status}`);
  });

  it.each([
    [401, 'Unauthorized'],
    [404, 'Not Found'],
    [409, 'Conflict'],
    [429, 'Too Many Requests'],
    [500, 'Internal Server Error'],
    [503, 'Service Unavailable'],
  ])(
    '%i %s: "unsuccessful response: <status line>", the body, then what to do with the server\'s code and message, on stderr; exit 1',
    async (status, text) => {
      front.answer = { status, body: ERROR_BODY(status) };
      const r = await cli(['-operation', 'getSubscriberMetadata']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0]).toBe(`unsuccessful response: ${status} ${text}`);
      expect(lines[1]).toBe(ERROR_BODY(status));
      expect(lines).toHaveLength(3);
      expect(lines[2]).toContain(`SRV${status}: the server says ${status}`);
      expect(lines[2]).toMatch(/\. [A-Z]/);
    },
  );

  it("a 2xx whose body is not JSON: printed as sent, exit 0, as SORACOM's CLI prints it without reading it", async () => {
    front.answer = { status: 200, body: 'plain words, not JSON' };
    const r = await cli(['-operation', 'getSubscriberMetadata']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('plain words, not JSON\n');
  });

  it('bootstrapAwsIotThing prints the body whatever the status, exit 0', async () => {
    front.answer = { status: 500, body: ERROR_BODY(500) };
    const r = await cli(['-operation', 'bootstrapAwsIotThing']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${ERROR_BODY(500)}\n`);
    expect(r.stderr).toContain('SRV500: the server says 500');
  });

  it('a transport failure: one line on stderr, exit 1, nothing on stdout', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const r = await runBin(
      [
        '-interface',
        'virtual',
        '-keys-api-endpoint-url',
        lab.urls.keys,
        '-provisioning-api-endpoint-url',
        `http://127.0.0.1:${port}`,
        '-operation',
        'getUserData',
      ],
      { env: xdg.env },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^Cannot reach 127\.0\.0\.1:\d+: no internet, a DNS failure or a proxy in the way\. /);
  });
});

describe('operations', () => {
  it('takes operation names in any case, and runs bootstrapAzureIotDevice', async () => {
    const userdata = await cli(['-operation', 'getuserdata']);
    expect(userdata.code).toBe(0);
    expect(JSON.parse(userdata.stdout)).toMatchObject({ s3: { bucket: 'krypton-demo' } });
    const azure = await cli(['-operation', 'BootstrapAzureIotDevice', '-params', '{"registrationId":"dev-9"}']);
    expect(azure.stderr).toBe('');
    expect(JSON.parse(azure.stdout)).toMatchObject({
      deviceId: 'dev-9',
      certificate: expect.stringMatching(/^-----BEGIN CERTIFICATE-----/),
    });
  });

  it('-operation-path calls any provisioning path with -params as its requestParameters, and prints the answer as sent', async () => {
    const r = await cli(['-operation-path', 'aws/iot/ca_certificate', '-params', '{"skipCertificates":true}']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ certificate: expect.stringMatching(/^-----BEGIN CERTIFICATE-----/) });
    const missing = await cli(['-operation-path', 'no/such/path']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.split('\n')[0]).toBe('unsuccessful response: 404 Not Found');
  });

  it('a keyId with ":", "+", "/", "=", "%" and a space is agreed, cached in the key file, and signs the next run', async () => {
    await lab.control('personality', { keyIds: 'special' });
    expect((await cli(['-operation', 'getUserData'])).code).toBe(0);
    const held = (await lab.state()).keysHeld;
    const r = await cli(['-operation', 'getSubscriberMetadata']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // No new key: the cached one (with its special characters) signed the call.
    expect((await lab.state()).keysHeld).toBe(held);
  });

  it.each([400, 403, 404])('a cached key the server refuses with %i is forgotten and the SIM authenticates afresh once', async (status) => {
    await lab.control('personality', { unknownKeyStatus: status });
    expect((await cli(['-operation', 'getUserData'])).code).toBe(0);
    await lab.control('forget-keys', {});
    const r = await cli(['-operation', 'getUserData']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ s3: { bucket: 'krypton-demo' } });
  });
});

describe('-cellular off the SORACOM Air network', () => {
  it('a refused connection: "This computer is not online through SORACOM Air" and what to do, one line, exit 1', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const r = await runBin(['-cellular', '-provisioning-api-endpoint-url', `http://127.0.0.1:${port}`, '-operation', 'getUserData'], {
      env: xdg.env,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^This computer is not online through SORACOM Air: 127\.0\.0\.1:\d+ could not be reached\. Connect this computer/,
    );
  });
});
