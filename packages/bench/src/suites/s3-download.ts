import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startBridge, Logger } from '@krypton-web/bridge-server';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { ensureWebAppBuilt as ensureBuilt } from '@krypton-web/build/web-app';
import { authenticate, connect, launchBrowser, OPFS_PICKER, openBucket } from '@krypton-web/web-driver';
import type { BrowserContext, Page } from 'playwright-core';
import { median, round, type Suite } from '../metric.ts';
import { heapSampler } from './heap-sampler.ts';

const MiB = 1024 * 1024;
/** The shaped link of issue #16: a far-away S3 that gives each connection 20 MiB/s, 50 ms away. */
const SHAPED = { bytesPerSecond: 20 * MiB, rttMs: 50 };
const CONNECTIONS = [1, 4] as const;

type Link = 'unshaped' | 'shaped';
type Client = 'app' | 'curl' | 'fetch' | 'read' | 'blob';

/**
 * 5. A large object downloaded by the web app in Chromium (worker → File System Access, MD5
 * checked), by curl, and by a bare `fetch → createWritable` in the same browser: over 1 and 4
 * connections, on the unshaped loopback link and on a shaped one (20 MiB/s per connection, 50 ms
 * RTT), all in the same run, so the ratios compare like with like on a noisy shared machine.
 */
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
      const url = await presignedUrl(lab, object.key);

      await browser.context.addInitScript({ content: OPFS_PICKER });
      const page = browser.page;
      await connect(page, bridge.url, 'Virtual SIM (demo)');
      await authenticate(page);
      await openBucket(page);
      const table = page.getByRole('table');
      const parts = object.key.split('/');
      for (const folder of parts.slice(0, -1)) await table.getByRole('button', { name: `Open folder ${folder}/` }).click();
      const name = parts.at(-1)!;

      const rates = new Map<string, number>();
      const at = (client: Client, link: Link, connections: number) => `${client}/${link}/${connections}`;
      let lastCheck = '';
      for (const link of ['unshaped', 'shaped'] as const) {
        lab.s3.link.update(link === 'shaped' ? SHAPED : { bytesPerSecond: 0, rttMs: 0 });
        // The shaped link is slow by design: one run each; the unshaped one is noisy: median of three.
        const runs = link === 'shaped' ? 1 : 3;
        for (const connections of CONNECTIONS) {
          const curl: number[] = [];
          const bare: number[] = [];
          const read: number[] = [];
          const blob: number[] = [];
          const app: number[] = [];
          let heapPeak = { worker: 0, workerWithBuffers: 0, samples: 0 };
          for (let i = 0; i < runs; i++) {
            curl.push(await curlSeconds(url, size, connections, dir));
            bare.push(await bareFetchSeconds(page, url, size, connections));
            read.push(await readOnlySeconds(page, url, size, connections));
            blob.push(await blobOnlySeconds(page, url, size, connections));
            const run = await appSeconds(browser.context, page, name, connections);
            app.push(run.seconds);
            lastCheck = run.check;
            heapPeak = {
              worker: Math.max(heapPeak.worker, run.heap.worker),
              workerWithBuffers: Math.max(heapPeak.workerWithBuffers, run.heap.workerWithBuffers),
              samples: heapPeak.samples + run.heap.samples,
            };
          }
          for (const [client, seconds, label] of [
            ['app', app, 'web app in Chromium (worker → File System Access, MD5 checked)'],
            ['curl', curl, connections === 1 ? 'curl (presigned URL)' : `curl × ${connections} ranges in parallel (presigned URL)`],
            ['fetch', bare, `bare fetch → createWritable in the same Chromium${connections > 1 ? ` (${connections} ranges)` : ''}`],
            ['read', read, `bare fetch, every byte read by the page and dropped${connections > 1 ? ` (${connections} ranges)` : ''}`],
            [
              'blob',
              blob,
              `bare fetch into Blobs written to the file, no byte read by the page${connections > 1 ? ` (${connections} ranges)` : ''}`,
            ],
          ] as const) {
            const s = median([...seconds]);
            const rate = size / MiB / s;
            rates.set(at(client, link, connections), rate);
            ctx.report({
              metric: 's3_download_throughput',
              value: round(rate, 1),
              unit: 'MiB/s',
              client: label,
              link,
              connections,
              bytes: size,
              seconds: round(s, 2),
              runs,
            });
          }
          const app_ = rates.get(at('app', link, connections))!;
          ctx.report({
            metric: 's3_download_ratio_app_to_curl',
            value: round(app_ / rates.get(at('curl', link, connections))!),
            unit: 'ratio',
            link,
            connections,
            ...(link === 'unshaped' ? { aim: '≥ 0.8' } : {}),
          });
          ctx.report({
            metric: 's3_download_ratio_app_to_bare_fetch',
            value: round(app_ / rates.get(at('fetch', link, connections))!),
            unit: 'ratio',
            link,
            connections,
            ...(link === 'unshaped' ? { aim: '≥ 0.9' } : {}),
          });
          // The ceiling of the ≥ 0.8 × curl aim: the browser alone, network to file, no byte in the page.
          ctx.report({
            metric: 's3_download_ratio_browser_blob_to_curl',
            value: round(rates.get(at('blob', link, connections))! / rates.get(at('curl', link, connections))!),
            unit: 'ratio',
            link,
            connections,
          });
          ctx.report({
            metric: 'browser_peak_js_heap',
            value: round(heapPeak.worker / MiB, 1),
            unit: 'MiB',
            context: 'session worker',
            link,
            connections,
            aim: 'flat, < 100 MiB',
          });
          ctx.report({
            metric: 'browser_peak_js_heap',
            value: round(heapPeak.workerWithBuffers / MiB, 1),
            unit: 'MiB',
            context: 'session worker, with ArrayBuffer backing stores',
            link,
            connections,
          });
          ctx.report({ metric: 'browser_heap_samples', value: heapPeak.samples, unit: 'samples', interval_ms: 250, link, connections });
        }
      }
      lab.s3.link.update({ bytesPerSecond: 0, rttMs: 0 });

      // The parallel gain on the shaped link, against 4 × the cap or what the disk path carries,
      // whichever is lower. The disk path is taken two ways: the bare fetch → createWritable over 4
      // connections unshaped, and the app's own unshaped run over 4 (its path, without the shaping):
      // since the app writes whole parts inside the browser it is faster than the bare fetch, and
      // the second is the stricter ceiling.
      for (const [metric, path] of [
        ['s3_download_shaped_4_of_ceiling', 'fetch'],
        ['s3_download_shaped_4_of_own_unshaped_path', 'app'],
      ] as const) {
        const ceiling = Math.min((4 * SHAPED.bytesPerSecond) / MiB, rates.get(at(path, 'unshaped', 4))!);
        ctx.report({
          metric,
          value: round(rates.get(at('app', 'shaped', 4))! / ceiling),
          unit: 'ratio',
          ceiling_mib_s: round(ceiling, 1),
          aim: '≥ 0.9',
        });
      }
      ctx.report({
        metric: 's3_download_shaped_gain_4_over_1',
        value: round(rates.get(at('app', 'shaped', 4))! / rates.get(at('app', 'shaped', 1))!),
        unit: 'ratio',
      });
      ctx.note(
        [
          `S3 download of ${size / MiB} MiB, MiB/s (shaped: ${SHAPED.bytesPerSecond / MiB} MiB/s per connection, ${SHAPED.rttMs} ms RTT):`,
          '  link       conns    app    curl   fetch    read    blob   app/curl  app/fetch  app/read  blob/curl',
          ...(['unshaped', 'shaped'] as const).flatMap((link) =>
            CONNECTIONS.map((c) => {
              const [a, u, f, r, b] = (['app', 'curl', 'fetch', 'read', 'blob'] as const).map((k) => rates.get(at(k, link, c))!);
              const cell = (v: number, w: number, d = 1) => v.toFixed(d).padStart(w);
              return `  ${link.padEnd(9)} ${String(c).padStart(5)} ${cell(a!, 6)} ${cell(u!, 7)} ${cell(f!, 7)} ${cell(r!, 7)} ${cell(b!, 7)} ${cell(a! / u!, 10, 2)} ${cell(a! / f!, 10, 2)} ${cell(a! / r!, 9, 2)} ${cell(b! / u!, 10, 2)}`;
            }),
          ),
        ].join('\n'),
      );
      ctx.note(`The app's last download ended with: ${lastCheck.replace(/\s+/g, ' ').slice(0, 160)}`);
    } finally {
      await browser.close();
      await bridge.close();
      await lab.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** A presigned URL for the object, from credentials the lab vends (curl and the bare fetch use it). */
async function presignedUrl(lab: Lab, key: string): Promise<string> {
  const creds = lab.identityPool.vend(await lab.identityPool.identityIdFor('001010000000001'));
  const s3 = new S3Client({
    region: lab.region,
    endpoint: lab.urls.s3,
    forcePathStyle: true,
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken },
  });
  try {
    return await getSignedUrl(s3, new GetObjectCommand({ Bucket: lab.bucket, Key: key }), { expiresIn: 3600 });
  } finally {
    s3.destroy();
  }
}

