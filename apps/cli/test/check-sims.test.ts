import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  connectCardToVpcd,
  DEMO_BOX_SIMS,
  demoProfileSet,
  findSim,
  openCardStack,
  startLab,
  VirtualUsim,
  type Lab,
  type VpcdConnection,
} from '@krypton-web/krypton-lab';
import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { PcscService } from '@krypton-web/sim-transport/node';
import { jsonlRows, killLeftoverCheckSims, resultLines, runCheckSimsBin, startCheckSims } from './support/check-sims.test-support.ts';
import { checkSimsBinPath, repoRoot } from './support/processes.test-support.ts';

// check-sims as a person runs it: a process, against a real pcscd with three vpcd readers ("Virtual
// PCD 00 00", "00 01", "Virtual PCD 2 00 00"), the lab's virtual USIMs put in them from this process,
// and the lab's Krypton, Cognito and S3 emulators.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 180_000 });
// This test's own S3 client (reading the upload back) would warn that later SDK releases need Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

let pcscd: PcscdHandle;
let lab: Lab;
/** What pcscd shows, watched from the test: a run starts only once pcscd reports the cards. */
let service: PcscService;
let dir: string;
const cards: VpcdConnection[] = [];

beforeAll(async () => {
  // libpcsclite (in the check-sims processes) dials the default socket: the one this pcscd serves.
  delete process.env.PCSCLITE_CSOCK_NAME;
  [pcscd, lab] = await Promise.all([startPcscd({ readers: 3 }), startLab()]);
  service = await PcscService.open();
});
afterAll(async () => {
  await service?.close();
  await Promise.all([pcscd?.stop(), lab?.close()]);
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'check-sims-test-'));
});
afterEach(async () => {
  await killLeftoverCheckSims();
  await Promise.all(cards.splice(0).map((c) => pull(c)));
  lab.faults.update({ latencyMs: 0 });
  rmSync(dir, { recursive: true, force: true });
});

const reader = (i: number) => pcscd.readerNames[i]!;

/** Puts a lab SIM in reader `i` and waits until pcscd shows it. */
async function insert(sim: string, i: number): Promise<VpcdConnection> {
  const card = await VirtualUsim.create(findSim(demoProfileSet(), sim));
  const c = connectCardToVpcd({ host: '127.0.0.1', port: pcscd.vpcdPorts[i]!, card, backoff: { initialMs: 50, maxMs: 500 } });
  cards.push(c);
  await c.whenConnected();
  await service.waitForCard({ reader: reader(i), timeoutMs: 10_000 });
  return c;
}

/** Pulls a card out for good and waits until pcscd shows its reader empty. */
async function pull(c: VpcdConnection): Promise<void> {
  const i = pcscd.vpcdPorts.indexOf(c.port);
  await c.close();
  await readerShows(i, 'empty');
}

