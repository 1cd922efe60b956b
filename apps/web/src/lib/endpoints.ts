import { KRYPTON_BASE_URLS } from '@krypton-web/krypton-core';
import type { SessionSettings } from '../worker/api.ts';
import type { Serving } from './config.ts';

export type EndpointChoice = 'global' | 'japan' | 'lab' | 'custom';
export const ENDPOINT_CHOICES: readonly EndpointChoice[] = ['global', 'japan', 'lab', 'custom'];

/** Why an endpoint cannot be used, as a message key. */
export type EndpointProblem = 'endpoint.labMissing' | 'endpoint.badUrl';

/**
 * Where the worker sends Krypton, Cognito and S3 calls for a choice. Served by the bridge, SORACOM is
 * reached through its proxy (SORACOM sends no CORS headers for a local origin); the lab's Cognito and
 * S3 are called directly (they answer CORS), as AWS's are.
 */
export function resolveSettings(
  serving: Serving,
  choice: EndpointChoice,
  customUrl: string,
  origin: string,
): SessionSettings | EndpointProblem {
  const abs = (path: string) => new URL(path, `${origin}/`).href.replace(/\/+$/, '');
  if (choice === 'custom') {
    const url = checkUrl(customUrl);
    if (!url) return 'endpoint.badUrl';
    return { kryptonBase: url, cellularBase: url, origin };
  }
  if (choice === 'lab') {
    if (serving.kind !== 'bridge' || !serving.config.endpoints.lab || !serving.config.lab) return 'endpoint.labMissing';
    const { endpoints, lab } = serving.config;
    return {
      kryptonBase: abs(endpoints.lab!),
      cellularBase: abs(endpoints.labCellular ?? endpoints.lab!),
      cognitoEndpoint: lab.cognito,
      s3Endpoint: lab.s3,
      origin,
    };
  }
  if (serving.kind === 'bridge') {
    const { endpoints } = serving.config;
    return { kryptonBase: abs(endpoints[choice]), cellularBase: abs(endpoints.cellular), origin };
  }
  return { kryptonBase: KRYPTON_BASE_URLS[choice], cellularBase: KRYPTON_BASE_URLS.cellular, origin };
}

/** What the endpoint line under the choice says: through the bridge's proxy, or straight to a URL. */
export function endpointRoute(settings: SessionSettings, origin: string): { via: 'bridge'; path: string } | { via: 'direct'; url: string } {
  if (settings.kryptonBase.startsWith(`${origin}/`)) return { via: 'bridge', path: settings.kryptonBase.slice(origin.length) };
  return { via: 'direct', url: settings.kryptonBase };
}

function checkUrl(text: string): string | undefined {
  try {
    const u = new URL(text.trim());
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.search || u.hash || u.username || u.password) return undefined;
    return u.href.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}