/** curl to files on the same disk: one process per range, all at once; the time until the last ends. */
async function curlSeconds(url: string, size: number, connections: number, dir: string): Promise<number> {
  const step = Math.ceil(size / connections);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, i) => {
      const start = i * step;
      const end = Math.min(size, start + step) - 1;
      const file = join(dir, `curl-${i}.bin`);
      const args = ['-sS', '-o', file, '-w', '%{http_code} %{size_download}', ...(connections > 1 ? ['-r', `${start}-${end}`] : []), url];
      const { stdout } = await promisify(execFile)('curl', args, { timeout: 900_000 });
      const [status, fetched] = stdout.trim().split(' ');
      const want = end - start + 1;
      if (Number(fetched) !== want || statSync(file).size !== want) {
        throw new Error(`curl fetched ${fetched} bytes of ${want} (HTTP ${status}${s3ErrorIn(file)})`);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  for (let i = 0; i < connections; i++) rmSync(join(dir, `curl-${i}.bin`), { force: true });
  return seconds;
}

/** S3's error code and message when a small answer is S3's error XML (so a failed run says why), else ''. */
function s3ErrorIn(file: string): string {
  if (statSync(file).size > 4096) return '';
  const xml = readFileSync(file, 'utf8');
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  const code = field('Code');
  return code === undefined ? '' : `: S3 ${code}: ${field('Message') ?? 'no message'}`;
}

/**
 * The floor the app is held to: the page's own fetch of the presigned URL piped into an OPFS file's
 * createWritable (over `connections` ranges, each written at its position), nothing else.
 */
async function bareFetchSeconds(page: Page, url: string, size: number, connections: number): Promise<number> {
  const seconds = await page.evaluate(
    async ({ url, size, connections }) => {
      const root = await navigator.storage.getDirectory();
      const handle = await root.getFileHandle('bare-fetch.bin', { create: true });
      const t0 = performance.now();
      const writable = await handle.createWritable();
      if (connections === 1) {
        const res = await fetch(url, { cache: 'no-store' });
        await res.body!.pipeTo(writable);
      } else {
        const writer = writable.getWriter();
        const step = Math.ceil(size / connections);
        await Promise.all(
          Array.from({ length: connections }, async (_, i) => {
            let position = i * step;
            const end = Math.min(size, position + step) - 1;
            const res = await fetch(url, { cache: 'no-store', headers: { range: `bytes=${position}-${end}` } });
            const reader = res.body!.getReader();
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              await writer.write({ type: 'write', position, data: value });
              position += value.byteLength;
            }
          }),
        );
        await writer.close();
      }
      const took = (performance.now() - t0) / 1000;
      const saved = (await handle.getFile()).size;
      await root.removeEntry('bare-fetch.bin');
      if (saved !== size) throw new Error(`the bare fetch saved ${saved} bytes of ${size}`);
      return took;
    },
    { url, size, connections },
  );
  return seconds;
}

