import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KryptonClient, MemoryKeyCache, simEndpoint, toHex, type FetchLike } from '@krypton-web/krypton-core';
import { demoProfileSet, findSim, Hss, startLab, type Lab } from '@krypton-web/krypton-lab';
import { MODEM_PERSONALITY_NAMES, personalityOptions } from '@krypton-web/krypton-lab/modem';
import { BridgeRemoteError, type BridgeClient, type BridgeEvent } from '@krypton-web/sim-transport';
import { openNodeSerialChannel } from '@krypton-web/sim-transport/node';
import { Logger, startBridge, type RunningBridge } from '../src/index.ts';
import { connectClient, eventually, ScriptedPage } from './support/harness.test-support.ts';
import { startPtyModem, type PtyModem } from './support/modem-rig.test-support.ts';

// Modems through the bridge for real: the lab's Huawei modem emulator behind a socat pty, the bridge
// given the pty with --modem, and the page's BridgeClient over a loopback WebSocket. The bridge runs
// the AT engine; the page only ever sends the narrow SIM commands.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 60_000 });

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const DEMO = findSim(demoProfileSet(), 'demo');

async function modem(options: Parameters<typeof startPtyModem>[1] = {}, sim = 'demo'): Promise<PtyModem> {
  const m = await startPtyModem(findSim(demoProfileSet(), sim), options);
  cleanups.push(() => m.stop());
  return m;
}

async function bridgeFor(paths: string | string[], options: { simPollMs?: number } = {}): Promise<RunningBridge> {
  const b = await startBridge({
    port: 0,
    pcsc: false,
    readers: [],
    modems: { discover: false, paths: typeof paths === 'string' ? [paths] : paths, pollMs: 200, ...options },
    lab,
    log: new Logger(() => undefined),
  });
  cleanups.push(() => b.close());
  return b;
}

async function page(b: RunningBridge, onEvent?: (e: BridgeEvent) => void): Promise<BridgeClient> {
  const c = await connectClient({ url: b.url, port: b.port }, onEvent ? { onEvent } : {});
  cleanups.push(() => c.close());
  return c;
}

/** The command without an APDU carrier's arguments. */
const kind = (command: string) => (/^AT\+(CSIM|CGLA)=\d/i.test(command) ? command.replace(/=.*/, '=…') : command);

