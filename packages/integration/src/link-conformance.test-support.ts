import { describe, expect, it } from 'vitest';
import { cardKeyOfIccid, InMemoryCardPaths, KryptonError, Usim, toHex, type KryptonErrorCode } from '@krypton-web/krypton-core';
import { CARD_PERSONALITIES, demoProfileSet, findSim, withPersonality, type SimProfile } from '@krypton-web/krypton-lab/browser';
import { Hss } from '@krypton-web/krypton-lab';
import type { ApduTransport, ImsiSource, SimInfoSource } from '@krypton-web/krypton-core';

/** One link under test, opened to a card built from a demo SIM profile. */
export interface LinkUnderTest {
  transport: ApduTransport;
  /** Set when the link reads the IMSI without APDUs (a modem's AT+CIMI). */
  imsiSource?: ImsiSource;
  /** Set when the link reads the ICCID and PIN state without APDUs (a modem's AT^ICCID?, AT^CPIN?). */
  simInfoSource?: SimInfoSource;
  /** Extra cleanup after the transport is closed (stop processes, servers). */
  dispose?: () => Promise<void>;
  /** APDUs the card has processed, when the test can see the card (the personality cases compare runs). */
  apduCount?: () => number;
}

/** Opens the link to a fresh card built from the named demo SIM. */
export type OpenLink = (sim: SimProfile) => Promise<LinkUnderTest>;

/** Options of the suite. */
export interface ConformanceOptions {
  /** Per-test timeout (links through pcscd or a pty are slower). */
  timeoutMs?: number;
  /**
   * Card personalities this link cannot reach, with why (not run, and so not counted as passing): a
   * modem firmware that refuses SELECT through AT+CSIM leaves the card no way to answer the fallbacks.
   */
  unreachableCardPersonalities?: { names: readonly string[]; why: string };
}

/**
 * The SIM commands Krypton needs. krypton-core's `Usim` offers them over an APDU link; the bridge's
 * `BridgeSimSession` offers the same commands over its narrow protocol, running `Usim` next to the card.
 */
export interface SimCommands {
  readImsi(): Promise<string>;
  readIccid(): Promise<string>;
  pinState(): Promise<{ enabled: boolean; verified: boolean; triesLeft?: number | undefined }>;
  verifyPin(pin: string, options?: { allowLastTry?: boolean }): Promise<void>;
  authenticate(
    rand: Uint8Array,
    autn: Uint8Array,
  ): Promise<{ kind: 'success'; res: Uint8Array; ck: Uint8Array; ik: Uint8Array } | { kind: 'sync-failure'; auts: Uint8Array }>;
}

/** A session of SIM commands to a fresh card built from a demo SIM profile, through a link that offers commands, not APDUs. */
export interface SimSessionUnderTest {
  sim: SimCommands;
  /** Ends the session (the reader is free afterwards); later commands fail with TRANSPORT_CLOSED. */
  close(): Promise<void>;
  /** Tries to open another session on the same reader, as a second page would. */
  openAnother(): Promise<{ sim: SimCommands; close(): Promise<void> }>;
  /** Extra cleanup after the session is closed (pull the card, stop the bridge). */
  dispose?: () => Promise<void>;
}

/** Opens a command session to a fresh card built from the named demo SIM. */
export type OpenSimSession = (sim: SimProfile) => Promise<SimSessionUnderTest>;

/** Options of the command-level suite. */
export interface SimCommandConformanceOptions extends ConformanceOptions {
  /** Whether an error is the link's form of a krypton-core error code (the bridge carries `code` across). */
  isError: (error: unknown, code: string) => boolean;
  /** The IMSI comes from somewhere a PIN does not guard (a modem's AT+CIMI, behind the bridge too). */
  imsiWithoutPin?: boolean;
}

const SELECT_USIM = new Uint8Array([0x00, 0xa4, 0x04, 0x0c, 0x07, 0xa0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02]);

/** What the cases shared by both suites need: the commands, and whether a PIN guards the IMSI read. */
interface OpenedSim {
  sim: SimCommands;
  /** The IMSI comes from somewhere a PIN does not guard (a modem's AT+CIMI). */
  imsiWithoutPin: boolean;
  dispose(): Promise<void>;
}

