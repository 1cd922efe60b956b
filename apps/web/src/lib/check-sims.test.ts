import { toCsv, type CheckResult } from '@krypton-web/sim-check';
import { describe, expect, it } from 'vitest';
import type { BatchEvent, BatchStart } from '../worker/batch-api.ts';
import type { BatchMethod } from '../worker/batch-api.ts';
import { batchApiOf, type BatchCall, type BatchWorkerApi } from './batch-worker-api.ts';
import { cellText, DEFAULT_VIEW, reportFileName, viewRows, visibleRange, type CellFormat } from './check-report.ts';
import { checklistOf, DEFAULT_FORM, formOf, loadCheckSettings, STORAGE_KEY } from './check-settings.ts';
import { CheckSims, type CheckSimsDeps } from './check-sims.svelte.ts';
import { i18n } from './i18n/i18n.svelte.ts';
import { laneForPluggedPort, modemLaneName, type ModemChoice, type ModemPorts } from './modem-lanes.ts';

class MemoryStorage {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

const SETTINGS = {
  kryptonBase: 'http://127.0.0.1:8787/krypton/lab',
  cellularBase: 'http://127.0.0.1:8787/krypton/lab-cellular',
  origin: 'http://127.0.0.1:8787',
};

function row(n: number, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    id: `r${n}`,
    batchId: 'b1',
    lane: n % 2 ? 'Virtual PCD 00 00' : 'Virtual PCD 00 01',
    iccid: `89811000000000000${String(n).padStart(2, '0')}`,
    imsi: `0010100000000${String(n).padStart(2, '0')}`,
    startedAt: Date.UTC(2026, 11, 3, 1, 0, n),
    finishedAt: Date.UTC(2026, 11, 3, 1, 0, n) + 800,
    durationMs: 800 + n,
    verdict: 'PASS',
    steps: [{ step: 'sim', status: 'pass', ms: 10 }],
    ...extra,
  };
}

/** A batch worker double: answers given by the test, calls recorded, events played through `emit`. */
function fakeBatch(overrides: Partial<BatchWorkerApi> = {}) {
  const calls: string[] = [];
  let listener: ((e: BatchEvent) => void) | undefined;
  const defaults: Partial<BatchWorkerApi> = {
    subscribe: async () => undefined,
    readers: async () => [
      { name: 'Virtual PCD 00 00', card: false, inUse: false },
      { name: 'Virtual PCD 00 01', card: true, inUse: false },
      { name: 'Krypton Web demo reader (virtual SIM)', card: true, inUse: false },
    ],
    pending: async () => undefined,
    start: async () => ({ batchId: 'b1', storage: 'indexeddb' }),
    stop: async () => undefined,
    newBatch: async () => undefined,
  };
  const api = batchApiOf(<K extends BatchMethod>(name: K): BatchCall<K> => {
    const given: { [P in K]?: BatchCall<P> } = overrides;
    const fallback: { [P in K]?: BatchCall<P> } = defaults;
    const impl: BatchCall<K> = given[name] ?? fallback[name] ?? (() => Promise.reject(new Error(`${name} not expected`)));
    return (...args) => {
      calls.push(name);
      return impl(...args);
    };
  });
  return { api, calls, emit: (e: BatchEvent) => listener?.(e), setListener: (l: (e: BatchEvent) => void) => (listener = l) };
}

function deps(batch: ReturnType<typeof fakeBatch>, extra: Partial<CheckSimsDeps> = {}): CheckSimsDeps {
  return {
    startWorker: async (onEvent) => {
      batch.setListener(onEvent);
      return batch.api;
    },
    bridgeWsUrl: 'ws://127.0.0.1:8787/ws',
    settings: () => SETTINGS,
    storage: new MemoryStorage(),
    uploadDefaults: { bucket: 'krypton-demo', region: 'ap-northeast-1', prefix: 'check-reports/', format: 'csv' },
    now: () => Date.UTC(2026, 11, 3, 5, 6, 7),
    ...extra,
  };
}