async function readerShows(i: number, card: 'empty' | 'present'): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await service.listReaders()).find((r) => r.name === reader(i))?.card !== card) {
    if (Date.now() > deadline) throw new Error(`pcscd does not show reader ${reader(i)} ${card}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const endpoints = () => [
  '-keys-api-endpoint-url',
  lab.urls.keys,
  '-provisioning-api-endpoint-url',
  lab.urls.provisioning,
  '--cognito-endpoint',
  lab.urls.cognito,
  '--s3-endpoint',
  lab.urls.s3,
];
const noPin = { KRYPTON_SIM_PIN: '' };
const file = (name: string) => join(dir, name);

describe('check-sims through pcscd, several readers at once', () => {
  it('checks demo and demo-foreign in parallel: one PASS, one FAIL MAC_FAILURE, exit 1, a JSONL row each, a CSV with BOM; a rerun checks neither again', async () => {
    await Promise.all([insert('demo', 0), insert('demo-foreign', 1)]);
    const out = file('batch.jsonl');
    const csv = file('batch.csv');
    const r = await runCheckSimsBin(['--out', out, '--csv', csv, ...endpoints()], { env: noPin });
    expect(r.code, r.stderr).toBe(1);
    const lines = resultLines(r.stdout);
    expect(lines, r.stdout).toHaveLength(2);
    const pass = lines.find((l) => l.includes('8981100000000000016'))!;
    const fail = lines.find((l) => l.includes('8981100000000000057'))!;
    expect(pass).toMatch(/^\d\d:\d\d:\d\d {2}Virtual PCD 00 0[01] +8981100000000000016 +001010000000001 {2}PASS {2}\d+\.\d s$/);
    expect(fail).toMatch(/ {2}FAIL {2}\d+\.\d s {2}key {2}MAC_FAILURE {2}.+ — .+/);
    expect(pass.includes(reader(0)) && fail.includes(reader(1))).toBe(true);
    expect(r.stdout).toMatch(/summary: 2 SIMs: 1 PASS, 0 WARN, 1 FAIL/);
    // Nothing secret on either stream: no AWS secret, no session token (the lab's are long base64/hex strings).
    expect(r.stdout + r.stderr).not.toMatch(/secretAccessKey|sessionToken|[A-Za-z0-9/+]{40,}/);

    const rows = jsonlRows(readFileSync(out, 'utf8'));
    expect(rows.map((row) => [row.iccid, row.verdict, row.problem?.code])).toEqual(
      expect.arrayContaining([
        ['8981100000000000016', 'PASS', undefined],
        ['8981100000000000057', 'FAIL', 'MAC_FAILURE'],
      ]),
    );
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((row) => row.batchId)).size).toBe(1);
    // The two lanes ran at the same time.
    const [a, b] = rows as [(typeof rows)[0], (typeof rows)[0]];
    expect(Math.max(a.startedAt, b.startedAt)).toBeLessThan(Math.min(a.finishedAt, b.finishedAt));
    const span = Math.max(a.finishedAt, b.finishedAt) - Math.min(a.startedAt, b.startedAt);
    console.log(`two readers, two SIMs: ${span} ms from first start to last finish (${((2 * 60_000) / span).toFixed(1)} SIMs/min)`);

    const text = readFileSync(csv, 'utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    const csvLines = text.slice(1).split('\r\n').filter(Boolean);
    expect(csvLines[0]).toBe('time,lane,ICCID,IMSI,group,result,failing step,code,duration (ms),message,what to do');
    expect(csvLines).toHaveLength(3);
    expect(csvLines.filter((l) => l.includes(',PASS,'))).toHaveLength(1);
    expect(csvLines.filter((l) => l.includes(',FAIL,key,MAC_FAILURE,'))).toHaveLength(1);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    // The same log again: the batch goes on, and both SIMs are known.
    const again = await runCheckSimsBin(['--out', out, ...endpoints()], { env: noPin });
    expect(again.code).toBe(1);
    expect(resultLines(again.stdout)).toEqual([]);
    expect(again.stdout.match(/already checked at \d\d:\d\d — (PASS|FAIL)/g)?.sort()).toEqual([
      'already checked at ' + clock(rows.find((x) => x.verdict === 'FAIL')!.finishedAt) + ' — FAIL',
      'already checked at ' + clock(rows.find((x) => x.verdict === 'PASS')!.finishedAt) + ' — PASS',
    ]);
    expect(again.stderr).toMatch(/continuing batch/);
    expect(jsonlRows(readFileSync(out, 'utf8'))).toHaveLength(2);
  });

  it('--watch with three readers: the twelve SIMs of the demo box dealt by a card stack, one pulled mid-check and put back; the CSV has exactly their twelve rows', async () => {
    const stack = openCardStack({ vpcd: pcscd.vpcdPorts.map((port) => ({ host: '127.0.0.1', port })), readerNames: pcscd.readerNames });
    const iccid = (sim: string) => findSim(demoProfileSet(), sim).iccid;
    const out = file('box.jsonl');
    const csv = file('box.csv');
    const run = startCheckSims(['--watch', '--out', out, '--csv', csv, ...endpoints()], { env: { KRYPTON_SIM_PIN: '1234' } });
    try {
      await run.waitFor('stderr', /watching \d readers/);
      // One card is pulled while its key agreement waits on a slow Keys API.
      lab.faults.update({ latencyMs: 1500 });
      await stack.insert(2, 'demo-box-04');
      await run.waitFor('stderr', new RegExp(`${escape(reader(2))} {2}checking…`));
      await new Promise((r) => setTimeout(r, 300));
      await stack.remove(2);
      await run.waitFor('stdout', new RegExp(`${iccid('demo-box-04')} .* FAIL .* CARD_REMOVED`));
      lab.faults.update({ latencyMs: 0 });

      const lanes: string[][] = [[], [], []];
      DEMO_BOX_SIMS.forEach((sim, i) => lanes[i % 3]!.push(sim));
      const started = performance.now();
      await Promise.all(
        lanes.map(async (sims, r) => {
          for (const sim of sims) {
            const from = run.stdout().length;
            await stack.insert(r, sim);
            await run.waitFor('stdout', new RegExp(`${iccid(sim)} .* (PASS|FAIL) {2}\\d`), { from });
            await stack.remove(r);
          }
        }),
      );
      const ms = performance.now() - started;
      console.log(
        `three readers, twelve SIMs by hand: ${Math.round(ms)} ms (${((12 * 60_000) / ms).toFixed(1)} SIMs/min, card changes included)`,
      );
      run.child().kill('SIGINT');
      const r = await run.result;
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toMatch(/summary: 12 SIMs: 10 PASS, 0 WARN, 2 FAIL \(13 checks in this run/);

      const rows = jsonlRows(readFileSync(out, 'utf8'));
      expect(rows).toHaveLength(13);
      expect(rows.filter((row) => row.interrupted).map((row) => row.iccid)).toEqual([iccid('demo-box-04')]);
      expect(new Set(rows.map((row) => row.lane))).toEqual(new Set(pcscd.readerNames));

      const csvRows = readFileSync(csv, 'utf8').slice(1).split('\r\n').filter(Boolean).slice(1);
      expect(csvRows).toHaveLength(12);
      const byIccid = new Map(csvRows.map((line) => [line.split(',')[2], line.split(',').slice(5, 8).join(',')]));
      expect(new Set(byIccid.keys())).toEqual(new Set(DEMO_BOX_SIMS.map(iccid)));
      for (const sim of DEMO_BOX_SIMS) {
        const expected = sim === 'demo-blocked' ? 'FAIL,sim,PIN_BLOCKED' : sim === 'demo-foreign' ? 'FAIL,key,MAC_FAILURE' : 'PASS,,';
        expect([sim, byIccid.get(iccid(sim))]).toEqual([sim, expected]);
      }
    } catch (e) {
      throw new Error(`${(e as Error).message}\ncheck-sims printed:\n${run.stdout()}${run.stderr()}`, { cause: e });
    } finally {
      await stack.close();
      // The next test's cards must not meet a card of the stack still shown in a reader.
      for (let i = 0; i < pcscd.readerNames.length; i++) await readerShows(i, 'empty');
    }
  });

  it('verifies the PIN from KRYPTON_SIM_PIN, fails a blocked SIM with PUK advice and goes on; without the PIN, PIN_REQUIRED', async () => {
    await Promise.all([insert('demo-pin', 0), insert('demo-blocked', 1)]);
    const withPin = await runCheckSimsBin(endpoints(), { env: { KRYPTON_SIM_PIN: '1234' } });
    expect(withPin.code, `${withPin.stdout}\n${withPin.stderr}`).toBe(1);
    const lines = resultLines(withPin.stdout);
    expect(lines).toHaveLength(2);
    expect(lines.find((l) => l.includes('8981100000000000024'))).toMatch(/ PASS /);
    expect(lines.find((l) => l.includes('8981100000000000032'))).toMatch(/ FAIL {2}\d+\.\d s {2}sim {2}PIN_BLOCKED {2}.*PUK/);
    expect(withPin.stdout + withPin.stderr).not.toContain('1234');

    const without = await runCheckSimsBin(['--reader', reader(0), ...endpoints()], { env: noPin });
    expect(without.code).toBe(1);
    const only = resultLines(without.stdout);
    expect(only).toHaveLength(1);
    expect(only[0]).toMatch(/8981100000000000024 .* FAIL {2}\d+\.\d s {2}pin {2}PIN_REQUIRED {2}.*KRYPTON_SIM_PIN/);
  });

  it('on a terminal without KRYPTON_SIM_PIN, asks for the PIN once, without echoing it, and checks the PIN-enabled SIM with it', async () => {
    await Promise.all([insert('demo-pin', 0), insert('demo', 1)]);
    // `script` gives check-sims a pseudo-terminal as stdin, stdout and stderr, as a person's shell would.
    const command = [checkSimsBinPath, ...endpoints()].join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: repoRoot, env: { ...process.env, KRYPTON_SIM_PIN: '' } });
    let screen = '';
    let asked = 0;
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString();
      if (
        asked === 0 &&
        /PIN1 for the PIN-enabled SIMs of this batch \(SIM 8981100000000000024, 3 tries left; Enter alone skips them\): $/.test(screen)
      ) {
        asked++;
        child.stdin.write('1234\r');
      }
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, screen).toBe(0);
    expect(screen.match(/PIN1 for the PIN-enabled SIMs/g)).toHaveLength(1);
    expect(screen).not.toContain('1234');
    expect(screen).toMatch(/8981100000000000024 +001010000000002 {2}PASS/);
    expect(screen).toMatch(/summary: 2 SIMs: 2 PASS/);
  });

  it('--watch: a card pulled mid-check is recorded as interrupted; put back, it is checked; again, "already checked"; Ctrl-C mid-check ends the batch once that check is recorded', async () => {
    const out = file('watch.jsonl');
    const run = startCheckSims(['--watch', '--out', out, ...endpoints()], { env: noPin });
    await run.waitFor('stderr', /watching \d readers/);
    // The Keys API answers slowly, so the card is out while its key agreement is under way.
    lab.faults.update({ latencyMs: 1500 });
    const card = await insert('demo', 0);
    await run.waitFor('stderr', /Virtual PCD 00 00 +checking…/);
    await new Promise((r) => setTimeout(r, 300));
    await card.remove();
    await run.waitFor('stdout', /FAIL .* CARD_REMOVED/);
    await run.waitFor('stderr', /card out: insert the next SIM/);

    lab.faults.update({ latencyMs: 0 });
    let mark = run.stdout().length;
    card.insert();
    await run.waitFor('stdout', /8981100000000000016 +001010000000001 {2}PASS/, { from: mark });
    await card.remove();
    await readerShows(0, 'empty');
    mark = run.stdout().length;
    card.insert();
    await run.waitFor('stdout', /8981100000000000016 +already checked at \d\d:\d\d — PASS/, { from: mark });

    // Ctrl-C while a check runs ends the batch once that check is recorded.
    lab.faults.update({ latencyMs: 500 });
    await insert('demo-even', 1);
    await run.waitFor('stderr', /Virtual PCD 00 01 +checking…/);
    run.child().kill('SIGINT');
    const r = await run.result;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/ending the batch: the checks in progress finish first/);
    expect(r.stdout).toMatch(/8981100000000000040 +00101000000004 +PASS/);
    expect(r.stdout).toMatch(/summary: 2 SIMs: 2 PASS, 0 WARN, 0 FAIL \(3 checks in this run/);
    const rows = jsonlRows(readFileSync(out, 'utf8'));
    expect(rows.map((row) => [row.iccid, row.verdict, row.problem?.code, row.interrupted ?? false])).toEqual([
      ['8981100000000000016', 'FAIL', 'CARD_REMOVED', true],
      ['8981100000000000016', 'PASS', undefined, false],
      ['8981100000000000040', 'PASS', undefined, false],
    ]);
  });

  it('--watch --all-readers: a reader attached while it runs (pcscd back with one vpcd entry more) gets a lane and its SIM is checked; removed, it is said unplugged and the other readers go on', async () => {
    const out = file('hotplug.jsonl');
    const run = startCheckSims(['--watch', '--all-readers', '--out', out, ...endpoints()], { env: noPin });
    try {
      await run.waitFor('stderr', /watching \d readers/);
      // pcscd reads its readers only at start: attaching one is a restart with one entry (two readers) more.
      await pcscd.restart({ readers: 5 });
      const added = reader(4);
      await run.waitFor('stderr', new RegExp(`${escape(added)} +reader connected: insert a SIM`));
      const card = await insert('demo', 4);
      await run.waitFor('stdout', /8981100000000000016 +001010000000001 {2}PASS/);
      await pull(card);
      cards.splice(cards.indexOf(card), 1);
      const mark = run.stderr().length;
      await pcscd.restart({ readers: 3 });
      await run.waitFor('stderr', new RegExp(`${escape(added)} +reader unplugged`), { from: mark });
      await insert('demo-even', 0);
      await run.waitFor('stdout', /8981100000000000040 +00101000000004 +PASS/);
      run.child().kill('SIGINT');
      const r = await run.result;
      expect(r.code, r.stderr).toBe(0);
      expect(jsonlRows(readFileSync(out, 'utf8')).map((row) => [row.iccid, row.verdict])).toEqual([
        ['8981100000000000016', 'PASS'],
        ['8981100000000000040', 'PASS'],
      ]);
    } finally {
      if (pcscd.readerNames.length !== 3) await pcscd.restart({ readers: 3 });
    }
  });

  it('--upload puts the CSV and JSON report into the lab S3 with Content-MD5, using the credentials a passing SIM earned', async () => {
    await insert('demo', 0);
    const csv = file('report.csv');
    const r = await runCheckSimsBin(['--csv', csv, '--upload', `s3://${lab.bucket}/check-reports/cli-test/`, ...endpoints()], {
      env: noPin,
    });
    expect(r.code, r.stderr).toBe(0);
    const uploaded = [...r.stdout.matchAll(/^uploaded: s3:\/\/([^/]+)\/(\S+) {2}(\S+) {2}\(Content-MD5 (\S+)\)$/gm)];
    expect(uploaded.map((m) => m[2]!.replace(/check-sims-\d{8}T\d{6}Z-[0-9a-f]{8}/, 'NAME'))).toEqual([
      'check-reports/cli-test/NAME.csv',
      'check-reports/cli-test/NAME.json',
    ]);
    const [csvUpload, jsonUpload] = uploaded as [RegExpMatchArray, RegExpMatchArray];
    expect(csvUpload[3]).toBe(`${lab.urls.s3}/${lab.bucket}/${csvUpload[2]}`);

    // Read back through the lab's S3 gate with credentials of the test's own.
    lab.credentials.add({
      accessKeyId: 'ASIATESTREADER',
      secretAccessKey: 'test-secret',
      sessionToken: 'test-token',
      expiration: new Date(Date.now() + 600_000),
    });
    const s3 = new S3Client({
      endpoint: lab.urls.s3,
      region: lab.region,
      forcePathStyle: true,
      credentials: { accessKeyId: 'ASIATESTREADER', secretAccessKey: 'test-secret', sessionToken: 'test-token' },
    });
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: lab.bucket, Key: csvUpload[2] }));
      const body = Buffer.from(await got.Body!.transformToByteArray());
      expect(body.equals(readFileSync(csv))).toBe(true);
      expect(got.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
      expect(csvUpload[4]).toBe(createHash('md5').update(body).digest('base64'));
      const json = JSON.parse(
        await (await s3.send(new GetObjectCommand({ Bucket: lab.bucket, Key: jsonUpload[2] }))).Body!.transformToString(),
      ) as {
        summary: { PASS: number; total: number };
      };
      expect(json.summary).toMatchObject({ PASS: 1, total: 1 });
    } finally {
      s3.destroy();
    }
    // Where the SIM group's role may not write, S3's refusal is the run's failure, said in one line.
    const refused = await runCheckSimsBin(['--upload', `s3://${lab.bucket}/elsewhere`, ...endpoints()], { env: noPin });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/summary: 1 SIM: 1 PASS/);
    expect(refused.stderr).toMatch(
      /check-sims: S3 answered MethodNotAllowed \(HTTP 405\) while uploading s3:\/\/krypton-demo\/elsewhere\/check-sims-\S+\.csv\. /,
    );
  });

  it('continues a log whose last line a crash tore: the torn line is skipped with a warning, the batch goes on', async () => {
    const out = file('torn.jsonl');
    await insert('demo-even', 1);
    const first = await runCheckSimsBin(['--out', out, ...endpoints()], { env: noPin });
    expect(first.code, first.stderr).toBe(0);
    writeFileSync(out, `${readFileSync(out, 'utf8')}{"id":"torn","batchId":"x","lane":"Virtu`);
    await insert('demo', 0);
    const second = await runCheckSimsBin(['--out', out, ...endpoints()], { env: noPin });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/1 line\(s\) of .*torn\.jsonl are not whole results/);
    expect(resultLines(second.stdout)).toHaveLength(1);
    expect(second.stdout).toMatch(/already checked at/);
    const { results, skipped } = await import('@krypton-web/sim-check').then((m) => m.parseJsonLines(readFileSync(out, 'utf8')));
    expect(skipped).toBe(1);
    expect(results.map((row) => row.iccid)).toEqual(['8981100000000000040', '8981100000000000016']);
  });

  it('a checklist with an S3 probe and a tag comparison: PASS with the right tag, FAIL TAG_MISMATCH with the wrong one', async () => {
    await Promise.all([insert('demo', 0), insert('demo-even', 1)]);
    const checklist = file('checklist.json');
    writeFileSync(
      checklist,
      JSON.stringify({
        credentials: 'openid',
        s3: { mode: 'list', prefix: 'firmware/' },
        metadata: { tag: { name: 'name', expected: 'demo-sim' } },
      }),
    );
    const out = file('checklist.jsonl');
    const r = await runCheckSimsBin(['--checklist', checklist, '--out', out, ...endpoints()], { env: noPin });
    expect(r.code, r.stderr).toBe(1);
    const rows = jsonlRows(readFileSync(out, 'utf8'));
    const demo = rows.find((row) => row.iccid === '8981100000000000016')!;
    expect(demo.verdict).toBe('PASS');
    expect(demo.steps.map((st) => [st.step, st.status])).toEqual([
      ['sim', 'pass'],
      ['key', 'pass'],
      ['credentials', 'pass'],
      ['s3', 'pass'],
      ['metadata', 'pass'],
    ]);
    expect(demo.steps.find((st) => st.step === 's3')!.note).toMatch(/^s3:\/\/krypton-demo\/firmware\/: firmware\//);
    expect(demo.groupId).toBe('lab-group');
    const even = rows.find((row) => row.iccid === '8981100000000000040')!;
    expect([even.verdict, even.failedStep, even.problem?.code]).toEqual(['FAIL', 'metadata', 'TAG_MISMATCH']);
    expect(resultLines(r.stdout).find((l) => l.includes('8981100000000000040'))).toMatch(
      /FAIL .* metadata {2}TAG_MISMATCH {2}Tag "name" is "demo-even", expected "demo-sim" — /,
    );
  });

  it('without --watch, Ctrl-C stops the checks in flight (not recorded), still writes the CSV of what finished, and exits 130; SIGTERM 143', async () => {
    await insert('demo', 0);
    lab.faults.update({ latencyMs: 3000 });
    const out = file('stopped.jsonl');
    const csv = file('stopped.csv');
    for (const [signal, status] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const run = startCheckSims(['--out', out, '--csv', csv, '--upload', `s3://${lab.bucket}/check-reports/stopped`, ...endpoints()], {
        env: noPin,
      });
      await run.waitFor('stderr', /checking…/);
      await new Promise((r) => setTimeout(r, 300));
      const sentAt = performance.now();
      run.child().kill(signal);
      const r = await run.result;
      const ms = performance.now() - sentAt;
      expect(r.code, r.stderr).toBe(status);
      expect(ms).toBeLessThan(3000);
      expect(r.stderr).toMatch(/check stopped: not recorded/);
      expect(r.stderr).toMatch(/the report was not uploaded: the batch did not end normally/);
      expect(resultLines(r.stdout)).toEqual([]);
      expect(readFileSync(out, 'utf8')).toBe('');
      expect(readFileSync(csv, 'utf8').slice(1).split('\r\n').filter(Boolean)).toHaveLength(1);
      console.log(`${signal}: check-sims ended ${Math.round(ms)} ms after the signal`);
    }
  });

  it('checks in two readers in parallel at 150 ms per lab request: SIMs per minute with one and with two lanes (printed)', async () => {
    lab.faults.update({ latencyMs: 150 });
    await insert('demo', 0);
    const one = jsonlRows(await logOf(['--reader', reader(0), '--recheck']));
    await insert('demo-even', 1);
    const two = jsonlRows(await logOf(['--recheck']));
    expect(one).toHaveLength(1);
    expect(two).toHaveLength(2);
    const rate = (rows: typeof one) =>
      (rows.length * 60_000) / (Math.max(...rows.map((r) => r.finishedAt)) - Math.min(...rows.map((r) => r.startedAt)));
    console.log(
      `at 150 ms per request: one lane ${rate(one).toFixed(1)} SIMs/min (check ${one[0]!.durationMs} ms), two lanes ${rate(two).toFixed(1)} SIMs/min (checks ${two.map((r) => r.durationMs).join(' and ')} ms)`,
    );
    // Parallel, not one after the other: two lanes check clearly more SIMs per minute than one.
    expect(rate(two)).toBeGreaterThan(1.4 * rate(one));
  });

  it('without --watch and no card, waits briefly with a clear message, then fails', async () => {
    const r = await runCheckSimsBin(['--wait', '1', ...endpoints()], { env: noPin });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no SIM in \d readers .*: waiting up to 1 s/);
    expect(r.stderr).toMatch(/no SIM was inserted .* within 1 s\. Insert a SIM/);
    expect(existsSync(file('none'))).toBe(false);
  });
});

/** Runs check-sims (no PIN) with a fresh log and returns the log's text. */
async function logOf(args: string[]): Promise<string> {
  const out = file(`run-${Math.random().toString(36).slice(2)}.jsonl`);
  const r = await runCheckSimsBin(['--out', out, ...args, ...endpoints()], { env: noPin });
  if (r.code !== 0) throw new Error(`check-sims exited ${r.code}: ${r.stdout}${r.stderr}`);
  return readFileSync(out, 'utf8');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function clock(epochMs: number): string {
  const d = new Date(epochMs);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