async function withSim<T>(
  open: (sim: SimProfile) => Promise<OpenedSim>,
  simName: string,
  fn: (opened: OpenedSim, sim: SimProfile) => Promise<T>,
): Promise<T> {
  const profile = findSim(demoProfileSet(), simName);
  const opened = await open(profile);
  try {
    return await fn(opened, profile);
  } finally {
    await opened.dispose();
  }
}

/** The cases every SIM link must pass, whether it carries APDUs or commands. */
function sharedSimCases(
  open: (sim: SimProfile) => Promise<OpenedSim>,
  isError: (error: unknown, code: string) => boolean,
  timeout: number,
): void {
  it('reads the IMSI and the ICCID of the card', { timeout }, async () => {
    await withSim(open, 'demo', async ({ sim: usim }, sim) => {
      expect(await usim.readImsi()).toBe(sim.imsi);
      expect(await usim.readIccid()).toBe(sim.iccid);
    });
  });

  it('reads an even-length IMSI', { timeout }, async () => {
    await withSim(open, 'demo-even', async ({ sim: usim }, sim) => {
      expect(await usim.readImsi()).toBe(sim.imsi);
    });
  });

  it('runs AUTHENTICATE: RES and CK match what the network computed', { timeout }, async () => {
    await withSim(open, 'demo', async ({ sim: usim }, sim) => {
      const hss = await Hss.create({ sims: [sim], groups: [] });
      const vector = await hss.generateVector(sim.imsi);
      const result = await usim.authenticate(vector.rand, vector.autn);
      expect(result.kind).toBe('success');
      if (result.kind !== 'success') return;
      expect(toHex(result.res)).toBe(toHex(vector.xres));
      expect(toHex(result.ck)).toBe(toHex(vector.ck));
    });
  });

  it('reports a stale challenge as a sync failure whose AUTS the network accepts', { timeout }, async () => {
    await withSim(open, 'demo', async ({ sim: usim }, sim) => {
      const hss = await Hss.create({ sims: [sim], groups: [] });
      const vector = await hss.generateVector(sim.imsi);
      expect((await usim.authenticate(vector.rand, vector.autn)).kind).toBe('success');
      const replay = await usim.authenticate(vector.rand, vector.autn);
      expect(replay.kind).toBe('sync-failure');
      if (replay.kind !== 'sync-failure') return;
      expect(await hss.resynchronise(sim.imsi, vector.rand, replay.auts)).toBe(true);
      const fresh = await hss.generateVector(sim.imsi);
      expect((await usim.authenticate(fresh.rand, fresh.autn)).kind).toBe('success');
    });
  });

  it('reports a challenge from the wrong network as MAC_FAILURE', { timeout }, async () => {
    await withSim(open, 'demo-foreign', async ({ sim: usim }, sim) => {
      const hss = await Hss.create({ sims: [sim], groups: [] });
      const vector = await hss.generateVector(sim.imsi);
      const e = await usim.authenticate(vector.rand, vector.autn).catch((x: unknown) => x);
      expect(isError(e, 'MAC_FAILURE')).toBe(true);
    });
  });

  it('reports PIN states: required, verified, blocked', { timeout }, async () => {
    await withSim(open, 'demo-pin', async ({ sim: usim, imsiWithoutPin }, sim) => {
      expect(await usim.pinState()).toMatchObject({ enabled: true, verified: false, triesLeft: 3 });
      if (!imsiWithoutPin) {
        const e = await usim.readImsi().catch((x: unknown) => x);
        expect(isError(e, 'PIN_REQUIRED')).toBe(true);
      }
      await usim.verifyPin('1234');
      expect(await usim.readImsi()).toBe(sim.imsi);
    });
    await withSim(open, 'demo-blocked', async ({ sim: usim }) => {
      const e = await usim.verifyPin('1234').catch((x: unknown) => x);
      expect(isError(e, 'PIN_BLOCKED')).toBe(true);
    });
  });
}

/**
 * The behaviour every link to a SIM must show, whatever carries the APDUs: the same suite runs on
 * the in-memory adapter, the modem link (in process and through a pty), and PC/SC through pcscd.
 * Links that carry SIM commands instead of APDUs (the bridge) run `describeSimCommandConformance`,
 * which shares every SIM case with this one.
 */
