import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureWebAppBuilt } from '@krypton-web/build/web-app';
import { ROOT } from '@krypton-web/build/workspace';
import { connectCardToVpcd, findSim, startLab, VirtualUsim } from '@krypton-web/krypton-lab';
import { enableLoopbackQuickAck, startPcscd, type LoopbackQuickAck } from '@krypton-web/krypton-lab/rigs';
import { PcscService } from '@krypton-web/sim-transport/node';
import { median, round, type BenchContext, type Suite } from '../metric.ts';

const CLI = join(ROOT, 'apps', 'cli', 'bin', 'krypton-cli');
const START = join(ROOT, 'apps', 'bridge', 'bin', 'start.js');
const GNU_TIME = '/usr/bin/time';

/**
 * Wall time (ms) and peak RSS (KiB, through GNU time when installed) of one run of a command. Never
 * spawnSync: the command may be talking to a lab that runs in this process.
 */
async function runOnce(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ ms: number; rssKiB: number | undefined }> {
  const timed = existsSync(GNU_TIME);
  const [file, ...rest] = timed ? [GNU_TIME, '-f', '%M', ...args] : args;
  const t0 = performance.now();
  const child = spawn(file!, rest, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${stderr}`);
  const rss = timed ? Number(stderr.trim().split('\n').at(-1)) : undefined;
  return { ms, rssKiB: Number.isFinite(rss) ? rss : undefined };
}

/** Median wall time and RSS over `n` runs, after one warm-up (the page cache, a stale bundle rebuilt). */
async function measure(args: string[], n: number, env?: NodeJS.ProcessEnv): Promise<{ ms: number; rssMiB: number | undefined }> {
  await runOnce(args, env);
  const runs: { ms: number; rssKiB: number | undefined }[] = [];
  for (let i = 0; i < n; i++) runs.push(await runOnce(args, env));
  const rss = runs.map((r) => r.rssKiB).filter((x): x is number => x !== undefined);
  return { ms: median(runs.map((r) => r.ms)), rssMiB: rss.length ? median(rss) / 1024 : undefined };
}

/** `krypton-cli -version` and `lab --help` beside a bare `node -e ""`, from their bundles and (for comparison) from source through tsx. */
async function startUp(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 5 : 15;
  const bare = await measure([process.execPath, '-e', ''], n);
  ctx.report({
    metric: 'bare_node_start',
    value: round(bare.ms, 1),
    unit: 'ms',
    rss_mib: bare.rssMiB === undefined ? undefined : round(bare.rssMiB, 1),
  });
  const cli = await measure([process.execPath, CLI, '-version'], n);
  ctx.report({
    metric: 'cli_version_start',
    value: round(cli.ms, 1),
    unit: 'ms',
    vs_bare_node: round(cli.ms / bare.ms, 2),
    aim: '≤ 3 × bare node',
  });
  if (cli.rssMiB !== undefined)
    ctx.report({
      metric: 'cli_version_rss',
      value: round(cli.rssMiB, 1),
      unit: 'MiB',
      bare_node_mib: round(bare.rssMiB!, 1),
      aim: '< 60 MiB',
    });
  else ctx.note('GNU time (/usr/bin/time, Debian package "time") is not installed: peak RSS not measured');
  const fromSource = await measure([process.execPath, CLI, '-version'], ctx.quick ? 2 : 5, {
    ...process.env,
    KRYPTON_WEB_FROM_SOURCE: '1',
  });
  ctx.report({
    metric: 'cli_version_start_from_source',
    value: round(fromSource.ms, 1),
    unit: 'ms',
    vs_bundle: round(fromSource.ms / cli.ms, 1),
    rss_mib: fromSource.rssMiB === undefined ? undefined : round(fromSource.rssMiB, 1),
    note: 'tsx, development only',
  });
  const lab = await measure([process.execPath, join(ROOT, 'packages', 'krypton-lab', 'bin', 'lab.js'), '--help'], n);
  ctx.report({ metric: 'lab_help_start', value: round(lab.ms, 1), unit: 'ms', vs_bare_node: round(lab.ms / bare.ms, 2) });
}

/** A whole first-run token (no cached key) from the krypton-cli process through pcscd, vpcd and the virtual card. */
async function firstRunToken(ctx: BenchContext): Promise<void> {
  delete process.env.PCSCLITE_CSOCK_NAME;
  const [pcscd, lab] = await Promise.all([startPcscd(), startLab()]);
  let quickAck: LoopbackQuickAck | undefined;
  let service: PcscService | undefined;
  let card: ReturnType<typeof connectCardToVpcd> | undefined;
  const home = mkdtempSync(join(tmpdir(), 'krypton-bench-cli-'));
  try {
    let host = '127.0.0.1';
    let route = 'plain vpcd (about 40 ms of delayed-ACK stall per APDU)';
    try {
      quickAck = await enableLoopbackQuickAck();
      host = quickAck.address;
      route = 'quick-ACK loopback route';
    } catch (e) {
      ctx.note(`quick-ACK route not set (${(e as Error).message}): the token time includes vpcd's stalls`);
    }
    card = connectCardToVpcd({ host, port: pcscd.vpcdPort, card: await VirtualUsim.create(findSim(lab.profiles, 'demo')) });
    await card.whenConnected();
    service = await PcscService.open();
    await service.waitForCard({ reader: pcscd.readerName, timeoutMs: 10_000 });
    const args = [
      process.execPath,
      CLI,
      '-interface',
      'iso7816',
      '-keys-api-endpoint-url',
      lab.urls.keys,
      '-provisioning-api-endpoint-url',
      lab.urls.provisioning,
      '-operation',
      'generateAmazonCognitoOpenIdToken',
      '-disable-key-cache',
    ];
    const env = { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, 'cache'), XDG_CONFIG_HOME: join(home, 'config') };
    const keysBefore = lab.keys.size;
    const runs = ctx.quick ? 3 : 9;
    const r = await measure(args, runs, env);
    // Every run agreed a key of its own: none reused a cached one.
    if (lab.keys.size - keysBefore !== runs + 1)
      throw new Error(`expected ${runs + 1} key agreements, the lab saw ${lab.keys.size - keysBefore}`);
    ctx.report({
      metric: 'cli_first_run_token',
      value: round(r.ms, 0),
      unit: 'ms',
      route,
      link: 'pcscd + vpcd + virtual USIM',
      aim: '< 300 ms',
    });
  } finally {
    await service?.close();
    await card?.close();
    await quickAck?.disable();
    await Promise.all([pcscd.stop(), lab.close()]);
    rmSync(home, { recursive: true, force: true });
  }
}

