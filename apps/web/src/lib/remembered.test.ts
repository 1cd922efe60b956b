import { describe, expect, it } from 'vitest';
import { credentialSnippet, regionOfIdentity } from './credential-snippets.ts';
import { parseRememberedLink, REMEMBERED_LINK_KEY, serializeRememberedLink, type RememberedLink } from './remembered-link.ts';
import { SessionState } from './session.svelte.ts';
import { demoSim, fakeWorker, sessionDeps } from './test-doubles.test-support.ts';

// Issue #15 §6: link, reader, modem and endpoint remembered (nothing secret); credentials copyable as snippets.

/** localStorage's surface over a Map, to read back what the page stored. */
function memoryStorage(initial: Record<string, string> = {}): {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
  map: Map<string, string>;
} {
  const map = new Map(Object.entries(initial));
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), map };
}

const CHOICES: RememberedLink = {
  linkKind: 'bridge',
  endpoint: 'custom',
  customUrl: 'https://krypton.example.com',
  reader: 'ACS ACR39U 00 00',
  modem: '/dev/ttyUSB2',
};

describe('remembered link choices: the stored text', () => {
  it('round-trips every choice under a versioned key', () => {
    expect(REMEMBERED_LINK_KEY).toMatch(/\.v1$/);
    const text = serializeRememberedLink(CHOICES);
    expect(JSON.parse(text)).toEqual({ v: 1, ...CHOICES });
    expect(parseRememberedLink(text)).toEqual(CHOICES);
  });

  it('reads nothing from absent, unreadable, foreign or other-version text', () => {
    for (const raw of [null, undefined, '', '{', '[]', 'null', '"bridge"', '{"linkKind":"bridge"}', '{"v":2,"linkKind":"bridge"}'])
      expect(parseRememberedLink(raw)).toBeUndefined();
  });

  it('leaves out each field that is not one of ours, keeping the rest', () => {
    const raw = JSON.stringify({
      v: 1,
      linkKind: 'telepathy',
      endpoint: 'japan',
      customUrl: 'x'.repeat(600),
      reader: 'Reader\nwith a newline',
      modem: '/dev/ttyACM0',
      imsi: '001010000000001',
    });
    expect(parseRememberedLink(raw)).toEqual({ endpoint: 'japan', modem: '/dev/ttyACM0' });
  });
});

describe('remembered link choices in the session', () => {
  it('restores link, endpoint and custom URL (not the demo SIM); stores only choices, never the SIM’s numbers', async () => {
    const storage = memoryStorage({
      [REMEMBERED_LINK_KEY]: serializeRememberedLink({ ...CHOICES, linkKind: 'cellular', endpoint: 'japan' }),
    });
    const s = new SessionState(sessionDeps(fakeWorker({ openCellular: async () => ({ ...demoSim, link: 'cellular' }) }), { storage }));
    expect([s.linkKind, s.endpoint, s.customUrl, s.virtualSim]).toEqual(['cellular', 'japan', 'https://krypton.example.com', 'demo']);
    await s.connect();
    s.remember();
    const stored = storage.map.get(REMEMBERED_LINK_KEY)!;
    expect(JSON.parse(stored)).toEqual({ v: 1, ...CHOICES, linkKind: 'cellular', endpoint: 'japan' });
    expect(stored).not.toContain(demoSim.imsi!);
    expect(stored).not.toContain(demoSim.iccid!);
  });

  it('a remembered link or endpoint that cannot be used here is not taken up', () => {
    const storage = memoryStorage({ [REMEMBERED_LINK_KEY]: serializeRememberedLink({ ...CHOICES, linkKind: 'modem', endpoint: 'lab' }) });
    const s = new SessionState(
      sessionDeps(fakeWorker(), {
        storage,
        env: { serving: { kind: 'standalone', reason: 'HTTP 404' }, webSerial: false, webUsb: false, secureContext: true },
      }),
    );
    expect(s.linkKind).toBe('cellular');
    expect(s.endpoint).toBe('global');
  });

  it('picks the remembered reader when the bridge lists it; says so and picks another when it does not', async () => {
    let listed = [
      { name: 'Other reader', card: true, inUse: false },
      { name: CHOICES.reader, card: true, inUse: false },
    ];
    const storage = memoryStorage({ [REMEMBERED_LINK_KEY]: serializeRememberedLink(CHOICES) });
    const w = fakeWorker({ bridgeReaders: async () => listed });
    const s = new SessionState(sessionDeps(w, { storage }));
    expect(s.linkKind).toBe('bridge');
    await s.findReaders();
    expect(s.reader).toBe(CHOICES.reader);
    expect(s.readerMissing).toBeUndefined();

    listed = [{ name: 'Other reader', card: true, inUse: false }];
    const again = new SessionState(sessionDeps(fakeWorker({ bridgeReaders: async () => listed }), { storage }));
    await again.findReaders();
    expect(again.reader).toBe('Other reader');
    expect(again.readerMissing).toEqual({ kind: 'bridge', name: CHOICES.reader });
    // Still remembered until the person picks (or connects with) another: a reader unplugged for a moment is not forgotten.
    again.remember();
    expect((JSON.parse(storage.map.get(REMEMBERED_LINK_KEY)!) as RememberedLink).reader).toBe(CHOICES.reader);
    again.rememberReader();
    expect(again.readerMissing).toBeUndefined();
    expect(JSON.parse(storage.map.get(REMEMBERED_LINK_KEY)!)).toMatchObject({ reader: 'Other reader', modem: CHOICES.modem });
  });

  it('the bridge modem is remembered apart from the card reader', async () => {
    const storage = memoryStorage({ [REMEMBERED_LINK_KEY]: serializeRememberedLink({ ...CHOICES, linkKind: 'bridge-modem' }) });
    const w = fakeWorker({
      bridgeReaders: async () => [
        { name: CHOICES.reader, card: true, inUse: false },
        { name: '/dev/ttyUSB0', card: true, inUse: false, modem: { path: '/dev/ttyUSB0' } },
        { name: CHOICES.modem, card: true, inUse: false, modem: { path: CHOICES.modem } },
      ],
    });
    const s = new SessionState(sessionDeps(w, { storage }));
    await s.findReaders();
    expect(s.reader).toBe(CHOICES.modem);
    s.linkKind = 'bridge';
    s.pickReader();
    expect(s.reader).toBe(CHOICES.reader);
  });

  it('a storage that throws remembers nothing and breaks nothing', () => {
    const storage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    const s = new SessionState(sessionDeps(fakeWorker(), { storage }));
    expect(s.linkKind).toBe('virtual');
    expect(() => s.remember()).not.toThrow();
  });
});

