import { readFileSync } from 'node:fs';
import type { Download, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  concatBytes,
  fromHex,
  parseTranscript,
  REDACTED,
  toBase64,
  toHex,
  type Transcript,
  type TranscriptEvent,
} from '@krypton-web/krypton-core';
import { demoProfileSet, Milenage, ReplayCard, ReplayModem, type SimProfile } from '@krypton-web/krypton-lab/browser';
import { connect, waitFor } from '@krypton-web/web-driver';
import { screenshot } from './support/artifacts.test-support.ts';
import { startChromiumStack, type BrowserStack } from './support/browser-stack.test-support.ts';
import { fakeSerialScript } from './support/fake-serial.test-support.ts';
import { LANGS, onPage, useLanguage, type Texts } from './support/language.test-support.ts';

// Issue #15 §5: each run has a trace to look at and to send; support reads it, the lab replays it.
type Apdu = Extract<TranscriptEvent, { type: 'apdu' }>;
const FILE_NAME = /^krypton-trace-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.jsonl$/;

/** Forgets the cached key (so the SIM's AUTHENTICATE runs), presses Authenticate and waits for the run to end. */
async function runAuthenticate(page: Page, texts: Texts): Promise<void> {
  await page.getByRole('button', { name: texts['auth.forget'] }).click();
  await page.getByText(texts['auth.forgotten']).waitFor();
  const button = page.getByRole('button', { name: texts['auth.button'], exact: true });
  await button.click();
  await page.getByRole('button', { name: texts['trace.download'] }).waitFor({ timeout: 30_000 });
  await waitFor(async () => !(await button.isDisabled()), 'the run to end');
}

/** Opens the trace view from the keyboard (Enter on its disclosure button) and waits for its table. */
async function openTrace(page: Page, texts: Texts): Promise<Locator> {
  const disclosure = page.getByRole('button', { name: texts['trace.heading'] });
  expect(await disclosure.getAttribute('aria-expanded')).toBe('false');
  await disclosure.focus();
  await page.keyboard.press('Enter');
  expect(await disclosure.getAttribute('aria-expanded')).toBe('true');
  const table = page.getByRole('table', { name: texts['trace.heading'] });
  await table.waitFor();
  return table;
}

/** The text of each row of a part of the trace table ("opening" or "run"), cells joined by " | ". */
async function rowsOf(table: Locator, part: 'opening' | 'run'): Promise<{ kind: string; cells: string[] }[]> {
  return table
    .getByTestId(`trace-${part}`)
    .locator('tr[data-kind]')
    .evaluateAll((trs) =>
      trs.map((tr) => ({
        kind: tr.getAttribute('data-kind') ?? '',
        cells: [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').replace(/\s+/g, ' ').trim()),
      })),
    );
}

/** Presses "Download trace" and reads the file the browser saved. */
async function downloadTrace(page: Page, texts: Texts): Promise<{ download: Download; text: string; transcript: Transcript }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: texts['trace.download'] }).click(),
  ]);
  const text = readFileSync(await download.path(), 'utf8');
  return { download, text, transcript: parseTranscript(text) };
}

/** Every form a secret of this run could take in the file: RES, CK, IK of the recorded RAND (hex, HEX, base64). */
async function secretsOf(sim: SimProfile, transcript: Transcript): Promise<string[]> {
  const auth = apdus(transcript).find((a) => a.command.startsWith('0088'));
  expect(auth, 'an AUTHENTICATE in the trace').toBeDefined();
  const rand = fromHex(auth!.command.slice(12, 44));
  const { res, ck, ik } = await (await Milenage.withOpc(fromHex(sim.k), fromHex(sim.opc))).f2345(rand);
  return [res, ck, ik].flatMap((b) => [toHex(b), toHex(b).toUpperCase(), toBase64(b)]);
}

function apdus(transcript: Transcript): Apdu[] {
  return transcript.events.filter((e): e is Apdu => e.type === 'apdu');
}

