import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '@krypton-web/sim-check';
import { alreadyCheckedLine, resultLine, summaryLine } from '../src/check-sims/format.ts';
import { parseCheckSimsOptions, parseUploadTarget } from '../src/check-sims/options.ts';
import { BatchPin } from '../src/check-sims/pin.ts';
import { JsonlLog, writeFileAtomically } from '../src/check-sims/report-file.ts';
import { runCheckSims } from '../src/check-sims/run.ts';
import { reportObjects } from '../src/check-sims/upload.ts';
import { runCheckSimsBin } from './support/check-sims.test-support.ts';

// check-sims without hardware: its command line (as a process and in-process), the report files,
// the lines it prints, the batch PIN. The runs against pcscd and the lab are in check-sims.test.ts.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'check-sims-unit-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs check-sims in this process; what it printed and its exit status. */
async function inProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCheckSims(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} });
  return { code, stdout, stderr };
}

function result(overrides: Partial<CheckResult> = {}): CheckResult {
  return {
    id: 'id-1',
    batchId: 'batch-1',
    lane: 'Virtual PCD 00 00',
    iccid: '8981100000000000016',
    imsi: '001010000000001',
    startedAt: Date.UTC(2026, 11, 3, 1, 42, 1),
    finishedAt: Date.UTC(2026, 11, 3, 1, 42, 3),
    durationMs: 2100,
    verdict: 'PASS',
    steps: [{ step: 'sim', status: 'pass', ms: 40 }],
    ...overrides,
  };
}

