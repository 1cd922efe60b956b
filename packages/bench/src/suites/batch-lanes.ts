import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { KryptonClient, MemoryKeyCache, simEndpoint, Tracer, Usim } from '@krypton-web/krypton-core';
import { findSim, startLab, VirtualUsim, type Lab } from '@krypton-web/krypton-lab';
import { kryptonForCheck, runCheck, simForCheck, type CheckS3, type Checklist } from '@krypton-web/sim-check';
import { MemoryCardTransport } from '@krypton-web/sim-transport';
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

/** Checks `count` SIMs one after another in one lane; answers the HTTP calls each check made in sequence. */
async function lane(lab: Lab, sims: string[], s3: CheckS3): Promise<number[]> {
  const calls: number[] = [];
  for (const name of sims) {
    let http = 0;
    const tracer = new Tracer((e) => {
      if (e.type === 'http') http++;
    });
    const usim = new Usim(new MemoryCardTransport(await VirtualUsim.create(findSim(lab.profiles, name))), { tracer });
    const client = new KryptonClient({ endpoint: simEndpoint(lab.urls.provisioning), sim: usim, keyCache: new MemoryKeyCache(), tracer });
    const r = await runCheck({
      batchId: 'bench',
      lane: 'bench',
      checklist: CHECKLIST,
      sim: simForCheck(usim),
      krypton: kryptonForCheck(client, { cognitoEndpoint: lab.urls.cognito, tracer }),
      s3,
    });
    if (r?.verdict !== 'PASS') throw new Error(`${name} did not pass: ${r?.problem?.code ?? 'no result'} ${r?.problem?.message ?? ''}`);
    calls.push(http + 1); // + the S3 listing, which the Krypton tracer does not see
  }
  return calls;
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
          const calls = await Promise.all(
            Array.from({ length: lanes }, (_, i) =>
              lane(
                lab,
                Array.from({ length: perLane }, (_, j) => box[(i * perLane + j) % box.length]!),
                s3,
              ),
            ),
          );
          const minutes = (performance.now() - t0) / 60_000;
          const perMinute = (lanes * perLane) / minutes;
          if (lanes === 1) single = perMinute;
          const sequential = Math.max(...calls.flat());
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
            ratio_to_lanes_x_single: round(perMinute / (lanes * single)),
          });
        }
      }
    } finally {
      lab.faults.update({ latencyMs: 0 });
      await lab.close();
    }
    ctx.note(
      'Each check: SIM read, fresh key agreement, Cognito credentials, one S3 listing of the userdata bucket, on in-memory virtual USIMs (no reader time). ceiling_from_latency = lanes × 60 s / (sequential calls × latency): no lane can beat its calls in sequence. Aim: ratio_to_lanes_x_single ≥ 0.9.',
    );
  },
};
