import { concatBytes, toBase64, utf8 } from '@krypton-web/krypton-core';
import type { IdentityPool } from '../cognito/identity-pool.ts';
import type { SimGroup, SimProfile } from '../profiles/index.ts';
import type { IotCertificateAuthority } from './iot-certificates.ts';
import type { LabClock } from './lab-clock.ts';
import type { ServerPersonality } from './personality.ts';

/** What one provisioning operation sees: who is asking and with which parameters. */
export interface OperationContext {
  subscriber: SimProfile;
  group: SimGroup | undefined;
  params: Record<string, unknown>;
  /** The agreed master key, or undefined over the cellular endpoint (no key there). */
  ck: Uint8Array | undefined;
  /** The path after the operation's prefix (`azure/iot/registrations/{operationId}`). */
  pathRest: string;
}

/** An operation's answer: a JSON value, raw text (userdata), or a refusal. */
export type OperationAnswer =
  | { kind: 'json'; body: unknown }
  | { kind: 'text'; body: string; contentType: string }
  | { kind: 'missing'; message: string }
  | { kind: 'notFound'; message: string };

/** Services the operations draw on. */
export interface OperationServices {
  clock: LabClock;
  identityPool: IdentityPool;
  iotCa: IotCertificateAuthority;
  /** Region and host reported by IoT bootstrap. */
  iotEndpoint: string;
  /** Where SORACOM may differ from the lab (region present, expiration form); the lab's usual behaviour when absent. */
  personality?: ServerPersonality;
}

type Operation = (ctx: OperationContext, services: OperationServices) => Promise<OperationAnswer>;

const azureRegistrations = new Map<string, { imsi: string; polls: number; registrationId: string }>();

