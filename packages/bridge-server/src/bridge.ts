import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import type { CardPathMemory } from '@krypton-web/krypton-core';
import type { Lab } from '@krypton-web/krypton-lab';
import { approvalsPage } from './http/approvals-page.ts';
import { approvalsGuard, hostGuard, ownPagesOnly, securityHeaders } from './http/guards.ts';
import { bridgeErrorHook, escapedErrorAnswer } from './http/http-error.ts';
import { kryptonProxy, SORACOM_TARGETS, type ProxyTargets } from './http/krypton-proxy.ts';
import { resolveLimits, type BridgeLimits } from './limits.ts';
import { Logger } from './log.ts';
import { ModemBackend, type ModemBackendOptions } from './modems/modem-backend.ts';
import { PcscReaderBackend } from './readers/pcsc-backend.ts';
import { bucketProbe } from './http/bucket-probe.ts';
import { BridgeProxyRecording } from './record/proxy-recording.ts';
import type { ReaderBackend } from './readers/reader-backend.ts';
import { SimSessions } from './readers/sim-sessions.ts';
import { AllowedHosts } from './security/allowed-hosts.ts';
import { ApprovalStore } from './security/approvals.ts';
import { canonicalOrigin, OriginPolicy } from './security/origin-policy.ts';
import type { RefusalLogOptions } from './security/refusal-log.ts';
import { WsGateway } from './ws/ws-gateway.ts';

/** The bridge's name in its hello. */
export const BRIDGE_NAME = 'krypton-web-bridge/0.1.0';

/** How to start the bridge. */
export interface BridgeOptions {
  /** Port on 127.0.0.1 (default 8787; 0 picks a free one). */
  port?: number;
  /** Also listen on [::1]. */
  ipv6?: boolean;
  /** Demo mode: mount the lab (virtual SIM reader, emulated Krypton, Cognito, S3). A running lab may be given. */
  lab?: boolean | Lab;
  /** Origins approved from the start (development: the Vite dev server). */
  allowOrigins?: string[];
  /** Origins the person expects to ask for approval (`--expect-origin`): the approval queue always keeps room for them. */
  expectOrigins?: string[];
  /** Raw APDU passthrough (developers only; announced at start). */
  rawApdu?: boolean;
  /** The built web app to serve; without one, `/` says the app is not built. */
  webRoot?: string;
  /** Use PC/SC readers through pcscd (default true). */
  pcsc?: boolean;
  /** Reader backends besides PC/SC (default: the demo's virtual reader and demo stack when the lab is mounted). */
  readers?: ReaderBackend[];
  /**
   * USB modems (`--modem PATH` adds ports by name): listed beside the readers and opened as SIM sessions.
   * Default: USB serial ports are listed, unless `readers` is given (tests), where only what is named here is; false: none.
   */
  modems?: ModemBackendOptions | false;
  /** Rates, sizes and timeouts to enforce instead of the defaults (tests shorten the timeouts). */
  limits?: Partial<BridgeLimits>;
  /** What the Krypton proxy calls upstream with (default: fetch; tests count what leaves the bridge). */
  upstreamFetch?: typeof fetch;
  log?: Logger;
  /** How refused connections and approval requests are logged (tests shorten the window or inject a clock). */
  refusalLog?: Partial<RefusalLogOptions> & { now?: () => number };
  /**
   * A directory where each SIM session's transcript is written when it ends, with its page's Krypton calls
   * through the proxy; calls of a page holding no session go to one proxy transcript per run, appended as
   * they happen (`--record DIR`; secrets masked).
   */
  recordDir?: string;
  /** Where what each card make refused is remembered (the bridge command: a file beside krypton-cli's; default: memory). */
  cardPaths?: CardPathMemory;
}

/** A running bridge. */
export interface RunningBridge {
  url: string;
  port: number;
  /** Every address it listens on. */
  addresses: AddressInfo[];
  approvals: ApprovalStore;
  lab: Lab | undefined;
  /** Closes sessions, releases pcscd, stops the lab it started, and stops listening. */
  close(): Promise<void>;
}

