/** Krypton `aws/cognito/open_id_tokens` answer: a Cognito OpenID token for the SIM's identity. */
export interface KryptonOpenIdToken {
  region: string;
  identityId: string;
  token: string;
}

/** Krypton `aws/cognito/credentials` answer: AWS credentials Krypton obtained from Cognito itself. */
export interface KryptonSessionCredentials {
  identityId: string;
  credentials: {
    accessKeyId: string;
    secretKey: string;
    sessionToken: string;
    /** Milliseconds since the epoch. */
    expiration: number;
  };
}

/**
 * The Krypton calls the AWS credential provider needs. The Krypton client implements them (SIM
 * authentication, the key cache, signing); the provider only decides when to call them.
 */
export interface KryptonCognitoSource {
  /** Krypton `aws/cognito/open_id_tokens`: { region, identityId, token }. */
  openIdToken(): Promise<KryptonOpenIdToken>;
  /** Krypton `aws/cognito/credentials`: { identityId, credentials: { accessKeyId, secretKey, sessionToken, expiration (ms epoch) } }. */
  sessionCredentials(): Promise<KryptonSessionCredentials>;
}
