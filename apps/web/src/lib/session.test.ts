import { describe, expect, it } from 'vitest';
import type { PinInfo, SessionEvent, SimSummary } from '../worker/api.ts';
import type { Serving } from './config.ts';
import { SessionState } from './session.svelte.ts';
import { demoServing, demoSim, failureOf, fakeWorker, sessionDeps } from './test-doubles.test-support.ts';

/** The demo bridge's serving, naming the bridge's own origins as its config does. */
function servingWithOrigins(origins: string[]): Serving {
  if (demoServing.kind !== 'bridge') throw new Error('the demo is served by a bridge');
  return { kind: 'bridge', config: { ...demoServing.config, origins } };
}

describe('SessionState', () => {
  it('starts on the first usable link and, in demo mode, on the lab endpoint', () => {
    const s = new SessionState(sessionDeps(fakeWorker()));
    expect(s.linkKind).toBe('virtual');
    expect(s.endpoint).toBe('lab');
    expect(s.settings).toEqual({
      kryptonBase: 'http://127.0.0.1:8787/krypton/lab',
      cellularBase: 'http://127.0.0.1:8787/krypton/lab-cellular',
      cognitoEndpoint: 'http://127.0.0.1:9001',
      s3Endpoint: 'http://127.0.0.1:9002',
      origin: 'http://127.0.0.1:8787',
    });
    expect(s.canConnect).toBe(true);
  });

  it('without a bridge: no virtual SIM, no card reader, global endpoint called directly', () => {
    const s = new SessionState(
      sessionDeps(fakeWorker(), {
        env: { serving: { kind: 'standalone', reason: 'HTTP 404' }, webSerial: false, webUsb: false, secureContext: true },
      }),
    );
    expect(s.availability.virtual).toEqual({ key: 'link.unavailable.lab', command: 'pnpm start' });
    expect(s.availability.bridge).toEqual({ key: 'link.unavailable.bridge', command: 'pnpm bridge' });
    expect(s.availability.modem).toEqual({ key: 'link.unavailable.noWebSerial' });
    expect(s.availability.usb).toEqual({ key: 'link.unavailable.noWebUsb' });
    expect(s.linkKind).toBe('cellular');
    expect(s.endpoint).toBe('global');
    expect(s.settings).toMatchObject({ kryptonBase: 'https://g.api.soracom.io' });
    s.endpoint = 'lab';
    expect(s.settings).toBe('endpoint.labMissing');
    expect(s.canConnect).toBe(false);
    s.endpoint = 'custom';
    s.customUrl = 'not a url';
    expect(s.settings).toBe('endpoint.badUrl');
    s.customUrl = 'https://krypton.example.com/';
    expect(s.settings).toMatchObject({ kryptonBase: 'https://krypton.example.com' });
  });

  it('connects a virtual SIM: configures the worker, opens the link, and reads the SIM', async () => {
    let opened = '';
    const w = fakeWorker({ openVirtual: async (name) => ((opened = name), demoSim) });
    const s = new SessionState(sessionDeps(w));
    s.virtualSim = 'demo';
    await s.connect();
    expect(opened).toBe('demo');
    expect(w.calls.slice(0, 2)).toEqual(['configure', 'openVirtual']);
    expect(s.link.state).toEqual({ name: 'connected', kind: 'virtual', linkName: 'Virtual SIM "demo"' });
    expect(s.sim?.imsi).toBe('001010000000001');
    expect(s.generation).toBe(1);
    expect(s.needsPin).toBe(false);
  });

  it('a link lost under a step is shown once, on that step; a loss no step met keeps the link’s own notice', async () => {
    const w = fakeWorker({ openVirtual: async () => demoSim });
    const s = new SessionState(sessionDeps(w));
    await s.connect();
    s.stepSettled(failureOf('NO_CARD'));
    w.emit({ type: 'link-lost', failure: failureOf('NO_CARD') });
    expect(s.link.state.name).toBe('lost');
    expect(s.linkNoticeShown).toBe(false);
    // A step that failed for its own reason (a MAC failure) says nothing about the link.
    s.stepSettled(failureOf('MAC_FAILURE'));
    expect(s.linkNoticeShown).toBe(true);
    await s.connect();
    expect(s.lossAtStep).toBeUndefined();
    w.emit({ type: 'link-lost', failure: failureOf('NO_CARD') });
    expect(s.linkNoticeShown).toBe(true);
  });

  it('a failed connection keeps the reason; a lost link moves the machine to lost', async () => {
    const w = fakeWorker({ openVirtual: () => Promise.reject(failureOf('BAD_INPUT')) });
    const s = new SessionState(sessionDeps(w));
    await s.connect();
    expect(s.link.state).toMatchObject({ name: 'failed', failure: { code: 'BAD_INPUT', action: 'fix BAD_INPUT' } });

    const w2 = fakeWorker({ openVirtual: async () => demoSim });
    const s2 = new SessionState(sessionDeps(w2));
    const seen: SessionEvent[] = [];
    s2.onEvent((e) => seen.push(e));
    await s2.connect();
    w2.emit({ type: 'link-lost', failure: failureOf('NO_CARD') });
    expect(s2.link.state).toMatchObject({ name: 'lost', failure: { code: 'NO_CARD' } });
    expect(seen).toHaveLength(1);
  });

  it('the modem port is asked for first (while the click counts), then piped to the worker', async () => {
    const order: string[] = [];
    const w = fakeWorker({ openModem: async (_pipe, name) => (order.push(`worker:${name}`), { ...demoSim, link: 'modem', name }) });
    const s = new SessionState(
      sessionDeps(w, {
        openModemPipe: async (anyPort) => {
          order.push(`picker:any=${anyPort}`);
          return { pipe: new MessageChannel().port1, name: 'Huawei modem (12d1:1506)' };
        },
      }),
    );
    s.linkKind = 'modem';
    s.anyPort = true;
    await s.connect();
    expect(order).toEqual(['picker:any=true', 'worker:Huawei modem (12d1:1506)']);
    expect(s.link.state).toMatchObject({ name: 'connected', kind: 'modem' });
  });

  it('preselects the USB modem over Web Serial where the browser has both, over WebUSB where it has only that', () => {
    const live = {
      kind: 'bridge' as const,
      config: { mode: 'live' as const, rawApdu: false, endpoints: { global: '/g', japan: '/j', cellular: '/c' } },
    };
    const desktop = new SessionState(
      sessionDeps(fakeWorker(), { env: { serving: live, webSerial: true, webUsb: true, secureContext: true } }),
    );
    expect(desktop.linkKind).toBe('modem');
    expect(desktop.availability.usb).toBeUndefined();
    const android = new SessionState(
      sessionDeps(fakeWorker(), { env: { serving: live, webSerial: false, webUsb: true, secureContext: true } }),
    );
    expect(android.linkKind).toBe('usb');
    expect(android.canConnect).toBe(true);
  });

  it('the USB modem over WebUSB: the device chooser first (while the click counts), then the same modem link in the worker', async () => {
    const order: string[] = [];
    const w = fakeWorker({
      openModem: async (_pipe, name, kind) => (order.push(`worker:${kind}:${name}`), { ...demoSim, link: kind ?? 'modem', name }),
    });
    const s = new SessionState(
      sessionDeps(w, {
        openModemPipe: async () => {
          throw new Error('not the Web Serial port');
        },
        openUsbPipe: async (anyDevice) => {
          order.push(`chooser:any=${anyDevice}`);
          return { pipe: new MessageChannel().port1, name: 'Huawei modem (12d1:1506), USB interface 1' };
        },
      }),
    );
    s.linkKind = 'usb';
    s.anyUsbDevice = true;
    await s.connect();
    expect(order).toEqual(['chooser:any=true', 'worker:usb:Huawei modem (12d1:1506), USB interface 1']);
    expect(s.link.state).toMatchObject({ name: 'connected', kind: 'usb' });
  });

  it('a WebUSB problem is shown by its code, with the link’s explanation', async () => {
    const s = new SessionState(
      sessionDeps(fakeWorker(), {
        openUsbPipe: async () => {
          throw { code: 'USB_CLAIMED_BY_OS', message: 'A driver holds it', action: 'Use Web Serial', details: {} };
        },
      }),
    );
    s.linkKind = 'usb';
    await s.connect();
    expect(s.link.state).toMatchObject({ name: 'failed', kind: 'usb', failure: { code: 'USB_CLAIMED_BY_OS', action: 'Use Web Serial' } });
  });

  it('the card reader needs a reader; the first one with a free card is chosen', async () => {
    const w = fakeWorker({
      bridgeReaders: async () => [
        { name: 'Empty reader', card: false, inUse: false },
        { name: 'Virtual PCD 00 00', card: true, inUse: false },
      ],
      openBridge: async (_url, reader) => ({ ...demoSim, link: 'bridge', name: reader }),
    });
    const s = new SessionState(sessionDeps(w));
    s.linkKind = 'bridge';
    expect(s.canConnect).toBe(false);
    await s.findReaders();
    expect(s.reader).toBe('Virtual PCD 00 00');
    expect(s.canConnect).toBe(true);
    await s.connect();
    expect(s.link.state).toMatchObject({ name: 'connected', linkName: 'Virtual PCD 00 00' });
    w.emit({ type: 'readers', readers: [{ name: 'Virtual PCD 00 00', card: false, inUse: false }] });
    expect(s.readers).toEqual([{ name: 'Virtual PCD 00 00', card: false, inUse: false }]);
  });

  it('a page on another origin than the bridge asks for approval, shows the code, and then carries the token everywhere', async () => {
    const seen: { readers?: string; open?: string } = {};
    const w = fakeWorker({
      bridgeReaders: async (_url, token) => ((seen.readers = token), [{ name: 'Virtual PCD 00 00', card: true, inUse: false }]),
      openBridge: async (_url, reader, token) => ((seen.open = token), { ...demoSim, link: 'bridge', name: reader }),
    });
    let approve!: (token: string) => void;
    let asked: { pairUrl: string } | undefined;
    const serving = servingWithOrigins(['http://127.0.0.1:8787', 'http://localhost:8787']);
    const s = new SessionState(
      sessionDeps(w, {
        env: { serving, webSerial: true, webUsb: true, secureContext: true },
        origin: 'http://localhost:5173',
        bridgeWsUrl: 'ws://localhost:5173/ws',
        requestApproval: (pairUrl, onPrompt) => {
          asked = { pairUrl };
          onPrompt({ code: '123456', approvalPage: 'http://127.0.0.1:8787/approvals' });
          return new Promise((resolve) => (approve = resolve));
        },
      }),
    );
    expect(s.needsApproval).toBe(true);
    s.linkKind = 'bridge';
    const asking = s.askApproval();
    expect(asked).toEqual({ pairUrl: 'ws://localhost:5173/pair' });
    expect(s.approval).toEqual({ step: 'asking', code: '123456', approvalPage: 'http://127.0.0.1:8787/approvals' });
    approve('tok-en');
    await asking;
    expect(s.approval).toEqual({ step: 'approved' });
    expect(seen.readers).toBe('tok-en');
    expect(s.settings).toMatchObject({ bridgeToken: 'tok-en' });
    await s.connect();
    expect(seen.open).toBe('tok-en');
  });

  it('the bridge’s own page needs no approval; a refused request is shown as a failure', async () => {
    const serving = servingWithOrigins(['http://127.0.0.1:8787']);
    const own = new SessionState(sessionDeps(fakeWorker(), { env: { serving, webSerial: true, webUsb: true, secureContext: true } }));
    expect(own.needsApproval).toBe(false);
    const other = new SessionState(
      sessionDeps(fakeWorker(), {
        env: { serving, webSerial: true, webUsb: true, secureContext: true },
        origin: 'http://localhost:5173',
        requestApproval: () => Promise.reject(failureOf('ABORTED')),
      }),
    );
    await other.askApproval();
    expect(other.approval).toMatchObject({ step: 'failed', failure: { code: 'ABORTED' } });
    expect(other.settings).not.toHaveProperty('bridgeToken');
  });

  it('the bridge’s modems are the "USB modem (bridge)" choices and its readers the card reader choices; each opens by its name', async () => {
    const modem = { path: '/dev/ttyUSB2', vendorId: 0x12d1, productId: 0x1506, interfaceNumber: 2 };
    const opened: string[] = [];
    const w = fakeWorker({
      bridgeReaders: async () => [
        { name: 'Virtual PCD 00 00', card: true, inUse: false },
        { name: '/dev/ttyUSB0', card: true, inUse: true, modem: { path: '/dev/ttyUSB0' } },
        { name: '/dev/ttyUSB2', card: true, inUse: false, modem },
      ],
      openBridge: async (_url, reader) => {
        opened.push(reader);
        return { ...demoSim, link: 'bridge-modem', name: reader };
      },
    });
    const s = new SessionState(sessionDeps(w));
    s.linkKind = 'bridge-modem';
    expect(s.availability['bridge-modem']).toBeUndefined();
    expect(s.canConnect).toBe(false);
    await s.findReaders();
    expect(s.readerChoices.map((r) => r.name)).toEqual(['/dev/ttyUSB0', '/dev/ttyUSB2']);
    // The first free one: the other is held by another page.
    expect(s.reader).toBe('/dev/ttyUSB2');
    s.linkKind = 'bridge';
    s.pickReader();
    expect(s.readerChoices.map((r) => r.name)).toEqual(['Virtual PCD 00 00']);
    expect(s.reader).toBe('Virtual PCD 00 00');
    s.linkKind = 'bridge-modem';
    s.pickReader();
    await s.connect();
    expect(opened).toEqual(['/dev/ttyUSB2']);
    expect(s.link.state).toMatchObject({ name: 'connected', linkName: '/dev/ttyUSB2' });
  });

  it('PIN: tries left follow the card; a blocked PIN is shown as blocked; success reads the SIM again', async () => {
    const pin = (p: Partial<PinInfo>): PinInfo => ({ enabled: true, verified: false, blocked: false, triesLeft: 3, ...p });
    const locked: SimSummary = { ...demoSim, imsi: undefined, pin: pin({}), simError: failureOf('PIN_REQUIRED') };
    let attempts = 0;
    const w = fakeWorker({
      openVirtual: async () => locked,
      verifyPin: async (value) => {
        attempts++;
        if (value !== '1234') throw failureOf('PIN_WRONG', { triesLeft: 3 - attempts });
        return pin({ verified: true, triesLeft: 3 });
      },
      simStatus: async () => ({ ...demoSim, pin: pin({ verified: true }) }),
    });
    const s = new SessionState(sessionDeps(w));
    await s.connect();
    expect(s.needsPin).toBe(true);
    expect(await s.verifyPin('0000', false)).toBe(false);
    expect(s.pin?.triesLeft).toBe(2);
    expect(s.pinFailure?.code).toBe('PIN_WRONG');
    expect(await s.verifyPin('1234', false)).toBe(true);
    expect(s.needsPin).toBe(false);
    expect(s.sim?.imsi).toBe('001010000000001');

    const w2 = fakeWorker({
      openVirtual: async () => ({ ...locked, pin: pin({ triesLeft: 1 }) }),
      verifyPin: () => Promise.reject(failureOf('PIN_BLOCKED', { triesLeft: 0 })),
    });
    const s2 = new SessionState(sessionDeps(w2));
    await s2.connect();
    await s2.verifyPin('0000', true);
    expect(s2.pin?.blocked).toBe(true);
    expect(s2.needsPin).toBe(false);
  });

  it('PIN management: Authenticate and Operations are gated with a reason; unblock, change, disable and enable refresh the SIM', async () => {
    const pin = (p: Partial<PinInfo>): PinInfo => ({ enabled: true, verified: false, blocked: false, triesLeft: 3, ...p });
    let card = pin({ triesLeft: 0, blocked: true, pukTriesLeft: 10 });
    const calls: string[] = [];
    const w = fakeWorker({
      openVirtual: async () => ({ ...demoSim, imsi: undefined, pin: card }),
      simStatus: async () => ({ ...demoSim, pin: card }),
      unblockPin: async (puk, newPin, allow) => {
        calls.push(`unblock ${allow}`);
        if (puk !== '12345678') {
          card = { ...card, pukTriesLeft: (card.pukTriesLeft ?? 10) - 1 };
          throw failureOf('PUK_WRONG', { triesLeft: card.pukTriesLeft! });
        }
        expect(newPin).toBe('4321');
        card = pin({ verified: true, triesLeft: undefined });
        return card;
      },
      changePin: async () => {
        calls.push('change');
        return card;
      },
      setPinEnabled: async (enabled) => {
        calls.push(`enabled ${enabled}`);
        card = pin({ enabled, verified: enabled, triesLeft: undefined });
        return card;
      },
    });
    const s = new SessionState(sessionDeps(w));
    expect(s.gate).toBe('gate.notConnected');
    await s.connect();
    expect(s.gate).toBe('gate.pinBlocked');
    expect(await s.unblockPin('00000000', '4321', false)).toBe(false);
    expect(s.pinManageFailure).toMatchObject({ code: 'PUK_WRONG', details: { triesLeft: 9 } });
    expect(s.pin?.pukTriesLeft).toBe(9);
    expect(s.gate).toBe('gate.pinBlocked');
    expect(await s.unblockPin('12345678', '4321', false)).toBe(true);
    expect(s.pinDone).toBe('unblocked');
    expect(s.pinManageFailure).toBeUndefined();
    expect(s.gate).toBeUndefined();
    expect(await s.changePin('4321', '2468', false)).toBe(true);
    expect(s.pinDone).toBe('changed');
    expect(await s.setPinEnabled(false, '2468', false)).toBe(true);
    expect(s.pinDone).toBe('disabled');
    expect(s.pin).toMatchObject({ enabled: false });
    expect(s.gate).toBeUndefined();
    expect(await s.setPinEnabled(true, '2468', false)).toBe(true);
    expect(s.pin).toMatchObject({ enabled: true, verified: true });
    expect(calls).toEqual(['unblock false', 'unblock false', 'change', 'enabled false', 'enabled true']);

    // A PUK with no tries left: the SIM is locked for good, and the gate says so.
    card = pin({ triesLeft: 0, blocked: true, pukTriesLeft: 0 });
    await s.refreshSim();
    expect(s.pukBlocked).toBe(true);
    expect(s.gate).toBe('gate.pukBlocked');
  });

  it('disconnect closes the worker link and returns to idle', async () => {
    const w = fakeWorker({ openVirtual: async () => demoSim });
    const s = new SessionState(sessionDeps(w));
    await s.connect();
    await s.disconnect();
    expect(w.calls).toContain('close');
    expect(s.link.state).toEqual({ name: 'idle' });
    expect(s.sim).toBeUndefined();
  });

  it('knows the lab bucket only on the lab endpoint', () => {
    const s = new SessionState(sessionDeps(fakeWorker()));
    expect(s.labDefaults).toEqual({ bucket: 'krypton-demo', region: 'ap-northeast-1' });
    s.endpoint = 'global';
    expect(s.labDefaults).toBeUndefined();
    expect(demoServing.kind).toBe('bridge');
  });
});