/** Every provisioning operation of the protocol table, by path under `/v1/provisioning/`. */
export const OPERATIONS: Record<string, Operation> = {
  'aws/cognito/open_id_tokens': async (ctx, s) => {
    const { identityId, token } = await s.identityPool.openIdToken(ctx.subscriber.imsi);
    if (s.personality?.openIdRegion === false) return { kind: 'json', body: { identityId, token } };
    return { kind: 'json', body: { region: s.identityPool.region, identityId, token } };
  },

  'aws/cognito/credentials': async (ctx, s) => {
    const identityId = await s.identityPool.identityIdFor(ctx.subscriber.imsi);
    const c = s.identityPool.vend(identityId);
    return {
      kind: 'json',
      body: {
        identityId,
        credentials: {
          accessKeyId: c.accessKeyId,
          secretKey: c.secretAccessKey,
          sessionToken: c.sessionToken,
          expiration: s.personality ? s.personality.writeExpiration(c.expiration.getTime()) : c.expiration.getTime(),
        },
      },
    };
  },

  'soracom/air/subscriber_metadata': async (ctx, s) => ({ kind: 'json', body: subscriberMetadata(ctx.subscriber, s.clock) }),

  'soracom/air/userdata': async (ctx) => {
    const userdata = ctx.group?.userdata ?? '';
    return { kind: 'text', body: userdata, contentType: looksLikeJson(userdata) ? 'application/json' : 'text/plain; charset=utf-8' };
  },

  'aws/iot/bootstrap': async (ctx, s) => {
    const thingName =
      typeof ctx.params.thingName === 'string' && /^[A-Za-z0-9:_-]{1,128}$/.test(ctx.params.thingName)
        ? ctx.params.thingName
        : ctx.subscriber.imsi;
    const cert = await s.iotCa.issue(thingName);
    return {
      kind: 'json',
      body: {
        certificate: cert.certificatePem,
        privateKey: cert.privateKeyPem,
        rootCaCertificate: await s.iotCa.rootCertificatePem(),
        host: s.iotEndpoint,
        clientId: thingName,
        thingName,
        certificateId: cert.certificateId,
      },
    };
  },

  // The Java client's bootstrapAzureIotDevice. Its answer is not public: the lab answers what a device
  // needs to reach IoT Hub with X.509 (certificate, key, CA, hub, device id), and clients pass it on as sent.
  'azure/iot/bootstrap': async (ctx, s) => {
    const deviceId =
      typeof ctx.params.registrationId === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(ctx.params.registrationId)
        ? ctx.params.registrationId
        : ctx.subscriber.imsi;
    const cert = await s.iotCa.issue(deviceId);
    return {
      kind: 'json',
      body: {
        certificate: cert.certificatePem,
        privateKey: cert.privateKeyPem,
        rootCaCertificate: await s.iotCa.rootCertificatePem(),
        assignedHub: 'krypton-lab-hub.azure-devices.net',
        deviceId,
      },
    };
  },

  // Called by a public sample over the cellular endpoint; the shape is the lab's guess (the root CA as PEM).
  'aws/iot/ca_certificate': async (_ctx, s) => ({ kind: 'json', body: { certificate: await s.iotCa.rootCertificatePem() } }),

  // Also from that sample: a certificate issued by aws/iot/bootstrap, by its id (again the lab's guess at the shape).
  'aws/iot/certificates': async (ctx, s) => {
    const certificateId = ctx.pathRest;
    const certificate = s.iotCa.issuedCertificatePem(certificateId);
    if (!certificate) return { kind: 'notFound', message: `no certificate ${certificateId}` };
    return { kind: 'json', body: { certificateId, certificate } };
  },

  'soracom/inventory/bootstrap': async (ctx, s) => {
    const endpoint = ctx.params.endpoint;
    if (typeof endpoint !== 'string' || endpoint.length === 0)
      return { kind: 'missing', message: 'parameter endpoint is required (e.g. "coaps://jp.inventory.soracom.io:5684")' };
    const pskId = `soracom-inventory-lab:${ctx.subscriber.imsi}`;
    if (!ctx.ck) {
      // Over the cellular line the client holds no CK, so the server hands the key over itself.
      return { kind: 'json', body: { serverUri: endpoint, pskId, applicationKey: toBase64(crypto.getRandomValues(new Uint8Array(16))) } };
    }
    const nonce = crypto.getRandomValues(new Uint8Array(16));
    const timestamp = String(s.clock.now());
    return { kind: 'json', body: { serverUri: endpoint, pskId, nonce: toBase64(nonce), timestamp } };
  },

  'soracom/arc/bootstrap': async (ctx) => {
    const [client, server] = await Promise.all([wireguardKeyPair(), wireguardKeyPair()]);
    const n = Number(ctx.subscriber.imsi.slice(-4)) % 250;
    return {
      kind: 'json',
      body: {
        arcClientPeerPrivateKey: client.privateKey,
        arcClientPeerPublicKey: client.publicKey,
        arcClientPeerIpAddress: `10.128.${Math.floor(n / 250)}.${(n % 250) + 2}`,
        arcServerPeerPublicKey: server.publicKey,
        arcServerEndpoint: 'arc.lab.invalid:11010',
        arcAllowedIPs: ['100.127.0.0/16'],
      },
    };
  },

  'azure/iot/register': async (ctx) => {
    const operationId = `4.${crypto.randomUUID().replaceAll('-', '')}.${crypto.randomUUID()}`;
    const registrationId = typeof ctx.params.registrationId === 'string' ? ctx.params.registrationId : ctx.subscriber.imsi;
    azureRegistrations.set(operationId, { imsi: ctx.subscriber.imsi, polls: 0, registrationId });
    return { kind: 'json', body: { operationId, status: 'assigning' } };
  },

  'azure/iot/registrations': async (ctx, s) => {
    const operationId = decodeURIComponent(ctx.pathRest);
    const reg = azureRegistrations.get(operationId);
    if (!reg || reg.imsi !== ctx.subscriber.imsi)
      return { kind: 'notFound', message: `no registration operation ${operationId} for this SIM` };
    reg.polls += 1;
    const now = s.clock.date().toISOString();
    return {
      kind: 'json',
      body: {
        operationId,
        status: 'assigned',
        registrationState: {
          registrationId: reg.registrationId,
          createdDateTimeUtc: now,
          assignedHub: 'krypton-lab-hub.azure-devices.net',
          deviceId: reg.registrationId,
          status: 'assigned',
          substatus: 'initialAssignment',
          lastUpdatedDateTimeUtc: now,
          etag: `"${crypto.randomUUID()}"`,
        },
      },
    };
  },
};

