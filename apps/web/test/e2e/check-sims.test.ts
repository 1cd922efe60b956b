import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, waitFor } from '@krypton-web/web-driver';
import type { Page } from 'playwright-core';
import { screenshot } from './support/artifacts.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';
import { insertVcard, type Vcard } from './support/vcard.test-support.ts';

const DEMO_READER = 'Krypton Web demo reader (virtual SIM)';

/** The lane of a reader on the Check SIMs screen. */
function lane(page: Page, reader: string) {
  return page.locator(`[data-testid="lane"][data-reader="${reader}"]`);
}

/** Waits until the report's summary line says `text` (results arrive from the worker as they are persisted). */
async function summaryIs(page: Page, text: string): Promise<void> {
  const summary = page.getByTestId('report-summary');
  await waitFor(async () => (await summary.innerText()) === text, `the report to say "${text}"`, 15_000);
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF): the export is checked field by field. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

/** Opens the Check SIMs screen and waits until the bridge's readers are listed. */
async function openCheckSims(page: Page, url: string, readers: string[]): Promise<void> {
  await page.goto(`${url}/#check-sims`);
  await page.getByRole('heading', { name: 'Check SIMs', level: 2 }).waitFor();
  await waitFor(
    async () => {
      for (const r of readers)
        if ((await page.getByRole('checkbox', { name: r }).count()) === 0) {
          await page.getByRole('button', { name: 'Look for readers' }).click();
          return false;
        }
      return true;
    },
    `the bridge to list ${readers.join(', ')}`,
    20_000,
  );
}

// The demo's own reader (a virtual SIM always in it), through the real bridge: no pcscd needed.
describe('Check SIMs on the demo reader', () => {
  let stack: Stack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('checks the SIM in the reader at once, shows PASS, and keeps the row', async () => {
    const { page } = browser;
    await openCheckSims(page, stack.url, [DEMO_READER]);
    await page.getByRole('checkbox', { name: 'Subscriber metadata (group and tags)' }).check();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    const demo = lane(page, DEMO_READER);
    await demo.locator('[data-testid="lane-verdict"]').waitFor({ timeout: 30_000 });
    expect(await demo.locator('[data-testid="lane-verdict"]').innerText()).toBe('PASS');
    await summaryIs(page, 'SIMs: 1 — 1 PASS, 0 WARN, 0 FAIL');
    const cells = await page.locator('[data-testid="report-body"] [role="row"]').first().locator('[role="cell"]').allInnerTexts();
    expect(cells.slice(1, 6)).toEqual([DEMO_READER, '8981100000000000016', '001010000000001', 'lab-group', 'PASS']);
    await screenshot(page, 'k-0-demo-reader');
  }, 120_000);
});

/** What the report says of each SIM: ICCID → [result, failing step, code]. */
type Expected = Record<string, [string, string, string]>;

const ICCID = {
  demo: '8981100000000000016',
  pin: '8981100000000000024',
  blocked: '8981100000000000032',
  even: '8981100000000000040',
  foreign: '8981100000000000057',
};