describe('credential snippets', () => {
  const c = {
    accessKeyId: 'ASIAEXAMPLE0000001',
    secretAccessKey: "wJalr/K7MDENG+bPxRfi'CYEXAMPLEKEY",
    sessionToken: 'FwoGZXIvYXdzEJr//////////wEaDH+token=',
    region: 'ap-northeast-1',
  };

  it('POSIX shell: export lines, single-quoted so nothing is expanded', () => {
    expect(credentialSnippet('posix', c)).toBe(
      [
        "export AWS_ACCESS_KEY_ID='ASIAEXAMPLE0000001'",
        "export AWS_SECRET_ACCESS_KEY='wJalr/K7MDENG+bPxRfi'\\''CYEXAMPLEKEY'",
        "export AWS_SESSION_TOKEN='FwoGZXIvYXdzEJr//////////wEaDH+token='",
        "export AWS_REGION='ap-northeast-1'",
        '',
      ].join('\n'),
    );
  });

  it('PowerShell: $Env: assignments, quotes doubled', () => {
    expect(credentialSnippet('powershell', c)).toBe(
      [
        "$Env:AWS_ACCESS_KEY_ID = 'ASIAEXAMPLE0000001'",
        "$Env:AWS_SECRET_ACCESS_KEY = 'wJalr/K7MDENG+bPxRfi''CYEXAMPLEKEY'",
        "$Env:AWS_SESSION_TOKEN = 'FwoGZXIvYXdzEJr//////////wEaDH+token='",
        "$Env:AWS_REGION = 'ap-northeast-1'",
        '',
      ].join('\n'),
    );
  });

  it('AWS CLI: a [krypton] section for ~/.aws/credentials', () => {
    expect(credentialSnippet('profile', c)).toBe(
      [
        '[krypton]',
        'aws_access_key_id = ASIAEXAMPLE0000001',
        "aws_secret_access_key = wJalr/K7MDENG+bPxRfi'CYEXAMPLEKEY",
        'aws_session_token = FwoGZXIvYXdzEJr//////////wEaDH+token=',
        'region = ap-northeast-1',
        '',
      ].join('\n'),
    );
  });

  it('without a known region, no region line; the region comes from the Cognito identity id', () => {
    const { region: _r, ...noRegion } = c;
    expect(credentialSnippet('posix', noRegion)).not.toContain('AWS_REGION');
    expect(credentialSnippet('profile', noRegion)).not.toContain('region');
    expect(regionOfIdentity('ap-northeast-1:0b7e8f62-1c7e-4a8b-9d7e-000000000001')).toBe('ap-northeast-1');
    expect(regionOfIdentity('us-gov-west-1:abc')).toBe('us-gov-west-1');
    expect(regionOfIdentity(undefined)).toBeUndefined();
    expect(regionOfIdentity('local:abc')).toBeUndefined();
  });
});
