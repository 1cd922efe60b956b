export {
  caseOne,
  caseTwo,
  caseThree,
  caseFour,
  commandApdu,
  hasCommandData,
  withLe,
  MAX_SHORT_DATA,
  MAX_SHORT_LE,
  type ApduHeader,
} from './command-apdu.ts';
export { parseResponseApdu, responseApdu, encodeResponseApdu, isNormalEnding, type ResponseApdu } from './response-apdu.ts';
export {
  STATUS_WORDS,
  explainStatusWord,
  formatStatusWord,
  lookupStatusWord,
  matchesStatusWord,
  type StatusWordEntry,
} from './status-words.ts';
export { runT0, getResponse, getResponseClass, DEFAULT_MAX_ROUNDS, type SendApdu, type T0Options } from './t0-procedure.ts';
export { exchange, type ExchangeOptions } from './exchange.ts';
export { transportFailure } from './transport-failure.ts';
export {
  TransportError,
  isImsiSource,
  type ApduTransport,
  type ImsiSource,
  type TransmitOptions,
  type TransportErrorCode,
} from './transport.ts';
