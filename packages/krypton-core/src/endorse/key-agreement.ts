import { wipe, type Bytes } from '../bytes/index.ts';
import { KryptonError } from '../errors/index.ts';
import type { Tracer } from '../trace/index.ts';
import type { KeysApiClient } from './keys-api-client.ts';
import type { SimAuthenticator } from './sim-authenticator.ts';

/** A master key both the SIM's holder and Krypton now hold: CK, named by keyId. */
export interface AgreedKey {
  imsi: string;
  keyId: string;
  ck: Bytes;
  /** Local time (ms epoch) the key was verified. */
  createdAt: number;
  /** Whether the SIM's sequence number had to be resynchronised first. */
  resynchronised: boolean;
}

/**
 * Runs the Endorse key agreement: start, AUTHENTICATE on the SIM, one resynchronisation if the SIM
 * reports a stale sequence number, verify. IK and Kc are dropped as soon as they are read.
 */
export async function agreeKey(
  sim: SimAuthenticator,
  imsi: string,
  keys: KeysApiClient,
  tracer: Tracer,
  now: () => number,
): Promise<AgreedKey> {
  let challenge = await tracer.run('key-agreement', () => keys.start(imsi));
  let result = await tracer.run(
    'authenticate',
    () => sim.authenticate(challenge.rand, challenge.autn),
    (r) => (r.kind === 'sync-failure' ? { code: 'sync-failure', text: 'sequence number out of sync' } : undefined),
  );
  let resynchronised = false;
  if (result.kind === 'sync-failure') {
    const auts = result.auts;
    challenge = await tracer.run('resync', () => keys.resync(imsi, challenge.rand, auts));
    resynchronised = true;
    result = await tracer.run('authenticate', () => sim.authenticate(challenge.rand, challenge.autn));
    if (result.kind === 'sync-failure') {
      throw new KryptonError(
        'RESYNC_FAILED',
        'The SIM still reports its sequence number out of sync after resynchronisation',
        'Try once more; if it repeats, the SIM and SORACOM disagree on its keys: contact SORACOM support with the IMSI',
        { step: 'resync' },
      );
    }
  }
  const { res, ck, ik, kc } = result;
  wipe(ik);
  if (kc) wipe(kc);
  const keyId = challenge.keyId;
  try {
    await tracer.run('verify', () => keys.verify(keyId, res));
  } catch (e) {
    wipe(ck);
    throw e;
  } finally {
    wipe(res);
  }
  return { imsi, keyId, ck, createdAt: now(), resynchronised };
}
