import { describe, expect, it } from 'vitest';
import { KryptonError, Usim, toHex } from '@krypton-web/krypton-core';
import { demoProfileSet, findSim, type SimProfile } from '@krypton-web/krypton-lab/browser';
import { Hss } from '@krypton-web/krypton-lab';
import type { ApduTransport, ImsiSource } from '../../src/index.ts';

/** One link under test, opened to a card built from a demo SIM profile. */
export interface LinkUnderTest {
  transport: ApduTransport;
  /** Set when the link reads the IMSI without APDUs (a modem's AT+CIMI). */
  imsiSource?: ImsiSource;
  /** Extra cleanup after the transport is closed (stop processes, servers). */
  dispose?: () => Promise<void>;
}

/** Opens the link to a fresh card built from the named demo SIM. */
export type OpenLink = (sim: SimProfile) => Promise<LinkUnderTest>;

/** Options of the suite. */
export interface ConformanceOptions {
  /** Per-test timeout (links through pcscd or a pty are slower). */
  timeoutMs?: number;
}

const SELECT_USIM = new Uint8Array([0x00, 0xa4, 0x04, 0x0c, 0x07, 0xa0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02]);

async function withLink<T>(open: OpenLink, simName: string, fn: (link: LinkUnderTest, usim: Usim, sim: SimProfile) => Promise<T>): Promise<T> {
  const sim = findSim(demoProfileSet(), simName);
  const link = await open(sim);
  try {
    return await fn(link, new Usim(link.transport, link.imsiSource ? { imsiSource: link.imsiSource } : {}), sim);
  } finally {
    await link.transport.close().catch(() => undefined);
    await link.dispose?.();
  }
}

/**
 * The behaviour every link to a SIM must show, whatever carries the APDUs: the same suite runs on
 * the in-memory adapter, the modem link (in process and through a pty), PC/SC through pcscd, and
 * the bridge client.
 */
export function describeLinkConformance(name: string, open: OpenLink, options: ConformanceOptions = {}): void {
  const timeout = options.timeoutMs ?? 15_000;

  describe(`link conformance: ${name}`, () => {
    it('reads the IMSI and the ICCID of the card', { timeout }, async () => {
      await withLink(open, 'demo', async (_link, usim, sim) => {
        expect(await usim.readImsi()).toBe(sim.imsi);
        expect(await usim.readIccid()).toBe(sim.iccid);
      });
    });

    it('reads an even-length IMSI', { timeout }, async () => {
      await withLink(open, 'demo-even', async (_link, usim, sim) => {
        expect(await usim.readImsi()).toBe(sim.imsi);
      });
    });

    it('runs AUTHENTICATE: RES and CK match what the network computed', { timeout }, async () => {
      await withLink(open, 'demo', async (_link, usim, sim) => {
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
      await withLink(open, 'demo', async (_link, usim, sim) => {
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
      await withLink(open, 'demo-foreign', async (_link, usim, sim) => {
        const hss = await Hss.create({ sims: [sim], groups: [] });
        const vector = await hss.generateVector(sim.imsi);
        const e = await usim.authenticate(vector.rand, vector.autn).catch((x: unknown) => x);
        expect(KryptonError.is(e, 'MAC_FAILURE')).toBe(true);
      });
    });

    it('reports PIN states: required, verified, blocked', { timeout }, async () => {
      await withLink(open, 'demo-pin', async (link, usim, sim) => {
        expect(await usim.pinState()).toMatchObject({ enabled: true, verified: false, triesLeft: 3 });
        if (!link.imsiSource) {
          const e = await usim.readImsi().catch((x: unknown) => x);
          expect(KryptonError.is(e, 'PIN_REQUIRED')).toBe(true);
        }
        await usim.verifyPin('1234');
        expect(await usim.readImsi()).toBe(sim.imsi);
      });
      await withLink(open, 'demo-blocked', async (_link, usim) => {
        const e = await usim.verifyPin('1234').catch((x: unknown) => x);
        expect(KryptonError.is(e, 'PIN_BLOCKED')).toBe(true);
      });
    });

    it('refuses a second exchange while one is in flight', { timeout }, async () => {
      await withLink(open, 'demo', async (link) => {
        const first = link.transport.transmit(SELECT_USIM);
        await expect(link.transport.transmit(SELECT_USIM)).rejects.toMatchObject({ code: 'TRANSPORT_BUSY' });
        const answer = await first;
        expect(toHex(answer.subarray(answer.length - 2))).toBe('9000');
      });
    });

    it('closes during an exchange: the exchange settles, close() waits for it, later calls are refused', { timeout }, async () => {
      await withLink(open, 'demo', async (link) => {
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
