/** A page of another origin asking to use the bridge, waiting for the person's decision. */
export interface PendingApproval {
  id: string;
  origin: string;
  /** Six digits shown both on the asking page and on the bridge, so the person can match them. */
  code: string;
  createdAt: number;
}

/** An origin the person approved. */
export interface Approval {
  origin: string;
  approvedAt: number;
  /** Pre-approved on the command line (`--allow-origin`): no token needed. */
  preApproved: boolean;
}

/** How long an approval request stays open. */
export const PENDING_TTL_MS = 5 * 60_000;
/** Most approval requests waiting at once (the rest are refused until some expire). */
export const MAX_PENDING = 20;

/**
 * Which other origins may use the bridge. Approving yields a random token that only the approved
 * page receives (over its pairing socket); the page presents it in its first message. Tokens are
 * compared by value and never leave this process otherwise.
 */
export class ApprovalStore {
  private readonly pending = new Map<string, PendingApproval & { deliver: (token: string) => void; reject: (why: string) => void }>();
  private readonly approved = new Map<string, Approval & { tokens: Set<string> }>();
  private readonly revokeListeners = new Set<(origin: string) => void>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
  ) {}

  /** Pre-approves origins given with `--allow-origin` (development: the Vite dev server). */
  preApprove(origin: string): void {
    this.approved.set(origin, { origin, approvedAt: this.now(), preApproved: true, tokens: new Set() });
  }

  /** Records a request from a page; `deliver` receives the token once approved. Undefined when too many wait. */
  request(origin: string, deliver: (token: string) => void, reject: (why: string) => void): PendingApproval | undefined {
    this.expire();
    if (this.pending.size >= MAX_PENDING) return undefined;
    const id = base64url(this.random(12));
    const digits = this.random(4);
    const code = String(((digits[0]! << 24) | (digits[1]! << 16) | (digits[2]! << 8) | digits[3]!) >>> 0)
      .slice(-6)
      .padStart(6, '0');
    const entry = { id, origin, code, createdAt: this.now(), deliver, reject };
    this.pending.set(id, entry);
    return { id, origin, code, createdAt: entry.createdAt };
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
