import { TransportError } from '@krypton-web/krypton-core';
import { describe, expect, it } from 'vitest';
import { pipeSerialChannel } from '../lib/serial-pipe.ts';
import { toFailure } from './failure.ts';
import { PipeSerialChannel } from './links/pipe-serial-channel.ts';
import { summary } from './links/modem-summary.ts';
import { pinInfo, SimLock } from './links/sim-link.ts';
import { maskJson, maskSecret, pemName } from './mask.ts';
import { corsJson, iamNeed, s3Failure } from './s3-errors.ts';

const ctx = {
  op: 'list' as const,
  bucket: 'krypton-nocors',
  key: undefined,
  region: 'ap-northeast-1',
  origin: 'http://localhost:8787',
  reachable: undefined,
};

describe('what leaves the worker', () => {
  it('secrets are masked without a character of them', () => {
    expect(maskSecret('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe('••••••••••••••••');
    expect(maskSecret('')).toBe('');
  });

  it('operation answers: secret fields masked, PEM documents offered as files', () => {
    const body = {
      certificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      privateKey: '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
      rootCaCertificate: '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----',
      host: 'lab-ats.iot.ap-northeast-1.amazonaws.com',
      credentials: { accessKeyId: 'ASIA', secretKey: 'SECRET', sessionToken: 'TOKEN' },
      token: 'eyJ',
    };
    const m = maskJson(body);
    expect(m.value).toEqual({
      certificate: body.certificate,
      privateKey: '••••••••••••••••',
      rootCaCertificate: body.rootCaCertificate,
      host: body.host,
      credentials: { accessKeyId: 'ASIA', secretKey: '••••••••••••••••', sessionToken: '••••••••••••••••' },
      token: '••••••••••••••••',
    });
    expect(m.secretPaths).toEqual(['privateKey', 'credentials.secretKey', 'credentials.sessionToken', 'token']);
    expect(m.files).toEqual([
      { name: 'certificate.pem', path: 'certificate', secret: false },
      { name: 'private-key.pem', path: 'privateKey', secret: true },
      { name: 'root-ca-certificate.pem', path: 'rootCaCertificate', secret: false },
    ]);
    expect(pemName('arcClientPeerPrivateKey')).toBe('arc-client-peer-private-key.pem');
    expect(maskJson('{"s3":{"bucket":"b"}}')).toEqual({ value: '{"s3":{"bucket":"b"}}', secretPaths: [], files: [] });
  });

  it('errors become plain failures that keep code, action and facts', () => {
    expect(toFailure(Object.assign(new Error('The card was removed'), { code: 'NO_CARD' }))).toEqual({
      code: 'NO_CARD',
      message: 'The card was removed',
      action: 'Insert the SIM (or put it back in the reader), then connect again',
      details: {},
    });
    const k = Object.assign(new Error('Krypton refused'), {
      code: 'OPERATION_REFUSED',
      action: 'Check',
      details: { status: 404, serverCode: 'X', nested: { no: 1 } },
    });
    expect(toFailure(k)).toEqual({
      code: 'OPERATION_REFUSED',
      message: 'Krypton refused',
      action: 'Check',
      details: { status: 404, serverCode: 'X' },
    });
    expect(toFailure(new TransportError('TIMEOUT', 'slow')).code).toBe('TIMEOUT');
    expect(toFailure('weird').code).toBe('UNEXPECTED');
  });
});

describe('S3 failures explained', () => {
  it('a request the browser blocked while the bucket answers a no-cors probe is a missing CORS rule, with the JSON to paste', () => {
    const f = s3Failure(new TypeError('Failed to fetch'), { ...ctx, reachable: true });
    expect(f.code).toBe('S3_CORS_MISSING');
    expect(f.cors?.origin).toBe('http://localhost:8787');
    expect(JSON.parse(f.cors!.json)).toEqual(JSON.parse(corsJson('http://localhost:8787')));
    expect((JSON.parse(f.cors!.json) as { AllowedOrigins: string[] }[])[0]!.AllowedOrigins).toEqual(['http://localhost:8787']);
    expect(s3Failure(new TypeError('Failed to fetch'), { ...ctx, reachable: false }).code).toBe('NETWORK_UNREACHABLE');
    // The bridge said the bucket exists, or could not tell: still the CORS recipe.
    expect(s3Failure(new TypeError('Failed to fetch'), { ...ctx, reachable: true, exists: true }).code).toBe('S3_CORS_MISSING');
  });

  it('a blocked request to a bucket that has answered this page is not "no CORS rule": the rule refuses this request, or something altered the answer', () => {
    const get = s3Failure(new TypeError('Failed to fetch'), {
      ...ctx,
      key: 'a/b.bin',
      reachable: true,
      exists: true,
      answeredBefore: true,
    });
    expect(get.code).toBe('S3_CORS_REFUSED');
    expect(get.message).toContain('which has answered this page before');
    expect(get.message).not.toContain('no CORS rule');
    expect(JSON.parse(get.cors!.json)).toEqual(JSON.parse(corsJson('http://localhost:8787')));
    const put = s3Failure(new TypeError('Failed to fetch'), { ...ctx, op: 'put', key: 'up.txt', reachable: true, answeredBefore: true });
    expect(put.code).toBe('S3_CORS_REFUSED');
    expect(put.action).toContain('allow uploads from this page (PUT, POST and DELETE)');
    expect((JSON.parse(put.cors!.json) as { AllowedMethods: string[] }[])[0]!.AllowedMethods).toEqual(
      expect.arrayContaining(['PUT', 'POST', 'DELETE']),
    );
    // Unreachable is unreachable, whatever answered before.
    expect(s3Failure(new TypeError('Failed to fetch'), { ...ctx, reachable: false, answeredBefore: true }).code).toBe(
      'NETWORK_UNREACHABLE',
    );
  });

  it('NoSuchUpload (404) is the multipart upload gone, not the object: upload again, not refresh the listing', () => {
    const gone = Object.assign(new Error('The specified upload does not exist'), {
      name: 'NoSuchUpload',
      $metadata: { httpStatusCode: 404 },
    });
    const f = s3Failure(gone, { ...ctx, op: 'put', key: 'uploads/big.bin', reachable: undefined });
    expect(f).toMatchObject({ code: 'UPLOAD_GONE', action: 'Upload the file again' });
    const missing = Object.assign(new Error('x'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    expect(s3Failure(missing, { ...ctx, op: 'get', key: 'k', reachable: undefined }).code).toBe('S3_NO_SUCH_KEY');
  });

  it('InvalidObjectState (403) is an archived object to restore, not a permission to ask for', () => {
    const archived = Object.assign(new Error("The operation is not valid for the object's storage class"), {
      name: 'InvalidObjectState',
      $metadata: { httpStatusCode: 403 },
      StorageClass: 'DEEP_ARCHIVE',
    });
    const f = s3Failure(archived, { ...ctx, op: 'get', key: 'logs/old.log', reachable: undefined });
    expect(f.code).toBe('S3_ARCHIVED');
    expect(f.message).toBe(
      's3://krypton-nocors/logs/old.log is in storage class DEEP_ARCHIVE: S3 keeps it archived, and its bytes can be read only after a restore',
    );
    expect(f.details.storageClass).toBe('DEEP_ARCHIVE');
    expect(f.iam).toBeUndefined();
    const tiered = Object.assign(new Error('x'), {
      name: 'InvalidObjectState',
      StorageClass: 'INTELLIGENT_TIERING',
      AccessTier: 'DEEP_ARCHIVE_ACCESS',
    });
    expect(s3Failure(tiered, { ...ctx, op: 'get', key: 'k', reachable: undefined }).details.storageClass).toBe(
      'INTELLIGENT_TIERING, DEEP_ARCHIVE_ACCESS',
    );
    const unnamed = s3Failure(Object.assign(new Error('x'), { name: 'InvalidObjectState' }), {
      ...ctx,
      op: 'get',
      key: 'k',
      reachable: undefined,
    });
    expect(unnamed.message).toBe(
      's3://krypton-nocors/k is in an archive storage class: S3 keeps it archived, and its bytes can be read only after a restore',
    );
    expect(unnamed.details.storageClass, 'no class is made up (the Japanese text then falls back to this English)').toBeUndefined();
    // A plain 403 is still access denied.
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(s3Failure(denied, { ...ctx, op: 'get', key: 'k', reachable: undefined }).code).toBe('S3_ACCESS_DENIED');
  });

  it('a blocked request to a bucket the bridge says does not exist is NoSuchBucket advice, not a CORS recipe (issue 15 §1)', () => {
    const f = s3Failure(new TypeError('Failed to fetch'), { ...ctx, bucket: 'krypton-demo-misspelt', reachable: true, exists: false });
    expect(f).toMatchObject({
      code: 'S3_NO_SUCH_BUCKET',
      message: 'There is no bucket named "krypton-demo-misspelt"',
      details: { bucket: 'krypton-demo-misspelt', serverCode: 'NoSuchBucket' },
    });
    expect(f.action).toMatch(/typo/);
    expect(f.cors).toBeUndefined();
  });

  it('access denied names the action and resource the role must allow', () => {
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(s3Failure(denied, ctx)).toMatchObject({
      code: 'S3_ACCESS_DENIED',
      iam: { action: 's3:ListBucket', resource: 'arn:aws:s3:::krypton-nocors' },
    });
    expect(s3Failure(denied, { ...ctx, op: 'get', key: 'a/b.bin' }).iam).toEqual({
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::krypton-nocors/a/b.bin',
    });
    expect(iamNeed('head', 'b', 'k')).toEqual({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' });
  });

  it('region, clock, missing bucket, 5xx', () => {
    const err = (name: string, status: number, extra: object = {}) =>
      Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, ...extra });
    expect(s3Failure(err('AuthorizationHeaderMalformed', 400, { Region: 'us-east-1' }), ctx)).toMatchObject({
      code: 'S3_WRONG_REGION',
      action: 'Set the region to us-east-1',
    });
    expect(s3Failure(err('RequestTimeTooSkewed', 403), ctx).code).toBe('CLOCK_SKEW');
    expect(s3Failure(err('NoSuchBucket', 404), ctx).code).toBe('S3_NO_SUCH_BUCKET');
    expect(s3Failure(err('NoSuchKey', 404), { ...ctx, key: 'k' }).code).toBe('S3_NO_SUCH_KEY');
    expect(s3Failure(err('InternalError', 500), ctx).code).toBe('SERVER_ERROR');
    expect(s3Failure(err('ExpiredToken', 400), ctx).code).toBe('CREDENTIALS_EXPIRED');
  });
});

describe('links', () => {
  it('the modem’s answers in the page’s terms', () => {
    expect(
      summary(
        {
          manufacturer: 'huawei',
          model: 'MS2131',
          imei: '866913021234569',
          signal: { hcsq: { mode: 'LTE', rsrpDbm: -96 } },
          registration: { domain: 'eps', status: 'registered-roaming', stat: 5 },
          operator: { mode: 0, name: 'SORACOM' },
        },
        true,
      ),
    ).toEqual({
      csim: true,
      manufacturer: 'huawei',
      model: 'MS2131',
      imei: '866913021234569',
      signalDbm: -96,
      signalBars: 2,
      technology: 'LTE',
      registration: 'roaming',
      operator: 'SORACOM',
    });
    expect(summary({ signal: { csq: { rssi: 20, rssiDbm: -73, ber: undefined } } }, false)).toEqual({
      csim: false,
      signalDbm: -73,
      signalBars: 4,
    });
  });

  it('PIN state: blocked when enabled with no tries left', () => {
    expect(pinInfo({ enabled: true, verified: false, triesLeft: 0, pukTriesLeft: 10 })).toEqual({
      enabled: true,
      verified: false,
      triesLeft: 0,
      pukTriesLeft: 10,
      blocked: true,
    });
    expect(pinInfo({ enabled: false, verified: false, triesLeft: undefined })).toEqual({ enabled: false, verified: false, blocked: false });
  });

  it('SIM commands run one at a time, in order, a failure not blocking the next', async () => {
    const lock = new SimLock();
    const order: string[] = [];
    const slow = lock.run(async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('a');
      throw new Error('a failed');
    });
    const next = lock.run(async () => order.push('b'));
    await expect(slow).rejects.toThrow('a failed');
    await next;
    expect(order).toEqual(['a', 'b']);
  });

  it('the serial pipe carries bytes both ways, acknowledges writes, and reports the port going away', async () => {
    const written: Uint8Array[] = [];
    let handlers!: { onData(c: Uint8Array): void; onClose(e?: Error): void };
    const pageChannel = {
      name: 'fake',
      start: (h: typeof handlers) => (handlers = h),
      write: async (b: Uint8Array) => void written.push(b),
      close: async () => handlers.onClose(),
    };
    const port = pipeSerialChannel(pageChannel);
    const worker = new PipeSerialChannel('Huawei modem', port);
    const received: string[] = [];
    let closed: Error | undefined | null = null;
    worker.start({ onData: (c) => received.push(new TextDecoder().decode(c)), onClose: (e) => (closed = e) });
    await worker.write(new TextEncoder().encode('AT\r'));
    expect(new TextDecoder().decode(written[0])).toBe('AT\r');
    handlers.onData(new TextEncoder().encode('\r\nOK\r\n'));
    await new Promise((r) => setTimeout(r, 10));
    expect(received.join('')).toBe('\r\nOK\r\n');
    handlers.onClose(new Error('The device has been lost.'));
    await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBeInstanceOf(TransportError);
    await expect(worker.write(new Uint8Array([1]))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
  });
});
