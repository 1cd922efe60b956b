/**
 * Where the S3 gate looks up the secret behind an access key id. The Cognito emulator vends
 * temporary credentials into a store; the gate only reads it.
 */

/** AWS credentials as Cognito `GetCredentialsForIdentity` hands them out (temporary, with a session token). */
export interface VendedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /**
   * The session token the client must send as `x-amz-security-token` / `X-Amz-Security-Token`.
   * An empty string marks long-term credentials (an IAM user's key), for which no token is expected.
   */
  sessionToken: string;
  /** After this instant the gate answers `ExpiredToken`, as S3 does. */
  expiration: Date;
  /** The Cognito identity the credentials were vended for, when they came from the Cognito emulator. */
  identityId?: string;
}

/** Read side of a credential store: what the S3 gate needs. */
export interface CredentialStore {
  lookup(accessKeyId: string): VendedCredentials | undefined;
}

/** A credential store held in memory; `add` replaces an entry with the same access key id. */
export class InMemoryCredentialStore implements CredentialStore {
  readonly #byKeyId = new Map<string, VendedCredentials>();

  /** Registers credentials (a copy is kept, so later mutation of the argument has no effect). */
  add(credentials: VendedCredentials): void {
    this.#byKeyId.set(credentials.accessKeyId, { ...credentials, expiration: new Date(credentials.expiration.getTime()) });
  }

  /** Forgets one access key id; returns whether it was known. */
  remove(accessKeyId: string): boolean {
    return this.#byKeyId.delete(accessKeyId);
  }

  /** Returns the credentials registered for an access key id, expired or not (the gate judges expiry). */
  lookup(accessKeyId: string): VendedCredentials | undefined {
    return this.#byKeyId.get(accessKeyId);
  }

  /** Number of registered access keys. */
  get size(): number {
    return this.#byKeyId.size;
  }
}
