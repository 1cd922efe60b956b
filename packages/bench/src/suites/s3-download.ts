import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startBridge, Logger } from '@krypton-web/bridge-server';
import { startLab } from '@krypton-web/krypton-lab';
import { ensureWebAppBuilt as ensureBuilt } from '@krypton-web/build/web-app';
import { authenticate, connect, launchBrowser, OPFS_PICKER, openBucket } from '@krypton-web/web-driver';
import { median, round, type Suite } from '../metric.ts';
import { heapSampler } from './heap-sampler.ts';

const MiB = 1024 * 1024;

/** 5. A large object downloaded by the web app in Chromium (streaming to disk) and by curl, same run. */
export const s3Download: Suite = {
  name: 'S3 download',
  quick: false,
  async run(ctx) {
    // KRYPTON_BENCH_S3_MIB overrides the object size (to see whether memory grows with it).
    const size = Number(process.env.KRYPTON_BENCH_S3_MIB ?? (ctx.quick ? 256 : 1024)) * MiB;
    const lab = await startLab({ s3: { seed: { largeObjectBytes: size } } });
    const webRoot = await ensureBuilt();
    const bridge = await startBridge({ port: 0, lab, pcsc: false, webRoot, log: new Logger(() => undefined) });
    const browser = await launchBrowser();
    const dir = mkdtempSync(join(tmpdir(), 'krypton-bench-'));
    try {
      const object = lab.s3.objects.find((o) => o.size === size)!;
      // curl with a presigned URL made from credentials the lab vends, to a file on the same disk.
      const creds = lab.identityPool.vend(await lab.identityPool.identityIdFor('001010000000001'));
      const s3 = new S3Client({
        region: lab.region,
        endpoint: lab.urls.s3,
        forcePathStyle: true,
        credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken },
      });
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: lab.bucket, Key: object.key }), { expiresIn: 900 });
      s3.destroy();
      const file = join(dir, 'curl.bin');
      // Three curl runs, median: disk and page-cache noise on a 2-core machine is large.
      const curlRuns: number[] = [];
      for (let i = 0; i < 3; i++) {
        const { stdout } = await promisify(execFile)('curl', ['-sS', '-o', file, '-w', '%{time_total} %{size_download}', url], {
          timeout: 600_000,
        });
        const [seconds, bytes] = stdout.trim().split(' ').map(Number) as [number, number];
        if (bytes !== size || statSync(file).size !== size) throw new Error(`curl fetched ${bytes} bytes of ${size}`);
        curlRuns.push(seconds);
        rmSync(file);
      }
      const curlSeconds = median(curlRuns);

      await browser.context.addInitScript({ content: OPFS_PICKER });
      const page = browser.page;
      await connect(page, bridge.url, 'Virtual SIM (demo)');
      await authenticate(page);
      await openBucket(page);
      const table = page.getByRole('table');
      const parts = object.key.split('/');
      for (const folder of parts.slice(0, -1)) await table.getByRole('button', { name: `Open folder ${folder}/` }).click();
      const heap = await heapSampler(browser.context, page);
      const t0 = performance.now();
      await table
        .getByRole('row', { name: new RegExp(parts.at(-1)!.replace('.', '\\.')) })
        .getByRole('button', { name: 'Download' })
        .click();
      const done = page.locator('.download[data-status="done"]');
      await done.waitFor({ timeout: 600_000 });
      const browserSeconds = (performance.now() - t0) / 1000;
      const peak = await heap.stop();
      const check = await done.innerText();

      const browserRate = size / MiB / browserSeconds;
      const curlRate = size / MiB / curlSeconds;
      ctx.report({
        metric: 's3_download_throughput',
        value: round(browserRate, 1),
        unit: 'MiB/s',
        client: 'web app in Chromium (worker → File System Access, MD5 checked)',
        bytes: size,
        seconds: round(browserSeconds, 2),
      });
      ctx.report({
        metric: 's3_download_throughput',
        value: round(curlRate, 1),
        unit: 'MiB/s',
        client: 'curl (presigned URL)',
        bytes: size,
        seconds: round(curlSeconds, 2),
      });
      ctx.report({ metric: 's3_download_ratio', value: round(browserRate / curlRate), unit: 'ratio', aim: '≥ 0.8' });
      ctx.report({ metric: 'browser_peak_js_heap', value: round(peak.page / MiB, 1), unit: 'MiB', context: 'page' });
      ctx.report({
        metric: 'browser_peak_js_heap',
        value: round(peak.worker / MiB, 1),
        unit: 'MiB',
        context: 'session worker',
        aim: 'flat, < 100 MiB',
      });
      ctx.report({
        metric: 'browser_peak_js_heap',
        value: round(peak.workerWithBuffers / MiB, 1),
        unit: 'MiB',
        context: 'session worker, with ArrayBuffer backing stores',
      });
      ctx.report({ metric: 'browser_heap_samples', value: peak.samples, unit: 'samples', interval_ms: 250 });
      ctx.note(
        `Heap sampled in the page and in ${heap.workers.length} worker(s): ${heap.workers.map((u) => u.replace(/^.*\//, '')).join(', ')}`,
      );
      ctx.note(`The app's download ended with: ${check.replace(/\s+/g, ' ').slice(0, 120)}`);
    } finally {
      await browser.close();
      await bridge.close();
      await lab.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
