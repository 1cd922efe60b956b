import { KryptonError } from './errors/index.ts';

/** SORACOM's Krypton endpoints. */
export const KRYPTON_BASE_URLS = {
  /** Global coverage, the default of SORACOM's clients. */
  global: 'https://g.api.soracom.io',
  /** Japan coverage. */
  japan: 'https://api.soracom.io',
  /** Cellular line authentication (SORACOM Air), no SIM access and no signature. */
  cellular: 'https://krypton.soracom.io:8036',
} as const;

/** Where a Krypton client sends its calls. */
export type KryptonEndpoint =
  { kind: 'sim'; keysApiUrl: string; provisioningApiUrl: string } | { kind: 'cellular'; provisioningApiUrl: string };

/** The SIM-authentication endpoint of a coverage area ('global', 'japan'), or of any base URL (the lab, a proxy). */
export function simEndpoint(base: string, overrides: { keysApiUrl?: string; provisioningApiUrl?: string } = {}): KryptonEndpoint {
  const baseUrl = base === 'global' || base === 'japan' ? KRYPTON_BASE_URLS[base] : checkUrl(base);
  return {
    kind: 'sim',
    keysApiUrl: checkUrl(overrides.keysApiUrl ?? `${trimSlash(baseUrl)}/v1/keys`).replace(/\/+$/, ''),
    provisioningApiUrl: trimSlash(checkUrl(overrides.provisioningApiUrl ?? baseUrl)),
  };
}

/** The cellular endpoint (SORACOM Air line authentication), or another URL standing in for it. */
export function cellularEndpoint(url: string = KRYPTON_BASE_URLS.cellular): KryptonEndpoint {
  return { kind: 'cellular', provisioningApiUrl: trimSlash(checkUrl(url)) };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KryptonError('BAD_INPUT', `"${url}" is not a URL`, 'Give a full URL such as https://g.api.soracom.io');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new KryptonError('BAD_INPUT', `"${url}" is not an http(s) URL`, 'Give a full URL such as https://g.api.soracom.io');
  }
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    throw new KryptonError('BAD_INPUT', `"${url}" carries a query, fragment or credentials`, 'Give the bare endpoint URL');
  }
  return url;
}