/** The lab's replay answers every recorded command as recorded, and AUTHENTICATE with the lab's Milenage for the SIM. */
async function expectReplayAnswers(transcript: Transcript, sim: SimProfile): Promise<void> {
  const card = await ReplayCard.create(transcript, { profiles: demoProfileSet() });
  expect(card.profile.imsi).toBe(sim.imsi);
  let inAuthenticate = false;
  for (const a of apdus(transcript)) {
    const ins = a.command.slice(2, 4);
    if (ins === '88') inAuthenticate = true;
    else if (ins !== 'C0') inAuthenticate = false;
    if (inAuthenticate || a.command.includes(REDACTED)) continue;
    expect(toHex(await card.transmit(fromHex(a.command))).toUpperCase(), `the replayed answer to ${a.command}`).toBe(a.response);
  }
  expect(card.diagnostics).toEqual([]);
  // AUTHENTICATE (its answer masked in the file) is answered by the lab's USIM for the IMSI: RES as Milenage computes it.
  const recorded = apdus(transcript).find((a) => a.command.startsWith('0088'))!;
  const answer = toHex(await card.transmit(fromHex(recorded.command))).toUpperCase();
  if (recorded.response === '9862') {
    expect(answer).toBe('9862');
    return;
  }
  expect(answer).toMatch(/^61[0-9A-F]{2}$/);
  const data = toHex(await card.transmit(concatBytes(fromHex('00C00000'), fromHex(answer.slice(2))))).toUpperCase();
  const { res } = await (await Milenage.withOpc(fromHex(sim.k), fromHex(sim.opc))).f2345(fromHex(recorded.command.slice(12, 44)));
  expect(data).toContain(toHex(res).toUpperCase());
  expect(data.endsWith('9000')).toBe(true);
}

