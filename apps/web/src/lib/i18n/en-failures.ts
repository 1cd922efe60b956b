import type { FailureCode } from '../../worker/failure-codes.ts';

/** A failure's two texts: what happened, and what to do next. `{…}` come from the failure's details. */
export interface FailureText {
  message: string;
  action: string;
}

/**
 * English texts for every failure code the page can show. Kept out of en.ts so the first screen
 * stays small (the page loads it with the worker's code, when failures can first happen). The worker writes its English at the
 * source with the facts it knows (bucket, region, host), and the page shows that; this table is
 * the text by code when a failure arrives without one (a bridge error with no action, say), and
 * the reference the Japanese table translates. A record over FailureCode: a new code without a
 * text here fails the typecheck.
 */
export const enFailures = {
  // krypton-core and the links: transport
  TRANSPORT_BUSY: {
    message: 'The SIM is busy with another command, or its reader or modem is in use elsewhere',
    action: 'Wait a moment, or close the other page or tab using it, then try again',
  },
  TRANSPORT_CLOSED: { message: 'The connection to the SIM is closed', action: 'Connect the SIM again' },
  // One code for every step on the way to the SIM (bridge, pcscd, reader, modem, the browser's device
  // permission): the text names none in particular; the failure's own message says which.
  TRANSPORT_FAILED: {
    message: 'The link to the SIM failed: {message}',
    action:
      'Check what the message names (the bridge, the reader or modem and its connection, the browser’s permission), then connect again',
  },
  NO_CARD: {
    message: 'No SIM was found, or the reader or modem holding it is gone (taken out, unplugged, or not making contact)',
    action: 'Insert the SIM, or plug the reader or modem back in, then connect again',
  },
  // The SIM
  NO_USIM: { message: 'This card has no USIM application', action: 'Check that the card is a SORACOM IoT SIM' },
  PIN_REQUIRED: { message: 'The SIM’s PIN is enabled: it must be entered before the SIM can be read and used', action: 'Enter the PIN' },
  PIN_WRONG: {
    message: 'Wrong PIN ({triesLeft, plural, one {# try} other {# tries}} left)',
    action: 'Enter the right PIN, minding the tries left',
  },
  PIN_BLOCKED: {
    message: 'The PIN is blocked',
    action: 'Unblock it with its PUK: connect this SIM alone and use the Unblock form of the SIM panel, minding the PUK tries left',
  },
  PUK_BLOCKED: { message: 'The PUK is blocked too: this SIM cannot be used any more', action: 'Ask SORACOM to replace the SIM' },
  PIN_LAST_TRY: { message: 'The PIN has one try left', action: 'Enter it only after confirming that you want to use the last try' },
  MAC_FAILURE: {
    message: 'The SIM refused the network’s challenge (MAC failure): the SIM and the server do not share its key',
    action: 'Check that the endpoint (global or Japan) matches the SIM; if it does, contact SORACOM support with the IMSI',
  },
  CARD_ERROR: { message: 'The SIM answered with an error (status word {sw})', action: 'Put the SIM back in and try again' },
  // Krypton
  KEYS_API_REFUSED: {
    message: 'Krypton’s Keys API refused the key agreement (HTTP {status})',
    action: 'Check that Krypton is enabled in the SIM group and that the endpoint (global or Japan) matches the SIM',
  },
  RESYNC_FAILED: {
    message: 'The SIM’s sequence number could not be resynchronised',
    action: 'Try again; if it repeats, contact SORACOM support with the IMSI',
  },
  VERIFY_REFUSED: {
    message: 'Krypton did not accept the SIM’s answer (HTTP {status})',
    action: 'Authenticate again; if it repeats, check the endpoint',
  },
  SIGNATURE_REFUSED: {
    message: 'Krypton refused the signed request (HTTP {status})',
    action: 'Forget the cached key and authenticate again; if it repeats, check this computer’s clock and the SIM group’s Krypton settings',
  },
  CLOCK_SKEW: {
    message: 'The request was refused because this computer’s clock is off the server’s',
    action: 'Set this computer’s clock automatically (NTP), then try again',
  },
  OPERATION_REFUSED: {
    message: 'Krypton refused the operation (HTTP {status})',
    action: 'Check the parameters and the SIM group’s Krypton settings in the SORACOM console',
  },
  NOT_ON_SORACOM_AIR: {
    message: 'This computer does not seem to be online through a SORACOM Air line',
    action: 'Go online through the SIM’s cellular line, or choose a SIM link and the global or Japan endpoint',
  },
  COGNITO_REFUSED: {
    message: 'Amazon Cognito refused to issue credentials',
    action: 'Check the SIM group’s Amazon Cognito settings (identity pool, developer provider name)',
  },
  // Any HTTP service
  SERVER_ERROR: { message: 'The server answered with an error (HTTP {status})', action: 'Try again in a moment' },
  NETWORK_UNREACHABLE: {
    message: 'Cannot reach {host}: no internet, a DNS failure or a proxy in the way',
    action:
      'Check the network connection (internet, DNS, proxy) and where it goes (the endpoint URL; for S3, the bucket’s region), then try again',
  },
  TIMEOUT: { message: 'No answer came in time', action: 'Check the reader or modem and the network, then try again' },
  ABORTED: { message: 'Stopped as asked', action: 'Run it again if you need to' },
  STORAGE_UNAVAILABLE: {
    message: 'The key cache could not be saved',
    action: 'Nothing to do: it works without; the next authentication agrees a new key',
  },
  BAD_INPUT: {
    message: 'A value is not valid: {message}',
    action: 'Check the value the message names and try again; if it is none you entered, report it to the Krypton Web developers',
  },
  // Raised for the servers' answers and for the SIM's: the text names neither.
  MALFORMED_ANSWER: {
    message: 'An answer (from the server or the SIM) did not have the expected form',
    action:
      'Try again (take the SIM out and put it back first if the SIM answered); if it repeats, check this computer’s clock, then contact SORACOM support',
  },
  // AT modems
  ERROR: { message: 'The modem refused a command without saying why', action: 'Unplug the modem, plug it back in, then connect again' },
  CME_ERROR: { message: 'The modem reported an error: {message}', action: 'Check the SIM in the modem, then connect again' },
  CMS_ERROR: { message: 'The modem reported a messaging error: {message}', action: 'Check the SIM in the modem, then connect again' },
  NO_CARRIER: { message: 'The modem has no connection (NO CARRIER)', action: 'Check the signal and the SIM, then try again' },
  NOT_SUPPORTED: {
    message: 'This modem’s firmware does not support a command the page needs',
    action: 'Use a Huawei MS2131 or E3372 (stick firmware), or a card reader',
  },
  CLOSED: { message: 'The connection to the modem is closed', action: 'Connect the modem again' },
  DISCONNECTED: {
    message: 'The modem went away (unplugged from USB?)',
    action: 'Plug the modem back in, wait a few seconds, then connect again',
  },
  QUEUE_FULL: { message: 'Too many commands are waiting for the modem', action: 'Wait a moment, then try again' },
  REFUSED: {
    message: 'The page refused to send that command to the modem',
    action: 'Nothing to change on the modem; report it if it repeats',
  },
  BAD_RESPONSE: {
    message: 'The modem’s answer did not have the expected form',
    action: 'Unplug the modem, plug it back in, then connect again',
  },
  WRITE_FAILED: {
    message: 'The command could not be written to the modem',
    action: 'Unplug the modem, plug it back in, then connect again',
  },
  // The bridge
  BRIDGE_ERROR: { message: 'The bridge could not complete the command', action: 'Try again; if it repeats, restart `pnpm bridge`' },
  BAD_MESSAGE: {
    message: 'The bridge sent a message this page does not understand',
    action: 'Update the bridge and this page to the same version, then reload the page',
  },
  UPSTREAM_UNREACHABLE: {
    message: 'Cannot reach SORACOM ({host}): no internet, a DNS failure or a proxy in the way',
    action: 'Check this computer’s internet connection, its DNS and any proxy or firewall, then try again',
  },
  UPSTREAM_TIMEOUT: {
    message: 'SORACOM ({host}) did not answer the bridge in time',
    action: 'Check the network connection and any proxy, then try again in a moment',
  },
  UPSTREAM_BROKEN: { message: 'The Krypton server’s answer broke off on the way to the bridge', action: 'Try again in a moment' },
  UPSTREAM_TOO_LARGE: {
    message: 'The Krypton server’s answer was larger than the bridge passes on',
    action: 'Check the endpoint: a Krypton answer is small',
  },
  UPSTREAM_REDIRECT: {
    message: 'The Krypton endpoint answered the bridge with a redirect, which Krypton never does',
    action: 'Check the network (a captive portal or a proxy?) and the endpoint URL, then try again',
  },
  UPSTREAM_NOT_JSON: {
    message: 'The Krypton endpoint answered the bridge with a page instead of JSON',
    action: 'Check the network (a proxy or a portal page?) and the endpoint URL, then try again',
  },
  REQUEST_INCOMPLETE: { message: 'The bridge received an incomplete request', action: 'Try again; if it repeats, reload the page' },
  // Check SIMs (sim-check)
  CARD_REMOVED: { message: 'The SIM left the reader before its check finished', action: 'Put the SIM back in to check it again' },
  PIN_TRIES_LOW: {
    message: 'The PIN has {triesLeft, plural, one {# try} other {# tries}} left: someone entered a wrong PIN before',
    action: 'Find out who entered the PIN before the SIM goes into a device',
  },
  S3_NO_BUCKET: {
    message: 'No bucket was chosen and the SIM group’s userdata names none',
    action: 'Name a bucket in the checklist, or put {"s3":{"bucket":"…","region":"…"}} in the group’s userdata',
  },
  S3_EMPTY: {
    message: 's3://{bucket}/{key} holds no object',
    action: 'Check the bucket and prefix: the SIM can list it, but nothing is there',
  },
  TAG_MISSING: {
    message: 'The SIM has no such tag (expected “{expected}”)',
    action: 'Set the tag in the SORACOM console or move the SIM to the right group, then check it again',
  },
  TAG_MISMATCH: {
    message: 'The tag reads “{actual}” (expected “{expected}”)',
    action: 'Set the tag in the SORACOM console or move the SIM to the right group, then check it again',
  },
  BAD_CHECKLIST: { message: 'The checklist is not valid: {message}', action: 'Fix the checklist, then start again' },
  UNEXPECTED: { message: 'Something unexpected went wrong: {message}', action: 'Try again; if it repeats, reload the page' },
  // S3 and downloads
  S3_CORS_MISSING: {
    message: 'The browser blocked the answer from bucket “{bucket}”: the bucket has no CORS rule that allows this page',
    action:
      'Add this CORS configuration to the bucket (S3 console → the bucket → Permissions → Cross-origin resource sharing), then try again',
  },
  S3_CORS_REFUSED: {
    message:
      'The browser blocked an answer from bucket “{bucket}”, which has answered this page before: its CORS rule does not allow this request, or something between the browser and S3 (a proxy, a security product) changed the answer',
    action:
      'Make the bucket’s CORS configuration allow this request, as below (uploads also need PUT, POST and DELETE), then try again; if it repeats with this configuration, try from another network',
  },
  S3_CORS_HIDES_ETAG: {
    message: 'S3 stored a part of the upload, but the bucket’s CORS rule does not let this page read its ETag',
    action: 'Add "ETag" to ExposeHeaders in the bucket’s CORS rule, then upload again',
  },
  S3_ARCHIVED: {
    message: 'The object is in storage class {storageClass}: S3 keeps it archived, and its bytes can be read only after a restore',
    action:
      'Restore it first (S3 console → the object → Initiate restore, or `aws s3api restore-object`); once the restore is done (minutes to hours, up to 48 hours from Deep Archive), download it again',
  },
  S3_ACCESS_DENIED: {
    message: 'S3 refused access',
    action: 'Allow the operation in the IAM role of the Cognito identity pool (the role for authenticated identities)',
  },
  S3_NO_SUCH_BUCKET: {
    message: 'There is no bucket named “{bucket}”',
    action: 'Check the bucket name for a typo (names are global and lowercase), and that it is the bucket the SIM group’s settings name',
  },
  S3_NO_SUCH_KEY: { message: 'The object does not exist (any more)', action: 'Refresh the listing' },
  S3_WRONG_REGION: {
    message: 'Bucket “{bucket}” is not in {region}',
    action: 'Set the bucket’s region (S3 console → the bucket → Properties)',
  },
  S3_SIGNATURE: { message: 'S3 refused the request signature', action: 'Check the region and this computer’s clock, then try again' },
  S3_BAD_DIGEST: {
    message: 'S3 refused the upload: the bytes it received do not match their MD5 (Content-MD5)',
    action: 'Upload again; if it repeats, check the network (a proxy may change the content)',
  },
  S3_ERROR: { message: 'S3 refused the request ({serverCode})', action: 'Check the bucket name and region, then try again' },
  EMPTY_ANSWER: { message: 'S3 sent no content', action: 'Try again' },
  CREDENTIALS_EXPIRED: {
    message: 'S3 still refused the credentials after they were renewed',
    action: 'Press Authenticate again; if it repeats, check this computer’s clock',
  },
  DOWNLOAD_CANCELLED: { message: 'The download was cancelled; nothing was saved', action: 'Download it again when ready' },
  DOWNLOAD_NOT_STARTED: {
    message: 'The browser did not start saving the file; nothing was saved',
    action: 'Allow downloads from this page, then download it again; if it happens again, reload the page',
  },
  DOWNLOAD_UNCONFIRMED: {
    message: 'Every byte was handed to the browser, but it did not confirm that it saved the file',
    action: 'Check the browser’s download list; download it again if the file is not complete there',
  },
  DOWNLOAD_INCOMPLETE: { message: 'The download ended before the whole object arrived; nothing was saved', action: 'Download it again' },
  CHECKSUM_MISMATCH: {
    message: 'The downloaded bytes do not match the ETag (MD5); nothing was saved',
    action: 'Download it again; if it fails the same way again, the object stored in S3 is damaged: upload it again from its source',
  },
  OBJECT_CORRUPT: {
    message: 'The downloaded bytes do not match what S3 recorded for the object ({failedChecks}); nothing was saved',
    action: 'Download it again; if it fails the same way again, the object stored in S3 is damaged: upload it again from its source',
  },
  TOO_LARGE_FOR_MEMORY: {
    message: 'This browser cannot write straight to disk, and the object is larger than it can hold in memory',
    action: 'Use Chrome or Edge on a computer, or download it with the AWS CLI',
  },
  DOWNLOAD_INTERRUPTED: {
    message: 'The connection to S3 dropped more often than the download may resume; nothing was saved',
    action: 'Check the network connection, then download it again',
  },
  OBJECT_CHANGED: {
    message: 'The object changed on S3 while it was being downloaded; nothing was saved',
    action: 'Download it again to get the new version',
  },
  S3_ANSWER_UNUSABLE: {
    message:
      'S3, or something between it and this browser, did not answer what was asked (the object’s size, or the byte range); nothing was saved',
    action: 'Download it again with 1 connection; if it repeats, check the proxy or the endpoint in between',
  },
  // USB modems
  USB_CLAIMED_BY_OS: {
    message:
      'A driver of this computer holds the modem’s AT interface (the browser says “Unable to claim interface”), so WebUSB cannot use it',
    action:
      'On this computer choose “USB modem (Web Serial)”: that driver makes the modem a serial port. To use WebUSB anyway, detach the driver first (Linux: unbind the option driver and keep ModemManager off with a udev rule; Windows: a WinUSB driver instead of Huawei’s)',
  },
  USB_STORAGE_MODE: {
    message: 'The stick is still in its CD-ROM (mass storage) mode: it shows only its installer disk, not the modem',
    action:
      'It must be switched to modem mode first (it then appears as another device, such as 12d1:1506). Browsers keep mass storage away from pages, so a web page cannot switch it: on Linux usb_modeswitch does it, on Windows and macOS Huawei’s installer (Mobile Partner) when the stick is plugged in. Android does not switch it, so a stick that starts as a CD-ROM cannot be used from a tablet',
  },
  USB_PROTECTED_CLASS: {
    message: 'This device’s interfaces are of kinds browsers keep away from web pages (mass storage, HID, smart card, audio, video)',
    action:
      'Choose the modem itself in the browser’s list, not a card reader or storage. A SIM in a card reader works through “Card reader (bridge)”',
  },
  USB_NO_AT_INTERFACE: {
    message: 'This device has no interface that carries AT commands: HiLink sticks and the like work only as network adapters',
    action:
      'Use a stick in modem (stick) mode, such as the MS2131 or an E3372 with stick firmware, or choose the modem in the browser’s list',
  },
  USB_NO_ANSWER: {
    message: 'None of the modem’s candidate AT interfaces answered AT',
    action:
      'Wait about 10 seconds after plugging the modem in (it is starting), then connect again; if it repeats, unplug it and plug it back in',
  },
  USB_ACCESS_DENIED: {
    message: 'The browser could not open the modem (access denied)',
    action:
      'On Linux allow access with a udev rule (for example SUBSYSTEM=="usb", ATTR{idVendor}=="12d1", TAG+="uaccess"), then plug the modem in again. WebUSB on Windows reaches only WinUSB devices: use Huawei’s driver and “USB modem (Web Serial)”',
  },
  USB_OPEN_FAILED: {
    message: 'The modem could not be opened: {message}',
    action: 'Close other tabs or programs using the modem, unplug it and plug it back in, then connect again',
  },
  MODEM_NO_CSIM: {
    message: 'The modem does not pass commands to the SIM (it refused AT+CSIM), so it cannot authenticate',
    action: 'Use a modem that supports AT+CSIM (Huawei MS2131, E3372 and similar), or a card reader',
  },
  // The session worker
  NOT_CONNECTED: { message: 'No SIM is connected', action: 'Choose how the SIM is reached and connect it first' },
  NOT_CONFIGURED: { message: 'No Krypton endpoint is chosen', action: 'Choose a Krypton endpoint' },
  NO_CREDENTIALS: { message: 'There are no credentials yet', action: 'Press Authenticate first' },
  BAD_PIN_FORMAT: { message: 'A PIN has 4 to 8 digits', action: 'Enter the PIN again (digits only)' },
  BAD_BUCKET_NAME: {
    message: 'That is not a valid bucket name',
    action: 'A bucket name has 3 to 63 lowercase letters, digits, dots and hyphens',
  },
  BAD_REGION: { message: 'That is not an AWS region', action: 'Enter the bucket’s region, for example ap-northeast-1' },
  RESULT_GONE: { message: 'That answer is not available (no longer kept, or it holds no such value)', action: 'Run the operation again' },
  NO_SIM_ACCESS: {
    message: 'The SIM is not read on the cellular endpoint',
    action: 'Choose another SIM link to read the SIM or manage its PIN',
  },
  // The batch worker
  PIN_ONE_TRY_LEFT: {
    message: 'The PIN of this SIM has one try left: the check does not spend it',
    action: 'Verify the PIN on the One SIM screen (it asks before using the last try), then check this SIM again',
  },
  CHECK_NO_CREDENTIALS: {
    message: 'No SIM of this batch has earned AWS credentials, or they have expired',
    action: 'Check one more SIM with credentials in the checklist (it earns fresh ones), then upload again',
  },
  CHECK_STORAGE_UNAVAILABLE: {
    message: 'This browser refuses to save the results',
    action: 'Allow this site to store data; until then, export the report before closing the page',
  },
  CHECK_STORAGE_FAILED: { message: 'A result could not be saved', action: 'Free some disk space, or export the report now' },
  BATCH_GONE: { message: 'That batch is no longer stored', action: 'Start a new batch' },
  BATCH_RUNNING: { message: 'The batch is already running', action: 'Stop it first' },
  NO_LANES: { message: 'No card reader or modem was chosen', action: 'Choose at least one reader or modem, then start' },
  NO_LANE: { message: 'That modem is not a lane of the running batch', action: 'Start the batch with this modem chosen' },
  NO_READER: { message: 'There is no such reader on this modem', action: 'Choose the lane again' },
  NO_BATCH: { message: 'No batch is running', action: 'Press Start' },
  STOPPED: { message: 'The wait for this lane’s SIM ended (the batch stopped, or another wait took over)', action: 'Press Start' },

  // PIN management (#15 §4)
  PUK_WRONG: {
    message: 'Wrong PUK ({triesLeft, plural, one {# PUK try} other {# PUK tries}} left); the PIN is still blocked',
    action: 'Check the PUK on the card the SIM came on and type it carefully: with no PUK tries left, the SIM is locked for good',
  },
  PUK_LAST_TRY: {
    message: 'The PUK has one try left: a wrong PUK now locks the SIM for good. Nothing was sent to the SIM',
    action: 'Make sure you have the right PUK, then confirm that you want to use the last try',
  },
  PIN_DISABLED: {
    message: 'The PIN is disabled, so it cannot be changed. Nothing was changed',
    action: 'Enable the PIN first (with its current code), then change it',
  },
  BAD_PUK_FORMAT: { message: 'A PUK has 8 digits', action: 'Enter the PUK again (8 digits, digits only)' },
  // Folders and uploads (#16)
  FOLDER_EMPTY: { message: 'There is no object in this folder', action: 'Open a folder that holds files' },
  FOLDER_NAME_COLLISION: {
    message:
      'Another object of the folder is saved under the same name ({path}): names that differ only in case, or a file where a folder is',
    action: 'Download that object on its own and save it under another name',
  },
  FOLDER_NAME_UNSAFE: { message: 'This object’s key leaves no name to save it under', action: 'Download it on its own' },
  FOLDER_WRITE_REFUSED: {
    message: 'The browser refused to create {path} in the chosen folder',
    action: 'Download that object on its own and save it under another name, or choose a folder you may write to',
  },
  UPLOAD_CANCELLED: { message: 'The upload was cancelled; nothing was left in S3', action: 'Upload it again when ready' },
  UPLOAD_GONE: {
    message: 'S3 no longer holds the upload in progress (it was aborted, or removed by a lifecycle rule)',
    action: 'Upload the file again',
  },
  UPLOAD_ABORT_FAILED: {
    message: 'The upload did not complete, and S3 refused to abort it: its parts are still stored (upload {uploadId})',
    action:
      'Ask the AWS administrator to allow s3:AbortMultipartUpload (and DELETE in the bucket’s CORS rule), or to remove the incomplete upload (a lifecycle rule does it)',
  },
  UPLOAD_TOO_LARGE: {
    message: 'The file is larger than S3’s limit of 5 TiB',
    action: 'Split the file, or upload it another way (the AWS CLI)',
  },
} as const satisfies Record<FailureCode, FailureText> as Readonly<Record<FailureCode, FailureText>>;

/** Whether a code (as it arrived, any string) is one the failure tables know. */
export function isFailureCode(code: string): code is FailureCode {
  return Object.hasOwn(enFailures, code);
}
