export * from './bytes/index.ts';
export * from './errors/index.ts';
export * from './trace/index.ts';
export * from './transcript/index.ts';
export * from './key-cache/index.ts';
export * from './apdu/index.ts';
export * from './usim/index.ts';
export { postText, readBodyWithin, isSuccess, type FetchLike } from './http/index.ts';
export {
  KeysApiClient,
  agreeKey,
  isValidKeyId,
  keyVerifyUrl,
  MAX_KEY_ID_LENGTH,
  type AgreedKey,
  type KeyChallenge,
  type SimAuthenticator,
  type SimAuthResult,
} from './endorse/index.ts';
export { KRYPTON_BASE_URLS, simEndpoint, cellularEndpoint, type KryptonEndpoint } from './endpoints.ts';
export {
  OPERATIONS,
  OPERATION_NAMES,
  operationSpec,
  canonicalOperationName,
  provisioningPath,
  type OperationName,
  type OperationParams,
  type OperationSpec,
} from './provisioning/operations.ts';
export { signProvisioningBody, inventoryApplicationKey } from './provisioning/signature.ts';
export {
  KryptonClient,
  parseOpenIdToken,
  parseSessionCredentials,
  expirationMs,
  DEFAULT_CELLULAR_TIMEOUT_MS,
  type KryptonClientOptions,
  type KeyInfo,
  type OperationResult,
  type OpenIdTokenAnswer,
  type SessionCredentialsAnswer,
  type InventoryBootstrapAnswer,
} from './krypton-client.ts';
export {
  fromKrypton,
  DEFAULT_REFRESH_MARGIN_MS,
  COGNITO_LOGIN_PROVIDER,
  type KryptonAwsCredentials,
  type KryptonCredentialEvent,
  type KryptonCredentialInfo,
  type KryptonCredentialMode,
  type KryptonCredentialProvider,
  type KryptonCredentialProviderOptions,
  type KryptonRefreshReason,
  type KryptonCognitoSource,
  type KryptonOpenIdToken,
  type KryptonSessionCredentials,
} from './aws/index.ts';
