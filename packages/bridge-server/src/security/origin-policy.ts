import type { AllowedHosts } from './allowed-hosts.ts';
import type { ApprovalStore } from './approvals.ts';

/** How the bridge regards the origin of a request. */
export type OriginStanding = 'own' | 'approved' | 'unknown';

/**
 * Origin decisions in one place. The bridge's own pages are trusted; an approved origin is trusted
 * once its page shows its token; everything else — other ports, https/http swaps, look-alikes,
 * `null`, a missing Origin — is not. Comparison is exact on the serialized origin.
 */
export class OriginPolicy {
  constructor(
    private readonly hosts: AllowedHosts,
    private readonly approvals: ApprovalStore,
  ) {}

  /** The standing of an Origin header value. */
  standing(origin: string | undefined | null): OriginStanding {
    if (!origin || origin === 'null') return 'unknown';
    const canonical = canonicalOrigin(origin);
    if (canonical === undefined || canonical !== origin) return 'unknown';
    if (this.hosts.origins().includes(origin)) return 'own';
    if (this.approvals.isApproved(origin)) return 'approved';
    return 'unknown';
  }
}

/** The serialized origin of a URL-like string, or undefined when it is not an http(s) origin. */
export function canonicalOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}
