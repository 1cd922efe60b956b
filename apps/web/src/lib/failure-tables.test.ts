import type { BridgeHttpErrorCode } from '@krypton-web/bridge-server';
import { describe, expect, it } from 'vitest';
import type { BridgeProxyFailureCode, FailureCode } from '../worker/failure-codes.ts';
import { enFailures, isFailureCode } from './i18n/en-failures.ts';
import { english as en } from './i18n/english.test-support.ts';
import { I18n, sentence } from './i18n/i18n.svelte.ts';
import { ja, jaFailures } from './i18n/ja.ts';

/**
 * Every FailureCode, as a value: the two type checks below fail the typecheck when this list and the
 * union differ in either direction, so the runtime checks compare the tables against the union itself.
 */
const ALL_CODES = [
  ...['TRANSPORT_BUSY', 'TRANSPORT_CLOSED', 'TRANSPORT_FAILED', 'NO_CARD', 'NO_USIM', 'PIN_REQUIRED', 'PIN_WRONG', 'PIN_BLOCKED'],
  ...['PUK_WRONG', 'PUK_LAST_TRY', 'PIN_DISABLED', 'BAD_PUK_FORMAT'],
  ...['PUK_BLOCKED', 'PIN_LAST_TRY', 'MAC_FAILURE', 'CARD_ERROR', 'KEYS_API_REFUSED', 'RESYNC_FAILED', 'VERIFY_REFUSED'],
  ...['SIGNATURE_REFUSED', 'CLOCK_SKEW', 'OPERATION_REFUSED', 'NOT_ON_SORACOM_AIR', 'COGNITO_REFUSED', 'SERVER_ERROR'],
  ...['NETWORK_UNREACHABLE', 'TIMEOUT', 'ABORTED', 'STORAGE_UNAVAILABLE', 'BAD_INPUT', 'MALFORMED_ANSWER'],
  ...['ERROR', 'CME_ERROR', 'CMS_ERROR', 'NO_CARRIER', 'NOT_SUPPORTED', 'CLOSED', 'DISCONNECTED', 'QUEUE_FULL', 'REFUSED'],
  ...['BAD_RESPONSE', 'WRITE_FAILED', 'BRIDGE_ERROR', 'BAD_MESSAGE', 'UPSTREAM_UNREACHABLE', 'UPSTREAM_TIMEOUT'],
  ...['UPSTREAM_BROKEN', 'UPSTREAM_TOO_LARGE', 'REQUEST_INCOMPLETE', 'CARD_REMOVED', 'PIN_TRIES_LOW', 'S3_NO_BUCKET', 'S3_EMPTY'],
  ...[
    'TAG_MISSING',
    'TAG_MISMATCH',
    'BAD_CHECKLIST',
    'UNEXPECTED',
    'S3_CORS_MISSING',
    'S3_CORS_REFUSED',
    'S3_CORS_HIDES_ETAG',
    'S3_ARCHIVED',
    'S3_ACCESS_DENIED',
    'S3_NO_SUCH_BUCKET',
  ],
  ...['S3_NO_SUCH_KEY', 'S3_WRONG_REGION', 'S3_SIGNATURE', 'S3_BAD_DIGEST', 'S3_ERROR', 'EMPTY_ANSWER', 'CREDENTIALS_EXPIRED'],
  ...[
    'DOWNLOAD_CANCELLED',
    'DOWNLOAD_INCOMPLETE',
    'DOWNLOAD_UNCONFIRMED',
    'CHECKSUM_MISMATCH',
    'OBJECT_CORRUPT',
    'TOO_LARGE_FOR_MEMORY',
    'USB_CLAIMED_BY_OS',
  ],
  ...['USB_STORAGE_MODE', 'USB_PROTECTED_CLASS', 'USB_NO_AT_INTERFACE', 'USB_NO_ANSWER', 'USB_ACCESS_DENIED', 'USB_OPEN_FAILED'],
  ...['MODEM_NO_CSIM', 'NOT_CONNECTED', 'NOT_CONFIGURED', 'NO_CREDENTIALS', 'BAD_PIN_FORMAT', 'BAD_BUCKET_NAME', 'BAD_REGION'],
  ...['RESULT_GONE', 'NO_SIM_ACCESS', 'PIN_ONE_TRY_LEFT', 'CHECK_NO_CREDENTIALS', 'CHECK_STORAGE_UNAVAILABLE'],
  ...['UPSTREAM_REDIRECT', 'UPSTREAM_NOT_JSON', 'DOWNLOAD_NOT_STARTED', 'DOWNLOAD_INTERRUPTED', 'OBJECT_CHANGED'],
  ...['S3_ANSWER_UNUSABLE'],
  ...['CHECK_STORAGE_FAILED', 'BATCH_GONE', 'BATCH_RUNNING', 'NO_LANES', 'NO_LANE', 'NO_READER', 'NO_BATCH', 'STOPPED'],
  ...[
    'FOLDER_EMPTY',
    'FOLDER_NAME_COLLISION',
    'FOLDER_NAME_UNSAFE',
    'FOLDER_WRITE_REFUSED',
    'UPLOAD_CANCELLED',
    'UPLOAD_ABORT_FAILED',
    'UPLOAD_GONE',
    'UPLOAD_TOO_LARGE',
  ],
] as const satisfies readonly FailureCode[];
type Missing = Exclude<FailureCode, (typeof ALL_CODES)[number]>;
const everyCodeListed: [Missing] extends [never] ? true : Missing = true;
// The page cannot import bridge-server (a higher layer); this test can, and fails the typecheck when they drift.
type ProxyMissing = Exclude<BridgeHttpErrorCode, BridgeProxyFailureCode>;
type ProxyExtra = Exclude<BridgeProxyFailureCode, BridgeHttpErrorCode>;
const proxyCodesMirrored: [ProxyMissing] extends [never] ? ([ProxyExtra] extends [never] ? true : ProxyExtra) : ProxyMissing = true;