describe('the Check SIMs screen’s state', () => {
  it('starts on the readers it chose, with the checklist of the form; lanes start empty, never with a stale SIM', async () => {
    let started: BatchStart | undefined;
    const batch = fakeBatch({ start: async (s) => ((started = s), { batchId: 'b1', storage: 'indexeddb' }) });
    const c = new CheckSims(deps(batch));
    await c.init();
    expect(c.phase).toBe('idle');
    c.useReader('Krypton Web demo reader (virtual SIM)', false);
    c.form.s3 = true;
    c.form.s3Prefix = 'logs/';
    expect(c.startProblem).toBeUndefined();
    await c.start();
    expect(started).toEqual({
      wsUrl: 'ws://127.0.0.1:8787/ws',
      settings: SETTINGS,
      checklist: { credentials: 'openid', s3: { mode: 'list', prefix: 'logs/' } },
      readers: ['Virtual PCD 00 00', 'Virtual PCD 00 01'],
    });
    expect(c.phase).toBe('running');
    expect(c.lanes).toEqual([
      { reader: 'Virtual PCD 00 00', status: 'empty' },
      { reader: 'Virtual PCD 00 01', status: 'empty' },
    ]);
  });

  it('builds the report from the worker’s results (persisted first), one row per SIM; lanes follow their events', async () => {
    const beeps: string[] = [];
    const batch = fakeBatch();
    const c = new CheckSims(deps(batch, { beep: (v) => beeps.push(v) }));
    await c.init();
    c.sound = true;
    await c.start();
    const first = row(1);
    batch.emit({ type: 'result', result: first, saved: true });
    batch.emit({ type: 'lane', lane: { reader: 'Virtual PCD 00 00', status: 'done', result: first } });
    expect(c.rows).toEqual([first]);
    expect(c.lanes[0]).toEqual({ reader: 'Virtual PCD 00 00', status: 'done', result: first });
    expect(beeps).toEqual(['PASS']);
    // A recheck of the same SIM replaces its row.
    const again = row(1, { id: 'r1b', startedAt: first.startedAt + 60_000, verdict: 'FAIL' });
    batch.emit({ type: 'result', result: again, saved: false });
    expect(c.rows).toEqual([again]);
    expect(c.unsaved).toBe(true);
    expect(c.summary).toEqual({ PASS: 0, WARN: 0, FAIL: 1, total: 1 });
    // The card leaves: the lane clears.
    batch.emit({ type: 'lane', lane: { reader: 'Virtual PCD 00 00', status: 'empty' } });
    expect(c.lanes[0]).toEqual({ reader: 'Virtual PCD 00 00', status: 'empty' });
    // A lane that is not part of the batch is not shown.
    batch.emit({ type: 'lane', lane: { reader: 'elsewhere', status: 'empty' } });
    expect(c.lanes.map((l) => l.reader)).toEqual(['Virtual PCD 00 00', 'Virtual PCD 00 01', 'Krypton Web demo reader (virtual SIM)']);
    await c.stop();
    expect(c.lanes).toEqual([]);
    expect(c.rows).toHaveLength(1);
  });

  it('offers an unfinished batch; continuing brings back its report and its checklist', async () => {
    const earlier = [row(1), row(2, { verdict: 'FAIL', failedStep: 'key', problem: { code: 'MAC_FAILURE', message: 'm', action: 'a' } })];
    const batch = fakeBatch({
      pending: async () => ({
        batchId: 'b1',
        startedAt: 1,
        sims: 2,
        checklist: { credentials: 'direct', metadata: { tag: { name: 'box', expected: '7' } } },
      }),
      resume: async () => earlier,
    });
    const c = new CheckSims(deps(batch));
    await c.init();
    expect(c.phase).toBe('offer');
    expect(c.pending?.sims).toBe(2);
    await c.continueBatch();
    expect(c.phase).toBe('idle');
    expect(c.rows).toEqual(earlier);
    expect(c.form).toMatchObject({ credentials: 'direct', metadata: true, tag: true, tagName: 'box', tagExpected: '7' });
    await c.start();
    // The same batch goes on: its rows stay.
    expect(c.rows).toEqual(earlier);
    await c.stop();
    await c.newBatch();
    expect(c.rows).toEqual([]);
    expect(batch.calls).toContain('newBatch');
  });

  it('remembers choices, never a secret; a stored value is checked', () => {
    const storage = new MemoryStorage();
    const c = new CheckSims(deps(fakeBatch(), { storage }));
    c.form.credentials = 'direct';
    c.sound = true;
    c.useReader('Virtual PCD 00 01', false);
    c.persist();
    const stored = JSON.parse(storage.data.get(STORAGE_KEY)!) as Record<string, unknown>;
    expect(stored).toMatchObject({ form: { credentials: 'direct' }, sound: true, excluded: ['Virtual PCD 00 01'] });
    expect(JSON.stringify(stored)).not.toMatch(/pin"|secret|token/i);
    const again = new CheckSims(deps(fakeBatch(), { storage }));
    expect([again.form.credentials, again.sound, again.excluded]).toEqual(['direct', true, ['Virtual PCD 00 01']]);
    storage.setItem(STORAGE_KEY, '{"form":{"credentials":"always","s3":"yes"},"excluded":"all","upload":{"format":"xml"}}');
    const odd = loadCheckSettings(storage, { upload: { bucket: 'b-default', region: 'ap-northeast-1', prefix: 'p/', format: 'csv' } });
    expect(odd).toEqual({
      form: DEFAULT_FORM,
      excluded: [],
      sound: false,
      upload: { bucket: 'b-default', region: 'ap-northeast-1', prefix: 'p/', format: 'csv' },
    });
  });

  it('says what stops Start', async () => {
    const c = new CheckSims(deps(fakeBatch()));
    await c.init();
    c.form.credentials = 'off';
    c.form.s3 = true;
    expect(c.startProblem).toBe('check.problem.s3NeedsCredentials');
    c.form.credentials = 'openid';
    c.form.s3Bucket = 'Not A Bucket';
    expect(c.startProblem).toBe('check.problem.bucket');
    c.form.s3Bucket = '';
    c.form.s3Mode = 'head';
    expect(c.startProblem).toBe('check.problem.key');
    c.form.s3 = false;
    for (const r of c.readers) c.useReader(r.name, false);
    expect(c.startProblem).toBe('check.problem.noLanes');
    const noLab = new CheckSims(deps(fakeBatch(), { settings: () => 'endpoint.labMissing' }));
    expect(noLab.startProblem).toBe('endpoint.labMissing');
  });

  it('exports CSV with headings and problems in the page’s language', async () => {
    const saved: { name: string; bytes: Uint8Array }[] = [];
    const c = new CheckSims(
      deps(fakeBatch(), { save: (blob, name) => void blob.arrayBuffer().then((b) => saved.push({ name, bytes: new Uint8Array(b) })) }),
    );
    await c.init();
    await c.start();
    const fail = row(2, {
      verdict: 'FAIL',
      failedStep: 'key',
      problem: { code: 'MAC_FAILURE', message: 'The SIM refused', action: 'Check the SIM' },
    });
    c.onEvent({ type: 'result', result: row(1), saved: true });
    c.onEvent({ type: 'result', result: fail, saved: true });
    // As the page does before it shows the Check SIMs screen (its English texts load with it).
    await i18n.loadSessionTexts();
    await i18n.set('en');
    const csv = c.csv();
    expect(csv.startsWith('\uFEFFTime,Lane,ICCID,IMSI,Group,Result,Failing step,Code,Duration (ms),What happened,What to do\r\n')).toBe(
      true,
    );
    expect(csv.trimEnd().split('\r\n')).toHaveLength(3);
    expect(csv).toContain(',FAIL,Key agreement,MAC_FAILURE,802,The SIM refused.,Check the SIM.');
    await i18n.set('ja');
    const ja = c.csv();
    expect(ja).toContain('日時,レーン,ICCID');
    expect(ja).toContain('鍵の合意,MAC_FAILURE');
    expect(ja).toContain('SIM がネットワークからの認証要求を拒否しました');
    await i18n.set('en');
    // Same rows as sim-check's own CSV of them, only the words differ.
    expect(toCsv(c.rows).trimEnd().split('\r\n')).toHaveLength(3);
    c.exportReport('csv');
    await new Promise((r) => setTimeout(r, 0));
    expect(saved[0]?.name).toBe(reportFileName('b1', Date.UTC(2026, 11, 3, 5, 6, 7), 'csv'));
    // UTF-8 with its BOM, as Excel needs it.
    expect([...saved[0]!.bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder('utf-8', { ignoreBOM: true }).decode(saved[0]!.bytes)).toBe(c.csv());
    const json = JSON.parse(c.json()) as { batchId: string; summary: unknown; rows: unknown[] };
    expect([json.batchId, json.summary, json.rows.length]).toEqual(['b1', { PASS: 1, WARN: 0, FAIL: 1, total: 2 }, 2]);
  });
});

describe('the report table', () => {
  const format: CellFormat = { time: (ms) => new Date(ms).toISOString(), step: (s) => `step:${s}`, verdict: (v) => v.toLowerCase() };
  const rows = [
    row(1),
    row(2, { verdict: 'FAIL', failedStep: 'key', problem: { code: 'MAC_FAILURE', message: 'm', action: 'a' }, durationMs: 50 }),
    row(3, { verdict: 'WARN', failedStep: 'sim', problem: { code: 'PIN_TRIES_LOW', message: 'm', action: 'a' }, groupId: 'lab-group' }),
  ];

  it('filters by result and by words, and sorts by any column both ways (ties in checking order)', () => {
    expect(viewRows(rows, { ...DEFAULT_VIEW, verdict: 'FAIL' }, format).map((r) => r.id)).toEqual(['r2']);
    expect(viewRows(rows, { ...DEFAULT_VIEW, text: 'mac' }, format).map((r) => r.id)).toEqual(['r2']);
    expect(viewRows(rows, { ...DEFAULT_VIEW, text: 'foreign lab-group' }, format).map((r) => r.id)).toEqual([]);
    expect(viewRows(rows, { ...DEFAULT_VIEW, text: 'lab-group 00000000000003' }, format).map((r) => r.id)).toEqual(['r3']);
    expect(viewRows(rows, { ...DEFAULT_VIEW, sort: 'durationMs' }, format).map((r) => r.id)).toEqual(['r2', 'r1', 'r3']);
    expect(viewRows(rows, { ...DEFAULT_VIEW, sort: 'result' }, format).map((r) => r.id)).toEqual(['r2', 'r3', 'r1']);
    expect(viewRows(rows, { ...DEFAULT_VIEW, sort: 'iccid', descending: true }, format).map((r) => r.id)).toEqual(['r3', 'r2', 'r1']);
    expect(cellText(rows[1]!, 'step', format)).toBe('step:key');
    expect(cellText(rows[1]!, 'durationMs', format)).toBe('0.1 s');
  });

  it('renders only the rows in view: 1,000 rows or 30, the same few dozen in the DOM', () => {
    expect(visibleRange(0, 432, 36, 0)).toEqual({ start: 0, end: 0 });
    expect(visibleRange(0, 432, 36, 12)).toEqual({ start: 0, end: 12 });
    const top = visibleRange(0, 432, 36, 1000);
    expect(top).toEqual({ start: 0, end: 21 });
    const middle = visibleRange(500 * 36, 432, 36, 1000);
    expect(middle).toEqual({ start: 492, end: 521 });
    const bottom = visibleRange(1000 * 36 - 432, 432, 36, 1000);
    expect(bottom.end).toBe(1000);
    expect(bottom.end - bottom.start).toBeLessThanOrEqual(30);
    // Sorting and filtering 1,000 rows stays well inside a frame.
    const many = Array.from({ length: 1000 }, (_, i) => row(i % 97, { id: `m${i}`, iccid: `8981${String(i).padStart(15, '0')}` }));
    const t0 = performance.now();
    viewRows(many, { ...DEFAULT_VIEW, sort: 'iccid', descending: true, text: '89' }, format);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('names a report file by its local time and batch', () => {
    expect(reportFileName('0f9e2c1a-7b7d-4e1e-9c55-000000000000', new Date(2026, 11, 3, 14, 5, 9).getTime(), 'csv')).toBe(
      'krypton-check-20261203-140509-0f9e2c1a.csv',
    );
  });

  it('a checklist form round-trips', () => {
    const form = {
      ...DEFAULT_FORM,
      s3: true,
      s3Mode: 'head' as const,
      s3Key: 'firmware/v2/app.bin',
      s3Bucket: 'krypton-demo',
      metadata: true,
    };
    const made = checklistOf(form);
    expect(made).toEqual({
      checklist: { credentials: 'openid', s3: { mode: 'head', bucket: 'krypton-demo', key: 'firmware/v2/app.bin' }, metadata: {} },
    });
    if ('checklist' in made) expect(checklistOf(formOf(made.checklist))).toEqual(made);
  });
});

describe('USB modem lanes on the page', () => {
  /** A Web Serial double: ports with USB ids, a picker answering with `picked`, and plug-in events the test fires. */
  function ports(remembered: ModemChoice['port'][], picked?: ModemChoice['port']) {
    let plugged: ((port: ModemChoice['port']) => void) | undefined;
    const opened: ModemChoice['port'][] = [];
    const modemPorts: ModemPorts = {
      remembered: async () => remembered,
      request: async () => {
        if (!picked) throw Object.assign(new Error('No Huawei modem was chosen'), { code: 'ABORTED' });
        return picked;
      },
      open: async (port) => {
        opened.push(port);
        return new MessageChannel().port1;
      },
      onPlugged: (listener) => {
        plugged = listener;
        return () => (plugged = undefined);
      },
      name: () => 'Huawei modem (12d1:1506)',
    };
    return { modemPorts, opened, plug: (port: ModemChoice['port']) => plugged?.(port) };
  }
  const port = (productId = 0x1506) =>
    ({ getInfo: () => ({ usbVendorId: 0x12d1, usbProductId: productId }) }) as unknown as ModemChoice['port'];

  it('names modem lanes apart and finds the lane a re-plugged stick belongs to', () => {
    expect(modemLaneName('Huawei modem (12d1:1506)', [])).toBe('Huawei modem (12d1:1506)');
    expect(modemLaneName('Huawei modem (12d1:1506)', ['Huawei modem (12d1:1506)', 'Huawei modem (12d1:1506) 2'])).toBe(
      'Huawei modem (12d1:1506) 3',
    );
    const [a, b, other] = [port(), port(), port(0x1001)];
    const choices = [
      { lane: 'A', port: a },
      { lane: 'B', port: b },
    ];
    expect(laneForPluggedPort(b, choices, ['A', 'B'])?.lane).toBe('B');
    // A new port object of the same make takes the first lane that lost its modem.
    expect(laneForPluggedPort(port(), choices, ['B'])?.lane).toBe('B');
    expect(laneForPluggedPort(other, choices, ['A', 'B'])).toBeUndefined();
    expect(laneForPluggedPort(port(), choices, [])).toBeUndefined();
  });

  it('lists allowed modems, adds one from the picker, starts with them as lanes and hands each port to the worker', async () => {
    const remembered = port();
    const picked = port();
    const serial = ports([remembered], picked);
    const added: string[] = [];
    let started: BatchStart | undefined;
    const batch = fakeBatch({
      start: async (s) => ((started = s), { batchId: 'b1', storage: 'indexeddb' }),
      addModem: async (lane) => void added.push(lane),
    });
    const checks = new CheckSims(deps(batch, { modemPorts: serial.modemPorts }));
    await checks.init();
    expect(checks.modemsSupported).toBe(true);
    expect(checks.modems.map((m) => m.lane)).toEqual(['Huawei modem (12d1:1506)']);
    await checks.addModem();
    expect(checks.chosenModems.map((m) => m.lane)).toEqual(['Huawei modem (12d1:1506)', 'Huawei modem (12d1:1506) 2']);
    for (const r of checks.readers) checks.useReader(r.name, false);
    expect(checks.startProblem).toBeUndefined();
    await checks.start();
    expect(started?.readers).toEqual([]);
    expect(started?.modems).toEqual(['Huawei modem (12d1:1506)', 'Huawei modem (12d1:1506) 2']);
    expect(added).toEqual(['Huawei modem (12d1:1506)', 'Huawei modem (12d1:1506) 2']);
    expect(serial.opened).toEqual([remembered, picked]);
    expect(checks.lanes.map((l) => [l.reader, l.status, l.modem])).toEqual([
      ['Huawei modem (12d1:1506)', 'empty', true],
      ['Huawei modem (12d1:1506) 2', 'empty', true],
    ]);

    // The first stick unplugged and plugged back in (a new port object): its lane gets the new port.
    checks.onEvent({ type: 'lane', lane: { reader: 'Huawei modem (12d1:1506)', status: 'gone', modem: true } });
    const again = port();
    serial.plug(again);
    await new Promise((r) => setTimeout(r, 0));
    expect(added).toEqual(['Huawei modem (12d1:1506)', 'Huawei modem (12d1:1506) 2', 'Huawei modem (12d1:1506)']);
    expect(serial.opened.at(-1)).toBe(again);
    expect(checks.modems.find((m) => m.lane === 'Huawei modem (12d1:1506)')?.port).toBe(again);
    // A port plugged in while no lane waits for one is left alone.
    serial.plug(port());
    await new Promise((r) => setTimeout(r, 0));
    expect(added).toHaveLength(3);
  });

  it('a port that will not open shows on its lane, a closed picker is no failure, and no Web Serial says so', async () => {
    const serial = ports([port()]);
    serial.modemPorts.open = async () => {
      throw Object.assign(new Error('Could not open Huawei modem (12d1:1506): another program holds it'), { code: 'TRANSPORT_BUSY' });
    };
    const checks = new CheckSims(deps(fakeBatch({ addModem: async () => undefined }), { modemPorts: serial.modemPorts }));
    await checks.init();
    await checks.addModem();
    expect(checks.modemsFailure).toBeUndefined();
    for (const r of checks.readers) checks.useReader(r.name, false);
    await checks.start();
    expect(checks.modemProblems['Huawei modem (12d1:1506)']?.message).toMatch(/another program holds it/);

    const without = new CheckSims(deps(fakeBatch()));
    await without.init();
    expect(without.modemsSupported).toBe(false);
    for (const r of without.readers) without.useReader(r.name, false);
    expect(without.startProblem).toBe('check.problem.noLanes');
  });
});
