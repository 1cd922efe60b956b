import { Hono } from 'hono';
import { fromBase64, toBase64, type Bytes } from '@krypton-web/krypton-core';
import { IdentityPool } from '../../src/cognito/identity-pool.ts';
import { demoProfileSet, findSim, type SimProfile } from '../../src/profiles/index.ts';
import { Hss } from '../../src/server/hss.ts';
import { IotCertificateAuthority } from '../../src/server/iot-certificates.ts';
import { keysApi } from '../../src/server/keys-api.ts';
import { LabClock } from '../../src/server/lab-clock.ts';
import { MasterKeyStore } from '../../src/server/master-keys.ts';
import type { ServerPersonality } from '../../src/server/personality.ts';
import { cellularApi, provisioningApi } from '../../src/server/provisioning-api.ts';
import type { VendedCredentials } from '../../src/s3/credential-store.ts';
import { signedRequest } from './signed-request.test-support.ts';
import { simRespond } from './milenage-sim.test-support.ts';

let sharedCa: Promise<IotCertificateAuthority> | undefined;

/** The Keys and Provisioning APIs wired as the lab wires them, for in-process `app.request()` tests. */
export async function kryptonFixture(options: { cellularImsi?: string; personality?: ServerPersonality } = {}) {
  const profiles = demoProfileSet();
  const clock = new LabClock();
  const vended: VendedCredentials[] = [];
  const hss = await Hss.create(profiles);
  const identityPool = await IdentityPool.create({ clock, onVend: (c) => vended.push(c) });
  sharedCa ??= IotCertificateAuthority.create();
  const iotCa = await sharedCa;
  const keys = new MasterKeyStore(clock);
  const personality = options.personality;
  const services = { clock, identityPool, iotCa, iotEndpoint: 'lab-ats.iot.ap-northeast-1.amazonaws.com', personality };
  const app = new Hono();
  app.route('/v1/keys', keysApi({ hss, keys, personality }));
  app.route('/v1/provisioning', provisioningApi({ ...services, profiles, keys }));
  const cellular = new Hono();
  let cellularImsi = options.cellularImsi;
  cellular.route('/v1/provisioning', cellularApi({ ...services, profiles, connectedImsi: () => cellularImsi }));

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', ...headers },
    });

  /** Runs start + verify for a demo SIM and returns the agreed key. */
  async function agree(simName = 'demo'): Promise<{ sim: SimProfile; keyId: string; ck: Bytes }> {
    const sim = findSim(profiles, simName);
    const start = (await (await post('/v1/keys', { imsi: sim.imsi })).json()) as { keyId: string; rand: string; autn: string };
    const card = await simRespond(sim, fromBase64(start.rand), fromBase64(start.autn));
    const verify = await post(`/v1/keys/${encodeURIComponent(start.keyId)}/verify`, { res: toBase64(card.res) });
    if (verify.status < 200 || verify.status > 299) throw new Error(`verify failed: ${verify.status}`);
    return { sim, keyId: start.keyId, ck: card.ck };
  }

  /** Calls a provisioning operation signed with an agreed key, in the Go body form. */
  async function call(path: string, key: { keyId: string; ck: Uint8Array }, requestParameters: unknown = null, timestamp?: string) {
    const req = await signedRequest(JSON.stringify({ keyId: key.keyId, requestParameters }), key.ck, timestamp);
    return app.request(`/v1/provisioning/${path}`, { method: 'POST', body: req.body, headers: req.headers });
  }

  return {
    app,
    cellular,
    setCellularImsi: (imsi: string | undefined) => {
      cellularImsi = imsi;
    },
    profiles,
    clock,
    hss,
    keys,
    identityPool,
    vended,
    post,
    agree,
    call,
  };
}