describe('check-sims command line', () => {
  it.each([
    [['--reader', 'Virtual PCD 00 00', '--all-readers'], /--reader and --all-readers were both given/],
    [['--no-such-flag'], /flag provided but not defined: -no-such-flag \(check-sims -h lists the flags\)/],
    [['Virtual PCD 00 00'], /unexpected argument "Virtual PCD 00 00"/],
    [['--upload', 'https://bucket/prefix'], /--upload "https:\/\/bucket\/prefix" is not an s3:\/\/ URL/],
    [['--upload', 's3://No_Such/x'], /not a valid S3 bucket name/],
    [['-coverage-type', 'eu'], /unknown coverage type: eu\. Give -coverage-type g \(global\) or jp \(Japan\)\./],
    [['-keys-api-endpoint-url', 'ftp://x'], /a Krypton endpoint is wrong/],
    [['--out', 'a.jsonl', '--csv', 'a.jsonl'], /--out and --csv name the same file/],
    [['--wait', 'soon'], /invalid value "soon" for flag -wait: parse error/],
    [['--region', 'tokyo'], /"tokyo" is not an AWS region/],
    [['--reader'], /flag needs an argument: -reader/],
  ])('refuses %j with exit status 2 and one line saying what to do', async (argv, message) => {
    const r = await inProcess(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^check-sims: /);
    expect(r.stderr).toMatch(message);
  });

  it('refuses a checklist file that is missing, not JSON or not a checklist, with exit status 2', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"credentials":"sometimes"}');
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '{credentials');
    for (const [file, message] of [
      [join(dir, 'none.json'), /cannot read the checklist .*none\.json \(ENOENT\)/],
      [notJson, /not\.json is not valid JSON/],
      [bad, /credentials must be "openid", "direct" or "off"/],
    ] as const) {
      const r = await inProcess(['--checklist', file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('as a process: usage errors exit 2, -h prints the help with the exit statuses on stdout and exits 0', async () => {
    const usage = await runCheckSimsBin(['--reader', 'x', '--all-readers']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^check-sims: --reader and --all-readers were both given\. Give one of them\.\n$/);
    const help = await runCheckSimsBin(['-h']);
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(/pnpm check-sims \[--reader NAME \| --all-readers\]/);
    expect(help.stdout).toMatch(/Exit status: 0 when every SIM of the batch passed \(WARN counts as passed/);
    expect(help.stdout).toMatch(/KRYPTON_SIM_PIN/);
    const help2 = await runCheckSimsBin(['--help']);
    expect(help2.stdout).toBe(help.stdout);
  });

  it('reads lanes, endpoints and the upload target', () => {
    const all = parseCheckSimsOptions([]);
    expect(all.lanes).toEqual({ readers: { kind: 'all' }, port: undefined });
    expect(all.endpoint).toEqual({
      kind: 'sim',
      keysApiUrl: 'https://g.api.soracom.io/v1/keys',
      provisioningApiUrl: 'https://g.api.soracom.io',
    });
    expect(all.waitMs).toBe(30_000);
    expect(parseCheckSimsOptions(['-coverage-type', 'jp']).endpoint).toMatchObject({ keysApiUrl: 'https://api.soracom.io/v1/keys' });
    expect(parseCheckSimsOptions(['--port', '/dev/ttyUSB2']).lanes).toEqual({ readers: undefined, port: '/dev/ttyUSB2' });
    expect(parseCheckSimsOptions(['--port', '/dev/ttyUSB2', '--all-readers']).lanes.readers).toEqual({ kind: 'all' });
    expect(parseCheckSimsOptions(['-reader=Virtual PCD 00 01']).lanes.readers).toEqual({ kind: 'one', name: 'Virtual PCD 00 01' });
    const lab = parseCheckSimsOptions([
      '-keys-api-endpoint-url',
      'http://127.0.0.1:9000/v1/keys',
      '--provisioning-api-endpoint-url=http://127.0.0.1:9000/',
      '--cognito-endpoint',
      'http://127.0.0.1:9001/',
      '--s3-endpoint',
      'http://127.0.0.1:9002',
      '--watch',
      '--recheck',
    ]);
    expect(lab).toMatchObject({
      endpoint: { keysApiUrl: 'http://127.0.0.1:9000/v1/keys', provisioningApiUrl: 'http://127.0.0.1:9000' },
      cognitoEndpoint: 'http://127.0.0.1:9001',
      s3Endpoint: 'http://127.0.0.1:9002',
      watch: true,
      recheck: true,
    });
    expect(parseUploadTarget('s3://my-reports')).toEqual({ bucket: 'my-reports', prefix: '' });
    expect(parseUploadTarget('s3://my-reports//sim-checks/2026/')).toEqual({ bucket: 'my-reports', prefix: 'sim-checks/2026' });
    expect(() => parseUploadTarget('s3://my-reports/a/../b')).toThrow(/\. or \.\. segment/);
  });
});

describe('the JSONL log', () => {
  it('appends one line per check, and reads back a log whose last line a crash tore, closing that line first', async () => {
    const path = join(dir, 'batch.jsonl');
    const first = await JsonlLog.open(path);
    expect(first.earlier).toEqual({ results: [], skipped: 0 });
    await Promise.all([first.log.append(result({ id: 'a' })), first.log.append(result({ id: 'b', iccid: '8981100000000000024' }))]);
    await first.log.close();
    writeFileSync(path, `${readFileSync(path, 'utf8')}{"id":"c","batchId":"batch-1","lane":"Virtual PCD 0`);

    const second = await JsonlLog.open(path);
    expect(second.earlier.results.map((r) => r.id)).toEqual(['a', 'b']);
    expect(second.earlier.skipped).toBe(1);
    await second.log.append(result({ id: 'd' }));
    await second.log.close();
    const third = await JsonlLog.open(path);
    expect(third.earlier.results.map((r) => r.id)).toEqual(['a', 'b', 'd']);
    expect(third.earlier.skipped).toBe(1);
    await third.log.close();
  });

  it('says what to do when the log cannot be opened', async () => {
    await expect(JsonlLog.open(join(dir, 'no-such-dir', 'batch.jsonl'))).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      message: expect.stringMatching(/cannot open for appending .*batch\.jsonl \(ENOENT\)/),
      action: 'Create the directory first, or choose another path',
    });
  });
});

describe('the CSV written atomically', () => {
  it('replaces the file in one step and leaves no temporary file, also when it fails', async () => {
    const path = join(dir, 'report.csv');
    writeFileSync(path, 'old');
    await writeFileAtomically(path, '\uFEFFnew\r\n');
    expect(readFileSync(path, 'utf8')).toBe('\uFEFFnew\r\n');
    expect(readdirSync(dir)).toEqual(['report.csv']);
    await expect(writeFileAtomically(join(dir, 'missing', 'report.csv'), 'x')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(readdirSync(dir)).toEqual(['report.csv']);
  });
});

describe('the lines check-sims prints', () => {
  it('one line per SIM: time, lane, ICCID, IMSI, verdict, duration; for a failure the step, the code, what happened — what to do', () => {
    const pass = resultLine(result(), 17);
    expect(pass).toMatch(/^\d\d:\d\d:\d\d {2}Virtual PCD 00 00 {2}8981100000000000016 {3}001010000000001 {2}PASS {2}2\.1 s\n$/);
    const fail = resultLine(
      result({
        lane: 'modem /dev/ttyUSB2',
        verdict: 'FAIL',
        failedStep: 'key',
        problem: { code: 'MAC_FAILURE', message: 'The SIM does not recognise\nthe network.', action: 'Check the coverage.' },
      }),
      17,
    );
    expect(fail).toMatch(
      / {2}modem \/dev\/ttyUSB2 {2}.* {2}FAIL {2}2\.1 s {2}key {2}MAC_FAILURE {2}The SIM does not recognise the network — Check the coverage\n$/,
    );
    expect(alreadyCheckedLine('Virtual PCD 00 01', 17, Date.now(), result())).toMatch(
      /Virtual PCD 00 01 {2}8981100000000000016 {3}already checked at \d\d:\d\d — PASS \(--recheck checks it again\)\n$/,
    );
    expect(summaryLine({ PASS: 2, WARN: 1, FAIL: 0, total: 3 }, { checks: 2, firstStart: 0, lastFinish: 6000 })).toBe(
      'summary: 3 SIMs: 2 PASS, 1 WARN, 0 FAIL (2 checks in this run in 6.0 s, 20.0 SIMs/min)\n',
    );
  });

  it('names uploaded objects by time and batch, under the prefix', () => {
    const objects = reportObjects({ bucket: 'b', prefix: 'sim-checks' }, '0f3e9a1c-1111-2222', Date.UTC(2026, 11, 3, 1, 42, 3), {
      csv: 'c',
      json: 'j',
    });
    expect(objects.map((o) => [o.key, o.contentType])).toEqual([
      ['sim-checks/check-sims-20261203T014203Z-0f3e9a1c.csv', 'text/csv; charset=utf-8'],
      ['sim-checks/check-sims-20261203T014203Z-0f3e9a1c.json', 'application/json'],
    ]);
  });
});

describe('the batch PIN', () => {
  it('uses KRYPTON_SIM_PIN, and drops it after one SIM found it wrong', async () => {
    const notices: string[] = [];
    const pin = new BatchPin('1234', undefined, (t) => notices.push(t));
    expect(await pin.get({})).toBe('1234');
    pin.wrong('1234', '8981100000000000024');
    expect(await pin.get({})).toBeUndefined();
    expect(notices.join('\n')).toMatch(/the PIN was wrong for SIM 8981100000000000024: it is not tried on further SIMs/);
  });

  it('asks once for the whole batch, even when several lanes need it at the same time; Enter alone skips PIN SIMs', async () => {
    const questions: string[] = [];
    const pin = new BatchPin(
      undefined,
      async (q) => (questions.push(q), '0000'),
      () => undefined,
    );
    expect(await Promise.all([pin.get({ iccid: '1' }), pin.get({ iccid: '2' })])).toEqual(['0000', '0000']);
    expect(await pin.get({})).toBe('0000');
    expect(questions).toHaveLength(1);
    expect(questions[0]).toMatch(/PIN1 for the PIN-enabled SIMs of this batch \(SIM 1/);
    const skipped = new BatchPin(
      undefined,
      async () => '',
      () => undefined,
    );
    expect(await skipped.get({})).toBeUndefined();
    expect(await skipped.get({})).toBeUndefined();
  });

  it('ignores a KRYPTON_SIM_PIN that is not 4 to 8 digits, saying so', () => {
    const notices: string[] = [];
    void new BatchPin('12', undefined, (t) => notices.push(t));
    expect(notices).toEqual([expect.stringMatching(/KRYPTON_SIM_PIN is not 4 to 8 digits/)]);
  });
});
