import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '@krypton-web/web-driver';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = resolve(here, '../..');
/** What pages and workers bundle: everything in the modem folder except the stdio command and the tests. */
const BROWSER_ENTRIES = ['index.ts', 'fake-web-serial.ts', 'fake-webusb.ts', 'huawei-modem.ts', 'emulator-channel.ts'].map((f) =>
  join(here, f),
);
/** Bare imports the browser side may use: the product's core, itself checked free of Node by its own hygiene test. */
const ALLOWED_PACKAGES = new Set(['@krypton-web/krypton-core']);

/**
 * Every file reachable from `entries` through relative imports, and every bare import met on the way,
 * except packages imported for types alone: those imports are erased before bundling, so nothing of
 * the package reaches a page (the fakes take their WebUSB and Web Serial shapes from sim-transport so).
 */
function importGraph(entries: string[]): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (files.includes(file)) continue;
    files.push(file);
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const m of code.matchAll(/(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) {
        if (!spec.endsWith('.json')) queue.push(resolve(dirname(file), spec));
      } else if (!/^(?:import|export)\s+type\s/.test(m[0])) packages.add(spec);
    }
  }
  return { files, packages };
}

describe('the modem emulator, the fake Web Serial and the fake WebUSB bundle into a page', () => {
  it('reach no Node built-in, Node global or unexpected package', () => {
    const { files, packages } = importGraph(BROWSER_ENTRIES);
    expect(files.map((f) => relative(packageRoot, f))).toEqual(
      expect.arrayContaining(['src/card/virtual-usim.ts', 'src/profiles/profile-set.ts']),
    );
    expect(files.map((f) => relative(packageRoot, f))).not.toContain('src/modem/modem-command.ts');
    expect([...packages].filter((p) => !ALLOWED_PACKAGES.has(p))).toEqual([]);
    const offenders = files.filter((file) => {
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      return /from ['"]node:|require\(|\bprocess\.|\bBuffer\b|__dirname/.test(code);
    });
    expect(offenders.map((f) => relative(packageRoot, f))).toEqual([]);
  });

  it('the stdio command is the one that is Node-only (the check above can see a Node import)', () => {
    const { packages } = importGraph([join(here, 'modem-command.ts')]);
    expect([...packages]).toContain('node:util');
  });

  it('builds for the browser with Vite, and runs in Chromium: reader loop, noise, line error, locked close, unplug', async () => {
    const out = await build({
      configFile: false,
      logLevel: 'silent',
      root: packageRoot,
      build: {
        write: false,
        minify: false,
        lib: { entry: join(here, 'fake-web-serial.ts'), formats: ['iife'], name: 'KryptonFakeSerial' },
      },
    });
    const outputs = (Array.isArray(out) ? out : [out]) as { output: { type: string; code?: string }[] }[];
    const code = outputs[0]!.output.find((o) => o.type === 'chunk')!.code!;
    expect(code).not.toMatch(/from ['"]node:|require\(['"]node:/);

    const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
    if (!chromium || spawnSync(chromium, ['--version']).status !== 0) {
      // The bundle is the requirement; the browser run needs Debian's chromium (see krypton-protocol.md §10).
      console.warn('chromium not found: the fake Web Serial was bundled but not run in a browser');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'fake-serial-page-'));
    try {
      writeFileSync(
        join(dir, 'page.html'),
        `<!doctype html><html><body><pre id="out">pending</pre><script>${code.replace(/<\/script/gi, '<\\/script')}</script><script>${PAGE_SCRIPT}</script></body></html>`,
      );
      const dom = await runChromium(chromium, join(dir, 'page.html'), join(dir, 'profile'));
      const m = /<pre id="out">([^<]*)<\/pre>/.exec(dom);
      expect(m, dom.slice(0, 400)).not.toBeNull();
      const results = JSON.parse(decodeURIComponent(m![1]!)) as Record<string, unknown>;
      expect(results).toEqual({
        installed: true,
        info: { usbVendorId: 0x12d1, usbProductId: 0x1506 },
        echoOff: 'ATE0\r\r\nOK\r\n',
        imsi: ['001010000000001', 'OK'],
        select: ['+CSIM: 4,"9000"', 'OK'],
        lineError: 'ParityError',
        freshReadable: true,
        afterLineError: ['MS2131', 'OK'],
        lockedClose: 'TypeError',
        unplugRead: 'NetworkError: The device has been lost.',
        readableAfterUnplug: null,
        disconnectTargetIsPort: true,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Headless Chromium with this machine's flags (web-driver's, as krypton-protocol.md §10 gives them); returns the DOM once the page's timers settle. */
async function runChromium(chromium: string, page: string, profile: string): Promise<string> {
  const args = [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, '--virtual-time-budget=20000', '--dump-dom', `file://${page}`];
  // Detached: on a timeout the whole browser (its zygote and helpers) goes with one group kill.
  const child = spawn(chromium, args, { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  let dom = '';
  child.stdout.on('data', (c: Buffer) => (dom += c.toString()));
  const timer = setTimeout(() => {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }, 45_000);
  await new Promise((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return dom;
}

/** Runs in the page: drives the fake through what a Web Serial client meets, and writes the results into #out. */
const PAGE_SCRIPT = String.raw`
(async () => {
  const r = {};
  try {
    const fake = KryptonFakeSerial.installFakeSerial(window, { modem: { urcNoise: { intervalMs: 0, midResponseRate: 0.5, seed: 4 } } });
    r.installed = navigator.serial === fake;
    const port = await navigator.serial.requestPort({ filters: [{ usbVendorId: 0x12d1 }] });
    r.info = port.getInfo();
    await port.open({ baudRate: 115200 });
    let reader = port.readable.getReader();
    let seen = '';
    const until = async (re) => {
      while (!re.test(seen)) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        seen += new TextDecoder('latin1').decode(value);
      }
      const s = seen;
      seen = '';
      return s;
    };
    const lines = (s) => s.split('\r\n').filter((l) => l && !/^(\^|RING|\+CEREG)/.test(l));
    const send = async (line) => {
      const writer = port.writable.getWriter();
      await writer.write(new TextEncoder().encode(line + '\r'));
      writer.releaseLock();
    };
    await send('ATE0');
    r.echoOff = (await until(/OK\r\n$/)).replace(/\r\n(\^[^\r]*|RING)\r\n/g, '');
    await send('AT+CIMI');
    r.imsi = lines(await until(/OK\r\n$/));
    await send('AT+CSIM=14,"00A4080C022FE2"');
    r.select = lines(await until(/OK\r\n$/));

    const before = port.readable;
    const pending = reader.read();
    port.injectReadError('ParityError');
    try { await pending; } catch (e) { r.lineError = e.name; }
    reader.releaseLock();
    r.freshReadable = port.readable !== before && port.readable !== null;
    reader = port.readable.getReader();
    await send('AT+CGMM');
    r.afterLineError = lines(await until(/OK\r\n$/));

    try { await port.close(); } catch (e) { r.lockedClose = e.name; }

    r.disconnectTargetIsPort = false;
    navigator.serial.addEventListener('disconnect', (e) => { r.disconnectTargetIsPort = e.target === port; });
    const lost = reader.read();
    port.unplug();
    try { await lost; } catch (e) { r.unplugRead = e.name + ': ' + e.message; }
    r.readableAfterUnplug = port.readable;
  } catch (e) {
    r.failure = String(e && e.stack || e);
  }
  document.getElementById('out').textContent = encodeURIComponent(JSON.stringify(r));
})();
`;
