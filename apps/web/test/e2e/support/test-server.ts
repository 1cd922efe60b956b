import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { Lab } from '@krypton-web/krypton-lab';

/**
 * A stand-in for the bridge until it lands (docs/decisions/0004-bridge-contract.md): serves the
 * built app, answers `GET /api/config`, and proxies `POST /krypton/<target>/v1/keys…` and
 * `/v1/provisioning/…` to the lab (passing Content-Type and x-soracom-* headers, returning status,
 * body, Content-Type and Date). SORACOM's own targets answer 502: tests never leave the machine.
 */
export interface TestServer {
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

const PROXY_PATH = /^\/krypton\/(global|japan|cellular|lab|lab-cellular)(\/v1\/(?:keys(?:\/[^/?#]+\/verify)?|provisioning\/[A-Za-z0-9_/.-]+))$/;

export async function startTestServer(options: { webRoot: string; lab: Lab }): Promise<TestServer> {
  const { webRoot, lab } = options;
  const targets: Record<string, string | undefined> = { lab: lab.urls.provisioning, 'lab-cellular': lab.urls.cellular };
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/api/config') {
      const body = {
        mode: 'demo',
        rawApdu: false,
        endpoints: { global: '/krypton/global', japan: '/krypton/japan', cellular: '/krypton/cellular', lab: '/krypton/lab', labCellular: '/krypton/lab-cellular' },
        lab: { cognito: lab.urls.cognito, s3: lab.urls.s3, region: lab.region, bucket: lab.bucket },
      };
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
      return;
    }
    const proxy = PROXY_PATH.exec(url.pathname);
    if (proxy) {
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST' });
        res.end();
        return;
      }
      const base = targets[proxy[1]!];
      if (!base) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'BRG0502', message: 'no network in tests' }));
        return;
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if ((k === 'content-type' || k.startsWith('x-soracom-')) && typeof v === 'string') headers[k] = v;
      const answer = await fetch(`${base}${proxy[2]}`, { method: 'POST', headers, body: Buffer.concat(chunks) });
      const out: Record<string, string> = {};
      for (const k of ['content-type', 'date']) {
        const v = answer.headers.get(k);
        if (v) out[k] = v;
      }
      res.writeHead(answer.status, out);
      res.end(Buffer.from(await answer.arrayBuffer()));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405);
      res.end();
      return;
    }
    const path = url.pathname === '/' ? '/index.html' : decodeURIComponent(url.pathname);
    const file = normalize(join(webRoot, path));
    if (!file.startsWith(webRoot + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