/** Milliseconds from spawning a command (in its own process group) until `port` answers `/`; the group is stopped after. */
async function timeToAnswer(file: string, args: string[], port: number): Promise<number> {
  const t0 = performance.now();
  const child = spawn(file, [...args, '--port', String(port)], { cwd: ROOT, stdio: 'ignore', detached: true });
  try {
    for (;;) {
      const answered = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.ok,
        () => false,
      );
      if (answered) return performance.now() - t0;
      if (performance.now() - t0 > 60_000) throw new Error(`${file} ${args.join(' ')} did not answer within 60 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    const exited = once(child, 'exit');
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
}

/** `pnpm start` and its bin (bundles and web app already built) until the page answers. */
async function startAnswering(ctx: BenchContext): Promise<void> {
  // Built first (bundles and web app), as the figure is for a built app.
  execFileSync(process.execPath, [join(ROOT, 'tools', 'build', 'src', 'cli.mjs')], { stdio: 'ignore' });
  await ensureWebAppBuilt();
  const runs = ctx.quick ? 3 : 7;
  const measure = async (file: string, args: string[], firstPort: number) => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await timeToAnswer(file, args, firstPort + i));
    return round(median(times), 0);
  };
  ctx.report({
    metric: 'start_to_answering',
    value: await measure('pnpm', ['start'], 18_900),
    unit: 'ms',
    command: 'pnpm start (built)',
    aim: '< 1000 ms',
  });
  ctx.report({
    metric: 'start_bin_to_answering',
    value: await measure(process.execPath, [START], 18_950),
    unit: 'ms',
    command: 'node apps/bridge/bin/start.js (built), without pnpm',
    aim: '< 1000 ms',
  });
}

/** 0. The commands' start-up, from their bundles, beside bare Node in the same run. */
export const commandStart: Suite = {
  name: 'Command start-up',
  quick: true,
  async run(ctx) {
    await startUp(ctx);
    await startAnswering(ctx);
    await firstRunToken(ctx);
  },
};
