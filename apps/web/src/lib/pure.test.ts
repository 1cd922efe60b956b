import { demoProfileSet } from '@krypton-web/krypton-lab/browser';
import { describe, expect, it } from 'vitest';
import { linkAvailability } from './availability.ts';
import { parseConfig } from './config.ts';
import { DEMO_SIMS } from './demo-sims.ts';
import { endpointRoute, resolveSettings } from './endpoints.ts';
import { md5OfEtagText } from './etag.ts';
import { formatBytes, formatCountdown, formatMs, formatSw } from './format.ts';
import { demoServing } from './test-doubles.test-support.ts';

describe('the bridge config', () => {
  it('reads the bridge’s answer (lab-cellular as the bridge names it, pcsc availability)', () => {
    const c = parseConfig({
      mode: 'demo',
      bridge: 'krypton-web-bridge/0.1.0',
      rawApdu: false,
      pcsc: { available: false, reason: 'pcscd is not running' },
      endpoints: {
        global: '/krypton/global',
        japan: '/krypton/japan',
        cellular: '/krypton/cellular',
        lab: '/krypton/lab',
        'lab-cellular': '/krypton/lab-cellular',
      },
      lab: { cognito: 'http://127.0.0.1:1', s3: 'http://127.0.0.1:2', region: 'ap-northeast-1', bucket: 'krypton-demo' },
    });
    expect(c).toEqual({
      mode: 'demo',
      rawApdu: false,
      pcsc: { available: false, reason: 'pcscd is not running' },
      endpoints: {
        global: '/krypton/global',
        japan: '/krypton/japan',
        cellular: '/krypton/cellular',
        lab: '/krypton/lab',
        labCellular: '/krypton/lab-cellular',
      },
      lab: { cognito: 'http://127.0.0.1:1', s3: 'http://127.0.0.1:2', region: 'ap-northeast-1', bucket: 'krypton-demo' },
    });
    expect(parseConfig({ endpoints: { global: '/g' } })).toBeUndefined();
    expect(parseConfig(null)).toBeUndefined();
  });

  it('says why a link is unavailable, with the command that fixes it', () => {
    const live = {
      kind: 'bridge' as const,
      config: {
        mode: 'live' as const,
        rawApdu: false,
        endpoints: { global: '/g', japan: '/j', cellular: '/c' },
        pcsc: { available: false, reason: 'no pcscd' },
      },
    };
    expect(linkAvailability({ serving: live, webSerial: true, webUsb: true, secureContext: true })).toEqual({
      virtual: { key: 'link.unavailable.lab', command: 'pnpm start' },
      modem: undefined,
      usb: undefined,
      bridge: { key: 'link.unavailable.pcsc', command: 'sudo systemctl start pcscd', reason: 'no pcscd' },
      // Modems through the bridge need no pcscd.
      'bridge-modem': undefined,
      cellular: undefined,
    });
    expect(linkAvailability({ serving: demoServing, webSerial: false, webUsb: true, secureContext: false })).toEqual({
      virtual: undefined,
      modem: { key: 'link.unavailable.insecure' },
      usb: { key: 'link.unavailable.insecureUsb' },
      bridge: undefined,
      'bridge-modem': undefined,
      cellular: undefined,
    });
    // Chrome on Android: WebUSB without Web Serial. Firefox and Safari: neither.
    expect(linkAvailability({ serving: live, webSerial: false, webUsb: true, secureContext: true })).toMatchObject({
      modem: { key: 'link.unavailable.noWebSerial' },
      usb: undefined,
    });
    // Firefox and Safari: neither, and the bridge's modem path is there for them.
    expect(linkAvailability({ serving: live, webSerial: false, webUsb: false, secureContext: true })).toMatchObject({
      modem: { key: 'link.unavailable.noWebSerial' },
      usb: { key: 'link.unavailable.noWebUsb' },
      'bridge-modem': undefined,
    });
    // Without the bridge (the app hosted elsewhere), it says to start one.
    expect(
      linkAvailability({ serving: { kind: 'standalone', reason: 'no bridge' }, webSerial: false, webUsb: false, secureContext: true })[
        'bridge-modem'
      ],
    ).toEqual({ key: 'link.unavailable.bridge', command: 'pnpm bridge' });
  });

  it('routes SORACOM through the bridge’s proxy when served by it', () => {
    const s = resolveSettings(demoServing, 'japan', '', 'http://localhost:8787');
    expect(s).toEqual({
      kryptonBase: 'http://localhost:8787/krypton/japan',
      cellularBase: 'http://localhost:8787/krypton/cellular',
      origin: 'http://localhost:8787',
    });
    expect(endpointRoute(s as Exclude<typeof s, string>, 'http://localhost:8787')).toEqual({ via: 'bridge', path: '/krypton/japan' });
    const custom = resolveSettings(demoServing, 'custom', 'https://proxy.example.com/krypton/', 'http://localhost:8787');
    expect(endpointRoute(custom as Exclude<typeof custom, string>, 'http://localhost:8787')).toEqual({
      via: 'direct',
      url: 'https://proxy.example.com/krypton',
    });
    expect(resolveSettings(demoServing, 'custom', 'https://x.example.com/?a=1', 'http://localhost:8787')).toBe('endpoint.badUrl');
  });
});

describe('small pieces', () => {
  it('the demo SIM picker lists the lab’s demo SIMs, leaving out the box cards meant for batch checks', () => {
    const sims = demoProfileSet().sims;
    const single = sims.filter((s) => !s.name.startsWith('demo-box-'));
    // The box exists (the filter removes something) and the picker still names every other SIM, in order.
    expect(single.length).toBeLessThan(sims.length);
    expect(DEMO_SIMS.map((s) => s.name)).toEqual(single.map((s) => s.name));
  });

  it('formats', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(3_145_728)).toBe('3 MiB');
    expect(formatBytes(1_500_000_000)).toBe('1.4 GiB');
    expect(formatCountdown(3_599_000)).toBe('59:59');
    expect(formatCountdown(3_723_000)).toBe('1:02:03');
    expect(formatCountdown(-5)).toBe('0:00');
    expect(formatMs(42.4)).toBe('42 ms');
    expect(formatMs(1234)).toBe('1.23 s');
    expect(formatSw(0x6983)).toBe('6983');
  });

  it('an ETag is an MD5 only for single-part uploads', () => {
    expect(md5OfEtagText('"95DF20D0E30B5702F5EB937DDF7F97ED"')).toBe('95df20d0e30b5702f5eb937ddf7f97ed');
    expect(md5OfEtagText('"9b2cf535f27731c974343645a3985328-12"')).toBeUndefined();
    expect(md5OfEtagText('W/"abc"')).toBeUndefined();
  });
});
