/**
 * The workspace's dependencies run one way: every edge, in a package.json or in an import, goes from
 * a higher layer to a lower one; nothing depends on an app; nothing shipped imports a test helper;
 * and a runtime dependency is one the shipped code uses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTestFile, isTestHelper, packageOf, packages, resolveRelative, ROOT, sourceFiles, type Pkg } from './workspace.test-support.ts';

/**
 * Where each package sits. An edge may only point to a strictly lower layer; apps (apps/*) sit on
 * top and nothing may point to them. A new package must be placed here.
 */
const LAYER: Record<string, number> = {
  '@krypton-web/krypton-core': 0, // the protocol, WebCrypto + fetch only, owns the APDU transport contract
  '@krypton-web/build': 0, // the workspace's own build (bundles, the web app's build)
  '@krypton-web/sim-transport': 1, // links to the SIM, on core's contract
  '@krypton-web/sim-check': 1, // one SIM's check and the batch report, for the web app and the CLI
  '@krypton-web/web-driver': 1, // a real browser driving the built web app
  '@krypton-web/krypton-lab': 2, // stand-ins for hardware and clouds
  '@krypton-web/integration': 3, // tests of the packages against each other and the lab
  '@krypton-web/bridge-server': 4, // the bridge as a library
  '@krypton-web/bench': 5, // pnpm bench
};
const APP_LAYER = 100;
/** Packages that exist only for tests: only test files may import them. */
const TEST_ONLY = new Set(['@krypton-web/integration']);

const all = packages();
const byName = new Map(all.map((p) => [p.name, p]));
const isApp = (p: Pkg) => p.dir.startsWith('apps/');
const layerOf = (p: Pkg) => (isApp(p) ? APP_LAYER : LAYER[p.name]);
const files = new Map(all.map((p) => [p.name, sourceFiles(p)]));
/** Modules others load by name: package exports and the commands' bundle entries. */
const entryPoints = new Set(
  all.flatMap((p) =>
    [...Object.values(p.json.exports ?? {}), ...Object.values(p.json.bundles ?? {})].map((e) => `${p.dir}/${e.replace(/^\.\//, '')}`),
  ),
);

type Kind = 'dependencies' | 'devDependencies' | 'peerDependencies' | 'optionalDependencies';
const KINDS: Kind[] = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
const ours = (deps: Record<string, string> | undefined) => Object.keys(deps ?? {}).filter((d) => byName.has(d));

/** Every edge between workspace packages: declared in a manifest or made by an import. */
function edges(): { from: string; to: string; why: string }[] {
  const out: { from: string; to: string; why: string }[] = [];
  for (const p of all) {
    for (const kind of KINDS) for (const d of ours(p.json[kind])) out.push({ from: p.name, to: d, why: `${p.dir}/package.json ${kind}` });
    for (const f of files.get(p.name)!) {
      for (const spec of f.imports) {
        const target = packageOf(spec);
        if (target && byName.has(target) && target !== p.name) out.push({ from: p.name, to: target, why: `${f.path} imports ${spec}` });
      }
    }
  }
  return out;
}