// A batch as field staff run it: the real bridge over a real pcscd with two vpcd readers, the lab's
// vcards as the SIMs put in and taken out, Chromium on the Check SIMs screen. Needs root for pcscd.
describe('Check SIMs through pcscd: two readers, a stack of SIMs', () => {
  let pcscd: PcscdHandle;
  let stack: Stack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  const cards = new Map<number, Vcard>();
  let readers: string[] = [];

  async function insert(slot: number, sim: string): Promise<void> {
    cards.set(slot, await insertVcard(pcscd.vpcdPort + slot, sim));
  }
  async function remove(slot: number): Promise<void> {
    await cards.get(slot)?.remove();
    cards.delete(slot);
  }
  /** Waits for a lane's verdict and returns it with the code shown. */
  async function verdictOf(page: Page, slot: number): Promise<{ verdict: string; code: string; text: string }> {
    const l = lane(page, readers[slot]!);
    await l.locator('[data-testid="lane-verdict"]').waitFor({ timeout: 30_000 });
    const code = (await l.getByTestId('lane-code').count()) > 0 ? await l.getByTestId('lane-code').innerText() : '';
    return { verdict: await l.getByTestId('lane-verdict').innerText(), code, text: await l.innerText() };
  }
  async function waitEmpty(page: Page, slot: number): Promise<void> {
    await lane(page, readers[slot]!).and(page.locator('[data-status="empty"]')).waitFor({ timeout: 15_000 });
    // Nothing of the SIM that left: no verdict, no ICCID.
    expect(await lane(page, readers[slot]!).getByTestId('lane-verdict').count()).toBe(0);
    expect(await lane(page, readers[slot]!).getByTestId('lane-status').innerText()).toBe('Insert the next SIM');
  }

  beforeAll(async () => {
    delete process.env.PCSCLITE_CSOCK_NAME;
    pcscd = await startPcscd({ lockTimeoutMs: 600_000 });
    readers = [...pcscd.readerNames];
    stack = await startStack({ pcsc: true });
    browser = await launchBrowser();
  }, 720_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    for (const slot of [...cards.keys()]) await remove(slot);
    await pcscd?.stop();
  });

  it('checks each SIM as it goes in, clears the lane as it comes out, survives a reload, exports and uploads the report', async () => {
    const { page } = browser;
    await openCheckSims(page, stack.url, readers);
    // The demo's own reader would check its demo SIM too: this batch is the two vpcd readers.
    await page.getByRole('checkbox', { name: DEMO_READER }).uncheck();
    await page.getByRole('checkbox', { name: 'S3 probe' }).check();
    await page.getByRole('checkbox', { name: 'Subscriber metadata (group and tags)' }).check();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.getByTestId('check-status').filter({ hasText: 'Running (lanes: 2)' }).waitFor();
    await waitEmpty(page, 0);
    await waitEmpty(page, 1);

    // Two SIMs at once: a good one, and one whose PIN is blocked (FAIL with PUK advice; the batch goes on).
    await Promise.all([insert(0, 'demo'), insert(1, 'demo-blocked')]);
    expect((await verdictOf(page, 0)).verdict).toBe('PASS');
    const blocked = await verdictOf(page, 1);
    expect(blocked.verdict).toBe('FAIL');
    expect(blocked.code).toBe('Code: PIN_BLOCKED');
    expect(blocked.text).toMatch(/Failed at: SIM \(ICCID, IMSI, PIN state\)/);
    expect(blocked.text).toMatch(/PUK/);
    await screenshot(page, 'k-1-two-lanes');
    await Promise.all([remove(0), remove(1)]);
    await waitEmpty(page, 0);
    await waitEmpty(page, 1);

    // A PIN-enabled SIM asks for its PIN; a foreign SIM fails key agreement with a MAC failure.
    await Promise.all([insert(0, 'demo-pin'), insert(1, 'demo-foreign')]);
    const pinLane = lane(page, readers[0]!);
    await pinLane.and(page.locator('[data-status="pin"]')).waitFor({ timeout: 30_000 });
    expect(await pinLane.innerText()).toMatch(/3 tries left/);
    await pinLane.getByLabel(`PIN of the SIM in ${readers[0]}`).fill('1234');
    await pinLane.getByRole('checkbox', { name: 'Same PIN for this batch' }).check();
    await pinLane.getByRole('button', { name: 'Verify PIN' }).click();
    expect((await verdictOf(page, 0)).verdict).toBe('PASS');
    const foreign = await verdictOf(page, 1);
    expect([foreign.verdict, foreign.code]).toEqual(['FAIL', 'Code: MAC_FAILURE']);
    expect(foreign.text).toMatch(/Failed at: Key agreement/);
    await Promise.all([remove(0), remove(1)]);
    await waitEmpty(page, 0);
    await waitEmpty(page, 1);
    await summaryIs(page, 'SIMs: 4 — 2 PASS, 0 WARN, 2 FAIL');

    // A reload in the middle of the batch: nothing shown is lost, and the batch goes on.
    await page.reload();
    await page.getByRole('button', { name: 'Continue batch (4 SIMs checked)' }).click();
    await summaryIs(page, 'SIMs: 4 — 2 PASS, 0 WARN, 2 FAIL');
    expect(await page.getByRole('checkbox', { name: DEMO_READER }).isChecked()).toBe(false);
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await waitEmpty(page, 0);

    // A SIM pulled mid-check (Krypton slowed down so there is time): the lane clears at once, and the
    // report keeps the check as FAIL CARD_REMOVED.
    stack.lab.faults.update({ latencyMs: 1500 });
    await insert(0, 'demo-even');
    await lane(page, readers[0]!).locator('[data-step="key"]').waitFor({ timeout: 30_000 });
    await remove(0);
    await waitEmpty(page, 0);
    stack.lab.faults.update({ latencyMs: 0 });
    await page.locator(`[data-testid="report-body"] [data-iccid="${ICCID.even}"]`).waitFor({ timeout: 30_000 });
    // Still nothing shown for it in the lane.
    expect(await lane(page, readers[0]!).getByTestId('lane-status').innerText()).toBe('Insert the next SIM');

    // The same SIM a second time: said so, and checked again on request.
    await insert(1, 'demo');
    const again = lane(page, readers[1]!);
    await again.getByTestId('lane-already').waitFor({ timeout: 30_000 });
    expect(await again.getByTestId('lane-already').innerText()).toMatch(/^Already checked at \d\d:\d\d( [AP]M)? — PASS$/);
    await again.getByRole('button', { name: 'Check again' }).click();
    expect((await verdictOf(page, 1)).verdict).toBe('PASS');
    await remove(1);
    await waitEmpty(page, 1);

    // The report: one row per SIM, the right five.
    const expected: Expected = {
      [ICCID.demo]: ['PASS', '', ''],
      [ICCID.blocked]: ['FAIL', 'SIM (ICCID, IMSI, PIN state)', 'PIN_BLOCKED'],
      [ICCID.pin]: ['PASS', '', ''],
      [ICCID.foreign]: ['FAIL', 'Key agreement', 'MAC_FAILURE'],
      [ICCID.even]: ['FAIL', 'Key agreement', 'CARD_REMOVED'],
    };
    await summaryIs(page, 'SIMs: 5 — 2 PASS, 0 WARN, 3 FAIL');
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^krypton-check-\d{8}-\d{6}-[0-9a-f]{8}\.csv$/);
    const bytes = readFileSync(await download.path());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = parseCsv(bytes.subarray(3).toString('utf8'));
    expect(csv[0]).toEqual([
      'Time',
      'Lane',
      'ICCID',
      'IMSI',
      'Group',
      'Result',
      'Failing step',
      'Code',
      'Duration (ms)',
      'What happened',
      'What to do',
    ]);
    const got = Object.fromEntries(csv.slice(1).map((r) => [r[2], [r[5], r[6], r[7]]]));
    expect(got).toEqual(expected);
    expect(csv).toHaveLength(1 + 5);
    for (const r of csv.slice(1)) {
      expect(readers).toContain(r[1]);
      expect(r[4]).toBe(r[2] === ICCID.blocked || r[2] === ICCID.even || r[2] === ICCID.foreign ? '' : 'lab-group');
    }

    // Upload to the lab's S3 with the credentials a SIM of this batch earned: the object is there, with the right MD5.
    await page.getByLabel('Folder (prefix)').fill('check-reports/e2e');
    await page.getByRole('button', { name: 'Upload report' }).click();
    const outcome = page.getByTestId('upload-outcome');
    await outcome.waitFor({ timeout: 30_000 });
    const key = (await outcome.getAttribute('data-key'))!;
    expect(key).toMatch(/^check-reports\/e2e\/krypton-check-\d{8}-\d{6}-[0-9a-f]{8}\.csv$/);
    const stored = await fetch(`${stack.lab.s3.backendUrl}/${stack.lab.bucket}/${key}`);
    expect(stored.status).toBe(200);
    const body = Buffer.from(await stored.arrayBuffer());
    const md5 = createHash('md5').update(body).digest('hex');
    expect(stored.headers.get('etag')).toBe(`"${md5}"`);
    expect(await outcome.innerText()).toContain(`MD5 ${md5}`);
    expect(
      Object.fromEntries(
        parseCsv(body.subarray(3).toString('utf8'))
          .slice(1)
          .map((r) => [r[2], [r[5], r[6], r[7]]]),
      ),
    ).toEqual(expected);
    await screenshot(page, 'k-2-check-sims-en');

    // The screen in Japanese: lanes, verdicts, failures and the report speak it.
    await page.getByLabel('Language').selectOption('ja');
    await page.getByRole('heading', { name: 'SIM の一括検査', level: 2 }).waitFor();
    expect(await lane(page, readers[0]!).getByTestId('lane-status').innerText()).toBe('次の SIM を挿してください');
    await summaryIs(page, '5 枚 — 合格 2、要確認 0、不合格 3');
    await insert(0, 'demo-foreign');
    const ja = lane(page, readers[0]!);
    await ja.getByTestId('lane-already').waitFor({ timeout: 30_000 });
    expect(await ja.getByTestId('lane-already').innerText()).toMatch(/^\d\d:\d\d に検査済み — 不合格$/);
    await ja.getByRole('button', { name: 'もう一度検査' }).click();
    const jaVerdict = await verdictOf(page, 0);
    expect(jaVerdict.verdict).toBe('不合格');
    expect(jaVerdict.text).toContain('失敗した項目：鍵の合意');
    expect(jaVerdict.text).toContain('SIM がネットワークからの認証要求を拒否しました');
    expect(jaVerdict.code).toBe('コード：MAC_FAILURE');
    await screenshot(page, 'k-3-check-sims-ja');
    await remove(0);
    await page.getByRole('button', { name: '停止' }).click();
  }, 600_000);
});
