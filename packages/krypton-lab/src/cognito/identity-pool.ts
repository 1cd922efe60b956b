import type { CryptoKey as JoseKey, JWK } from 'jose';
import type { LabClock } from '../server/lab-clock.ts';
import type { VendedCredentials } from '../s3/credential-store.ts';

/** Issuer of Cognito OpenID tokens, as the real service writes it. */
export const COGNITO_ISSUER = 'https://cognito-identity.amazonaws.com';
/** The Logins key under which a developer-authenticated OpenID token is presented. */
export const COGNITO_LOGIN_PROVIDER = 'cognito-identity.amazonaws.com';

/** Settings of the emulated identity pool. */
export interface IdentityPoolOptions {
  clock: LabClock;
  region?: string;
  /** Developer provider name Krypton registers identities under. */
  developerProviderName?: string;
  /** Lifetime of OpenID tokens, seconds (Cognito's default for developer identities is 15 minutes). */
  tokenTtlSeconds?: number;
  /** Lifetime of vended AWS credentials, seconds (Cognito gives one hour). */
  credentialTtlSeconds?: number;
  /** Where vended credentials are recorded so the S3 gate accepts them. */
  onVend: (credentials: VendedCredentials) => void;
}

/** Why a token was refused; mapped to Cognito's NotAuthorizedException messages. */
export class TokenRejected extends Error {
  override readonly name = 'TokenRejected';
}

/** The pool's signing key pair, and jose to use it. */
interface PoolKeys {
  jose: typeof import('jose');
  privateKey: JoseKey;
  publicKey: JoseKey;
  publicJwk: JWK;
}

/**
 * An emulated Cognito identity pool with a developer provider: it issues OpenID tokens for SIMs
 * (what Krypton asks Cognito for) and exchanges valid tokens for temporary AWS credentials.
 */
export class IdentityPool {
  readonly region: string;
  readonly identityPoolId: string;
  readonly developerProviderName: string;
  tokenTtlSeconds: number;
  credentialTtlSeconds: number;

  private constructor(
    private readonly options: IdentityPoolOptions,
    private readonly keys: Promise<PoolKeys>,
  ) {
    this.region = options.region ?? 'ap-northeast-1';
    this.identityPoolId = `${this.region}:${uuidFrom(crypto.getRandomValues(new Uint8Array(16)))}`;
    this.developerProviderName = options.developerProviderName ?? 'krypton.soracom.io';
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 15 * 60;
    this.credentialTtlSeconds = options.credentialTtlSeconds ?? 60 * 60;
  }

  /**
   * Creates a pool with a fresh RS512 signing key. The key (and jose) is made in the background: the
   * lab answers at once, and the first token waits for the key if it is not ready yet.
   */
  static async create(options: IdentityPoolOptions): Promise<IdentityPool> {
    const keys = (async (): Promise<PoolKeys> => {
      const jose = await import('jose');
      const { privateKey, publicKey } = await jose.generateKeyPair('RS512', { extractable: true });
      // Node 20 exports JWK holding the key's lock while it allocates, which deadlocks if a GC then
      // frees a sync job sharing that key (see wireguardKeyPair). jose generates through WebCrypto's
      // async job, which Node frees after its callback rather than from GC, so this export is safe.
      const publicJwk = { ...(await jose.exportJWK(publicKey)), alg: 'RS512', use: 'sig', kid: 'lab-1' };
      return { jose, privateKey, publicKey, publicJwk };
    })();
    // Awaited by every use; this keeps a failure from being reported as unhandled before then.
    keys.catch(() => undefined);
    return new IdentityPool(options, keys);
  }

  /** The public signing key, as Cognito's JWKS would publish it. */
  async publicJwk(): Promise<JWK> {
    return (await this.keys).publicJwk;
  }

  /** The identity id Cognito keeps for a SIM: stable for an IMSI within this pool. */
  async identityIdFor(imsi: string): Promise<string> {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${this.identityPoolId}/${imsi}`)));
    return `${this.region}:${uuidFrom(digest.subarray(0, 16))}`;
  }

  /** GetOpenIdTokenForDeveloperIdentity: a signed token naming the SIM's identity. */
  async openIdToken(imsi: string): Promise<{ identityId: string; token: string }> {
    const identityId = await this.identityIdFor(imsi);
    const { jose, privateKey } = await this.keys;
    const now = Math.floor(this.options.clock.now() / 1000);
    const token = await new jose.SignJWT({
      amr: ['authenticated', this.developerProviderName, `${this.developerProviderName}:${this.identityPoolId}:${imsi}`],
      'https://cognito-identity.amazonaws.com/identity-pool-arn': `arn:aws:cognito-identity:${this.region}:000000000000:identitypool/${this.identityPoolId}`,
    })
      .setProtectedHeader({ alg: 'RS512', kid: 'lab-1', typ: 'JWS' })
      .setIssuer(COGNITO_ISSUER)
      .setSubject(identityId)
      .setAudience(this.identityPoolId)
      .setIssuedAt(now)
      .setExpirationTime(now + this.tokenTtlSeconds)
      .sign(privateKey);
    return { identityId, token };
  }

  /** GetCredentialsForIdentity: checks the token against the identity and vends credentials. */
  async credentialsForToken(identityId: string, token: string): Promise<VendedCredentials> {
    const { jose, publicKey } = await this.keys;
    try {
      const { payload } = await jose.jwtVerify(token, publicKey, {
        issuer: COGNITO_ISSUER,
        audience: this.identityPoolId,
        algorithms: ['RS512'],
        currentDate: this.options.clock.date(),
      });
      if (payload.sub !== identityId) throw new TokenRejected('Invalid login token. Token is not issued for this identity.');
    } catch (e) {
      if (e instanceof TokenRejected) throw e;
      if (e instanceof jose.errors.JWTExpired) throw new TokenRejected('Invalid login token. Token expired.');
      if (e instanceof jose.errors.JWTClaimValidationFailed) throw new TokenRejected(`Invalid login token. Incorrect token ${e.claim}.`);
      throw new TokenRejected('Invalid login token. Not a valid OpenId Connect identity token.');
    }
    return this.vend(identityId);
  }

  /** Vends temporary credentials for an identity and records them for the S3 gate. */
  vend(identityId: string): VendedCredentials {
    const credentials: VendedCredentials = {
      accessKeyId: `ASIA${randomText(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
      secretAccessKey: randomText(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'),
      sessionToken: `IQoJb3JpZ2luX2VjE${randomText(380, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')}`,
      // Whole seconds: AWS answers Expiration as epoch seconds.
      expiration: new Date(Math.floor(this.options.clock.now() / 1000 + this.credentialTtlSeconds) * 1000),
      identityId,
    };
    this.options.onVend(credentials);
    return credentials;
  }
}

function uuidFrom(bytes: Uint8Array): string {
  const hex = Array.from(bytes.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function randomText(length: number, alphabet: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