describe('the package graph', () => {
  it('places every package in a layer', () => {
    expect(all.length).toBeGreaterThan(8);
    expect(all.filter((p) => !isApp(p) && LAYER[p.name] === undefined).map((p) => p.name)).toEqual([]);
  });

  it('krypton-core depends on no package of ours, in its manifest or its imports', () => {
    expect(edges().filter((e) => e.from === '@krypton-web/krypton-core')).toEqual([]);
  });

  it('runs every edge to a lower layer, and never to an app', () => {
    const wrong = edges().filter((e) => {
      const from = byName.get(e.from)!;
      const to = byName.get(e.to)!;
      return isApp(to) || layerOf(to)! >= layerOf(from)!;
    });
    expect(wrong.map((e) => `${e.from} → ${e.to} (${e.why})`)).toEqual([]);
  });

  it('has no cycle', () => {
    const next = new Map<string, Set<string>>();
    for (const e of edges()) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (n: string, path: string[]): void => {
      if (state.get(n) === 'done') return;
      if (state.get(n) === 'open') {
        cycles.push([...path.slice(path.indexOf(n)), n].join(' → '));
        return;
      }
      state.set(n, 'open');
      for (const m of next.get(n) ?? []) visit(m, [...path, n]);
      state.set(n, 'done');
    };
    for (const p of all) visit(p.name, []);
    expect(cycles).toEqual([]);
  });

  it('imports only packages the manifest declares (dependencies for shipped code)', () => {
    const undeclared: string[] = [];
    for (const p of all) {
      const runtime = new Set([...ours(p.json.dependencies), ...ours(p.json.peerDependencies), ...ours(p.json.optionalDependencies)]);
      const any = new Set([...runtime, ...ours(p.json.devDependencies)]);
      for (const f of files.get(p.name)!) {
        for (const spec of f.imports) {
          const target = packageOf(spec);
          if (!target || !byName.has(target) || target === p.name) continue;
          if (!(isTestFile(f.path) ? any : runtime).has(target))
            undeclared.push(`${f.path} imports ${target}, not in its ${isTestFile(f.path) ? 'manifest' : 'dependencies'}`);
        }
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('has no relative import that leaves its package', () => {
    const leaving: string[] = [];
    for (const p of all) {
      for (const f of files.get(p.name)!) {
        for (const spec of f.imports.filter((s) => s.startsWith('.'))) {
          if (!resolveRelative(f.path, spec).startsWith(`${p.dir}/`)) leaving.push(`${f.path} imports ${spec}`);
        }
      }
    }
    expect(leaving).toEqual([]);
  });
});

describe('test helpers', () => {
  it('are imported by tests only: no shipped file imports a test helper, a test folder or a test-only package', () => {
    const offenders: string[] = [];
    for (const p of all) {
      for (const f of files.get(p.name)!.filter((x) => !isTestFile(x.path))) {
        for (const spec of f.imports) {
          const target = packageOf(spec);
          if (spec.startsWith('.')) {
            const path = resolveRelative(f.path, spec);
            if (isTestFile(path)) offenders.push(`${f.path} imports ${spec}`);
          } else if (target && byName.has(target)) {
            if (TEST_ONLY.has(target)) offenders.push(`${f.path} imports the test-only ${target}`);
            const exported = byName.get(target)!.json.exports?.[`.${spec.slice(target.length)}`];
            if (exported && isTestFile(exported)) offenders.push(`${f.path} imports ${spec}, a test helper`);
          }
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('follow one naming convention: a module that only tests import is a *.test-support.ts', () => {
    const importedBy = new Map<string, string[]>();
    for (const p of all) {
      for (const f of files.get(p.name)!) {
        for (const spec of f.imports.filter((s) => s.startsWith('.'))) {
          const path = resolveRelative(f.path, spec);
          importedBy.set(path, [...(importedBy.get(path) ?? []), f.path]);
        }
      }
    }
    const misnamed = [...importedBy]
      .filter(([path, by]) => path.endsWith('.ts') && !/\.test\.ts$/.test(path) && by.every(isTestFile) && !isTestHelper(path))
      .filter(([path]) => !entryPoints.has(path))
      .map(([path, by]) => `${path} (imported only by ${by.join(', ')})`);
    expect(misnamed).toEqual([]);
  });
});

describe('names', () => {
  it('give one meaning each: no two shipped modules declare a type, interface, class or enum of the same name', () => {
    const declared = new Map<string, string[]>();
    for (const p of all) {
      for (const f of files.get(p.name)!.filter((x) => !isTestFile(x.path))) {
        const text = readFileSync(join(ROOT, f.path), 'utf8');
        for (const m of text.matchAll(/^export (?:declare )?(?:abstract )?(?:interface|class|type|enum) ([A-Za-z0-9_]+)/gm)) {
          declared.set(m[1]!, [...(declared.get(m[1]!) ?? []), f.path]);
        }
      }
    }
    expect([...declared].filter(([, where]) => where.length > 1).map(([name, where]) => `${name}: ${where.join(', ')}`)).toEqual([]);
  });
});

describe('runtime dependencies', () => {
  it('are used by shipped code: a package that only tests use is a devDependency', () => {
    const unused: string[] = [];
    for (const p of all) {
      const shipped = files.get(p.name)!.filter((f) => !isTestFile(f.path));
      const used = new Set(shipped.flatMap((f) => f.imports.map(packageOf)).filter((x): x is string => x !== undefined));
      for (const dep of Object.keys(p.json.dependencies ?? {})) if (!used.has(dep)) unused.push(`${p.name}: ${dep}`);
    }
    expect(unused).toEqual([]);
  });
});
