import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a form rendered on the approvals page may be submitted (the page reloads every few seconds). */
export const FORM_TOKEN_TTL_MS = 30 * 60_000;

/**
 * Per-page CSRF tokens for the approvals page's forms: each render gets a fresh token, signed with a
 * key that lives only in this process, so the bridge keeps no list of them. A page of another origin
 * cannot read the approvals page (no CORS, CORP same-origin), so it cannot learn a valid token.
 */
export class FormTokens {
  private readonly key = randomBytes(32);

  constructor(private readonly now: () => number = Date.now) {}

  /** A new token for one render of the page. */
  issue(): string {
    const body = `${this.now().toString(36)}.${randomBytes(12).toString('base64url')}`;
    return `${body}.${this.mac(body)}`;
  }

  /** Whether `token` was issued by this process less than FORM_TOKEN_TTL_MS ago. */
  valid(token: unknown): boolean {
    if (typeof token !== 'string' || token.length > 200) return false;
    const parts = token.split('.');
    if (parts.length !== 3) return false;
    const body = `${parts[0]}.${parts[1]}`;
    const given = Buffer.from(parts[2]!);
    const expected = Buffer.from(this.mac(body));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
    const issuedAt = parseInt(parts[0]!, 36);
    const age = this.now() - issuedAt;
    return Number.isFinite(issuedAt) && age >= 0 && age < FORM_TOKEN_TTL_MS;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
