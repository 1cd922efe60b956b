/**
 * What each entry point loads, read from the module graph esbuild builds for it (static imports
 * load at start; dynamic imports load only on the path that takes them): the browser entries need
 * no native module and nothing of Node, the live bridge loads no lab, and krypton-cli's start loads
 * neither the AWS SDK nor a native module.
 */
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { moduleGraph } from '@krypton-web/build/bundle';
import { ROOT } from './workspace.test-support.ts';

/** Inputs and external modules reachable from the entry through static imports only. */
function loadedAtStart(meta: Metafile): { inputs: Set<string>; externals: Set<string>; dynamicExternals: Set<string> } {
  const entry = Object.values(meta.outputs).find((o) => o.entryPoint)!.entryPoint!;
  const inputs = new Set<string>();
  const externals = new Set<string>();
  const dynamicExternals = new Set<string>();
  const visit = (file: string): void => {
    if (inputs.has(file)) return;
    inputs.add(file);
    for (const i of meta.inputs[file]?.imports ?? []) {
      if (i.external) (i.kind === 'dynamic-import' ? dynamicExternals : externals).add(i.path);
      else if (i.kind !== 'dynamic-import') visit(i.path);
    }
  };
  visit(entry);
  // External modules imported dynamically from anywhere in the bundle.
  for (const input of Object.values(meta.inputs))
    for (const i of input.imports) if (i.external && i.kind === 'dynamic-import') dynamicExternals.add(i.path);
  return { inputs, externals, dynamicExternals };
}

const graph = (dir: string, entry: string, platform: 'node' | 'browser' = 'node') =>
  moduleGraph({ packageDir: join(ROOT, dir), name: 'graph', entry, platform, quiet: true });
const NATIVE = /\/node_modules\/(pcsclite|serialport|@serialport)\//;
const NODE_BUILTIN = /^(node:)?[a-z_]+(\/[a-z_]+)?$/;

describe('module graphs', () => {
  it('krypton-core, bundled for a browser, imports nothing of Node and no native module', async () => {
    const meta = await graph('packages/krypton-core', 'src/index.ts', 'browser');
    const all = Object.values(meta.inputs).flatMap((i) => i.imports.filter((x) => x.external).map((x) => x.path));
    expect(all.filter((p) => NATIVE.test(p) || NODE_BUILTIN.test(p))).toEqual([]);
    expect(Object.keys(meta.inputs).filter((p) => !p.includes('krypton-core/') && !p.includes('node_modules'))).toEqual([]);
  });

  it("sim-transport's browser entry imports nothing of Node and no native module", async () => {
    const meta = await graph('packages/sim-transport', 'src/index.ts', 'browser');
    const all = Object.values(meta.inputs).flatMap((i) => i.imports.filter((x) => x.external).map((x) => x.path));
    expect(all.filter((p) => NATIVE.test(p) || NODE_BUILTIN.test(p))).toEqual([]);
  });

  it('sim-check, bundled for a browser, imports nothing of Node and no native module', async () => {
    const meta = await graph('packages/sim-check', 'src/index.ts', 'browser');
    const all = Object.values(meta.inputs).flatMap((i) => i.imports.filter((x) => x.external).map((x) => x.path));
    expect(all.filter((p) => NATIVE.test(p) || NODE_BUILTIN.test(p))).toEqual([]);
  });

  it("sim-transport's Node entry loads pcsclite and serialport only when a PC/SC or serial link opens", async () => {
    const start = loadedAtStart(await graph('packages/sim-transport', 'src/node.ts'));
    expect([...start.externals].filter((p) => NATIVE.test(p))).toEqual([]);
    expect([...start.dynamicExternals].filter((p) => /\/node_modules\/pcsclite\//.test(p))).toHaveLength(1);
    expect([...start.dynamicExternals].filter((p) => /\/node_modules\/serialport\//.test(p)).length).toBeGreaterThan(0);
  });

  it('the live bridge (`pnpm bridge` without --lab) loads no lab module at start; --lab loads it on demand', async () => {
    const meta = await graph('apps/bridge', 'src/cli.ts');
    const start = loadedAtStart(meta);
    expect([...start.inputs].filter((p) => p.includes('packages/krypton-lab/'))).toEqual([]);
    expect([...start.externals].filter((p) => /\/node_modules\/(s3rver|jose|@peculiar|@aws-sdk)\//.test(p))).toEqual([]);
    // The lab is in the bundle all the same, behind a dynamic import.
    expect(Object.keys(meta.inputs).some((p) => p.includes('packages/krypton-lab/src/server/lab.ts'))).toBe(true);
  });

  it('krypton-cli starts without the AWS SDK, the lab servers or a native module', async () => {
    const start = loadedAtStart(await graph('apps/cli', 'src/main.ts'));
    expect([...start.externals].filter((p) => NATIVE.test(p) || /\/node_modules\/(@aws-sdk|s3rver|jose|@peculiar)\//.test(p))).toEqual([]);
  });

  it('check-sims is a bundle of its own: krypton-cli never reaches its code, and it loads the AWS SDK and native modules only when a check or an upload needs them', async () => {
    const cli = await graph('apps/cli', 'src/main.ts');
    expect(Object.keys(cli.inputs).filter((p) => p.includes('apps/cli/src/check-sims/'))).toEqual([]);
    const start = loadedAtStart(await graph('apps/cli', 'src/check-sims/main.ts'));
    expect([...start.externals].filter((p) => NATIVE.test(p) || /\/node_modules\/(@aws-sdk|s3rver|jose|@peculiar)\//.test(p))).toEqual([]);
    expect([...start.inputs].filter((p) => p.includes('packages/krypton-lab/'))).toEqual([]);
    expect([...start.dynamicExternals].filter((p) => /\/node_modules\/@aws-sdk\/client-s3\//.test(p)).length).toBeGreaterThan(0);
  });
});
