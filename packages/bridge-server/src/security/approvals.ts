/** A page of another origin asking to use the bridge, waiting for the person's decision. */
export interface PendingApproval {
  id: string;
  origin: string;
  /** Six digits shown both on the asking page and on the bridge, so the person can match them. */
  code: string;
  createdAt: number;
}

import { getDomain } from 'tldts';

/** An origin the person approved. */
export interface Approval {
  origin: string;
  approvedAt: number;
  /** Pre-approved on the command line (`--allow-origin`): no token needed. */
  preApproved: boolean;
}

/** How long an approval request stays open. */
export const PENDING_TTL_MS = 5 * 60_000;
/** Most approval requests waiting at once; a new one makes the oldest unexpected one give way. */
export const MAX_PENDING = 20;
/** Most approval requests waiting at once from one site (registrable domain); its oldest gives way to a newer one. */
export const MAX_PENDING_PER_SITE = 3;

/**
 * The site an origin belongs to, for sharing out the approval queue: its registrable domain by the
 * public suffix list (private suffixes too, so two github.io users are two sites), `localhost` for
 * localhost and every name under it, and the address itself for an IP address.
 */
export function siteOf(origin: string): string {
  let hostname: string;
  try {
    hostname = new URL(origin).hostname.toLowerCase();
  } catch {
    return origin;
  }
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return 'localhost';
  return getDomain(hostname, { allowPrivateDomains: true }) ?? hostname;
}

/**
 * Which other origins may use the bridge. Approving yields a random token that only the approved
 * page receives (over its pairing socket); the page presents it in its first message. Tokens are
 * compared by value and never leave this process otherwise.
 */
export class ApprovalStore {
  private readonly pending = new Map<string, PendingApproval & { deliver: (token: string) => void; reject: (why: string) => void }>();
  private readonly approved = new Map<string, Approval & { tokens: Set<string> }>();
  private readonly revokeListeners = new Set<(origin: string) => void>();
  /** Origins the person said to expect (`--expect-origin`). */
  private readonly expected = new Set<string>();
  /** Origins the person approved in this run and did not revoke since. */
  private readonly known = new Set<string>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
  ) {}

  /** Pre-approves origins given with `--allow-origin` (development: the Vite dev server). */
  preApprove(origin: string): void {
    this.approved.set(origin, { origin, approvedAt: this.now(), preApproved: true, tokens: new Set() });
  }

  /** Keeps room in the queue for an origin the person expects to ask (`--expect-origin`). */
  expect(origin: string): void {
    this.expected.add(origin);
  }

  /** Whether the person expects this origin: named with `--expect-origin`, or approved by them earlier in this run (and not revoked). */
  isExpected(origin: string): boolean {
    return this.expected.has(origin) || this.known.has(origin);
  }

  /**
   * Records a request from a page; `deliver` receives the token once approved. The queue is shared
   * out fairly: a site keeps at most MAX_PENDING_PER_SITE requests (its oldest gives way), a full
   * queue drops its oldest unexpected request, and an expected origin is never pushed out by
   * others. Undefined only when the queue is full of expected origins' requests.
   */
  request(origin: string, deliver: (token: string) => void, reject: (why: string) => void): PendingApproval | undefined {
    this.expire();
    const expected = this.isExpected(origin);
    const site = siteOf(origin);
    // An expected origin has its own share; everyone else shares their site's.
    const sameShare = [...this.pending.values()].filter((p) =>
      expected ? p.origin === origin : !this.isExpected(p.origin) && siteOf(p.origin) === site,
    );
    if (sameShare.length >= MAX_PENDING_PER_SITE) this.evict(sameShare[0]!.id, 'replaced by a newer request from the same site');
    if (this.pending.size >= MAX_PENDING) {
      const oldest = [...this.pending.values()].find((p) => !this.isExpected(p.origin));
      if (!oldest) return undefined;
      this.evict(oldest.id, 'too many approval requests were waiting: ask again');
    }
    const id = base64url(this.random(12));
    const digits = this.random(4);
    const code = String(((digits[0]! << 24) | (digits[1]! << 16) | (digits[2]! << 8) | digits[3]!) >>> 0)
      .slice(-6)
      .padStart(6, '0');
    const entry = { id, origin, code, createdAt: this.now(), deliver, reject };
    this.pending.set(id, entry);
    return { id, origin, code, createdAt: entry.createdAt };
  }

  // Map order is insertion order: the first entries are the oldest.
  private evict(id: string, why: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.reject(why);
  }

  /** Withdraws a request (its page went away). */
  withdraw(id: string): void {
    this.pending.delete(id);
  }

  /** Approves a waiting request: the origin is trusted and its page gets a token. */
  approve(id: string): Approval | undefined {
    this.expire();
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    const token = base64url(this.random(32));
    const entry = this.approved.get(p.origin) ?? {
      origin: p.origin,
      approvedAt: this.now(),
      preApproved: false,
      tokens: new Set<string>(),
    };
    entry.tokens.add(token);
    this.approved.set(p.origin, entry);
    // The person knows this origin now: when its page asks again (a reload), it is never crowded out.
    this.known.add(p.origin);
    p.deliver(token);
    return { origin: entry.origin, approvedAt: entry.approvedAt, preApproved: entry.preApproved };
  }

  /** Denies a waiting request. */
  deny(id: string): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    p.reject('denied');
    return true;
  }

  /** Revokes an origin: its tokens stop working at once, and listeners end what it holds open. */
  revoke(origin: string): boolean {
    if (!this.approved.delete(origin)) return false;
    this.known.delete(origin);
    for (const l of this.revokeListeners) l(origin);
    return true;
  }

  /** Calls `listener` with each revoked origin (the WebSocket side closes its connections); returns the unsubscribe function. */
  onRevoke(listener: (origin: string) => void): () => void {
    this.revokeListeners.add(listener);
    return () => this.revokeListeners.delete(listener);
  }

  /** Whether an origin may connect at all (approved or pre-approved). */
  isApproved(origin: string): boolean {
    return this.approved.has(origin);
  }

  /** Whether a page of this origin proved its approval (its token, or a pre-approval). */
  accepts(origin: string, token: string | undefined): boolean {
    const entry = this.approved.get(origin);
    if (!entry) return false;
    if (entry.preApproved) return true;
    return token !== undefined && entry.tokens.has(token);
  }

  /** Requests waiting for a decision. */
  listPending(): PendingApproval[] {
    this.expire();
    return [...this.pending.values()].map(({ id, origin, code, createdAt }) => ({ id, origin, code, createdAt }));
  }

  /** Approved origins (never their tokens). */
  listApproved(): Approval[] {
    return [...this.approved.values()].map(({ origin, approvedAt, preApproved }) => ({ origin, approvedAt, preApproved }));
  }

  private expire(): void {
    const t = this.now();
    for (const [id, p] of this.pending) {
      if (t - p.createdAt > PENDING_TTL_MS) {
        this.pending.delete(id);
        p.reject('expired');
      }
    }
  }
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}
