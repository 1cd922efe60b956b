import { startLab } from '@krypton-web/krypton-lab';
import type { TraceEvent } from '@krypton-web/krypton-core';
import type { Suite } from '../metric.ts';
import { clientFor, memoryRig } from './link-rigs.ts';

const count = (events: TraceEvent[], from: number) => {
  const http = events.slice(from).filter((e) => e.type === 'http');
  const by = (step: string) =>
    http.filter((e) => e.step === step || (step === 'keys' && (e.step === 'key-agreement' || e.step === 'verify' || e.step === 'resync')))
      .length;
  return { total: http.length, keys: by('keys'), provisioning: by('provisioning'), cognito: by('cognito') };
};

/** 2. HTTP calls per credential: first run, cached run, refresh; both Cognito modes. */
export const httpCalls: Suite = {
  name: 'HTTP calls per credential',
  quick: true,
  async run(ctx) {
    const lab = await startLab();
    try {
      for (const mode of ['openid', 'direct'] as const) {
        const rig = await memoryRig(lab);
        let now = Date.now();
        const { client, events } = clientFor(lab, rig.sim, undefined, () => now);
        const provider = client.credentialProvider({ mode, cognitoEndpoint: lab.urls.cognito, now: () => now });
        let mark = events.length;
        const creds = await provider();
        const first = count(events, mark);
        mark = events.length;
        await provider();
        const cachedCredentials = count(events, mark);
        // A new page (new provider) with the key cache kept: what a repeat run costs.
        const again = client.credentialProvider({ mode, cognitoEndpoint: lab.urls.cognito, now: () => now });
        mark = events.length;
        await again();
        const cachedKey = count(events, mark);
        // Just inside the refresh margin: the provider refreshes with the cached key. The lab's
        // clock moves with ours, as a real server's would over those minutes.
        now = creds.expiration.getTime() - 60_000;
        lab.clock.offsetMs = now - Date.now();
        mark = events.length;
        await again();
        const refresh = count(events, mark);
        for (const [run, c] of [
          ['first', first],
          ['cached key, new provider', cachedKey],
          ['refresh', refresh],
          ['credentials still valid', cachedCredentials],
        ] as const) {
          ctx.report({
            metric: 'http_calls_per_credential',
            value: c.total,
            unit: 'calls',
            mode,
            run,
            keys: c.keys,
            provisioning: c.provisioning,
            cognito: c.cognito,
          });
        }
        lab.clock.offsetMs = 0;
        await rig.close();
      }
    } finally {
      await lab.close();
    }
    ctx.note(
      'openid mode: Krypton open_id_tokens then Cognito GetCredentialsForIdentity; direct mode: Krypton aws/cognito/credentials alone.',
    );
  },
};