/**
 * What any page that looks at every byte (as the app must, for the MD5) can take at most here: the
 * page's fetch of the presigned URL over `connections` ranges, each byte read and dropped.
 */
async function readOnlySeconds(page: Page, url: string, size: number, connections: number): Promise<number> {
  return page.evaluate(
    async ({ url, size, connections }) => {
      const step = Math.ceil(size / connections);
      const t0 = performance.now();
      const counts = await Promise.all(
        Array.from({ length: connections }, async (_, i) => {
          const start = i * step;
          const end = Math.min(size, start + step) - 1;
          const res = await fetch(url, { cache: 'no-store', headers: connections > 1 ? { range: `bytes=${start}-${end}` } : {} });
          const reader = res.body!.getReader();
          let n = 0;
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return n;
            n += value.byteLength;
          }
        }),
      );
      const took = (performance.now() - t0) / 1000;
      const read = counts.reduce((a, b) => a + b, 0);
      if (read !== size) throw new Error(`the read-only fetch read ${read} bytes of ${size}`);
      return took;
    },
    { url, size, connections },
  );
}

/** The most a request can carry into a Blob before it is written: the app's own bound for a part read whole. */
const BLOB_PIECE_BYTES = 64 * MiB;

/**
 * What the browser carries into a File System Access file with no byte passing through the page:
 * each of `connections` ranges fetched in 64 MiB pieces with `fetch().blob()`, each Blob written at
 * its position. No page that checks every byte (as the app must) can pass it.
 */
