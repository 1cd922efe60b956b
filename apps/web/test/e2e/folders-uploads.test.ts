import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { demoCorsRule, reportUploadCorsRule, type CorsRule, type Lab } from '@krypton-web/krypton-lab';
import { authenticate, connect, launchBrowser, openBucket, OPFS_PICKER, waitFor } from '@krypton-web/web-driver';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from './support/artifacts.test-support.ts';
import { putBucketCors } from './support/bucket-cors.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';

/**
 * The directory picker hands out a directory of the origin-private file system: the real File
 * System Access API (getDirectoryHandle, createWritable in the worker), a root the test can read.
 */
const OPFS_DIRECTORY_PICKER = `
  window.showDirectoryPicker = async () => {
    const root = await navigator.storage.getDirectory();
    return root.getDirectoryHandle('picked', { create: true });
  };
`;
const MiB = 1024 * 1024;
const md5 = (b: Uint8Array): Buffer => createHash('md5').update(b).digest();
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Bytes that differ from file to file (no compression or dedup can hide a wrong part). */
function bytesOf(label: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(label).digest();
  for (let i = 0; i < size; i += 32) {
    block.copy(out, i, 0, Math.min(32, size - i));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** Every file under a directory of the origin-private file system: relative path → size and SHA-256. */
async function opfsTree(page: Page, dir: string): Promise<Record<string, { size: number; sha256: string }>> {
  return page.evaluate(async (name) => {
    const out: Record<string, { size: number; sha256: string }> = {};
    const walk = async (d: FileSystemDirectoryHandle, at: string): Promise<void> => {
      for await (const [n, h] of (d as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
        if (h.kind === 'directory') await walk(h as FileSystemDirectoryHandle, `${at}${n}/`);
        else {
          const file = await (h as FileSystemFileHandle).getFile();
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
          out[`${at}${n}`] = { size: file.size, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') };
        }
      }
    };
    await walk(await (await navigator.storage.getDirectory()).getDirectoryHandle(name), '');
    return out;
  }, dir);
}

describe('folders and uploads (#16 §4–5): download a folder, upload into one, cancel, AccessDenied', () => {
  let lab: Lab;
  let server: Stack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let s3: S3Client;
  let page: Page;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'krypton-folders-e2e-'));

  /** The objects the lab holds under a prefix, in S3 order. */
  const seededUnder = (prefix: string) => lab.s3.objects.filter((o) => o.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : 1));
  const openUploads = async () =>
    ((await s3.send(new ListMultipartUploadsCommand({ Bucket: lab.bucket }))).Uploads ?? []).map((u) => u.Key);
  const openFolder = async (p: Page, name: string) =>
    p
      .getByRole('table')
      .getByRole('button', { name: `Open folder ${name}` })
      .click();
  const upload = (p: Page, files: { name: string; buffer: Buffer }[]) =>
    p.getByLabel('Upload files into this folder').setInputFiles(files.map((f) => ({ ...f, mimeType: 'application/octet-stream' })));

  beforeAll(async () => {
    server = await startStack();
    lab = server.lab;
    // The folder uploads go to (uploads/ is writable in the lab); s3rver's own port is for fixture set-up only.
    const seeded = await fetch(`${lab.s3.backendUrl}/${lab.bucket}/uploads/README.txt`, { method: 'PUT', body: 'Uploads land here.\n' });
    expect(seeded.status).toBe(200);
    browser = await launchBrowser();
    await browser.context.addInitScript({ content: OPFS_PICKER + OPFS_DIRECTORY_PICKER });
    page = browser.page;
    await connect(page, server.url, 'Virtual SIM (demo)');
    const akid = await authenticate(page);
    const vended = lab.credentials.lookup(akid)!;
    s3 = new S3Client({ endpoint: lab.s3.endpoint, region: lab.region, forcePathStyle: true, credentials: vended, maxAttempts: 1 });
    await openBucket(page);
  }, 300_000);

  afterEach(() => {
    lab.s3.denyActions([]);
    lab.s3.setLatency(0);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('downloads a folder into the picked directory: every object in its subdirectory with the right bytes, and a summary of what was checked', async () => {
    await openFolder(page, 'firmware/');
    await page.getByRole('button', { name: 'Download folder firmware/ (every object in it)' }).click();
    const box = page.locator('.folder-download[data-status="done"]');
    await box.waitFor({ timeout: 60_000 });
    const seeded = seededUnder('firmware/');
    const total = seeded.reduce((n, o) => n + o.size, 0);
    const summary = await box.getByTestId('folder-summary').innerText();
    expect(summary).toMatch(new RegExp(`^Saved ${seeded.length} objects \\(.+\\) into the folder you picked\\.`));
    expect(summary).toContain(`${seeded.length} checked against what S3 recorded (ETag or checksum), 0 not checkable`);
    expect(await opfsTree(page, 'picked')).toEqual(
      Object.fromEntries(seeded.map((o) => [o.key.slice('firmware/'.length), { size: o.size, sha256: o.sha256 }])),
    );
    expect(await box.locator('.folder-saved li').evaluateAll((els) => els.map((e) => e.getAttribute('data-check')))).toEqual(
      seeded.map(() => 'md5-match'),
    );
    expect(total).toBeGreaterThan(3 * MiB);
    await screenshot(page, 'folder-1-downloaded');
  }, 120_000);

  it('lists objects it could not save with the reason: GetObject denied names s3:GetObject', async () => {
    lab.s3.denyActions(['s3:GetObject']);
    await page.getByRole('navigation', { name: 'Location' }).getByRole('button', { name: lab.bucket }).click();
    await openFolder(page, 'logs/');
    await page.getByRole('button', { name: 'Download folder logs/ (every object in it)' }).click();
    const box = page.locator('.folder-download[data-status="done"][data-prefix="logs/"]');
    await box.waitFor({ timeout: 60_000 });
    const seeded = seededUnder('logs/');
    expect(await box.getByTestId('folder-summary').innerText()).toMatch(/^Saved 0 objects/);
    expect(await box.locator('.folder-failed > li').evaluateAll((els) => els.map((e) => e.getAttribute('data-key')))).toEqual(
      seeded.map((o) => o.key),
    );
    const first = box.locator('.folder-failed > li').first();
    expect(await first.locator('.failure').getAttribute('data-code')).toBe('S3_ACCESS_DENIED');
    expect(await first.innerText()).toContain(`The IAM role must allow s3:GetObject on arn:aws:s3:::${lab.bucket}/${seeded[0]!.key}.`);
  }, 120_000);

  it('uploads a small file (one PUT) and a large one (in parts) into the folder: both in S3 with their bytes and ETags, and in the listing', async () => {
    await page.getByRole('navigation', { name: 'Location' }).getByRole('button', { name: lab.bucket }).click();
    await openFolder(page, 'uploads/');
    const small = bytesOf('small', 200_000);
    const large = bytesOf('large', 17 * MiB + 3);
    await upload(page, [
      { name: 'small.bin', buffer: small },
      { name: 'large.bin', buffer: large },
    ]);
    const done = (key: string) => page.locator(`.upload[data-status="done"][data-key="${key}"]`);
    await done('uploads/small.bin').waitFor({ timeout: 60_000 });
    await done('uploads/large.bin').waitFor({ timeout: 120_000 });
    expect(await done('uploads/small.bin').innerText()).toContain(`S3 checked its MD5 (Content-MD5). ETag "${md5(small).toString('hex')}"`);
    const parts = [large.subarray(0, 8 * MiB), large.subarray(8 * MiB, 16 * MiB), large.subarray(16 * MiB)];
    const multipartEtag = `"${md5(Buffer.concat(parts.map((p) => md5(p)))).toString('hex')}-3"`;
    expect(await done('uploads/large.bin').innerText()).toContain(`Uploaded in 3 parts`);
    expect(await done('uploads/large.bin').innerText()).toContain(multipartEtag);
    for (const [key, bytes, etag] of [
      ['uploads/small.bin', small, `"${md5(small).toString('hex')}"`],
      ['uploads/large.bin', large, multipartEtag],
    ] as const) {
      const got = await s3.send(new GetObjectCommand({ Bucket: lab.bucket, Key: key }));
      expect(got.ETag).toBe(etag);
      expect(sha256(await got.Body!.transformToByteArray())).toBe(sha256(bytes));
    }
    // The listing was refreshed: both rows are there.
    const table = page.getByRole('table');
    await table.getByRole('row', { name: /small\.bin/ }).waitFor();
    await table.getByRole('row', { name: /large\.bin/ }).waitFor();
    expect(await openUploads()).toEqual([]);

    // A file dropped on the listing goes the same way.
    const dataTransfer = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['dropped on the listing\n'], 'dropped.txt', { type: 'text/plain' }));
      return dt;
    });
    await page
      .getByRole('region', { name: `Drop files here to upload them into s3://${lab.bucket}/uploads/` })
      .dispatchEvent('drop', { dataTransfer });
    await done('uploads/dropped.txt').waitFor({ timeout: 60_000 });
    const dropped = await s3.send(new GetObjectCommand({ Bucket: lab.bucket, Key: 'uploads/dropped.txt' }));
    expect([dropped.ContentType, await dropped.Body!.transformToString()]).toEqual(['text/plain', 'dropped on the listing\n']);
    await table.getByRole('row', { name: /dropped\.txt/ }).waitFor();
    await screenshot(page, 'folder-2-uploaded');
  }, 240_000);

  it('cancel of a multipart upload aborts it: no upload left open in S3, no object, “nothing was left”', async () => {
    lab.s3.setLatency(400);
    await upload(page, [{ name: 'cancelled.bin', buffer: bytesOf('cancelled', 24 * MiB) }]);
    // S3 holds an open multipart upload: the cancel must abort it.
    await waitFor(async () => (await openUploads()).includes('uploads/cancelled.bin'), 'the multipart upload to be created', 60_000);
    await page.getByRole('button', { name: 'Cancel upload of cancelled.bin' }).click();
    const item = page.locator('.upload[data-status="cancelled"][data-key="uploads/cancelled.bin"]');
    await item.waitFor({ timeout: 60_000 });
    expect(await item.innerText()).toContain('Cancelled. Nothing was left in S3.');
    expect(await openUploads()).toEqual([]);
    const head = await fetch(`${lab.s3.backendUrl}/${lab.bucket}/uploads/cancelled.bin`, { method: 'HEAD' });
    expect(head.status).toBe(404);
  }, 180_000);

  it('AccessDenied on upload names s3:PutObject and says whom to ask, in English and in Japanese', async () => {
    lab.s3.denyActions(['s3:PutObject']);
    await upload(page, [{ name: 'denied.txt', buffer: Buffer.from('not allowed\n') }]);
    const item = page.locator('.upload[data-status="failed"][data-key="uploads/denied.txt"]');
    await item.waitFor({ timeout: 60_000 });
    expect(await item.locator('.failure').getAttribute('data-code')).toBe('S3_ACCESS_DENIED');
    const en = await item.innerText();
    expect(en).toContain(`The IAM role must allow s3:PutObject on arn:aws:s3:::${lab.bucket}/uploads/denied.txt.`);
    expect(en).toContain('Ask your AWS administrator to add this permission');
    await page.locator('#language').selectOption('ja');
    await waitFor(async () => (await page.evaluate(() => document.documentElement.lang)) === 'ja', 'the page in Japanese');
    await waitFor(async () => (await item.innerText()).includes('AWS の管理者に'), 'the failure in Japanese', 10_000);
    const ja = await item.innerText();
    expect(ja).toContain(`IAM ロールで arn:aws:s3:::${lab.bucket}/uploads/denied.txt に対する s3:PutObject を許可してください。`);
    expect(ja).toContain('S3 がアクセスを拒否しました。');
    expect(ja).toContain('アップロードに失敗しました。');
    await screenshot(page, 'folder-3-denied-ja');
    await page.locator('#language').selectOption('en');
    await waitFor(async () => (await page.evaluate(() => document.documentElement.lang)) === 'en', 'the page in English');
  }, 120_000);

  it('a bucket whose CORS rule allows reads only: an upload says the rule refuses this request (not that there is none), with a rule that allows uploads — in English and Japanese', async () => {
    const admin = { accessKeyId: 'ASIAFOLDERSCORS', secretAccessKey: 'folders-cors-secret', sessionToken: 'folders-cors-token' };
    lab.credentials.add({ ...admin, expiration: new Date(Date.now() + 3_600_000) });
    const owner = new S3Client({ endpoint: lab.s3.endpoint, region: lab.region, forcePathStyle: true, credentials: admin });
    const put = (rules: CorsRule[]) => putBucketCors(owner, lab.bucket, rules);
    await page.getByRole('navigation', { name: 'Location' }).getByRole('button', { name: lab.bucket }).click();
    await openFolder(page, 'uploads/');
    await put([demoCorsRule()]);
    try {
      await upload(page, [{ name: 'cors-read-only.txt', buffer: Buffer.from('refused by the CORS rule\n') }]);
      const item = page.locator('.upload[data-status="failed"][data-key="uploads/cors-read-only.txt"]');
      await item.waitFor({ timeout: 60_000 });
      expect(await item.locator('.failure').getAttribute('data-code')).toBe('S3_CORS_REFUSED');
      const en = await item.innerText();
      expect(en).toContain(
        `The browser blocked an answer from bucket "${lab.bucket}" (s3://${lab.bucket}/uploads/cors-read-only.txt), which has answered this page before`,
      );
      expect(en).not.toContain('no CORS rule');
      expect(en).toContain('allow uploads from this page (PUT, POST and DELETE)');
      const rule = JSON.parse(await item.locator('pre').innerText()) as { AllowedMethods: string[] }[];
      expect(rule[0]!.AllowedMethods).toEqual(expect.arrayContaining(['PUT', 'POST', 'DELETE']));
      await page.locator('#language').selectOption('ja');
      try {
        await waitFor(async () => (await item.innerText()).includes('応答したことがあります'), 'the failure in Japanese', 10_000);
        expect(await item.innerText()).toContain('CORS ルールがこのリクエストを許可していないか');
      } finally {
        await page.locator('#language').selectOption('en');
        await waitFor(async () => (await page.evaluate(() => document.documentElement.lang)) === 'en', 'the page in English');
      }
      await expect(s3.send(new GetObjectCommand({ Bucket: lab.bucket, Key: 'uploads/cors-read-only.txt' }))).rejects.toThrow();
    } finally {
      await put([demoCorsRule(), reportUploadCorsRule()]);
      owner.destroy();
    }
  }, 120_000);

  it('without a directory picker, a folder is one zip streamed through the browser’s download; an independent unzip reads the same bytes', async () => {
    const zipPage = await browser.context.newPage();
    await zipPage.addInitScript({ content: 'delete window.showDirectoryPicker; delete Window.prototype.showDirectoryPicker;' });
    await connect(zipPage, server.url, 'Virtual SIM (demo)');
    await authenticate(zipPage);
    await openBucket(zipPage);
    await zipPage.getByText('a folder is saved as one zip file').waitFor();
    await openFolder(zipPage, 'firmware/');
    const [download] = await Promise.all([
      zipPage.waitForEvent('download', { timeout: 60_000 }),
      zipPage.getByRole('button', { name: 'Download folder firmware/ (every object in it)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('firmware.zip');
    const file = path.join(tmp, 'firmware.zip');
    await download.saveAs(file);
    const box = zipPage.locator('.folder-download[data-status="done"]');
    await box.waitFor({ timeout: 60_000 });
    const seeded = seededUnder('firmware/');
    expect(await box.getByTestId('folder-summary').innerText()).toMatch(
      new RegExp(`^Saved ${seeded.length} objects \\(.+\\) as a zip file\\.`),
    );
    expect(execFileSync('unzip', ['-t', file], { encoding: 'utf8' })).toContain('No errors detected');
    const listing = execFileSync(
      'python3',
      [
        '-c',
        'import hashlib,json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nprint(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))',
        file,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(listing)).toEqual(Object.fromEntries(seeded.map((o) => [o.key.slice('firmware/'.length), o.sha256])));
    expect(readFileSync(file).subarray(0, 4)).toEqual(Buffer.from('PK\x03\x04', 'latin1'));
    await zipPage.close();
  }, 180_000);
});
