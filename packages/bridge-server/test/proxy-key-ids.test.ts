import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KryptonClient, MemoryKeyCache, simEndpoint, Usim, type FetchLike } from '@krypton-web/krypton-core';
import { findSim, startLab, VirtualUsim, type Lab } from '@krypton-web/krypton-lab';
import { MemoryCardTransport } from '@krypton-web/sim-transport';
import { rawHttp, startTestBridge, type TestBridge } from './support/harness.test-support.ts';

// The client encodes a keyId with encodeURIComponent into one path segment; the bridge forwards that
// segment as it came, and the lab decodes it once. These tests hold the three to the same reading.

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});
const started: TestBridge[] = [];
afterEach(async () => {
  lab.personality.reset();
  await Promise.all(started.splice(0).map((b) => b.close()));
});
async function bridge(): Promise<TestBridge> {
  const b = await startTestBridge({ lab });
  started.push(b);
  return b;
}

describe('keyIds in the verify path through the Krypton proxy', () => {
  it.each([':', '+', '/', '=', '%', '%2F', ' ', 'キー', '😀'.repeat(254)])(
    'a keyId holding %j is forwarded exactly as the client encoded it',
    async (ch) => {
      const t = await bridge();
      const segment = encodeURIComponent(`k${ch}1`);
      const r = await rawHttp(
        t.port,
        `POST /krypton/lab/v1/keys/${segment}/verify HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
      );
      // The lab does not hold this key: what matters is that it was asked about exactly this one.
      expect(r.status).toBe(404);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'KEY0410' });
      expect(t.upstream).toEqual([`${lab.urls.provisioning}/v1/keys/${segment}/verify`]);
    },
  );

  it.each([
    ['a keyId climbing out when decoded', '..%2F..%2F_lab%2Ffaults'],
    ['a keyId that is a dot segment when decoded', 'a%2F..'],
    ['a backslash climb', '..%5C_lab'],
    ['a control character', 'a%00b'],
    ['a broken escape', 'a%zzb'],
    ['a keyId of 257 characters', 'k'.repeat(257)],
    ['a bidi override', 'a%E2%80%AEb'],
  ])('%s: 404, nothing sent upstream', async (_why, segment) => {
    const t = await bridge();
    const r = await rawHttp(
      t.port,
      `POST /krypton/lab/v1/keys/${segment}/verify HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    expect(r.status).toBe(404);
    expect(t.upstream).toEqual([]);
  });

  it('a client authenticates through the bridge against a lab whose keyIds hold ":", "+", "/", "=", "%" and a space', async () => {
    lab.personality.update({ keyIds: 'special' });
    const t = await bridge();
    const card = await VirtualUsim.create(findSim(lab.profiles, 'demo'));
    // A page's fetch: the bridge's own origin.
    const pageFetch: FetchLike = (url, init) =>
      fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), Origin: t.url } });
    const client = new KryptonClient({
      endpoint: simEndpoint(`${t.url}/krypton/lab`),
      sim: new Usim(new MemoryCardTransport(card)),
      keyCache: new MemoryKeyCache(),
      fetch: pageFetch,
    });
    const key = await client.authenticate();
    expect(key.keyId).toMatch(/^lab:[0-9a-f-]{36}\+a\/b=c%2F%d e$/);
    expect(t.upstream[1]).toBe(`${lab.urls.provisioning}/v1/keys/${encodeURIComponent(key.keyId)}/verify`);
    expect(await client.getSubscriberMetadata()).toMatchObject({ imsi: key.imsi });
  });
});
