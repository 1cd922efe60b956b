/**
 * The point of the PC/SC link: krypton-core's Usim reads the IMSI of the lab's demo SIM and runs
 * AUTHENTICATE through pcscd and vpcd, and RES matches what the lab's HSS expects. Also measures
 * what one APDU costs through pcscd (printed, not asserted: see krypton-protocol.md §11).
 * Set KRYPTON_PCSC_QUICKACK=1 to connect the card through a quick-ACK loopback route instead.
 */
import { Usim, toHex } from '@krypton-web/krypton-core';
import { Hss, demoProfileSet, type VirtualUsim, type VpcdConnection } from '@krypton-web/krypton-lab';
import type { LoopbackQuickAck, PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PcscService } from '@krypton-web/sim-transport/node';
import {
  PCSCD_HOOK_TIMEOUT,
  SELECT_USIM,
  cardHost,
  demoUsim,
  hex,
  insert,
  nextEvent,
  startTestPcscd,
} from './pcsc-test-kit.test-support.ts';
import { PcscTransport } from '@krypton-web/sim-transport/node';

let pcscd: PcscdHandle;
let service: PcscService;
let card: VirtualUsim;
let conn: VpcdConnection;
let quickAck: LoopbackQuickAck | undefined;
let via: string;

beforeAll(async () => {
  pcscd = await startTestPcscd();
  service = await PcscService.open();
  card = await demoUsim();
  const where = await cardHost();
  quickAck = where.quickAck;
  via = quickAck ? `vpcd via ${where.host} (quick ACK route)` : `plain vpcd on ${where.host}`;
  const inserted = nextEvent(service, 'card-inserted', (e) => e.reader === pcscd.readerName);
  conn = insert(card, pcscd.vpcdPort, where.host);
  await inserted;
}, PCSCD_HOOK_TIMEOUT);

afterAll(async () => {
  await conn?.close();
  await service?.close();
  await quickAck?.disable();
  await pcscd?.stop();
});

describe('krypton-core Usim over PcscTransport', () => {
  it('reads the IMSI and runs AUTHENTICATE inside one transaction; RES equals the HSS XRES', async () => {
    const transport = await PcscTransport.open(pcscd.readerName, { service });
    try {
      const usim = new Usim(transport);
      const hss = await Hss.create(demoProfileSet());
      const before = card.apduCount;
      const started = performance.now();
      const { imsi, result, vector } = await transport.withTransaction(async () => {
        const imsi = await usim.readImsi();
        const vector = await hss.generateVector(imsi);
        const result = await usim.authenticate(vector.rand, vector.autn);
        return { imsi, result, vector };
      });
      const ms = performance.now() - started;
      const apdus = card.apduCount - before;
      expect(imsi).toBe('001010000000001');
      expect(result.kind).toBe('success');
      if (result.kind !== 'success') return;
      expect(toHex(result.res)).toBe(toHex(vector.xres));
      expect(toHex(result.ck)).toBe(toHex(vector.ck));
      expect(toHex(result.ik)).toBe(toHex(vector.ik));
      console.log(`[pcsc] IMSI + AUTHENTICATE: ${apdus} APDUs in ${ms.toFixed(0)} ms (${(ms / apdus).toFixed(1)} ms per APDU, ${via})`);
    } finally {
      await transport.close();
    }
  });

  it('measures the round trip of one APDU through pcscd (printed, not asserted)', async () => {
    const transport = await PcscTransport.open(pcscd.readerName, { service });
    try {
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        const response = await transport.transmit(SELECT_USIM);
        times.push(performance.now() - t0);
        expect(hex(response)).toBe('9000');
      }
      times.sort((a, b) => a - b);
      const mean = times.reduce((a, b) => a + b, 0) / times.length;
      console.log(
        `[pcsc] per-APDU latency over ${times.length} SELECTs, ${via}: median ${times[times.length >> 1]!.toFixed(1)} ms, mean ${mean.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms`,
      );
    } finally {
      await transport.close();
    }
  });
});