/** Finds the operation for a path (`azure/iot/registrations/{id}` included) and the rest of the path. */
export function resolveOperation(path: string): { operation: Operation; pathRest: string } | undefined {
  const exact = OPERATIONS[path];
  if (exact) return { operation: exact, pathRest: '' };
  for (const base of ['azure/iot/registrations', 'aws/iot/certificates']) {
    const prefix = `${base}/`;
    if (path.startsWith(prefix) && path.length > prefix.length && !path.slice(prefix.length).includes('/')) {
      return { operation: OPERATIONS[base]!, pathRest: path.slice(prefix.length) };
    }
  }
  return undefined;
}

/** The application key a client derives from an inventory nonce answer (first 16 bytes of SHA-256(nonce ‖ timestamp ‖ CK)). */
export async function inventoryApplicationKey(nonce: Uint8Array, timestamp: string, ck: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concatBytes(nonce, utf8(timestamp), ck))).slice(0, 16);
}

function subscriberMetadata(sim: SimProfile, clock: LabClock): Record<string, unknown> {
  const created = Date.UTC(2026, 0, 15, 3, 0, 0);
  return {
    imsi: sim.imsi,
    msisdn: sim.msisdn,
    iccid: sim.iccid,
    serialNumber: sim.iccid,
    operatorId: 'OP0012345678',
    groupId: sim.groupId || null,
    tags: { ...sim.tags },
    status: 'active',
    speedClass: 's1.standard',
    type: 's1.standard',
    apn: 'soracom.io',
    ipAddress: `10.${Number(sim.imsi.slice(-6, -4)) % 256}.${Number(sim.imsi.slice(-4, -2)) % 256}.${(Number(sim.imsi.slice(-2)) % 254) + 1}`,
    moduleType: 'nano',
    plan: 1,
    subscription: 'plan01s',
    terminationEnabled: false,
    expiredAt: null,
    expiryAction: null,
    imeiLock: null,
    createdAt: created,
    lastModifiedAt: created,
    sessionStatus: { online: true, lastUpdatedAt: clock.now(), ueIpAddress: null, imei: '867000000000001' },
  };
}

function looksLikeJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// RFC 8410 PKCS#8 for an X25519 private key, up to the 32 key bytes: version 0, OID 1.3.101.110,
// the key as an OCTET STRING inside the privateKey OCTET STRING, and no optional public key.
const X25519_PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

/** A fresh WireGuard (X25519) key pair, each key as standard base64 of its 32 raw bytes. */
export async function wireguardKeyPair(): Promise<{ privateKey: string; publicKey: string }> {
  // Not generateKeyPairSync + export({ format: 'jwk' }): on Node 20 the JWK export holds the key's
  // lock while it allocates, and a GC that collects the finished sync job waits for the same lock,
  // freezing the process for good (about once in 560 arc bootstraps). WebCrypto runs generation and
  // export as async jobs, which Node frees after their callback rather than from GC.
  const pair = await crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits']);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  // Taking the last 32 bytes is only right for this exact layout (a PKCS#8 v2 could end with the public key).
  if (pkcs8.length !== X25519_PKCS8_PREFIX.length + 32 || !X25519_PKCS8_PREFIX.every((b, i) => pkcs8[i] === b) || publicKey.length !== 32) {
    throw new Error(`unexpected X25519 key encoding (PKCS#8 ${pkcs8.length} bytes, public key ${publicKey.length} bytes)`);
  }
  const privateKey = toBase64(pkcs8.subarray(X25519_PKCS8_PREFIX.length));
  pkcs8.fill(0);
  return { privateKey, publicKey: toBase64(publicKey) };
}
