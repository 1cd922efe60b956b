import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

// `pnpm lab serve` as other tools use it: a process, one JSON line on stdout, SIGTERM to stop.
let child: ReturnType<typeof spawn>;
let urls: Record<string, string>;
const stdoutLines: string[] = [];
let stderr = '';

beforeAll(async () => {
  child = spawn('pnpm', ['lab', 'serve', '--latency-ms', '0'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (l) => stdoutLines.push(l));
  const [first] = (await once(lines, 'line')) as [string];
  urls = JSON.parse(first) as Record<string, string>;
});
afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

describe('pnpm lab serve', () => {
  it('prints the URLs of every service as the first line of stdout, all on 127.0.0.1', () => {
    expect(stdoutLines[0]).toBe(JSON.stringify(urls));
    expect(urls.keys).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/keys$/);
    for (const name of ['provisioning', 'cognito', 's3', 'cellular']) expect(urls[name]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers the Keys API and refuses a provisioning call without a key', async () => {
    const start = await post(urls.keys!, { imsi: '001010000000001' });
    expect(start.status).toBe(200);
    expect(Object.keys((await start.json()) as object).sort()).toEqual(['autn', 'keyId', 'rand']);
    const prov = await post(`${urls.provisioning}/v1/provisioning/soracom/air/userdata`, { keyId: 'x', requestParameters: null });
    expect(prov.status).toBe(400);
  });

  it('sends no CORS headers from the Krypton endpoints, as SORACOM does not for a local origin', async () => {
    const pre = await fetch(urls.keys!, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:8787', 'Access-Control-Request-Method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('injects latency, errors and clock skew through the control API', async () => {
    expect((await post(`${urls.control}/faults`, { latencyMs: 120 })).status).toBe(200);
    const t0 = performance.now();
    await post(urls.keys!, { imsi: '001010000000001' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(115);
    await post(`${urls.control}/faults`, { latencyMs: 0, errorRate: 1, errorStatus: 502, errorServices: ['keys'] });
    const failed = await post(urls.keys!, { imsi: '001010000000001' });
    expect(failed.status).toBe(502);
    expect(((await failed.json()) as { code: string }).code).toMatch(/^LAB/);
    await post(`${urls.control}/faults`, { errorRate: 0 });
    expect((await post(urls.keys!, { imsi: '001010000000001' })).status).toBe(200);

    await post(`${urls.control}/clock`, { offsetMs: 600_000 });
    const skewed = await post(urls.keys!, { imsi: '001010000000001' });
    const skew = Date.parse(skewed.headers.get('date')!) - Date.now();
    expect(skew).toBeGreaterThan(590_000);
    expect(skew).toBeLessThan(610_000);
    await post(`${urls.control}/clock`, { offsetMs: 0 });

    expect((await post(`${urls.control}/faults`, { errorRate: 2 })).status).toBe(400);
    expect((await post(`${urls.control}/faults`, { errorServices: ['dns'] })).status).toBe(400);
    expect((await post(`${urls.control}/desync`, { imsi: '999' })).status).toBe(404);
  });

  it('stops cleanly on SIGTERM, closing its ports', async () => {
    child.kill('SIGTERM');
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    // pnpm forwards the signal to the lab, which closes its servers and exits 0; pnpm itself then
    // reports the signal (exit 143 or "killed by SIGTERM"), as a signalled wrapper does.
    expect(code === 143 || signal === 'SIGTERM' || code === 0).toBe(true);
    expect(stderr).toContain('SIGTERM received, stopping');
    await expect(fetch(urls.keys!, { method: 'POST', body: '{}' })).rejects.toThrow();
  });
});

describe('the lab bin without pnpm', () => {
  it('exits 0 after SIGINT once its servers are closed', async () => {
    // A temporary directory of its own: what the lab leaves there after exit is what it did not clean up.
    const tmp = mkdtempSync(join(tmpdir(), 'lab-serve-exit-'));
    try {
      const bin = spawn(process.execPath, [fileURLToPath(new URL('../bin/lab.js', import.meta.url)), 'serve'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TMPDIR: tmp },
      });
      const [line] = (await once(createInterface({ input: bin.stdout }), 'line')) as [string];
      const urls = JSON.parse(line) as { keys: string };
      expect(urls.keys).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/keys$/);
      // Running: its S3 server keeps its data there.
      expect(readdirSync(tmp).filter((f) => f.startsWith('krypton-lab-s3-'))).toHaveLength(1);
      bin.kill('SIGINT');
      const [code] = (await once(bin, 'exit')) as [number | null];
      expect(code).toBe(0);
      // It exited after closing its servers: their data is gone and their port refuses connections.
      expect(readdirSync(tmp)).toEqual([]);
      await expect(fetch(urls.keys, { method: 'POST', body: '{}' })).rejects.toThrow();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('fault injection in process', () => {
  it('adds the latency once per request, on start and on verify alike', async () => {
    const { startLab } = await import('../src/server/lab.ts');
    const lab = await startLab();
    try {
      lab.faults.update({ latencyMs: 200 });
      let t = performance.now();
      const start = await fetch(lab.urls.keys, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ imsi: '001010000000001' }),
      });
      const startMs = performance.now() - t;
      const { keyId } = (await start.json()) as { keyId: string };
      t = performance.now();
      await fetch(`${lab.urls.keys}/${keyId}/verify`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"res":"AAAAAAAAAAA="}',
      });
      const verifyMs = performance.now() - t;
      expect(startMs).toBeGreaterThanOrEqual(195);
      expect(startMs).toBeLessThan(390);
      expect(verifyMs).toBeGreaterThanOrEqual(195);
      expect(verifyMs).toBeLessThan(390);
    } finally {
      await lab.close();
    }
  });
});
