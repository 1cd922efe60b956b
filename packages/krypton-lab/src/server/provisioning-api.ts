import { Hono, type Context } from 'hono';
import type { ProfileSet, SimProfile } from '../profiles/index.ts';
import { apiError } from './api-error.ts';
import { readJsonBody } from './json-body.ts';
import type { LabClock } from './lab-clock.ts';
import type { MasterKeyStore } from './master-keys.ts';
import { resolveOperation, type OperationAnswer, type OperationServices } from './provisioning-ops.ts';
import { requestParameters, verifySignedCall } from './signed-call.ts';

/** What the provisioning API needs from the rest of the lab. */
export interface ProvisioningApiOptions extends OperationServices {
  profiles: ProfileSet;
  keys: MasterKeyStore;
  clock: LabClock;
}

/** The signed Provisioning API: `POST /v1/provisioning/<operation>` with a keyId and a CK signature. */
export function provisioningApi(options: ProvisioningApiOptions): Hono {
  const app = new Hono();
  app.post('/*', async (c) => {
    const found = resolveOperation(operationPath(c));
    if (!found) return apiError(c, 'notFound');
    const body = await readJsonBody(c);
    const verified = await verifySignedCall(c, body, options.keys, options.clock, options.personality?.unknownKeyStatus);
    if (verified instanceof Response) return verified;
    const subscriber = options.profiles.sims.find((s) => s.imsi === verified.key.imsi);
    if (!subscriber) return apiError(c, 'keyNotVerified');
    const result = await found.operation(
      { subscriber, group: groupOf(options.profiles, subscriber), params: verified.params, ck: verified.key.ck, pathRest: found.pathRest },
      options,
    );
    return answer(c, result, options.personality?.provisioningStatus);
  });
  app.all('/*', (c) => apiError(c, 'notFound'));
  return app;
}

/** Options of the cellular endpoint, where the network, not a signature, names the SIM. */
export interface CellularApiOptions extends OperationServices {
  profiles: ProfileSet;
  /** The IMSI of the SIM this machine is "online through", or undefined when it is not on SORACOM Air. */
  connectedImsi: () => string | undefined;
}

/** The cellular endpoint (`krypton.soracom.io:8036`): unsigned calls, the SIM identified by the line. */
export function cellularApi(options: CellularApiOptions): Hono {
  const app = new Hono();
  app.post('/*', async (c) => {
    const found = resolveOperation(operationPath(c));
    if (!found) return apiError(c, 'notFound');
    const imsi = options.connectedImsi();
    const subscriber = imsi ? options.profiles.sims.find((s) => s.imsi === imsi) : undefined;
    if (!subscriber) return apiError(c, 'notOnAir');
    const body = await readJsonBody(c);
    if (body.tooLarge) return apiError(c, 'tooLarge');
    if (body.bytes.length > 0 && !body.json) return apiError(c, 'badRequest');
    const params = body.json ? requestParameters(body.json, 'requestParameters' in body.json ? 'go' : 'java') : {};
    const result = await found.operation(
      { subscriber, group: groupOf(options.profiles, subscriber), params, ck: undefined, pathRest: found.pathRest },
      options,
    );
    return answer(c, result, options.personality?.provisioningStatus);
  });
  app.all('/*', (c) => apiError(c, 'notFound'));
  return app;
}

function operationPath(c: Context): string {
  // The router is mounted under /v1/provisioning; what follows names the operation.
  const path = new URL(c.req.url).pathname;
  const marker = '/v1/provisioning/';
  const at = path.indexOf(marker);
  return at < 0 ? '' : path.slice(at + marker.length);
}

function groupOf(profiles: ProfileSet, sim: SimProfile) {
  return profiles.groups.find((g) => g.groupId === sim.groupId);
}

function answer(c: Context, result: OperationAnswer, okStatus: 200 | 201 | 202 = 200): Response {
  switch (result.kind) {
    case 'json':
      return c.json(result.body as object, okStatus);
    case 'text':
      return c.body(result.body, okStatus, { 'Content-Type': result.contentType });
    case 'missing':
      return apiError(c, 'missingParameter', result.message);
    case 'notFound':
      return apiError(c, 'notFound', result.message);
  }
}
