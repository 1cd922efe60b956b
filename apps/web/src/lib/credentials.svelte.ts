import type { Failure, MaskedCredentials, RevealedCredentials, SessionEvent } from '../worker/api.ts';
import { asFailure } from './session.svelte.ts';
import type { WorkerApi } from './worker-api.ts';

/** Revealed secrets hide themselves again after this long. */
export const REVEAL_MS = 120_000;

/**
 * The AWS credentials as the page shows them: identity, access key id, expiry, renewals. The secret
 * key and session token arrive only on an explicit reveal, and are dropped on hide, on a timer, and
 * whenever the credentials change.
 */
export class CredentialsState {
  current = $state<MaskedCredentials | undefined>(undefined);
  revealed = $state<RevealedCredentials | undefined>(undefined);
  refreshing = $state(false);
  failure = $state<Failure | undefined>(undefined);
  renewedAt = $state<number | undefined>(undefined);
  private hideTimer: ReturnType<typeof setTimeout> | undefined;

  /** Milliseconds until expiry at `now` (negative once expired). */
  remaining(now: number): number | undefined {
    return this.current ? this.current.expiration - now : undefined;
  }

  /** The worker's credential events: renewals (automatic, or after S3 found them expired) land here. */
  onEvent(event: SessionEvent): void {
    if (event.type === 'credentials') this.set(event.credentials, true);
    // Renewal news is about credentials the page shows: with none, there is nothing being renewed.
    else if (!this.current) return;
    else if (event.type === 'credentials-refreshing') this.refreshing = true;
    else if (event.type === 'credentials-failed') {
      this.refreshing = false;
      this.failure = event.failure;
    }
  }

  set(credentials: MaskedCredentials, renewal = false): void {
    const changed = this.current?.accessKeyId !== credentials.accessKeyId;
    if (renewal && this.current && changed) this.renewedAt = Date.now();
    this.current = credentials;
    this.refreshing = false;
    this.failure = undefined;
    if (changed) this.hide();
  }

  clear(): void {
    this.current = undefined;
    this.renewedAt = undefined;
    this.failure = undefined;
    this.hide();
  }

  async refresh(api: WorkerApi): Promise<void> {
    this.refreshing = true;
    this.failure = undefined;
    try {
      this.set(await api.refreshCredentials(), true);
    } catch (e) {
      this.failure = asFailure(e);
    } finally {
      this.refreshing = false;
    }
  }

  async reveal(api: WorkerApi): Promise<void> {
    try {
      this.revealed = await api.revealCredentials();
      clearTimeout(this.hideTimer);
      this.hideTimer = setTimeout(() => this.hide(), REVEAL_MS);
    } catch (e) {
      this.failure = asFailure(e);
    }
  }

  hide(): void {
    this.revealed = undefined;
    clearTimeout(this.hideTimer);
  }
}