/** ASCII words allowed in Japanese texts: product and protocol names, codes, units, commands. */
const ALLOWED_ASCII = new Set(
  (
    'RES CK IK Kc GET RESPONSE GSM P1 P2 SIM USIM PIN PUK IMSI ICCID IMEI APDU APDUs AT CSIM CME CMS NO CARRIER AWS CLI IAM S3 SORACOM Air Krypton Cognito Amazon ' +
    'Identity Pool ID USB WebUSB Web Serial HTTP HTTPS https http localhost CORS ETag MD5 Content NTP JSON CSV HEAD API Keys ' +
    'OpenID MAC OS HID HiLink CD ROM WinUSB Huawei MS2131 E3372 Mobile Partner Chrome Edge Android Linux Windows macOS PC SC ' +
    'pcscd pnpm start bridge usb_modeswitch option unbind ModemManager udev SUBSYSTEM ATTR idVendor TAG uaccess Unable to claim interface ' +
    'AbortMultipartUpload s3 zip Access denied dBm AUTHENTICATE IoT URL DNS B KiB MiB GiB TiB ms s Firefox Safari SSE KMS ' +
    // #15 §6 and §2: shells and the AWS CLI snippet's command and file (`aws --profile krypton`, ~/.aws/credentials), operations' products.
    'POSIX bash zsh PowerShell Env krypton aws profile credentials MSISDN Inventory LwM2M Arc WireGuard Azure Hub DPS X ' +
    // #16: how S3 may store an object (Content-Encoding) and its formats.
    'Encoding gzip br Brotli zstd ExposeHeaders PUT POST DELETE Deep Archive'
  ).split(' '),
);

