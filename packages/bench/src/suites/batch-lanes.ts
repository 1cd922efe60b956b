import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { KryptonClient, MemoryKeyCache, simEndpoint, Tracer, Usim, type ApduTransport } from '@krypton-web/krypton-core';
import { findSim, openCardStack, startLab, VirtualUsim, type CardStack, type Lab } from '@krypton-web/krypton-lab';
import { enableLoopbackQuickAck, startPcscd, type LoopbackQuickAck, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { kryptonForCheck, runCheck, simForCheck, type CheckS3, type Checklist } from '@krypton-web/sim-check';
import { MemoryCardTransport } from '@krypton-web/sim-transport';
import { PcscService, PcscTransport } from '@krypton-web/sim-transport/node';
import { round, type Suite } from '../metric.ts';

const CHECKLIST: Checklist = { credentials: 'openid', s3: { mode: 'list' } };

/** An S3 probe over the lab's S3 with the AWS SDK, one client per call as a short-lived check uses it. */
function labS3(lab: Lab): CheckS3 {
  return {
    list: async (credentials, where) => {
      const client = new S3Client({ endpoint: lab.urls.s3, region: where.region, forcePathStyle: true, credentials, maxAttempts: 1 });
      try {
        const out = await client.send(new ListObjectsV2Command({ Bucket: where.bucket, Prefix: where.prefix, MaxKeys: 1 }));
        return { keyCount: out.KeyCount ?? 0 };
      } finally {
        client.destroy();
      }
    },
    head: async () => {
      throw new Error('not used by this benchmark');
    },
  };
}

/** A card in a lane's reader for one check: its APDU link, and how to take it out again. */
interface InsertedCard {
  transport: ApduTransport;
  remove(): Promise<void>;
}

/** The in-memory reader: a fresh virtual USIM in the same process. */
const inMemory =
  (lab: Lab) =>
  async (name: string): Promise<InsertedCard> => ({
    transport: new MemoryCardTransport(await VirtualUsim.create(findSim(lab.profiles, name))),
    remove: async () => undefined,
  });

/** Checks SIMs one after another in one lane; answers the HTTP calls of each check and the time spent checking (inserting and removing cards excluded). */
async function lane(
  lab: Lab,
  sims: string[],
  s3: CheckS3,
  insert: (name: string) => Promise<InsertedCard> = inMemory(lab),
): Promise<{ calls: number[]; checkMs: number }> {
  const calls: number[] = [];
  let checkMs = 0;
  for (const name of sims) {
    let http = 0;
    const tracer = new Tracer((e) => {
      if (e.type === 'http') http++;
    });
    const card = await insert(name);
    const t0 = performance.now();
    const usim = new Usim(card.transport, { tracer });
    const client = new KryptonClient({ endpoint: simEndpoint(lab.urls.provisioning), sim: usim, keyCache: new MemoryKeyCache(), tracer });
    const r = await runCheck({
      batchId: 'bench',
      lane: 'bench',
      checklist: CHECKLIST,
      sim: simForCheck(usim),
      krypton: kryptonForCheck(client, { cognitoEndpoint: lab.urls.cognito, tracer }),
      s3,
    });
    checkMs += performance.now() - t0;
    await card.remove();
    if (r?.verdict !== 'PASS') throw new Error(`${name} did not pass: ${r?.problem?.code ?? 'no result'} ${r?.problem?.message ?? ''}`);
    calls.push(http + 1); // + the S3 listing, which the Krypton tracer does not see
  }
  return { calls, checkMs };
}

/** Runs `lanes` lanes side by side, lane i checking SIMs i × perLane … of the box; `insertFor` gives lane i its reader (in memory by default). */
function runLanes(
  lab: Lab,
  s3: CheckS3,
  box: string[],
  lanes: number,
  perLane: number,
  insertFor?: (lane: number) => (name: string) => Promise<InsertedCard>,
): Promise<{ calls: number[]; checkMs: number }[]> {
  return Promise.all(
    Array.from({ length: lanes }, (_, i) =>
      lane(
        lab,
        Array.from({ length: perLane }, (_, j) => box[(i * perLane + j) % box.length]!),
        s3,
        insertFor?.(i),
      ),
    ),
  );
}

/** A PC/SC lane's card: the card stack puts a fresh card into vpcd reader `reader`, the check opens it through pcscd. */
function pcscInsert(stack: CardStack, service: PcscService, pcscd: PcscdHandle, reader: number) {
  const name = pcscd.readerNames[reader]!;
  return async (sim: string): Promise<InsertedCard> => {
    await stack.insert(reader, sim);
    await service.waitForCard({ reader: name, timeoutMs: 10_000 });
    const transport = await PcscTransport.open(name, { service });
    return {
      transport,
      remove: async () => {
        await transport.close();
        await stack.remove(reader);
        // The next card must not be mistaken for this one: wait until pcscd has seen the reader empty.
        const deadline = Date.now() + 5000;
        while (Date.now() < deadline && (await service.listReaders()).find((r) => r.name === name)?.card !== 'empty')
          await new Promise((r) => setTimeout(r, 50));
      },
    };
  };
}

/**
 * SIMs checked per minute with 1, 2 and 3 lanes at 0 and 150 ms per request: the lanes share one
 * lab and one process, as the CLI's and the web app's lanes do. Aim: N lanes ≥ 0.9 × N × one lane.
 */
export const batchLanes: Suite = {
  name: 'SIM batch lanes',
  quick: true,
  async run(ctx) {
    const lab = await startLab();
    await lab.ready;
    const s3 = labS3(lab);
    const box = lab.profiles.sims.filter((s) => !s.pin1.enabled && !s.network).map((s) => s.name);
    const perLane = ctx.quick ? 3 : 6;
    try {
      // One untimed check first: the first one pays for module loading and JIT, which no lane count should.
      await lane(lab, [box[0]!], s3);
      for (const latencyMs of [0, 150]) {
        lab.faults.update({ latencyMs });
        let single = 0;
        for (const lanes of [1, 2, 3]) {
          const t0 = performance.now();
          const done = await runLanes(lab, s3, box, lanes, perLane);
          const minutes = (performance.now() - t0) / 60_000;
          const perMinute = (lanes * perLane) / minutes;
          if (lanes === 1) single = perMinute;
          const sequential = Math.max(...done.flatMap((d) => d.calls));
          const floorPerMinute = latencyMs > 0 ? (lanes * 60_000) / (sequential * latencyMs) : undefined;
          ctx.report({
            metric: 'sims_per_minute',
            value: round(perMinute, 1),
            unit: 'SIM/min',
            lanes,
            latency_ms: latencyMs,
            sims: lanes * perLane,
            sequential_calls_per_sim: sequential,
            ceiling_from_latency: floorPerMinute !== undefined ? round(floorPerMinute, 1) : undefined,
            link: 'in-memory',
            ratio_to_lanes_x_single: round(perMinute / (lanes * single)),
          });
        }
      }
      // Card swaps through pcscd take about a second each: the quick run measures two SIMs per lane at 150 ms only.
      await pcscLanes(ctx, lab, s3, box, ctx.quick ? 2 : perLane, ctx.quick ? [150] : [0, 150]);
    } finally {
      lab.faults.update({ latencyMs: 0 });
      await lab.close();
    }
    ctx.note(
      'PC/SC lanes: one pcscd with three vpcd readers and a fresh virtual card per SIM (the lab card stack); the rate counts the time from a powered card to its result (a person takes longer to swap a card than pcscd does to see it).',
    );
    ctx.note(
      'Each check: SIM read, fresh key agreement, Cognito credentials, one S3 listing of the userdata bucket, on in-memory virtual USIMs (no reader time). ceiling_from_latency = lanes × 60 s / (sequential calls × latency): no lane can beat its calls in sequence. Aim: ratio_to_lanes_x_single ≥ 0.9.',
    );
  },
};

/** The same through pcscd: three vpcd readers, one lane each, a fresh card per SIM; the rate counts checking time, not card swaps. */
async function pcscLanes(
  ctx: Parameters<Suite['run']>[0],
  lab: Lab,
  s3: CheckS3,
  box: string[],
  perLane: number,
  latencies: number[],
): Promise<void> {
  delete process.env.PCSCLITE_CSOCK_NAME;
  const pcscd = await startPcscd({ readers: 3 });
  let quickAck: LoopbackQuickAck | undefined;
  let service: PcscService | undefined;
  let stack: CardStack | undefined;
  try {
    let host = '127.0.0.1';
    try {
      quickAck = await enableLoopbackQuickAck();
      host = quickAck.address;
    } catch (e) {
      ctx.note(`quick-ACK route not set (${(e as Error).message}): PC/SC lanes include vpcd's ~40 ms stall per APDU`);
    }
    stack = openCardStack({ vpcd: pcscd.vpcdPorts.map((port) => ({ host, port })), readerNames: pcscd.readerNames });
    service = await PcscService.open();
    for (const latencyMs of latencies) {
      lab.faults.update({ latencyMs });
      let single = 0;
      for (const lanes of [1, 2, 3]) {
        const done = await runLanes(lab, s3, box, lanes, perLane, (i) => pcscInsert(stack!, service!, pcscd, i));
        // Lanes run side by side: the batch's rate is the sum of each lane's rate while checking.
        const perMinute = done.reduce((sum, d) => sum + (d.calls.length * 60_000) / d.checkMs, 0);
        if (lanes === 1) single = perMinute;
        ctx.report({
          metric: 'sims_per_minute',
          value: round(perMinute, 1),
          unit: 'SIM/min',
          lanes,
          latency_ms: latencyMs,
          sims: lanes * perLane,
          link: quickAck ? 'PC/SC (pcscd + vpcd, quick ACK)' : 'PC/SC (pcscd + vpcd)',
          ratio_to_lanes_x_single: round(perMinute / (lanes * single)),
        });
      }
    }
  } finally {
    await stack?.close();
    await service?.close();
    await quickAck?.disable();
    await pcscd.stop();
  }
}
