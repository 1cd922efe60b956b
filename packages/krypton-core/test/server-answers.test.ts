import { describe, expect, it } from 'vitest';
import {
  canonicalOperationName,
  expirationMs,
  isSuccess,
  isValidKeyId,
  keyVerifyUrl,
  operationSpec,
  parseOpenIdToken,
  parseSessionCredentials,
  provisioningPath,
} from '../src/index.ts';

describe('keyId: any non-empty printable string up to 256 characters', () => {
  it.each(['k', 'a:b', 'a+b', 'a/b', 'a=b', 'a%b', 'a%2Fb', 'with space', 'キー', 'x'.repeat(256), '😀'.repeat(256), '...', '../../x'])(
    'accepts %j',
    (id) => {
      expect(isValidKeyId(id)).toBe(true);
    },
  );
  it.each([
    '',
    'x'.repeat(257),
    'a\u0000b',
    'a\nb',
    'a\u007fb',
    'a\u0085b',
    '\ud800',
    'a\u202eb',
    'a\u200bb',
    'a\u2028b',
    '😀'.repeat(257),
    '.',
    '..',
    42,
    null,
    undefined,
  ])('refuses %j', (id) => {
    expect(isValidKeyId(id)).toBe(false);
  });
  it('travels in the verify path as one segment, decoded once gives it back', () => {
    const id = 'lab:1+a/b=c%2F%d e';
    const url = keyVerifyUrl('https://g.api.soracom.io/v1/keys', id);
    expect(url).toBe('https://g.api.soracom.io/v1/keys/lab%3A1%2Ba%2Fb%3Dc%252F%25d%20e/verify');
    const segment = new URL(url).pathname.split('/')[3]!;
    expect(decodeURIComponent(segment)).toBe(id);
  });
});

describe('answers SORACOM may write differently from the lab', () => {
  it('counts any 2xx as success, nothing else', () => {
    expect([200, 201, 202, 204, 299].every(isSuccess)).toBe(true);
    expect([199, 300, 301, 400, 401, 500].some(isSuccess)).toBe(false);
  });

  it('takes the region from the identity id when open_id_tokens has none', () => {
    const id = 'ap-northeast-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
    expect(parseOpenIdToken({ identityId: id, token: 't' })).toEqual({ region: 'ap-northeast-1', identityId: id, token: 't' });
    expect(parseOpenIdToken({ region: '', identityId: id, token: 't' }).region).toBe('ap-northeast-1');
    expect(parseOpenIdToken({ region: 'us-west-2', identityId: id, token: 't' }).region).toBe('us-west-2');
    expect(() => parseOpenIdToken({ identityId: 'no-region-here', token: 't' })).toThrow(
      expect.objectContaining({ code: 'MALFORMED_ANSWER' }),
    );
  });

  it('reads an expiration as epoch milliseconds, epoch seconds or ISO 8601', () => {
    const ms = Date.UTC(2026, 11, 3, 10, 0, 0);
    expect(expirationMs(ms)).toBe(ms);
    expect(expirationMs(ms / 1000)).toBe(ms);
    expect(expirationMs(String(ms / 1000))).toBe(ms);
    expect(expirationMs(String(ms))).toBe(ms);
    expect(expirationMs('2026-12-03T10:00:00Z')).toBe(ms);
    expect(expirationMs('2026-12-03T19:00:00+09:00')).toBe(ms);
    expect(expirationMs('2026-12-03T10:00:00.000Z')).toBe(ms);
    for (const bad of ['soon', '', -1, 0, Number.NaN, null, {}, '2026-13-45T99:00:00Z'])
      expect(expirationMs(bad), JSON.stringify(bad)).toBeUndefined();
    const answer = {
      identityId: 'i',
      credentials: { accessKeyId: 'A', secretKey: 'S', sessionToken: 'T', expiration: '2026-12-03T10:00:00Z' },
    };
    expect(parseSessionCredentials(answer).credentials.expiration).toBe(ms);
  });
});

describe('operations', () => {
  it('accepts operation names in any case, as the Java client does', () => {
    expect(canonicalOperationName('getUserdata')).toBe('getUserData');
    expect(canonicalOperationName('BOOTSTRAPAZUREIOTDEVICE')).toBe('bootstrapAzureIotDevice');
    expect(operationSpec('bootstrapazureiotdevice').path({})).toBe('azure/iot/bootstrap');
    expect(canonicalOperationName('getUserDatas')).toBeUndefined();
  });

  it('takes a provisioning path given by hand, and refuses one that would leave the provisioning API', () => {
    expect(provisioningPath('aws/iot/ca_certificate')).toBe('aws/iot/ca_certificate');
    expect(provisioningPath('/v1/provisioning/aws/iot/certificates/abc123')).toBe('aws/iot/certificates/abc123');
    for (const bad of ['', '/', '../keys', 'aws/../../x', 'aws//iot', 'aws/iot?x=1', 'aws/iot#x', 'aws/%2e%2E/x', 'a/%zz'])
      expect(() => provisioningPath(bad), bad).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
  });
});
