export {
  fromKrypton,
  DEFAULT_REFRESH_MARGIN_MS,
  type KryptonAwsCredentials,
  type KryptonCredentialEvent,
  type KryptonCredentialInfo,
  type KryptonCredentialMode,
  type KryptonCredentialProvider,
  type KryptonCredentialProviderOptions,
  type KryptonRefreshReason,
} from './credential-provider.ts';
export { COGNITO_LOGIN_PROVIDER } from './cognito-exchange.ts';
export type { KryptonCognitoSource, KryptonOpenIdToken, KryptonSessionCredentials } from './krypton-cognito-source.ts';