describe('a modem through the bridge', () => {
  it('is listed beside the readers as a modem, and listing sends it nothing', async () => {
    const m = await modem();
    const b = await bridgeFor(m.path);
    const c = await page(b);
    expect(await c.readers()).toEqual([{ kind: 'modem', name: m.path, card: true, inUse: false, modem: { path: m.path } }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(m.commands).toEqual([]);
  });

  it('runs a whole Krypton authentication against the lab: IMSI, ICCID, PIN state, modem facts, AUTHENTICATE; the modem left as found', async () => {
    const m = await modem();
    const before = m.emulator.settings;
    const b = await bridgeFor(m.path);
    const c = await page(b);
    const session = await c.open(m.path);
    expect(session.kind).toBe('modem');
    expect(session.atr).toBe('');
    expect(await session.readImsi()).toBe(DEMO.imsi);
    expect(await session.readIccid()).toBe(DEMO.iccid);
    expect(await session.pinState()).toEqual({ enabled: false, verified: false });
    const facts = await session.modemInfo();
    expect(facts).toMatchObject({ csim: true, manufacturer: expect.stringMatching(/huawei/i), model: expect.any(String) });
    expect(facts.imei).toMatch(/^\d{15}$/);
    expect(facts.signal?.csq?.rssi).toEqual(expect.any(Number));
    expect(facts.registration?.status).toEqual(expect.any(String));

    // The key agreement of the page, with the bridge's session as the SIM and the bridge's proxy to the lab.
    const pageFetch: FetchLike = (url, init) =>
      fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), Origin: b.url } });
    const client = new KryptonClient({
      endpoint: simEndpoint(`${b.url}/krypton/lab`),
      sim: session,
      keyCache: new MemoryKeyCache(),
      fetch: pageFetch,
    });
    const key = await client.authenticate();
    expect(key.imsi).toBe(DEMO.imsi);
    expect(await client.getSubscriberMetadata()).toMatchObject({ imsi: DEMO.imsi });

    // Maker and model learned by the session show in the listing from now on.
    expect((await c.readers())[0]).toMatchObject({ inUse: true, modem: { path: m.path, maker: facts.manufacturer, model: facts.model } });
    await session.close();
    await m.emulator.whenIdle();
    expect(m.emulator.settings, 'echo, AT+CMEE and AT^CURC as they were').toEqual(before);
    expect(m.emulator.openChannels).toBe(0);
    expect(m.emulator.forbiddenCommands).toEqual([]);
    expect((await c.readers())[0]!.inUse).toBe(false);
    // What one whole run costs the modem, for the report.
    console.info(`AT commands for one bridge run (open → auth → close): ${m.commands.length}: ${m.commands.map(kind).join(' ')}`);
    expect(m.commands.filter((x) => x === 'AT+CIMI')).toHaveLength(1);
    expect(m.commands.at(-1)).toBe('ATE1');
  });

  it('is exclusive: a second page is told "in use", and no other program can open the port meanwhile', async () => {
    const m = await modem();
    const b = await bridgeFor(m.path);
    const [first, second] = [await page(b), await page(b)];
    const session = await first.open(m.path);
    const refused = await second.open(m.path).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BridgeRemoteError);
    expect(refused).toMatchObject({ code: 'TRANSPORT_BUSY', message: `The reader "${m.path}" is in use by another page or tab` });
    expect((await second.readers())[0]).toMatchObject({ inUse: true });
    await expect(openNodeSerialChannel({ path: m.path })).rejects.toMatchObject({
      message: expect.stringMatching(/in use by another program/),
    });
    await session.close();
    const again = await second.open(m.path);
    expect(await again.readImsi()).toBe(DEMO.imsi);
  });

  it('a port that disappears ends the session with NO_CARD within a second, and leaves the listing (5 unplugs)', async () => {
    const timings: number[] = [];
    for (let round = 0; round < 5; round++) {
      const m = await modem();
      const b = await bridgeFor(m.path);
      const events: { event: BridgeEvent; at: number }[] = [];
      const c = await page(b, (event) => events.push({ event, at: performance.now() }));
      const session = await c.open(m.path);
      expect(await session.readImsi()).toBe(DEMO.imsi);
      // At a different moment of the session poll each round.
      await new Promise((r) => setTimeout(r, 137 * round));
      const unpluggedAt = performance.now();
      await m.unplug();
      await eventually(() => events.some((e) => e.event.event === 'session-lost'), 'session-lost arrived', 2000);
      const lost = events.find((e) => e.event.event === 'session-lost')!;
      timings.push(Math.round(lost.at - unpluggedAt));
      expect(lost.event).toMatchObject({ event: 'session-lost', session: session.session, error: { code: 'NO_CARD' } });
      expect((lost.event as { error: { message: string } }).error.message).toMatch(/modem on .* went away/);
      await eventually(async () => (await c.readers()).length === 0, 'the listing drops the port', 1000);
      await expect(session.readImsi()).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    }
    console.info(`port gone → session-lost NO_CARD, ms: ${timings.join(', ')}`);
    expect(Math.max(...timings)).toBeLessThan(1000);
  });

  it('a SIM taken out of the modem ends the session with NO_CARD (AT+CPIN? asked while the page is idle)', async () => {
    const m = await modem();
    const b = await bridgeFor(m.path);
    const events: { event: BridgeEvent; at: number }[] = [];
    const c = await page(b, (event) => events.push({ event, at: performance.now() }));
    const session = await c.open(m.path);
    expect(await session.readImsi()).toBe(DEMO.imsi);
    const pulledAt = performance.now();
    m.emulator.removeSim();
    await eventually(() => events.some((e) => e.event.event === 'session-lost'), 'session-lost arrived', 3000);
    const lost = events.find((e) => e.event.event === 'session-lost')!;
    console.info(`SIM out of the modem → session-lost NO_CARD: ${Math.round(lost.at - pulledAt)} ms`);
    expect(lost.event).toMatchObject({ error: { code: 'NO_CARD', message: expect.stringMatching(/SIM was taken out of the modem/) } });
    expect(lost.at - pulledAt).toBeLessThan(2000);
    // The modem itself stays listed, free, and left as found.
    await eventually(async () => (await c.readers())[0]?.inUse === false, 'the modem is free again', 2000);
  });

  it('a port that is not a modem’s AT port: open fails with why, and the port is free again', async () => {
    const m = await startPtyModem(DEMO, {}, { silent: true });
    cleanups.push(() => m.stop());
    const b = await bridgeFor(m.path);
    const c = await page(b);
    const started = performance.now();
    const refused = await c.open(m.path).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BridgeRemoteError);
    expect(refused).toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/does not answer AT commands/) });
    expect(performance.now() - started).toBeLessThan(5000);
    expect((await c.readers())[0]).toMatchObject({ name: m.path, inUse: false });
    const channel = await openNodeSerialChannel({ path: m.path });
    await channel.close();
  });

  it('a modem without AT+CSIM opens (its IMSI is readable) but says so, and AUTHENTICATE is refused with why', async () => {
    const m = await modem({ noCsim: true });
    const b = await bridgeFor(m.path);
    const c = await page(b);
    const session = await c.open(m.path);
    expect(session.csim).toBe(false);
    expect(await session.readImsi()).toBe(DEMO.imsi);
    expect((await session.modemInfo()).csim).toBe(false);
    const hss = await Hss.create({ sims: [DEMO], groups: [] });
    const vector = await hss.generateVector(DEMO.imsi);
    await expect(session.authenticate(vector.rand, vector.autn)).rejects.toMatchObject({
      code: 'TRANSPORT_FAILED',
      message: expect.stringMatching(/does not offer AT\+CSIM/),
    });
  });

  it('never lets a page reach AT commands: unknown ops, smuggled CRs and unlisted ports are refused, and the modem hears nothing of them', async () => {
    const m = await modem();
    // No SIM presence poll: every command the modem hears after opening would be the page's doing.
    const b = await bridgeFor(m.path, { simPollMs: 0 });
    const probe = await ScriptedPage.connect(`ws://127.0.0.1:${b.port}/ws`, b.url);
    cleanups.push(() => probe.close());
    await probe.hello();
    // Ports the bridge does not list are not opened, whatever the page names.
    for (const reader of ['/dev/ttyS0', '/dev/null', '/dev/tty', `${m.path}/../far`]) {
      const r = await probe.request({ id: 1, op: 'open', reader });
      expect(r, reader).toMatchObject({ ok: false, error: { code: 'NO_CARD' } });
    }
    const opened = await probe.request({ id: 2, op: 'open', reader: m.path });
    expect(opened.ok).toBe(true);
    const session = (opened.result as { session: string }).session;
    const commandsAfterOpen = m.commands.length;
    // A raw APDU op is off without --dev-raw-apdu.
    expect(await probe.request({ id: 3, op: 'apdu', session, apdu: '00A40004023F00' })).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT' },
    });
    expect(m.commands.length).toBe(commandsAfterOpen);

    const hostile: unknown[] = [
      { id: 4, op: 'at', session, command: 'AT+CFUN=0' },
      { id: 5, op: 'verify-pin', session, pin: '1234\rAT+CFUN=0', allowLastTry: false },
      { id: 6, op: 'modem-info', session, command: 'AT+CFUN=0' },
    ];
    for (const message of hostile) {
      const p = await ScriptedPage.connect(`ws://127.0.0.1:${b.port}/ws`, b.url);
      cleanups.push(() => p.close());
      await p.hello();
      p.send(message);
      if ((message as { op: string }).op === 'modem-info') {
        // Extra fields are dropped, and the session is not this page's: refused without a modem command.
        const r = (await p.waitFor((x) => (x as { id?: number }).id === 6)) as { ok: boolean; error: { code: string } };
        expect(r).toMatchObject({ ok: false, error: { code: 'TRANSPORT_CLOSED' } });
      } else {
        expect((await p.closedWithin()).code).toBe(4400);
      }
    }
    // A reader name with a line break is no request at all: the socket ends.
    probe.send({ id: 7, op: 'open', reader: `${m.path}\r\nAT+CFUN=0` });
    expect((await probe.closedWithin()).code).toBe(4400);
    expect(m.commands.length).toBe(commandsAfterOpen);
    expect(m.commands.filter((x) => /CFUN|CPIN=|CLCK="SC",[01]/.test(x))).toEqual([]);
  });
});

