import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger, startBridge, type RunningBridge } from '../src/index.ts';

// Issue 15 §1: the page cannot tell a misspelt bucket from one without a CORS rule (S3's NoSuchBucket
// carries no CORS headers); the bridge asks S3 (here the lab's, which answers as AWS does) for it.

let bridge: RunningBridge;
beforeAll(async () => {
  bridge = await startBridge({ port: 0, lab: true, pcsc: false, modems: false, log: new Logger(() => undefined) });
  await bridge.lab!.ready;
}, 120_000);
afterAll(async () => {
  await bridge?.close();
});

async function probe(query: string, origin = bridge.url): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${bridge.url}/api/s3-bucket?${query}`, { headers: { Origin: origin } });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe('GET /api/s3-bucket', () => {
  it('says the lab’s demo bucket and its bucket without CORS exist, and a misspelt one does not', async () => {
    await expect(probe(`bucket=${bridge.lab!.bucket}&at=lab`)).resolves.toEqual({ status: 200, body: { exists: true } });
    await expect(probe('bucket=krypton-nocors&at=lab')).resolves.toEqual({ status: 200, body: { exists: true } });
    await expect(probe('bucket=krypton-demo-misspelt&at=lab')).resolves.toEqual({ status: 200, body: { exists: false } });
  });

  it('refuses what is not a bucket name or a region, and pages of other sites', async () => {
    expect((await probe('bucket=../etc&at=lab')).status).toBe(400);
    expect((await probe('bucket=krypton-demo&region=x/evil.example')).status).toBe(400);
    expect((await probe('bucket=krypton-demo&at=elsewhere')).status).toBe(400);
    expect((await probe('bucket=krypton-demo&at=lab', 'https://evil.example')).status).toBe(403);
  });
});