export function describeLinkConformance(name: string, open: OpenLink, options: ConformanceOptions = {}): void {
  const timeout = options.timeoutMs ?? 15_000;
  const withLink = async <T>(simName: string, fn: (link: LinkUnderTest) => Promise<T>): Promise<T> => {
    const link = await open(findSim(demoProfileSet(), simName));
    try {
      return await fn(link);
    } finally {
      await link.transport.close().catch(() => undefined);
      await link.dispose?.();
    }
  };

  describe(`link conformance: ${name}`, () => {
    sharedSimCases(
      async (sim) => {
        const link = await open(sim);
        return {
          sim: new Usim(link.transport, {
            ...(link.imsiSource ? { imsiSource: link.imsiSource } : {}),
            ...(link.simInfoSource ? { simInfoSource: link.simInfoSource } : {}),
          }),
          imsiWithoutPin: link.imsiSource !== undefined,
          dispose: async () => {
            await link.transport.close().catch(() => undefined);
            await link.dispose?.();
          },
        };
      },
      (e, code) => KryptonError.is(e, code as KryptonErrorCode),
      timeout,
    );

    personalityCases(open, timeout, options.unreachableCardPersonalities?.names ?? []);

    it('refuses a second exchange while one is in flight', { timeout }, async () => {
      await withLink('demo', async (link) => {
        const first = link.transport.transmit(SELECT_USIM);
        await expect(link.transport.transmit(SELECT_USIM)).rejects.toMatchObject({ code: 'TRANSPORT_BUSY' });
        const answer = await first;
        expect(toHex(answer.subarray(answer.length - 2))).toBe('9000');
      });
    });

    it('closes during an exchange: the exchange settles, close() waits for it, later calls are refused', { timeout }, async () => {
      await withLink('demo', async (link) => {
        const pending = link.transport.transmit(SELECT_USIM).then(
          (r) => ({ ok: true as const, r }),
          (e: unknown) => ({ ok: false as const, e }),
        );
        await link.transport.close();
        const settled = await pending;
        if (!settled.ok) expect((settled.e as { code?: string }).code).toMatch(/^(TRANSPORT_CLOSED|ABORTED|TRANSPORT_FAILED)$/);
        await expect(link.transport.transmit(SELECT_USIM)).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
      });
    });
  });
}

/**
 * The same SIM behaviour at the level of SIM commands, for links that offer commands instead of APDUs
 * (the bridge: IMSI, ICCID, PIN, AUTHENTICATE). Every SIM case of `describeLinkConformance` runs
 * unchanged; the two APDU cases (one exchange at a time, close during an exchange) become their
 * command-level counterparts: one command at a time, one session per reader, close during a command.
 */
export function describeSimCommandConformance(name: string, open: OpenSimSession, options: SimCommandConformanceOptions): void {
  const timeout = options.timeoutMs ?? 15_000;
  const { isError } = options;
  const withSession = async <T>(simName: string, fn: (session: SimSessionUnderTest, sim: SimProfile) => Promise<T>): Promise<T> => {
    const profile = findSim(demoProfileSet(), simName);
    const session = await open(profile);
    try {
      return await fn(session, profile);
    } finally {
      await session.close().catch(() => undefined);
      await session.dispose?.();
    }
  };

  describe(`SIM command conformance: ${name}`, () => {
    sharedSimCases(
      async (sim) => {
        const session = await open(sim);
        return {
          sim: session.sim,
          imsiWithoutPin: options.imsiWithoutPin ?? false,
          dispose: async () => {
            await session.close().catch(() => undefined);
            await session.dispose?.();
          },
        };
      },
      isError,
      timeout,
    );

    it('refuses a second command while one is in flight, and answers the first correctly', { timeout }, async () => {
      await withSession('demo', async ({ sim: usim }, sim) => {
        const first = usim.readImsi();
        const others = Array.from({ length: 4 }, () =>
          usim.readIccid().then(
            (v) => ({ ok: true as const, v }),
            (e: unknown) => ({ ok: false as const, e }),
          ),
        );
        expect(await first).toBe(sim.imsi);
        const settled = await Promise.all(others);
        for (const s of settled) {
          if (s.ok) expect(s.v).toBe(sim.iccid);
          else expect(isError(s.e, 'TRANSPORT_BUSY')).toBe(true);
        }
        expect(settled.some((s) => !s.ok)).toBe(true);
        // The refusals did not spoil the session.
        expect(await usim.readIccid()).toBe(sim.iccid);
      });
    });

    it(
      'holds the reader for one session: a second is refused TRANSPORT_BUSY, and opens once the first is closed',
      { timeout },
      async () => {
        await withSession('demo', async (session, sim) => {
          expect(await session.sim.readImsi()).toBe(sim.imsi);
          const refused = await session.openAnother().catch((x: unknown) => x);
          expect(isError(refused, 'TRANSPORT_BUSY')).toBe(true);
          await session.close();
          const second = await session.openAnother();
          try {
            expect(await second.sim.readIccid()).toBe(sim.iccid);
          } finally {
            await second.close();
          }
        });
      },
    );

    it('closes during a command: the command settles, close waits for it, later commands are refused', { timeout }, async () => {
      await withSession('demo', async (session, sim) => {
        const pending = session.sim.readImsi().then(
          (v) => ({ ok: true as const, v }),
          (e: unknown) => ({ ok: false as const, e }),
        );
        await session.close();
        const settled = await pending;
        if (settled.ok) expect(settled.v).toBe(sim.imsi);
        else expect(['TRANSPORT_CLOSED', 'ABORTED', 'TRANSPORT_FAILED'].some((code) => isError(settled.e, code))).toBe(true);
        const later = await session.sim.readIccid().catch((x: unknown) => x);
        expect(isError(later, 'TRANSPORT_CLOSED')).toBe(true);
      });
    });
  });
}

