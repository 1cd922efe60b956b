import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KryptonError } from '@krypton-web/krypton-core';
import { Tracer, type TraceEvent } from '@krypton-web/krypton-core';
import {
  cannedServer,
  closedPortUrl,
  IMSI,
  labSource,
  rejectionOf,
  type CannedReply,
  type TestServer,
} from './aws-test-kit.test-support.ts';
import {
  fromKrypton,
  type KryptonCredentialEvent,
  type KryptonCredentialProvider,
  type KryptonCredentialProviderOptions,
} from '@krypton-web/krypton-core';
import type { KryptonCognitoSource } from '@krypton-web/krypton-core';

let lab: Lab;
const providers: KryptonCredentialProvider[] = [];
const servers: TestServer[] = [];

beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.close();
});
afterEach(async () => {
  for (const p of providers.splice(0)) p.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  lab.faults.update({ latencyMs: 0, errorRate: 0, errorServices: [], errorStatus: 503 });
  lab.clock.offsetMs = 0;
});

const IDENTITY = 'ap-northeast-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const TOKEN = 'eyJraWQiOiJsYWItMSJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlLW5vdC1zZWNyZXQtZW5vdWdo';

/** A source that always hands out the same token (for canned Cognito servers). */
function fixedSource(
  answer: unknown = { region: 'ap-northeast-1', identityId: IDENTITY, token: TOKEN },
): KryptonCognitoSource & { calls: number } {
  const s = {
    calls: 0,
    async openIdToken() {
      s.calls += 1;
      return answer as { region: string; identityId: string; token: string };
    },
    async sessionCredentials(): Promise<never> {
      throw new Error('not used');
    },
  };
  return s;
}

function provider(options: Partial<KryptonCredentialProviderOptions> & { source: KryptonCognitoSource }): KryptonCredentialProvider {
  const p = fromKrypton({ cognitoEndpoint: lab.urls.cognito, cognitoMaxAttempts: 1, ...options });
  providers.push(p);
  return p;
}

async function canned(reply: CannedReply | ((n: number) => CannedReply)): Promise<TestServer> {
  let n = 0;
  const s = await cannedServer(() => (typeof reply === 'function' ? reply(n++) : reply));
  servers.push(s);
  return s;
}

const awsError = (status: number, type: string, message?: string): CannedReply => ({
  status,
  body: JSON.stringify(message === undefined ? { __type: type } : { __type: type, message }),
});

async function failure(p: Promise<unknown>): Promise<KryptonError> {
  const e = await rejectionOf(p);
  expect(e).toBeInstanceOf(KryptonError);
  const k = e as KryptonError;
  // Every failure says what happened and what to do.
  expect(k.message.length).toBeGreaterThan(10);
  expect(k.action.length).toBeGreaterThan(10);
  return k;
}

