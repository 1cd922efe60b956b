import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { openCardStack, type CardStack } from '@krypton-web/krypton-lab';
import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLane, laneVerdict, launchBrowser, startCheckSims, storeFinishedChecks, waitFor } from '@krypton-web/web-driver';
import type { Page } from 'playwright-core';
import { screenshot } from './support/artifacts.test-support.ts';
import { startChromiumStack, type BrowserStack } from './support/browser-stack.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';

const DEMO_READER = 'Krypton Web demo reader (virtual SIM)';
const DEMO_STACK = 'Krypton Web demo stack (virtual SIMs)';

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

const ICCID = {
  demo: '8981100000000000016',
  pin: '8981100000000000024',
  blocked: '8981100000000000032',
  foreign: '8981100000000000057',
  /** demo-box-01 … 08. */
  box: [
    '8981100000000000119',
    '8981100000000000127',
    '8981100000000000135',
    '8981100000000000143',
    '8981100000000000150',
    '8981100000000000168',
    '8981100000000000176',
    '8981100000000000184',
  ],
};

// The demo's own readers, through the real bridge, no pcscd needed: the demo reader (a virtual SIM
// always in it) and the demo stack (the lab's box of SIMs dealt in and out on a timeline).
describe('Check SIMs on the demo readers', () => {
  let stack: BrowserStack;

  beforeAll(async () => {
    stack = await startChromiumStack();
  }, 300_000);

  afterAll(() => stack?.close());

  it('checks the card the demo stack puts in at once; the card it takes out clears the lane; the next card is checked', async () => {
    const { page } = stack.browser;
    // The demo reader holds a "demo" SIM too, and the stack deals "demo" first: one lane, so it is checked once.
    // Credentials straight from Krypton this time, and a HEAD of a seeded object in the userdata's bucket.
    await startCheckSims(page, stack.url, [DEMO_STACK], { credentials: 'direct', s3: { head: 'hello.json' }, metadata: true });
    expect(await page.getByRole('checkbox', { name: DEMO_READER }).isChecked()).toBe(false);
    const dealt = checkLane(page, DEMO_STACK);
    // The stack deals "demo" first, then demo-box-01, every few seconds.
    const first = page.locator(`[data-testid="report-body"] [data-iccid="${ICCID.demo}"]`);
    await first.waitFor({ timeout: 30_000 });
    expect(await first.locator('[role="cell"]').allInnerTexts()).toEqual([
      expect.any(String),
      DEMO_STACK,
      ICCID.demo,
      '001010000000001',
      'lab-group',
      'PASS',
      '',
      '',
      expect.stringMatching(/^\d+\.\d s$/),
    ]);
    await dealt.and(page.locator('[data-status="empty"]')).waitFor({ timeout: 30_000 });
    expect(await dealt.getByTestId('lane-status').innerText()).toBe('Insert the next SIM');
    await dealt.and(page.locator('[data-verdict="PASS"]')).waitFor({ timeout: 30_000 });
    expect(await dealt.innerText()).toContain(`ICCID ${ICCID.box[0]}`);
    await screenshot(page, 'k-0-demo-stack');
    await page.getByRole('button', { name: 'Stop' }).click();
  }, 120_000);

  it('a batch of a thousand SIMs: continued after a reload, its report renders only the rows in view and sorts at once', async () => {
    const { page } = stack.browser;
    // A thousand more finished checks in the stored batch, as a long day would leave them.
    await storeFinishedChecks(page, 1000);
    await page.reload();
    // The count is written with the locale's grouping ("1,002 SIMs").
    const offer = page.getByRole('button', { name: /^Continue batch \([\d,]+ SIMs checked\)$/ });
    await offer.waitFor();
    const total = Number(/\(([\d,]+) SIMs/.exec(await offer.innerText())![1]!.replace(/,/g, ''));
    expect(total).toBeGreaterThanOrEqual(1002);
    await offer.click();
    const body = page.getByTestId('report-body');
    await summaryIs(page, `SIMs: ${total} — ${total - 100} PASS, 0 WARN, 100 FAIL`);
    expect(await page.getByTestId('report-table').getAttribute('aria-rowcount')).toBe(String(total + 1));
    // A dozen rows in view: a few dozen in the DOM, not a thousand.
    expect(await body.locator('[role="row"]').count()).toBeLessThan(40);
    // Sorting a thousand rows and showing the first of them: within a frame or two.
    const sortMs = await page.evaluate(async () => {
      const button = [...document.querySelectorAll<HTMLButtonElement>('button.sort')].find((b) => b.textContent?.startsWith('ICCID'))!;
      const t0 = performance.now();
      button.click();
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t0;
    });
    expect(sortMs).toBeLessThan(500);
    expect(await body.locator('[role="row"]').first().getAttribute('data-iccid')).toBe(ICCID.demo);
    // Scrolled to the end: the last rows are rendered, the first are gone.
    await body.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await waitFor(
      async () => (await body.locator('[role="row"]').last().getAttribute('aria-rowindex')) === String(total + 1),
      'the last row',
    );
    expect(await body.locator('[role="row"]').count()).toBeLessThan(40);
    // Filtering narrows the thousand at once.
    await page.getByRole('combobox', { name: 'Result' }).selectOption('FAIL');
    await waitFor(
      async () => (await page.getByText(`100 of ${total.toLocaleString('en')} rows shown`).count()) === 1,
      'the filtered count',
    );
    await screenshot(page, 'k-4-thousand-rows');
  }, 120_000);
});

/** What the report says of each SIM: ICCID → [result, failing step, code]. */
type Expected = Record<string, [string, string, string]>;

// A box of twelve SIMs as field staff check it: the real bridge over a real pcscd with three vpcd
// readers, the lab's card stack putting fresh virtual SIMs in and pulling them out, Chromium on the
// Check SIMs screen. Needs root for pcscd (as in CI).
describe('Check SIMs through pcscd: three readers, a box of twelve SIMs', () => {
  let pcscd: PcscdHandle;
  let stack: Stack;
  let cards: CardStack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let readers: string[] = [];

  const insert = (slot: number, sim: string) => cards.insert(slot, sim);
  const remove = (slot: number) => cards.remove(slot);
  const removeAll = () => Promise.all(readers.map((_, i) => remove(i)));

  /** Waits for a lane's verdict and returns it with the code shown. */
  async function verdictOf(page: Page, slot: number): Promise<{ verdict: string; code: string; text: string }> {
    const l = checkLane(page, readers[slot]!);
    const verdict = await laneVerdict(page, readers[slot]!).catch(async (e: unknown) => {
      throw new Error(`no verdict in ${readers[slot]}, which shows: ${await l.innerText()}`, { cause: e });
    });
    const code = (await l.getByTestId('lane-code').count()) > 0 ? await l.getByTestId('lane-code').innerText() : '';
    return { verdict, code, text: await l.innerText() };
  }
  /** Waits until a lane asks for the next SIM, showing nothing of the one that left. */
  async function waitEmpty(page: Page, slot: number, text = 'Insert the next SIM'): Promise<void> {
    await checkLane(page, readers[slot]!).and(page.locator('[data-status="empty"]')).waitFor({ timeout: 15_000 });
    expect(await checkLane(page, readers[slot]!).getByTestId('lane-verdict').count()).toBe(0);
    expect(await checkLane(page, readers[slot]!).getByTestId('lane-status').innerText()).toBe(text);
  }
  const allEmpty = (page: Page) => Promise.all(readers.map((_, i) => waitEmpty(page, i)));

  beforeAll(async () => {
    delete process.env.PCSCLITE_CSOCK_NAME;
    pcscd = await startPcscd({ readers: 3, lockTimeoutMs: 600_000 });
    readers = pcscd.readerNames.slice(0, 3);
    cards = openCardStack({ vpcd: pcscd.vpcdPorts.slice(0, 3).map((port) => ({ host: '127.0.0.1', port })), readerNames: readers });
    stack = await startStack({ pcsc: true });
    browser = await launchBrowser();
  }, 720_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await cards?.close();
    await pcscd?.stop();
  });

  it('checks each SIM as it goes in, clears the lane as it comes out, survives a reload, exports and uploads the report', async () => {
    const { page } = browser;
    // This batch is the three vpcd readers: every other reader the bridge lists (the demo's, vpcd's spare) is left out.
    await startCheckSims(page, stack.url, readers, { s3: true, metadata: true });
    await allEmpty(page);

    // Three SIMs at once: two good ones, and one whose PIN is blocked (FAIL with PUK advice; the batch goes on).
    await Promise.all([insert(0, 'demo'), insert(1, 'demo-box-01'), insert(2, 'demo-blocked')]);
    expect((await verdictOf(page, 0)).verdict).toBe('PASS');
    expect((await verdictOf(page, 1)).verdict).toBe('PASS');
    const blocked = await verdictOf(page, 2);
    expect([blocked.verdict, blocked.code]).toEqual(['FAIL', 'Code: PIN_BLOCKED']);
    expect(blocked.text).toMatch(/Failed at: SIM \(ICCID, IMSI, PIN state\)/);
    expect(blocked.text).toMatch(/PUK/);
    await screenshot(page, 'k-1-three-lanes');
    await removeAll();
    await allEmpty(page);

    // A PIN-enabled SIM asks for its PIN ("same PIN for this batch": a recheck needs no prompt); a
    // foreign SIM fails key agreement with a MAC failure.
    await Promise.all([insert(0, 'demo-pin'), insert(1, 'demo-box-02'), insert(2, 'demo-foreign')]);
    const pinLane = checkLane(page, readers[0]!);
    await pinLane.and(page.locator('[data-status="pin"]')).waitFor({ timeout: 30_000 });
    expect(await pinLane.innerText()).toMatch(/3 tries left/);
    await pinLane.getByLabel(`PIN of the SIM in ${readers[0]}`).fill('1234');
    await pinLane.getByRole('checkbox', { name: 'Same PIN for this batch' }).check();
    await pinLane.getByRole('button', { name: 'Verify PIN' }).click();
    expect((await verdictOf(page, 0)).verdict).toBe('PASS');
    expect((await verdictOf(page, 1)).verdict).toBe('PASS');
    const foreign = await verdictOf(page, 2);
    expect([foreign.verdict, foreign.code]).toEqual(['FAIL', 'Code: MAC_FAILURE']);
    expect(foreign.text).toMatch(/Failed at: Key agreement/);
    const firstPinCheck = await pinLane.getAttribute('data-result');
    await pinLane.getByRole('button', { name: 'Check again' }).click();
    await waitFor(
      async () => ![null, firstPinCheck].includes(await pinLane.getAttribute('data-result')),
      'the recheck with the batch’s PIN',
    );
    expect(await pinLane.getAttribute('data-verdict')).toBe('PASS');
    await removeAll();
    await allEmpty(page);
    await summaryIs(page, 'SIMs: 6 — 4 PASS, 0 WARN, 2 FAIL');

    // A reload in the middle of the batch: nothing shown is lost, and the batch goes on.
    await page.reload();
    await page.getByRole('button', { name: 'Continue batch (6 SIMs checked)' }).click();
    await summaryIs(page, 'SIMs: 6 — 4 PASS, 0 WARN, 2 FAIL');
    expect(await page.getByRole('checkbox', { name: DEMO_READER }).isChecked()).toBe(false);
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await allEmpty(page);
    await Promise.all([insert(0, 'demo-box-03'), insert(1, 'demo-box-04'), insert(2, 'demo-box-05')]);
    for (const slot of [0, 1, 2]) expect((await verdictOf(page, slot)).verdict).toBe('PASS');
    await removeAll();
    await allEmpty(page);

    // A SIM pulled mid-check (Krypton slowed down so there is time): the lane clears at once, and the
    // report keeps the check as FAIL CARD_REMOVED.
    stack.lab.faults.update({ latencyMs: 1500 });
    await insert(0, 'demo-box-06');
    await checkLane(page, readers[0]!).locator('[data-step="key"]').waitFor({ timeout: 30_000 });
    await remove(0);
    await waitEmpty(page, 0);
    stack.lab.faults.update({ latencyMs: 0 });
    const pulled = page.locator(`[data-testid="report-body"] [data-iccid="${ICCID.box[5]}"]`);
    await pulled.waitFor({ timeout: 30_000 });
    expect(await pulled.locator('.cell-code').innerText()).toBe('CARD_REMOVED');
    expect(await checkLane(page, readers[0]!).getByTestId('lane-status').innerText()).toBe('Insert the next SIM');

    // The last two of the box, and the first SIM a second time: said so, and checked again on request.
    await Promise.all([insert(0, 'demo'), insert(1, 'demo-box-07'), insert(2, 'demo-box-08')]);
    const again = checkLane(page, readers[0]!);
    await again.getByTestId('lane-already').waitFor({ timeout: 30_000 });
    expect(await again.getByTestId('lane-already').innerText()).toMatch(/^Already checked at \d\d:\d\d( [AP]M)? — PASS$/);
    await again.getByRole('button', { name: 'Check again' }).click();
    for (const slot of [0, 1, 2]) expect((await verdictOf(page, slot)).verdict).toBe('PASS');
    await removeAll();
    await allEmpty(page);

    // The report: one row per SIM, exactly the twelve of the box.
    const pass: [string, string, string] = ['PASS', '', ''];
    const expected: Expected = {
      [ICCID.demo]: pass,
      [ICCID.pin]: pass,
      [ICCID.blocked]: ['FAIL', 'SIM (ICCID, IMSI, PIN state)', 'PIN_BLOCKED'],
      [ICCID.foreign]: ['FAIL', 'Key agreement', 'MAC_FAILURE'],
      ...Object.fromEntries(ICCID.box.map((iccid) => [iccid, pass])),
      [ICCID.box[5]!]: ['FAIL', 'Key agreement', 'CARD_REMOVED'],
    };
    await summaryIs(page, 'SIMs: 12 — 9 PASS, 0 WARN, 3 FAIL');
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
    expect(csv).toHaveLength(1 + 12);
    expect(Object.fromEntries(csv.slice(1).map((r) => [r[2], [r[5], r[6], r[7]]]))).toEqual(expected);
    for (const r of csv.slice(1)) {
      expect(readers).toContain(r[1]);
      expect(r[4]).toBe(r[5] === 'PASS' ? 'lab-group' : '');
      expect(Number(r[8])).toBeGreaterThan(0);
    }
    const jsonDownload = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export JSON' }).click();
    const json = JSON.parse(readFileSync(await (await jsonDownload).path(), 'utf8')) as { summary: unknown; rows: { steps: unknown[] }[] };
    expect(json.summary).toEqual({ PASS: 9, WARN: 0, FAIL: 3, total: 12 });
    expect(json.rows).toHaveLength(12);

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
    const uploaded = parseCsv(body.subarray(3).toString('utf8'));
    expect(uploaded).toHaveLength(1 + 12);
    expect(Object.fromEntries(uploaded.slice(1).map((r) => [r[2], [r[5], r[6], r[7]]]))).toEqual(expected);
    await screenshot(page, 'k-2-check-sims-en');

    // The screen in Japanese: lanes, verdicts, failures and the report speak it.
    await page.getByLabel('Language').selectOption('ja');
    await page.getByRole('heading', { name: 'SIM の一括検査', level: 2 }).waitFor();
    expect(await checkLane(page, readers[0]!).getByTestId('lane-status').innerText()).toBe('次の SIM を挿してください');
    await summaryIs(page, '12 枚 — 合格 9、要確認 0、不合格 3');
    expect(await page.getByRole('columnheader').allInnerTexts()).toEqual(
      expect.arrayContaining(['日時 ▲', 'レーン', 'ICCID', '結果', '失敗した項目', 'コード']),
    );
    await insert(0, 'demo-foreign');
    const ja = checkLane(page, readers[0]!);
    await ja.getByTestId('lane-already').waitFor({ timeout: 30_000 });
    expect(await ja.getByTestId('lane-already').innerText()).toMatch(/^\d\d:\d\d に検査済み — 不合格$/);
    await ja.getByRole('button', { name: 'もう一度検査' }).click();
    const jaVerdict = await verdictOf(page, 0);
    expect(jaVerdict.verdict).toBe('不合格');
    expect(jaVerdict.text).toContain('失敗した項目：鍵の合意');
    expect(jaVerdict.text).toContain('SIM がネットワークからの認証要求を拒否しました');
    expect(jaVerdict.code).toBe('コード：MAC_FAILURE');
    await insert(1, 'demo-blocked');
    await checkLane(page, readers[1]!).getByTestId('lane-already').waitFor({ timeout: 30_000 });
    await checkLane(page, readers[1]!).getByRole('button', { name: 'もう一度検査' }).click();
    const jaBlocked = await verdictOf(page, 1);
    expect(jaBlocked.text).toContain('PUK');
    await screenshot(page, 'k-3-check-sims-ja');
    await removeAll();
    await waitEmpty(page, 0, '次の SIM を挿してください');
    await page.getByRole('button', { name: '停止' }).click();
  }, 600_000);
});