describe('#15 §5: a trace to send, for each run, in English and Japanese', () => {
  let stack: BrowserStack;
  const sims = demoProfileSet().sims;
  const demo = sims.find((s) => s.name === 'demo')!;
  const foreign = sims.find((s) => s.name === 'demo-foreign')!;

  beforeAll(async () => {
    // Every page gets a fake navigator.serial: the lab's Huawei emulator over the demo SIM (the modem test uses it).
    stack = await startChromiumStack({ initScript: await fakeSerialScript({ sim: 'demo' }) });
  }, 300_000);

  afterAll(() => stack?.close());

  for (const [lang, texts] of LANGS) {
    it(`[${lang}] virtual SIM: the trace view shows the APDUs and HTTP calls; the download holds no secret and the lab replays it`, async () => {
      await onPage(stack.browser.context, async (page) => {
        await connect(page, stack.url, 'Virtual SIM (demo)');
        await useLanguage(page, lang);
        await runAuthenticate(page, texts);
        await page.getByText(texts['auth.success']).waitFor();
        // No failure: nothing asks for a report.
        expect(await page.getByTestId('trace-report-hint').count()).toBe(0);

        const table = await openTrace(page, texts);
        const opening = await rowsOf(table, 'opening');
        const run = await rowsOf(table, 'run');
        // Time (hh:mm:ss.mmm), step, kind, command, answer, time taken.
        for (const r of [...opening, ...run]) expect(r.cells[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
        expect(opening.some((r) => r.kind === 'apdu' && r.cells[3]!.startsWith('SELECT USIM'))).toBe(true);
        const authenticate = run.find((r) => r.kind === 'apdu' && r.cells[3]!.startsWith('AUTHENTICATE'))!;
        expect(authenticate.cells[1]).toBe(texts['auth.step.authenticate']);
        const waiting = /^61([0-9A-F]{2}) /.exec(authenticate.cells[4]!)?.[1];
        expect(waiting, 'AUTHENTICATE answered 61xx').toBeDefined();
        expect(authenticate.cells[4]).toBe(`61${waiting} ${texts['trace.sw.61xx'].replace('{n}', String(parseInt(waiting!, 16)))}`);
        expect(authenticate.cells[5]).toMatch(/^\d+ ms$/);
        const getResponse = run.find((r) => r.kind === 'apdu' && r.cells[3]!.startsWith('GET RESPONSE'))!;
        expect(getResponse.cells[4]).toBe(`9000 ${texts['trace.sw.9000']}`);
        const http = run
          .filter((r) => r.kind === 'http')
          .map((r) => [r.cells[1], r.cells[3]!.replace(/^POST \S+?(\/v1\/\S*)?$/, 'POST $1'), r.cells[4], r.cells[5]]);
        expect(http).toEqual([
          [texts['auth.step.key-agreement'], 'POST /v1/keys', '200', expect.stringMatching(/^\d+ ms$/)],
          [texts['auth.step.verify'], expect.stringMatching(/^POST \/v1\/keys\/[^/]+\/verify$/), '200', expect.stringMatching(/^\d+ ms$/)],
          [texts['auth.step.provisioning'], 'POST /v1/provisioning/aws/cognito/open_id_tokens', '200', expect.stringMatching(/^\d+ ms$/)],
          [texts['auth.step.cognito'], 'POST ', '200', expect.stringMatching(/^\d+ ms$/)],
        ]);
        await screenshot(page, `15-5-trace-virtual-${lang}`);

        const { download, text, transcript } = await downloadTrace(page, texts);
        expect(download.suggestedFilename()).toMatch(FILE_NAME);
        expect(transcript.header.identity).toMatchObject({ link: 'virtual', description: 'Virtual SIM "demo" in the browser' });
        // The row's time is the file's (recording start + t), in the browser's time zone and the page's language.
        const recordedAuthenticate = apdus(transcript).find((a) => a.command.startsWith('0088'))!;
        const shown = await page.evaluate(
          (ms) =>
            new Intl.DateTimeFormat(document.documentElement.lang, {
              hour: '2-digit',
              minute: '2-digit',
              second: '2-digit',
              fractionalSecondDigits: 3,
              hourCycle: 'h23',
            }).format(ms),
          Date.parse(transcript.header.recordedAt) + recordedAuthenticate.t,
        );
        expect(authenticate.cells[0]).toBe(shown);
        // Header names (never values): the Krypton calls through the page's fetch have them; Cognito's (the AWS SDK's) has none.
        const calls = transcript.events.filter((e): e is Extract<TranscriptEvent, { type: 'http' }> => e.type === 'http');
        expect(calls.map((e) => e.status)).toEqual([200, 200, 200, 200]);
        expect(calls[0]!.responseHeaders).toContain('content-type');
        expect(calls[2]!.requestHeaders).toContain('x-soracom-signature');
        expect(calls[3]).toMatchObject({ step: 'cognito', requestHeaders: [], responseHeaders: [] });
        // The view showed what the file holds: as many APDUs.
        expect(apdus(transcript)).toHaveLength([...opening, ...run].filter((r) => r.kind === 'apdu').length);
        // RES, CK, IK, the AWS secret key and session token: nowhere in the file.
        const akid = (await page.getByTestId('access-key-id').innerText()).split(/\s/)[0]!;
        const vended = stack.lab.credentials.lookup(akid)!;
        expect(vended).toBeDefined();
        for (const secret of [...(await secretsOf(demo, transcript)), vended.secretAccessKey, vended.sessionToken])
          expect(text, 'a secret in the trace').not.toContain(secret);
        await expectReplayAnswers(transcript, demo);
      });
    }, 120_000);

    it(`[${lang}] a failed run (the foreign SIM's MAC failure) offers its trace too, and the failure names the button`, async () => {
      await onPage(stack.browser.context, async (page) => {
        await connect(page, stack.url, 'Virtual SIM (demo)', async () => {
          await page.getByLabel('Demo SIM').selectOption('demo-foreign');
        });
        await useLanguage(page, lang);
        await runAuthenticate(page, texts);
        await page.locator('.failure[data-code="MAC_FAILURE"]').waitFor();
        await expect(page.getByTestId('trace-report-hint').innerText()).resolves.toBe(texts['trace.reportHint']);
        // Every mention of the trace on the page names a button that is there.
        expect(texts['trace.reportHint']).toContain(texts['trace.download']);
        expect(await page.getByRole('button', { name: texts['trace.download'] }).isVisible()).toBe(true);

        const table = await openTrace(page, texts);
        const run = await rowsOf(table, 'run');
        const authenticate = run.find((r) => r.kind === 'apdu' && r.cells[3]!.startsWith('AUTHENTICATE'))!;
        expect(authenticate.cells[4]).toBe(`9862 ${texts['trace.sw.9862']}`);
        const failedStep = run.find((r) => r.kind === 'step' && r.cells[1] === texts['auth.step.authenticate'])!;
        expect(failedStep.cells[4]!.startsWith(texts['trace.step.failed'].replace('{failure}', 'MAC_FAILURE: '))).toBe(true);
        await screenshot(page, `15-5-trace-failed-${lang}`);

        const { download, transcript } = await downloadTrace(page, texts);
        expect(download.suggestedFilename()).toMatch(FILE_NAME);
        expect(apdus(transcript).find((a) => a.command.startsWith('0088'))!.response).toBe('9862');
        expect(transcript.events).toContainEqual(
          expect.objectContaining({
            type: 'step',
            step: 'authenticate',
            phase: 'end',
            ok: false,
            failure: expect.stringMatching(/^MAC_FAILURE: /),
          }),
        );
        await expectReplayAnswers(transcript, foreign);
      });
    }, 120_000);

    it(`[${lang}] USB modem (Web Serial): the trace shows the AT lines, masked; the file names the modem and replays as a modem`, async () => {
      await onPage(stack.browser.context, async (page) => {
        await connect(page, stack.url, 'USB modem (Web Serial)');
        await useLanguage(page, lang);
        await runAuthenticate(page, texts);
        await page.getByText(texts['auth.success']).waitFor();

        const table = await openTrace(page, texts);
        const lines = (rows: { kind: string; cells: string[] }[], dir: 'trace.kind.atSend' | 'trace.kind.atRecv') =>
          rows.filter((r) => r.kind === 'at' && r.cells[2] === texts[dir]).map((r) => r.cells[3]!);
        // Opening the modem: the probe, its identity, the IMSI (AT+CIMI, which the run then reuses); folded until asked for.
        const opening = await rowsOf(table, 'opening');
        const firstOpeningRow = table.getByTestId('trace-opening').locator('tr[data-kind]').first();
        expect(await firstOpeningRow.isVisible()).toBe(false);
        const unfold = table.getByRole('button', { name: `${texts['trace.group.opening']} (` });
        await unfold.focus();
        await page.keyboard.press('Enter');
        expect(await unfold.getAttribute('aria-expanded')).toBe('true');
        await firstOpeningRow.waitFor({ state: 'visible' });
        expect(lines(opening, 'trace.kind.atSend')).toEqual(expect.arrayContaining(['AT', 'AT+CSIM=?', 'AT+CIMI', 'AT+CGMI', 'AT+CGSN']));
        expect(lines(opening, 'trace.kind.atRecv')).toEqual(expect.arrayContaining([demo.imsi, 'huawei', 'MS2131', 'OK']));
        const run = await rowsOf(table, 'run');
        const authenticateLine = run.find(
          (r) => r.kind === 'at' && /^AT\+CSIM=\d+,"008800812210[0-9A-F]{32}10[0-9A-F]{32}"$/.test(r.cells[3]!),
        );
        expect(authenticateLine, 'the AUTHENTICATE sent with AT+CSIM').toBeDefined();
        // An AT line belongs to the step that sent it.
        expect(authenticateLine!.cells[1]).toBe(texts['auth.step.authenticate']);
        // The AUTHENTICATE answer (RES, CK, IK) is masked in the modem's own line too.
        expect(lines(run, 'trace.kind.atRecv').some((l) => /^\+CSIM: ?\d+,"‹redacted›9000"$/.test(l))).toBe(true);
        expect(run.some((r) => r.kind === 'apdu' && r.cells[3]!.startsWith('AUTHENTICATE'))).toBe(true);
        await screenshot(page, `15-5-trace-modem-${lang}`);

        const { text, transcript } = await downloadTrace(page, texts);
        expect(transcript.header.identity).toMatchObject({
          link: 'comm',
          modem: { manufacturer: 'huawei', model: 'MS2131', imei: '866913021234569' },
        });
        for (const secret of await secretsOf(demo, transcript)) expect(text, 'a secret in the trace').not.toContain(secret);
        const modem = await ReplayModem.create(transcript, { profiles: demoProfileSet() });
        let out = '';
        const detach = modem.attach((b) => (out += new TextDecoder().decode(b)));
        modem.receive('AT+CIMI\r');
        await modem.whenIdle();
        detach();
        expect(out).toContain(`${demo.imsi}\r\n`);
        expect(modem.diagnostics).toEqual([]);
      });
    }, 120_000);
  }
});