describe('Cognito refusals from the lab emulator', () => {
  it('an expired token: COGNITO_REFUSED, NotAuthorizedException kept', async () => {
    const source = labSource(lab);
    source.tokenOverride = () => expiredToken(source);
    const e = await failure(provider({ source })());
    expect(e.code).toBe('COGNITO_REFUSED');
    expect(e.details).toMatchObject({
      step: 'cognito',
      status: 400,
      serverCode: 'NotAuthorizedException',
      serverMessage: 'Invalid login token. Token expired.',
    });
    expect(e.message).toMatch(/expired/);
  });

  it('a forged token: COGNITO_REFUSED saying the pool may not trust Krypton', async () => {
    const source = labSource(lab);
    source.tokenOverride = async () => {
      const { identityId, token } = await lab.identityPool.openIdToken(IMSI);
      const [h, p, s] = token.split('.');
      return { region: lab.region, identityId, token: `${h}.${p}.${s!.slice(0, -4)}${s!.endsWith('AAAA') ? 'BBBB' : 'AAAA'}` };
    };
    const e = await failure(provider({ source })());
    expect(e.code).toBe('COGNITO_REFUSED');
    expect(e.details.serverCode).toBe('NotAuthorizedException');
    expect(e.message).toMatch(/trust SORACOM Krypton's developer provider/);
    expect(e.action).toMatch(/authentication providers/);
  });

  it('an identity the pool does not have: COGNITO_REFUSED with ResourceNotFoundException', async () => {
    const e = await failure(
      provider({
        source: fixedSource({ region: 'ap-northeast-1', identityId: 'eu-west-1:00000000-0000-0000-0000-000000000000', token: TOKEN }),
      })(),
    );
    expect(e.code).toBe('COGNITO_REFUSED');
    expect(e.details).toMatchObject({ serverCode: 'ResourceNotFoundException', status: 400 });
    expect(e.message).toContain('eu-west-1:00000000-0000-0000-0000-000000000000');
  });

  it('an injected 503 and a 429 without an AWS error type: SERVER_ERROR, the lab code kept', async () => {
    lab.faults.update({ errorRate: 1, errorServices: ['cognito'], errorStatus: 503 });
    const e503 = await failure(provider({ source: labSource(lab) })());
    expect(e503.code).toBe('SERVER_ERROR');
    expect(e503.details).toMatchObject({ status: 503, serverCode: 'LAB0503' });
    lab.faults.update({ errorStatus: 429 });
    const e429 = await failure(provider({ source: labSource(lab) })());
    expect(e429.code).toBe('SERVER_ERROR');
    expect(e429.message).toMatch(/throttling/);
    expect(e429.details).toMatchObject({ status: 429, serverCode: 'LAB0503' });
  });
});

describe('no answer', () => {
  it('Cognito unreachable (closed port): NETWORK_UNREACHABLE after the SDK retries, each attempt traced', async () => {
    const trace: TraceEvent[] = [];
    const url = await closedPortUrl();
    const p = provider({ source: labSource(lab), cognitoEndpoint: url, cognitoMaxAttempts: 3, tracer: new Tracer((e) => trace.push(e)) });
    const e = await failure(p());
    expect(e.code).toBe('NETWORK_UNREACHABLE');
    expect(e.message).toContain(new URL(url).host);
    expect(e.details).toEqual({ step: 'cognito', host: new URL(url).host });
    const http = trace.filter((t) => t.type === 'http');
    expect(http).toHaveLength(3);
    for (const h of http)
      expect(h).toMatchObject({
        step: 'cognito',
        method: 'POST',
        url: `${url}/`,
        status: undefined,
        failure: { code: 'NETWORK_UNREACHABLE' },
      });
    expect(trace.at(-1)).toMatchObject({ type: 'step-end', step: 'cognito', ok: false, failure: { code: 'NETWORK_UNREACHABLE' } });
  });

  it('Cognito too slow: TIMEOUT at the deadline', async () => {
    lab.faults.update({ latencyMs: 3000 });
    const started = Date.now();
    const e = await failure(provider({ source: labSource(lab), cognitoTimeoutMs: 200 })());
    expect(e.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('settings', () => {
  it.each([['not a URL'], ['ftp://127.0.0.1:1/'], ['']])(
    'a Cognito endpoint that is not an http(s) URL (%j): BAD_INPUT at once',
    (endpoint) => {
      let thrown: unknown;
      try {
        fromKrypton({ source: fixedSource(), cognitoEndpoint: endpoint });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(KryptonError);
      expect((thrown as KryptonError).code).toBe('BAD_INPUT');
    },
  );
});

describe('answers from a canned Cognito', () => {
  it('TooManyRequestsException: SERVER_ERROR saying Cognito throttles, AWS name and message kept', async () => {
    const s = await canned(awsError(400, 'com.amazonaws.cognito.identity.model#TooManyRequestsException', 'Rate exceeded'));
    const e = await failure(provider({ source: fixedSource(), cognitoEndpoint: s.url })());
    expect(e.code).toBe('SERVER_ERROR');
    expect(e.message).toMatch(/throttling/);
    expect(e.details).toEqual({ step: 'cognito', status: 400, serverCode: 'TooManyRequestsException', serverMessage: 'Rate exceeded' });
  });

  it('InternalErrorException is retried by the SDK, then SERVER_ERROR; a later success is used', async () => {
    const s = await canned((n) => (n < 3 ? awsError(500, 'InternalErrorException', 'boom') : okAnswer()));
    const p = provider({ source: fixedSource(), cognitoEndpoint: s.url, cognitoMaxAttempts: 3 });
    const e = await failure(p());
    expect(e.code).toBe('SERVER_ERROR');
    expect(e.details).toMatchObject({ status: 500, serverCode: 'InternalErrorException', serverMessage: 'boom' });
    expect(s.seen).toHaveLength(3);
    expect((await p()).accessKeyId).toBe('ASIACANNED');
  });

  it('InvalidIdentityPoolConfigurationException: COGNITO_REFUSED pointing at the IAM role', async () => {
    const s = await canned(
      awsError(
        400,
        'InvalidIdentityPoolConfigurationException',
        'Invalid identity pool configuration. Check assigned IAM roles for this pool.',
      ),
    );
    const e = await failure(provider({ source: fixedSource(), cognitoEndpoint: s.url })());
    expect(e.code).toBe('COGNITO_REFUSED');
    expect(e.action).toMatch(/IAM role/);
    expect(e.details.serverCode).toBe('InvalidIdentityPoolConfigurationException');
  });

  it('a server message that echoes the token has it removed', async () => {
    const s = await canned(awsError(400, 'NotAuthorizedException', `Invalid login token ${TOKEN}`));
    const e = await failure(provider({ source: fixedSource(), cognitoEndpoint: s.url })());
    expect(e.details.serverMessage).toBe('Invalid login token ‹redacted›');
    expect(JSON.stringify(e)).not.toContain(TOKEN);
  });

  it.each([
    ['an HTML page (200)', { status: 200, body: '<html>hello</html>', contentType: 'text/html' }, 'MALFORMED_ANSWER', 200],
    ['an HTML 404 (wrong endpoint)', { status: 404, body: '<html>not found</html>', contentType: 'text/html' }, 'MALFORMED_ANSWER', 404],
    ['a 502 from a proxy', { status: 502, body: '<html>bad gateway</html>', contentType: 'text/html' }, 'SERVER_ERROR', 502],
    ['an empty object', { status: 200, body: '{}' }, 'MALFORMED_ANSWER', 200],
    ['credentials without a session token', okAnswer({ SessionToken: undefined }), 'MALFORMED_ANSWER', 200],
    ['an Expiration the SDK cannot read', okAnswer({ Expiration: 'soon' }), 'MALFORMED_ANSWER', 200],
    [
      'an Expiration in milliseconds (read as seconds: year 50000+)',
      okAnswer({ Expiration: Date.now() + 3600_000 }),
      'MALFORMED_ANSWER',
      undefined,
    ],
    [
      'credentials already expired by its own Date header',
      okAnswer({ Expiration: Math.floor(Date.now() / 1000) - 60 }),
      'MALFORMED_ANSWER',
      undefined,
    ],
  ] as const)('%s', async (_what, reply, code, status) => {
    const s = await canned(reply);
    const e = await failure(provider({ source: fixedSource(), cognitoEndpoint: s.url })());
    expect(e.code).toBe(code);
    expect(e.details.step).toBe('cognito');
    expect(e.details.status).toBe(status);
  });
});

describe('what Krypton answers', () => {
  it.each([
    ['no region', { identityId: IDENTITY, token: TOKEN }],
    ['an identity id Cognito would reject', { region: 'ap-northeast-1', identityId: 'not an id', token: TOKEN }],
    ['an empty token', { region: 'ap-northeast-1', identityId: IDENTITY, token: '' }],
    ['null', null],
  ])('a token answer with %s: MALFORMED_ANSWER before any Cognito call', async (_what, answer) => {
    const s = await canned(okAnswer());
    const e = await failure(provider({ source: fixedSource(answer), cognitoEndpoint: s.url })());
    expect(e.code).toBe('MALFORMED_ANSWER');
    expect(e.details.step).toBe('provisioning');
    expect(s.seen).toHaveLength(0);
  });

  it('a Krypton client that throws something other than a KryptonError: SERVER_ERROR, cause kept', async () => {
    const bug = new TypeError('cannot read properties of undefined');
    const source = fixedSource();
    source.openIdToken = async () => {
      throw bug;
    };
    const e = await failure(provider({ source })());
    expect(e.code).toBe('SERVER_ERROR');
    expect(e.cause).toBe(bug);
  });
});

describe('trace and UI events', () => {
  it('show the cognito step and its HTTP exchange, and never the token, the secret key or the session token', async () => {
    const trace: TraceEvent[] = [];
    const events: KryptonCredentialEvent[] = [];
    const source = labSource(lab);
    const p = provider({ source, tracer: new Tracer((e) => trace.push(e)), onEvent: (e) => events.push(e) });
    const creds = await p();
    await p({ forceRefresh: true });
    // And a refusal, whose error also travels to the UI.
    source.tokenOverride = () => expiredToken(source);
    const refused = await failure(p({ forceRefresh: true }));

    expect(trace.map((t) => t.type)).toEqual([
      'step-start',
      'http',
      'step-end',
      'step-start',
      'http',
      'step-end',
      'step-start',
      'http',
      'step-end',
    ]);
    expect(trace[1]).toEqual({
      type: 'http',
      step: 'cognito',
      method: 'POST',
      url: `${lab.urls.cognito}/`,
      status: 200,
      durationMs: expect.any(Number),
    });
    expect(trace[2]).toMatchObject({ type: 'step-end', step: 'cognito', ok: true, note: expect.stringContaining(creds.identityId!) });
    expect(trace[7]).toMatchObject({ status: 400 });
    expect(events.map((e) => e.type)).toEqual(['refreshing', 'refreshed', 'refreshing', 'refreshed', 'refreshing', 'refresh-failed']);
    expect(events[1]).toEqual({
      type: 'refreshed',
      mode: 'openid',
      identityId: creds.identityId,
      accessKeyId: creds.accessKeyId,
      expiration: creds.expiration,
    });

    const secrets = [...source.secrets, creds.secretAccessKey, creds.sessionToken, (await p()).secretAccessKey];
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    const shown = JSON.stringify([trace, events, refused, refused.details]);
    for (const secret of secrets) expect(shown).not.toContain(secret);
  });

  it('a sink or listener that throws does not break the provider', async () => {
    const p = provider({
      source: labSource(lab),
      tracer: new Tracer(() => {
        throw new Error('UI gone');
      }),
      onEvent: () => {
        throw new Error('UI gone');
      },
    });
    expect((await p()).accessKeyId).toMatch(/^ASIA/);
  });
});

/** A token issued by a lab clock an hour back: its 15 minutes are over. */
async function expiredToken(source: { secrets: string[] }): Promise<{ region: string; identityId: string; token: string }> {
  lab.clock.offsetMs = -3600_000;
  try {
    const { identityId, token } = await lab.identityPool.openIdToken(IMSI);
    source.secrets.push(token);
    return { region: lab.region, identityId, token };
  } finally {
    lab.clock.offsetMs = 0;
  }
}

function okAnswer(patch: Record<string, unknown> = {}): CannedReply {
  const credentials: Record<string, unknown> = {
    AccessKeyId: 'ASIACANNED',
    SecretKey: 'canned-secret',
    SessionToken: 'canned-session-token',
    Expiration: Math.floor(Date.now() / 1000) + 3600,
    ...patch,
  };
  return { status: 200, body: JSON.stringify({ IdentityId: IDENTITY, Credentials: credentials }) };
}
