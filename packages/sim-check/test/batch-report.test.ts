import { describe, expect, it } from 'vitest';
import {
  BatchLedger,
  parseChecklist,
  parseJsonLines,
  reportRows,
  toCsv,
  toJsonLine,
  toReportJson,
  type CheckResult,
} from '../src/index.ts';

function result(over: Partial<CheckResult>): CheckResult {
  return {
    id: over.id ?? Math.random().toString(36).slice(2),
    batchId: 'b1',
    lane: 'Virtual PCD 00 00',
    startedAt: 1_000,
    finishedAt: 3_000,
    durationMs: 2_000,
    verdict: 'PASS',
    steps: [{ step: 'sim', status: 'pass', ms: 20 }],
    ...over,
  };
}

describe('the batch report', () => {
  it('has one row per SIM, its latest check, in first-seen order', () => {
    const rows = reportRows([
      result({ id: 'a1', iccid: '111', startedAt: 1, verdict: 'FAIL' }),
      result({ id: 'b1', iccid: '222', startedAt: 2 }),
      result({ id: 'x', startedAt: 3 }), // never read its ICCID: a row of its own
      result({ id: 'a2', iccid: '111', startedAt: 4 }),
    ]);
    expect(rows.map((r) => r.id)).toEqual(['a2', 'b1', 'x']);
  });

  it('writes RFC 4180 CSV with a BOM, CRLF, quoted fields and no formula injection', () => {
    const csv = toCsv(
      [
        result({
          iccid: '8981100000000000016',
          imsi: '001010000000001',
          groupId: 'lab-group',
          verdict: 'FAIL',
          failedStep: 'key',
          problem: { code: 'MAC_FAILURE', message: 'The network, "Krypton", refused\nthe SIM', action: '=HYPERLINK("x")' },
        }),
      ],
      { formatTime: () => '2026-12-03T14:00:01+09:00' },
    );
    expect(csv.startsWith('\uFEFFtime,lane,ICCID,IMSI,group,result,failing step,code,duration (ms),message,what to do\r\n')).toBe(true);
    const body = csv.slice(1).split('\r\n');
    expect(body).toHaveLength(3);
    expect(body[2]).toBe('');
    expect(body[1]).toBe(
      '2026-12-03T14:00:01+09:00,Virtual PCD 00 00,8981100000000000016,001010000000001,lab-group,FAIL,key,MAC_FAILURE,2000,' +
        '"The network, ""Krypton"", refused\nthe SIM","\'=HYPERLINK(""x"")"',
    );
  });

  it('translates headings, steps and problems when asked (the Japanese page)', () => {
    const csv = toCsv([result({ verdict: 'FAIL', failedStep: 'pin', problem: { code: 'PIN_REQUIRED', message: 'm', action: 'a' } })], {
      headings: {
        time: '日時',
        lane: 'レーン',
        iccid: 'ICCID',
        imsi: 'IMSI',
        group: 'グループ',
        result: '結果',
        step: '失敗した段階',
        code: 'コード',
        durationMs: '所要時間 (ms)',
        message: '内容',
        action: '対処',
      },
      stepName: () => 'PIN 確認',
      describe: () => ({ message: 'PIN が必要です', action: 'PIN を入力してください' }),
    });
    expect(csv).toContain('日時,レーン,ICCID');
    expect(csv).toContain(',FAIL,PIN 確認,PIN_REQUIRED,2000,PIN が必要です,PIN を入力してください\r\n');
  });

  it('reads back a JSONL log, skipping a torn last line and anything that is not a result', () => {
    const a = result({ id: 'a', iccid: '8981100000000000016', imsi: '001010000000001' });
    const b = result({
      id: 'b',
      verdict: 'WARN',
      failedStep: 'sim',
      problem: { code: 'PIN_TRIES_LOW', message: 'm', action: 'a', details: { triesLeft: 2 } },
    });
    // A problem whose action asks to paste a CORS configuration keeps it across a reload.
    const c = result({
      id: 'c',
      verdict: 'WARN',
      failedStep: 's3',
      problem: { code: 'S3_CORS_MISSING', message: 'm', action: 'a', cors: { origin: 'http://localhost:8787', bucket: 'r', json: '[]' } },
    });
    const text = toJsonLine(a) + '{"id": 3}\n' + toJsonLine(b) + toJsonLine(c) + toJsonLine(a).slice(0, 40);
    const { results, skipped } = parseJsonLines(text);
    expect(results).toEqual([a, b, c]);
    expect(skipped).toBe(2);
  });

  it('exports JSON with a summary', () => {
    const json = JSON.parse(toReportJson([result({ verdict: 'PASS' }), result({ verdict: 'FAIL' })], { batchId: 'b1', exportedAt: 0 })) as {
      summary: unknown;
      rows: unknown[];
    };
    expect(json.summary).toEqual({ PASS: 1, WARN: 0, FAIL: 1, total: 2 });
    expect(json.rows).toHaveLength(2);
  });
});

describe('the ledger', () => {
  it('knows a SIM checked already, but not one whose check was interrupted', () => {
    const ledger = new BatchLedger('b1', [result({ id: 'p', iccid: '111', verdict: 'PASS' })]);
    expect(ledger.previous('111')?.id).toBe('p');
    ledger.add(result({ id: 'i', iccid: '222', verdict: 'FAIL', interrupted: true }));
    expect(ledger.previous('222')).toBeUndefined();
    expect(ledger.rows()).toHaveLength(2);
    expect(ledger.summary()).toEqual({ PASS: 1, WARN: 0, FAIL: 1, total: 2 });
  });
});

describe('checklists', () => {
  it('accepts a full checklist and refuses unknown fields, bad buckets and a HEAD without key', () => {
    expect(
      parseChecklist({
        credentials: 'direct',
        s3: { mode: 'head', bucket: 'my-bucket', key: 'a/b' },
        metadata: { tag: { name: 'site', expected: 'x' } },
      }),
    ).toEqual({
      credentials: 'direct',
      s3: { mode: 'head', bucket: 'my-bucket', key: 'a/b' },
      metadata: { tag: { name: 'site', expected: 'x' } },
    });
    expect(parseChecklist({})).toEqual({ credentials: 'openid' });
    expect(() => parseChecklist({ credental: 'openid' })).toThrow(/unknown field "credental"/);
    expect(() => parseChecklist({ s3: { bucket: 'Bad_Bucket' } })).toThrow(/not a valid S3 bucket/);
    expect(() => parseChecklist({ s3: { mode: 'head' } })).toThrow(/key is needed/);
    expect(() => parseChecklist({ credentials: 'off', s3: { mode: 'list' } })).toThrow(/needs credentials/);
  });
});