/**
 * Every card personality of the lab (cards that refuse the client's shortcuts, alone and combined): the
 * client gets IMSI, ICCID and a good AUTHENTICATE on a first run, and a second session on another card
 * of the same personality, given the path memory of the first, does the same with no more APDUs.
 */
function personalityCases(open: OpenLink, timeout: number, unreachable: readonly string[]): void {
  const demo = findSim(demoProfileSet(), 'demo');
  for (const personality of CARD_PERSONALITIES) {
    if (personality.quirks.length === 0 || unreachable.includes(personality.name)) continue;
    it(`card personality ${personality.name}: first run, then a remembered run`, { timeout: timeout * 2 }, async () => {
      const sim = withPersonality(demo, personality);
      const hss = await Hss.create({ sims: [sim], groups: [] });
      const memory = new InMemoryCardPaths();
      const counts: number[] = [];
      for (let run = 0; run < 2; run++) {
        const link = await open(sim);
        try {
          const before = link.apduCount?.() ?? 0;
          const usim = new Usim(link.transport, {
            cardKey: cardKeyOfIccid(sim.iccid),
            cardPaths: memory,
            ...(link.imsiSource ? { imsiSource: link.imsiSource } : {}),
          });
          const pin = await usim.pinState();
          expect(pin.enabled).toBe(personality.quirks.includes('imsi-behind-pin'));
          if (pin.enabled && !pin.verified) await usim.verifyPin(sim.pin1.code);
          expect(await usim.readImsi()).toBe(sim.imsi);
          expect(await usim.readIccid()).toBe(sim.iccid);
          const vector = await hss.generateVector(sim.imsi);
          const result = await usim.authenticate(vector.rand, vector.autn);
          expect(result.kind).toBe('success');
          if (result.kind === 'success') expect(toHex(result.res)).toBe(toHex(vector.xres));
          if (link.apduCount) counts.push(link.apduCount() - before);
        } finally {
          await link.transport.close().catch(() => undefined);
          await link.dispose?.();
        }
      }
      expect(memory.size).toBe(1);
      if (counts.length === 2) expect(counts[1]).toBeLessThanOrEqual(counts[0]!);
    });
  }
}

/**
 * The card personalities a modem personality leaves no way to reach. A firmware that refuses SELECT
 * through AT+CSIM on the basic channel blocks every fallback for the card (EF_DIR, P2=04, a path); with
 * logical channels it still needs the card to accept the USIM's partial AID in AT+CCHO.
 */
export function unreachableThroughModem(modem: string): ConformanceOptions['unreachableCardPersonalities'] {
  if (modem === 'select-refused')
    return {
      names: CARD_PERSONALITIES.map((p) => p.name),
      why: 'SELECT through AT+CSIM is refused, so no selection fallback reaches the card',
    };
  if (modem === 'select-refused-channels')
    return {
      names: CARD_PERSONALITIES.filter((p) => p.quirks.includes('no-partial-aid') || p.quirks.includes('no-p2-0c')).map((p) => p.name),
      why: 'AT+CCHO opens the USIM by its partial AID (refused by no-partial-aid cards), and the PIN state needs the FCP of a SELECT with P2=04 on the basic channel (where no-p2-0c cards send it), which the firmware refuses',
    };
  return undefined;
}