/** Whether a path has a segment starting with '.' (as sent, or once percent-decoded). */
function hasDotSegment(path: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return true;
  }
  return [path, decoded].some((p) => p.split(/[/\\]/).some((segment) => segment.startsWith('.')));
}

/** Starts the bridge on loopback. */
export async function startBridge(options: BridgeOptions = {}): Promise<RunningBridge> {
  const log = options.log ?? new Logger();
  const limits = resolveLimits(options.limits);
  const approvals = new ApprovalStore();
  for (const o of options.allowOrigins ?? []) {
    const canonical = canonicalOrigin(o);
    if (!canonical || canonical !== o.replace(/\/$/, ''))
      throw new Error(`--allow-origin needs an origin like http://localhost:5173, not "${o}"`);
    approvals.preApprove(canonical);
  }
  for (const o of options.expectOrigins ?? []) {
    const canonical = canonicalOrigin(o);
    if (!canonical || canonical !== o.replace(/\/$/, ''))
      throw new Error(`--expect-origin needs an origin like http://localhost:5173, not "${o}"`);
    approvals.expect(canonical);
  }
  // The lab (its servers, s3rver, jose, x509) is loaded only in demo mode: the live bridge never imports it.
  // In the background: the page answers while s3rver starts and is seeded (its first request waits).
  const ownLab = options.lab === true ? await (await import('@krypton-web/krypton-lab')).startLab({ background: true }) : undefined;
  const lab = ownLab ?? (typeof options.lab === 'object' ? options.lab : undefined);

  const backends: ReaderBackend[] = [];
  let pcsc: PcscReaderBackend | undefined;
  if (options.pcsc ?? true) {
    pcsc = new PcscReaderBackend(log);
    await pcsc.start();
    backends.push(pcsc);
  }
  if (options.readers) backends.push(...options.readers);
  // Demo mode offers the batch check a reader whose cards come and go, beside the steady demo reader.
  else if (lab) backends.push(new (await import('./virtual-reader.ts')).VirtualReaderBackend({ stack: true }));
  const modems = options.modems ?? (options.readers ? false : {});
  if (modems !== false) backends.push(new ModemBackend(log, modems));
  const sessions = new SimSessions(backends, log, options.rawApdu ?? false, limits.authenticates, options.recordDir, options.cardPaths);
  const recording =
    options.recordDir === undefined ? undefined : new BridgeProxyRecording(options.recordDir, (call) => sessions.recordingFor(call), log);

  // The app is built once the port is known: the Host and Origin allow-lists depend on it.
  let app: Hono | undefined;
  const servers: Server[] = [];
  const listen = (hostname: string, port: number) =>
    new Promise<{ server: Server; info: AddressInfo }>((resolve, reject) => {
      const server = serve(
        {
          // hono's hook sees only Errors: anything else thrown still ends in the typed answer, not the server's empty 500.
          fetch: async (req: Request) => {
            if (!app) return new Response('starting', { status: 503 });
            try {
              return await app.fetch(req);
            } catch (e) {
              return escapedErrorAnswer(e, req, log);
            }
          },
          hostname,
          port,
          serverOptions: {
            headersTimeout: limits.headersTimeoutMs,
            requestTimeout: limits.requestTimeoutMs,
            connectionsCheckingInterval: limits.timeoutCheckMs,
          },
        },
        (info) => resolve({ server: server as Server, info }),
      );
      (server as Server).once('error', reject);
    });
  const first = await listen('127.0.0.1', options.port ?? 8787).catch(async (e: NodeJS.ErrnoException) => {
    await Promise.allSettled([pcsc?.close(), ownLab?.close()]);
    throw e.code === 'EADDRINUSE'
      ? new Error(`Port ${options.port ?? 8787} is in use (another bridge?): stop it, or start with --port N`)
      : e;
  });
  servers.push(first.server);
  const port = first.info.port;
  if (options.ipv6) servers.push((await listen('::1', port)).server);

  const hosts = new AllowedHosts(port, { ipv6: options.ipv6 });
  const origins = new OriginPolicy(hosts, approvals);
  const url = `http://127.0.0.1:${port}`;
  const targets: ProxyTargets = { ...SORACOM_TARGETS };
  if (lab) {
    targets.lab = lab.urls.provisioning;
    targets['lab-cellular'] = lab.urls.cellular;
  }

  const webRoot = options.webRoot;
  const built = new Hono();
  // One hook for the whole app, sub-apps mounted with `route` included (none of them sets its own).
  built.onError(bridgeErrorHook(log));
  built.use('*', hostGuard(hosts));
  built.use('*', securityHeaders());
  built.use('/api/*', ownPagesOnly(origins));
  built.use('/approvals', approvalsGuard(origins));
  built.use('/approvals/*', approvalsGuard(origins));
  built.get('/api/config', (c) =>
    c.json({
      mode: lab ? 'demo' : 'live',
      bridge: BRIDGE_NAME,
      rawApdu: options.rawApdu ?? false,
      pcsc: pcsc
        ? pcsc.unavailable
          ? { available: false, reason: pcsc.unavailable }
          : { available: true }
        : { available: false, reason: 'disabled' },
      endpoints: Object.fromEntries(Object.keys(targets).map((t) => [t, `/krypton/${t}`])),
      // A page on another origin (behind a dev server's proxy) learns from this that it must ask for approval.
      origins: hosts.origins(),
      ...(lab ? { lab: { cognito: lab.urls.cognito, s3: lab.urls.s3, region: lab.region, bucket: lab.bucket } } : {}),
    }),
  );
  built.route(
    '/approvals',
    approvalsPage(approvals, (what, origin) => log.info(`origin ${what}`, { origin })),
  );
  built.route('/api/s3-bucket', bucketProbe(lab ? { labS3: lab.urls.s3 } : {}));
  built.route(
    '/krypton',
    kryptonProxy({
      targets,
      origins,
      approvals,
      log,
      timeoutMs: limits.upstreamTimeoutMs,
      ...(options.upstreamFetch ? { fetch: options.upstreamFetch } : {}),
      ...(recording ? { recording } : {}),
    }),
  );
  // Dotfiles of the build (`.built-from`, `.vite/manifest.json`) describe how it was made, not the app: never served.
  built.use('/*', async (c, next) => {
    if (hasDotSegment(c.req.path)) return c.json({ code: 'NOT_FOUND', message: 'Not found' }, 404);
    await next();
  });
  // Paths under the download service worker's scope are answered by that worker alone. One that reaches
  // the bridge was missed by it (not registered yet, replaced, or the page in a private window): answering
  // index.html there would load the app in the hidden download frame and leave the download waiting.
  built.all('/krypton-download/*', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json(
      {
        code: 'NOT_FOUND',
        message:
          'No download is waiting here: the page’s download service worker did not take this download. Start it again from the page; reload the page if it happens again.',
      },
      404,
    );
  });
  if (webRoot !== undefined && existsSync(webRoot)) {
    built.use('/*', serveStatic({ root: webRoot }));
    built.get('/*', serveStatic({ root: webRoot, path: 'index.html' }));
  } else {
    built.get('/', (c) => c.text('The web app is not built yet: run `pnpm start` (or `pnpm --filter @krypton-web/web build`).', 503));
  }
  built.all('*', (c) => c.json({ code: 'NOT_FOUND', message: 'Not found' }, 404));
  app = built;

  const gateway = new WsGateway({
    hosts,
    origins,
    approvals,
    sessions,
    log,
    bridgeName: BRIDGE_NAME,
    bridgeUrl: url,
    rawApdu: options.rawApdu ?? false,
    limits,
    ...(options.refusalLog ? { refusalLog: options.refusalLog } : {}),
  });
  for (const s of servers) gateway.attach(s, s === servers[0] ? backends : []);
  if (options.rawApdu) log.warn('RAW APDU PASSTHROUGH IS ON (--dev-raw-apdu): approved pages can send any command to the card');

  return {
    url,
    port,
    addresses: servers.map((s) => s.address() as AddressInfo),
    approvals,
    lab,
    close: async () => {
      await gateway.close();
      await sessions.closeAll();
      await recording?.close();
      await Promise.all(backends.map((b) => b.close()));
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
      await ownLab?.close();
    },
  };
}
