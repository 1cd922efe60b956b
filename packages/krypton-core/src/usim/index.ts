export {
  Usim,
  type UsimOptions,
  type UsimCallOptions,
  type VerifyPinOptions,
  type PinState,
  type SetPinEnabledOptions,
  type SimInfoSource,
} from './usim.ts';
export { parseBerTlv, findTlv, type Tlv, type BerTlvOptions } from './ber-tlv.ts';
export {
  parseFcp,
  parseFileDescriptor,
  parsePinStatusTemplate,
  type Fcp,
  type FileDescriptor,
  type FileStructure,
  type PinStatusEntry,
} from './fcp.ts';
export { parseEfDirRecord, isUsimAid, USIM_AID_PREFIX, type ApplicationTemplate } from './ef-dir.ts';
export { parseAuthenticateResponse, type AuthenticateResult } from './authenticate-response.ts';
export { decodeEfIccid, EF_ICCID_LENGTH } from './ef-iccid.ts';
export { decodeImsi, EF_IMSI_LENGTH } from './ef-imsi.ts';
export { encodePinBlock, PIN_BLOCK_LENGTH } from './pin-block.ts';
export {
  authenticateCommand,
  changePinCommand,
  disablePinCommand,
  enablePinCommand,
  readBinary,
  readBinaryBySfi,
  readRecord,
  selectByAid,
  selectByFid,
  selectByPathFromMf,
  unblockPinCommand,
  unblockStatus,
  verifyPinCommand,
  verifyStatus,
  KEY_PIN1,
  type SelectAnswer,
} from './usim-commands.ts';
export {
  InMemoryCardPaths,
  cardKeyOfAtr,
  checkedCardPath,
  isCardKey,
  cardKeyOfIccid,
  defaultCardPaths,
  type CardPath,
  type CardPathMemory,
} from './card-path-memory.ts';
export { CARD_PATHS_RECORD_VERSION, cardPathsFromRecord, cardPathsRecord, type CardPathsRecord } from './card-path-records.ts';