/** ASCII words of letters in a text, outside `{params}`, backquoted commands and URLs. */
function asciiWords(text: string): string[] {
  const stripped = text
    .replace(/\{\w+, plural,(?:[^{}]|\{[^{}]*\})*\}/g, ' ')
    .replace(/\{[^{}]*\}/g, ' ')
    .replace(/`[^`]*`/g, ' ')
    .replace(/[a-z0-9]+:\/\/[^\s）)]*/g, ' ') // a URL, s3://bucket/key
    .replace(/\b[a-z0-9-]+(\.[a-z0-9-]+)+\b/g, ' ') // a host name, g.api.soracom.io
    .replace(/"[^"]*"/g, ' ')
    .replace(/\b[a-z]{2}-[a-z]+-\d\b/g, ' ') // an AWS region, ap-northeast-1
    .replace(/\b[0-9a-f]{4}:[0-9a-f]{4}\b/g, ' '); // a USB id, 12d1:1506
  return stripped.match(/[A-Za-z][A-Za-z0-9_]*/g) ?? [];
}

const params = (s: string) => [...s.matchAll(/\{(\w+)(?:\}|, plural,)/g)].map((m) => m[1]).sort();

describe('failure tables', () => {
  it('the list here is the union (checked by the typecheck)', () => {
    expect(everyCodeListed).toBe(true);
    expect(proxyCodesMirrored).toBe(true);
    expect(new Set(ALL_CODES).size).toBe(ALL_CODES.length);
  });

  it('English and Japanese have exactly the codes of FailureCode, none empty, with the same parameters', () => {
    const codes = [...ALL_CODES].sort();
    expect(Object.keys(enFailures).sort()).toEqual(codes);
    expect(Object.keys(jaFailures).sort()).toEqual(codes);
    for (const code of codes) {
      for (const part of ['message', 'action'] as const) {
        expect(enFailures[code][part].trim().length, `${code}.${part}`).toBeGreaterThan(0);
        expect(jaFailures[code][part].trim().length, `${code}.${part}`).toBeGreaterThan(0);
        expect(params(jaFailures[code][part]), `${code}.${part}`).toEqual(params(enFailures[code][part]));
      }
      expect(isFailureCode(code)).toBe(true);
    }
    expect(isFailureCode('toString')).toBe(false);
    expect(isFailureCode('SOMETHING_NEW')).toBe(false);
  });

  it('Japanese texts hold no English sentence: only allowed names and codes are ASCII', () => {
    const texts: [string, string][] = [
      ...Object.entries(ja),
      ...Object.entries(jaFailures).flatMap(([code, t]): [string, string][] => [
        [`${code}.message`, t.message],
        [`${code}.action`, t.action],
      ]),
    ];
    const english = texts.flatMap(([key, text]) =>
      asciiWords(text)
        .filter((w) => !ALLOWED_ASCII.has(w))
        .map((w) => `${key}: ${w}`),
    );
    expect(english).toEqual([]);
  });

  it('the check catches an untranslated sentence', () => {
    expect(asciiWords('Try again in a moment').filter((w) => !ALLOWED_ASCII.has(w))).toEqual(['Try', 'again', 'in', 'a', 'moment']);
    expect(asciiWords('SIM の PIN を {tries} 回').filter((w) => !ALLOWED_ASCII.has(w))).toEqual([]);
  });

  it('English catalog and failure texts end sentences consistently', () => {
    expect(sentence('No SIM is connected')).toBe('No SIM is connected.');
    expect(sentence('Failed (HTTP 503)')).toBe('Failed (HTTP 503).');
    expect(sentence('Done.')).toBe('Done.');
    expect(sentence('')).toBe('');
    // Table texts are fragments the page finishes, like the worker's; none ends with a full stop already.
    for (const [code, t] of Object.entries(enFailures)) {
      expect(t.message.endsWith('.'), code).toBe(false);
      expect(t.action.endsWith('.'), code).toBe(false);
    }
    // Japanese failure texts end with 。 (or a quoted value), like the catalog's sentences.
    for (const [code, t] of Object.entries(jaFailures)) {
      expect(/[。：」]$|\{message\}$/.test(t.message), `${code}.message: ${t.message}`).toBe(true);
      expect(/[。]$/.test(t.action), `${code}.action: ${t.action}`).toBe(true);
    }
    expect(Object.keys(en).length).toBe(Object.keys(ja).length);
  });

  it('shows ours by code in Japanese, the worker’s English in English, ours when the worker’s is missing', async () => {
    const storage = { getItem: () => null, setItem: () => undefined };
    const i = new I18n(storage, ['ja']);
    await i.ready;
    await i.loadFailureTexts();
    const bridge = { code: 'BRIDGE_ERROR', message: 'The bridge could not complete the command', action: '', details: {} };
    expect(i.failure(bridge).message).toBe('ブリッジがコマンドを完了できませんでした。');
    await i.set('en');
    expect(i.failure(bridge)).toEqual({
      message: 'The bridge could not complete the command.',
      action: 'Try again; if it repeats, restart `pnpm bridge`.',
    });
    expect(i.failure({ code: 'S3_NO_SUCH_BUCKET', message: '', action: '', details: { bucket: 'logs' } }).message).toBe(
      'There is no bucket named “logs”.',
    );
    expect(i.failure({ code: 'FROM_A_NEWER_BRIDGE', message: 'Something new', action: 'Do this', details: {} })).toEqual({
      message: 'Something new.',
      action: 'Do this.',
    });
  });
});
