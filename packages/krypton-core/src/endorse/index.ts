export {
  KeysApiClient,
  isValidKeyId,
  keyVerifyUrl,
  MAX_KEY_ID_LENGTH,
  parseChallenge,
  serverError,
  type KeyChallenge,
  type KeysApiOptions,
} from './keys-api-client.ts';
export { agreeKey, type AgreedKey } from './key-agreement.ts';
export type { SimAuthenticator, SimAuthResult } from './sim-authenticator.ts';
