import type { KryptonErrorCode, TransportErrorCode } from '@krypton-web/krypton-core';
import type { CheckProblemCode } from '@krypton-web/sim-check';
import type { AtErrorCode, BridgeErrorCode } from '@krypton-web/sim-transport';

/** Codes the web app's workers and page raise themselves (S3, downloads, batches, USB modems, inputs). */
export type WebFailureCode =
  // S3 (worker/s3-errors.ts, s3-service.ts) and downloads
  | 'S3_CORS_MISSING'
  | 'S3_CORS_REFUSED'
  | 'S3_CORS_HIDES_ETAG'
  | 'S3_ARCHIVED'
  | 'S3_ACCESS_DENIED'
  | 'S3_NO_SUCH_BUCKET'
  | 'S3_NO_SUCH_KEY'
  | 'S3_WRONG_REGION'
  | 'S3_SIGNATURE'
  | 'S3_BAD_DIGEST'
  | 'S3_ERROR'
  | 'EMPTY_ANSWER'
  | 'CREDENTIALS_EXPIRED'
  | 'DOWNLOAD_CANCELLED'
  | 'DOWNLOAD_INCOMPLETE'
  | 'DOWNLOAD_UNCONFIRMED'
  | 'DOWNLOAD_NOT_STARTED'
  | 'CHECKSUM_MISMATCH'
  | 'OBJECT_CORRUPT'
  | 'TOO_LARGE_FOR_MEMORY'
  // Folders and uploads (worker/folder-download.ts, s3-upload.ts)
  | 'FOLDER_EMPTY'
  | 'FOLDER_NAME_COLLISION'
  | 'FOLDER_NAME_UNSAFE'
  | 'FOLDER_WRITE_REFUSED'
  | 'UPLOAD_CANCELLED'
  | 'UPLOAD_ABORT_FAILED'
  | 'UPLOAD_GONE'
  | 'UPLOAD_TOO_LARGE'
  | 'DOWNLOAD_INTERRUPTED'
  | 'OBJECT_CHANGED'
  | 'S3_ANSWER_UNUSABLE'
  // USB modems reached over WebUSB or Web Serial (lib/usb-modem-port.ts, worker links)
  | 'USB_CLAIMED_BY_OS'
  | 'USB_STORAGE_MODE'
  | 'USB_PROTECTED_CLASS'
  | 'USB_NO_AT_INTERFACE'
  | 'USB_NO_ANSWER'
  | 'USB_ACCESS_DENIED'
  | 'USB_OPEN_FAILED'
  | 'MODEM_NO_CSIM'
  // The session worker
  | 'NOT_CONNECTED'
  | 'NOT_CONFIGURED'
  | 'NO_CREDENTIALS'
  | 'BAD_PIN_FORMAT'
  | 'BAD_PUK_FORMAT'
  | 'BAD_BUCKET_NAME'
  | 'BAD_REGION'
  | 'RESULT_GONE'
  | 'NO_SIM_ACCESS'
  // The batch worker (Check SIMs)
  | 'PIN_ONE_TRY_LEFT'
  | 'CHECK_NO_CREDENTIALS'
  | 'CHECK_STORAGE_UNAVAILABLE'
  | 'CHECK_STORAGE_FAILED'
  | 'BATCH_GONE'
  | 'BATCH_RUNNING'
  | 'NO_LANES'
  | 'NO_LANE'
  | 'NO_READER'
  | 'NO_BATCH'
  | 'STOPPED'
  // Anything thrown without a code
  | 'UNEXPECTED';

/**
 * The bridge's HTTP side (its Krypton proxy); mirrors bridge-server's BridgeHttpErrorCode, which the
 * page cannot import (a higher layer). failure-codes.test.ts checks the two stay equal.
 */
export type BridgeProxyFailureCode =
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_BROKEN'
  | 'UPSTREAM_TOO_LARGE'
  | 'UPSTREAM_REDIRECT'
  | 'UPSTREAM_NOT_JSON'
  | 'REQUEST_INCOMPLETE'
  | 'BRIDGE_ERROR';

/**
 * Every failure code the page can show: krypton-core's, the SIM links' (transport and AT modem),
 * the bridge's, sim-check's and the web app's own. The EN and JA failure tables are records over
 * this type, so a code added anywhere without both texts fails the typecheck.
 */
export type FailureCode =
  KryptonErrorCode | TransportErrorCode | AtErrorCode | BridgeErrorCode | BridgeProxyFailureCode | CheckProblemCode | WebFailureCode;