async function blobOnlySeconds(page: Page, url: string, size: number, connections: number): Promise<number> {
  return page.evaluate(
    async ({ url, size, connections, piece }) => {
      const root = await navigator.storage.getDirectory();
      const handle = await root.getFileHandle('blob-only.bin', { create: true });
      const step = Math.ceil(size / connections);
      const t0 = performance.now();
      const writer = (await handle.createWritable()).getWriter();
      await Promise.all(
        Array.from({ length: connections }, async (_, i) => {
          const end = Math.min(size, (i + 1) * step);
          for (let position = i * step; position < end; position += piece) {
            const last = Math.min(end, position + piece) - 1;
            const res = await fetch(url, { cache: 'no-store', headers: { range: `bytes=${position}-${last}` } });
            await writer.write({ type: 'write', position, data: await res.blob() });
          }
        }),
      );
      await writer.close();
      const took = (performance.now() - t0) / 1000;
      const saved = (await handle.getFile()).size;
      await root.removeEntry('blob-only.bin');
      if (saved !== size) throw new Error(`the Blob-only fetch saved ${saved} bytes of ${size}`);
      return took;
    },
    { url, size, connections, piece: BLOB_PIECE_BYTES },
  );
}

/** The app's own download over `connections`, timed from the click to "done", with the worker's heap sampled meanwhile. */
async function appSeconds(
  context: BrowserContext,
  page: Page,
  name: string,
  connections: number,
): Promise<{ seconds: number; check: string; heap: { worker: number; workerWithBuffers: number; samples: number } }> {
  await page.getByLabel('Connections per download').selectOption(String(connections));
  for (const dismiss of await page.locator('.download').getByRole('button', { name: 'Dismiss' }).all()) await dismiss.click();
  const heap = await heapSampler(context, page);
  const t0 = performance.now();
  await page
    .getByRole('table')
    .getByRole('row', { name: new RegExp(name.replace('.', '\\.')) })
    .getByRole('button', { name: 'Download' })
    .click();
  const done = page.locator('.download[data-status="done"]');
  await done.waitFor({ timeout: 900_000 });
  const seconds = (performance.now() - t0) / 1000;
  const peak = await heap.stop();
  const check = await done.innerText();
  await page.evaluate(async (n) => {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(n).catch(() => undefined);
  }, name);
  return { seconds, check, heap: peak };
}
