import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BridgeProtocolError, MAX_BRIDGE_MESSAGE, parseBridgeMessage, parseBridgeRequest, type BridgeRequest } from './bridge-protocol.ts';

// The parser both ends of the bridge share: whatever a hostile page sends, it either yields one of the
// protocol's requests (exactly the fields it allows) or throws BridgeProtocolError — nothing else.

const b64of16 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => btoa(String.fromCharCode(...b)));
const session = fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/);
const id = fc.nat();
const validRequest: fc.Arbitrary<BridgeRequest> = fc.oneof(
  fc.record({ id, op: fc.constant('hello' as const), version: fc.integer() }),
  fc.record({ id, op: fc.constant('hello' as const), version: fc.integer(), token: fc.stringMatching(/^[A-Za-z0-9_-]{16,128}$/) }),
  fc.record({ id, op: fc.constant('readers' as const) }),
  fc.record({ id, op: fc.constant('open' as const), reader: fc.stringMatching(/^[ -~]{1,200}$/) }),
  fc.record({
    id,
    op: fc.constantFrom('close' as const, 'imsi' as const, 'iccid' as const, 'pin-state' as const, 'modem-info' as const),
    session,
  }),
  fc.record({ id, op: fc.constant('verify-pin' as const), session, pin: fc.stringMatching(/^[0-9]{4,8}$/), allowLastTry: fc.boolean() }),
  fc.record({
    id,
    op: fc.constant('unblock-pin' as const),
    session,
    puk: fc.stringMatching(/^[0-9]{8}$/),
    newPin: fc.stringMatching(/^[0-9]{4,8}$/),
    allowLastTry: fc.boolean(),
  }),
  fc.record({
    id,
    op: fc.constant('change-pin' as const),
    session,
    pin: fc.stringMatching(/^[0-9]{4,8}$/),
    newPin: fc.stringMatching(/^[0-9]{4,8}$/),
    allowLastTry: fc.boolean(),
  }),
  fc.record({
    id,
    op: fc.constant('set-pin-enabled' as const),
    session,
    enabled: fc.boolean(),
    pin: fc.stringMatching(/^[0-9]{4,8}$/),
    allowLastTry: fc.boolean(),
  }),
  fc.record({ id, op: fc.constant('authenticate' as const), session, rand: b64of16, autn: b64of16 }),
  fc.record({
    id,
    op: fc.constant('apdu' as const),
    session,
    apdu: fc.uint8Array({ minLength: 4, maxLength: 261 }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')),
  }),
);

/** Parses, and says what happened: a request, or the protocol's own refusal; anything else fails the property. */
function outcome(text: string): BridgeRequest | 'refused' {
  try {
    return parseBridgeRequest(text);
  } catch (e) {
    if (e instanceof BridgeProtocolError) return 'refused';
    throw e;
  }
}

describe('parseBridgeRequest', () => {
  it('gives back every valid request exactly', () => {
    fc.assert(
      fc.property(validRequest, (r) => {
        expect(parseBridgeRequest(JSON.stringify(r))).toEqual(r);
      }),
    );
  });

  it('drops fields a request does not have (nothing extra reaches the bridge)', () => {
    fc.assert(
      fc.property(validRequest, fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })), (r, extra) => {
        const parsed = outcome(JSON.stringify({ ...extra, ...r }));
        expect(parsed).toEqual(r);
      }),
    );
  });

  it('refuses any string that is not one, with BridgeProtocolError only', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          const parsed = outcome(text);
          if (parsed !== 'refused') expect(parseBridgeRequest(JSON.stringify(parsed))).toEqual(parsed);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses a valid request with one field made wrong (type or shape)', () => {
    const wrong = fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.boolean(),
      fc.constant([]),
      fc.constant({}),
      fc.string({ maxLength: 3 }),
      fc.constant(''),
    );
    fc.assert(
      fc.property(validRequest, wrong, fc.nat(), (r, value, pick) => {
        const keys = Object.keys(r).filter((k) => (k !== 'allowLastTry' && k !== 'enabled') || typeof value !== 'boolean');
        const key = keys[pick % keys.length]!;
        const broken = { ...r, [key]: value };
        // Some replacements are still valid (another integer id or version): only check the rest.
        if (key === 'id' && typeof value === 'number' && value >= 0) return;
        if (key === 'version' && typeof value === 'number') return;
        // A reader's name is any short text without control characters.
        // eslint-disable-next-line no-control-regex
        if (key === 'reader' && typeof value === 'string' && /^[^\u0000-\u001f]{1,200}$/.test(value)) return;
        expect(outcome(JSON.stringify(broken))).toBe('refused');
      }),
    );
  });

  it('a PUK has exactly 8 digits and a new PIN 4 to 8; enabled is a boolean', () => {
    const base = { id: 1, session: 'abcdefgh12' };
    expect(outcome(JSON.stringify({ ...base, op: 'unblock-pin', puk: '1234567', newPin: '1234' }))).toBe('refused');
    expect(outcome(JSON.stringify({ ...base, op: 'unblock-pin', puk: '12345678', newPin: '123' }))).toBe('refused');
    expect(outcome(JSON.stringify({ ...base, op: 'change-pin', pin: '1234', newPin: '123456789' }))).toBe('refused');
    expect(outcome(JSON.stringify({ ...base, op: 'set-pin-enabled', enabled: 'yes', pin: '1234' }))).toBe('refused');
    expect(outcome(JSON.stringify({ ...base, op: 'set-pin-enabled', enabled: false, pin: '1234' }))).toEqual({
      ...base,
      op: 'set-pin-enabled',
      enabled: false,
      pin: '1234',
      allowLastTry: false,
    });
  });

  it(`refuses anything over ${MAX_BRIDGE_MESSAGE} characters, even valid JSON`, () => {
    const padded = `{"id":1,"op":"readers"${' '.repeat(MAX_BRIDGE_MESSAGE)}}`;
    expect(outcome(padded)).toBe('refused');
  });
});

describe('parseBridgeMessage (the page side)', () => {
  it('refuses with BridgeProtocolError only, whatever a bridge (or an impostor) sends', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseBridgeMessage(text);
        } catch (e) {
          expect(e).toBeInstanceOf(BridgeProtocolError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('src/bridge runs unchanged in browsers', () => {
  it('uses no Node built-ins, no any, no console, and imports with .ts extensions', async () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const names = (await readdir(dir)).filter((n) => n.endsWith('.ts') && !n.includes('.test'));
    const offenders: string[] = [];
    for (const name of names) {
      const code = (await readFile(join(dir, name), 'utf8')).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (/from ['"]node:|require\(|\bprocess\.|\bBuffer\b|__dirname/.test(code)) offenders.push(`${name}: Node`);
      for (const m of code.matchAll(/from '(\.[^']*)'/g)) if (!m[1]!.endsWith('.ts')) offenders.push(`${name}: ${m[1]}`);
      if (/\bany\b(?![-\w])/.test(code.replace(/'[^']*'|`[^`]*`/g, ''))) offenders.push(`${name}: any`);
      if (/console\./.test(code)) offenders.push(`${name}: console`);
    }
    expect(names.length).toBeGreaterThan(2);
    expect(offenders).toEqual([]);
  });
});
