import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runLab } from './main.ts';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const SET1 = [
  '--k',
  '465b5ce8b199b49faa5f0a2ee238a6bc',
  '--rand',
  '23553cbe9637a89d218ae64dae47bf35',
  '--sqn',
  'ff9bb4d0b607',
  '--amf',
  'b9b9',
];

async function inProcess(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runLab(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), stopSignal: new Promise(() => undefined) });
  return { code, out, err };
}

describe('pnpm lab milenage', () => {
  it('prints one JSON line with TS 35.208 set 1 outputs, as a process started the documented way', async () => {
    const { stdout, stderr } = await run('pnpm', ['lab', 'milenage', ...SET1, '--op', 'cdc202d5123e20f62b6d676ac72cb318'], {
      cwd: repoRoot,
    });
    expect(stderr).toBe('');
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      opc: 'cd63cb71954a9f4e48a5994e37a02baf',
      macA: '4a9ffac354dfafb3',
      macS: '01cfaf9ec4e871e9',
      res: 'a54211d5e3ba50bf',
      ck: 'b40ba9a3c58b2a05bbf0d987b21bf8cb',
      ik: 'f769bcd751044604127672711c6d3441',
      ak: 'aa689c648370',
      akStar: '451e8beca43b',
    });
  });

  it('takes --opc instead of --op', async () => {
    const r = await inProcess(['milenage', ...SET1, '--opc', 'CD63CB71954A9F4E48A5994E37A02BAF']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out[0]!) as { res: string }).res).toBe('a54211d5e3ba50bf');
  });

  it.each([
    [['milenage', ...SET1], /exactly one of --op and --opc/],
    [['milenage', ...SET1, '--op', 'aa', '--opc', 'bb'], /exactly one of --op and --opc/],
    [['milenage', ...SET1.slice(0, 2), '--op', 'cdc202d5123e20f62b6d676ac72cb318'], /--rand is required/],
    [['milenage', ...SET1, '--op', 'cdc2'], /--op: expected 16 bytes, got 2/],
    [['milenage', ...SET1, '--op', 'zz'], /--op: not a hex digit/],
    [['milenage', '--nope'], /Unknown option '--nope'/],
    [['serve', '--port', 'eighty'], /--port must be a whole number/],
    [['serve', '--port', '70000'], /--port must be from 1 to 65532/],
    [['serve', 'extra'], /Unexpected argument/],
    [['bogus'], /unknown command "bogus"/],
  ])('refuses %j with one line on stderr and exit code 2', async (argv, message) => {
    const r = await inProcess(argv);
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(message);
    expect(r.err[0]).not.toMatch(/\n\s+at /);
  });

  it('shows a bad command line from a real process as one line, no stack trace', async () => {
    const failure = await run('pnpm', ['lab', 'milenage', '--k', 'xyz'], { cwd: repoRoot }).catch(
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(failure).toMatchObject({ code: 2, stdout: '' });
    expect((failure as { stderr: string }).stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('pnpm lab serve', () => {
  it('--s3-ignore-range starts an S3 that answers ranged GETs whole, as /_lab/state shows', async () => {
    let stop: (signal: string) => void = () => undefined;
    const out: string[] = [];
    const ended = runLab(['serve', '--s3-ignore-range'], {
      stdout: (l) => out.push(l),
      stderr: () => undefined,
      stopSignal: new Promise((resolve) => (stop = resolve)),
    });
    try {
      for (let i = 0; i < 200 && out.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      const { control } = JSON.parse(out[0]!) as { control: string };
      const state = (await (await fetch(`${control}/state`)).json()) as { s3IgnoreRange?: { enabled: boolean } };
      expect(state.s3IgnoreRange?.enabled).toBe(true);
    } finally {
      stop('SIGTERM');
      expect(await ended).toBe(0);
    }
  });
});