describe('an empty reader list while pcscd is not running (issue 15 §1)', () => {
  it('says pcscd is stopped, asking the bridge again with each list, and not once a reader is back', async () => {
    let pcsc: { available: boolean; reason?: string } = { available: false, reason: 'pcscd is not running' };
    let listed: { name: string; card: boolean; inUse: boolean }[] = [];
    const w = fakeWorker({ bridgeReaders: async () => listed });
    const s = new SessionState(sessionDeps(w, { readPcsc: async () => pcsc }));
    s.linkKind = 'bridge';
    await s.findReaders();
    expect(s.pcscdStopped).toBe(true);
    // pcscd back with its reader: the bridge's event brings the list and the report follows.
    pcsc = { available: true };
    listed = [{ name: 'Virtual PCD 00 00', card: true, inUse: false }];
    w.emit({ type: 'readers', readers: listed });
    await new Promise((r) => setTimeout(r, 0));
    expect(s.pcsc).toEqual({ available: true });
    expect(s.pcscdStopped).toBe(false);
    // An empty list with pcscd running is just no reader.
    listed = [];
    await s.findReaders();
    expect(s.pcscdStopped).toBe(false);
  });
});

describe('the card reader’s availability follows pcscd (issue 15 §1)', () => {
  it('unavailable while the bridge says pcscd is down, choosable once it says pcscd is back', async () => {
    if (demoServing.kind !== 'bridge') throw new Error('the demo is served by a bridge');
    const { lab: _lab, ...live } = demoServing.config;
    const serving: Serving = { kind: 'bridge', config: { ...live, mode: 'live', pcsc: { available: false, reason: 'no pcscd' } } };
    let pcsc: { available: boolean; reason?: string } = { available: false, reason: 'no pcscd' };
    const s = new SessionState(
      sessionDeps(fakeWorker(), {
        env: { serving, webSerial: true, webUsb: true, secureContext: true },
        readPcsc: async () => pcsc,
      }),
    );
    expect(s.availability.bridge).toMatchObject({ key: 'link.unavailable.pcsc', reason: 'no pcscd' });
    pcsc = { available: true };
    await s.checkPcsc();
    expect(s.availability.bridge).toBeUndefined();
    pcsc = { available: false, reason: 'pcscd is not running (it stopped)' };
    await s.checkPcsc();
    expect(s.availability.bridge).toMatchObject({ key: 'link.unavailable.pcsc' });
  });
});