describe('every modem personality of the lab through the bridge', () => {
  it.each(MODEM_PERSONALITY_NAMES)('%s: IMSI, ICCID, PIN state, facts, AUTHENTICATE; left as found', { timeout: 40_000 }, async (name) => {
    const m = await modem(personalityOptions(name));
    const before = m.emulator.settings;
    const b = await bridgeFor(m.path);
    const c = await page(b);
    const session = await c.open(m.path);
    expect(await session.readImsi()).toBe(DEMO.imsi);
    expect(await session.readIccid()).toBe(DEMO.iccid);
    expect(await session.pinState()).toMatchObject({ enabled: false });
    const facts = await session.modemInfo();
    expect(facts.csim).toBe(true);
    const hss = await Hss.create({ sims: [DEMO], groups: [] });
    const vector = await hss.generateVector(DEMO.imsi);
    const answer = await session.authenticate(vector.rand, vector.autn);
    expect(answer.kind).toBe('success');
    if (answer.kind === 'success') expect(toHex(answer.res)).toBe(toHex(vector.xres));
    await session.close();
    await m.emulator.whenIdle();
    expect(m.emulator.settings).toEqual(before);
    expect(m.emulator.openChannels).toBe(0);
    expect(m.emulator.forbiddenCommands).toEqual([]);
    console.info(`personality ${name}: ${m.commands.length} AT commands through the bridge`);
  });
});
