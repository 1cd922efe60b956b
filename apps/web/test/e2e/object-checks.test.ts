import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DeleteBucketCorsCommand, S3Client } from '@aws-sdk/client-s3';
import { DEMO_EXPOSE_HEADERS, demoCorsRule, INTEGRITY_KEYS, reportUploadCorsRule, type CorsRule } from '@krypton-web/krypton-lab';
import { authenticate, connect, launchBrowser, openBucket, OPFS_PICKER, readOpfsFile } from '@krypton-web/web-driver';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from './support/artifacts.test-support.ts';
import { startChromiumStack, type BrowserStack } from './support/browser-stack.test-support.ts';
import { putBucketCors } from './support/bucket-cors.test-support.ts';

const KEYS = INTEGRITY_KEYS;

/** The download list's entry for `key`. */
const entry = (page: Page, key: string) => page.locator(`.download[data-key="${key}"]`);

/** Opens the `integrity/` folder of the demo bucket. */
async function openIntegrityFolder(page: Page): Promise<void> {
  await openBucket(page);
  await page.getByRole('table').getByRole('button', { name: 'Open folder integrity/' }).click();
  await page.getByRole('navigation', { name: 'Location' }).getByRole('button', { name: 'integrity' }).waitFor();
}

/** Presses Download on `key`'s row and waits until its entry is done or failed; returns that status. */
async function download(page: Page, key: string): Promise<string> {
  const name = key.split('/').pop()!;
  const row = page.getByRole('table').getByRole('row', { name: new RegExp(name.replace(/[.()]/g, '\\$&')) });
  await row.getByRole('button', { name: 'Download' }).click();
  await entry(page, key).and(page.locator('[data-status="done"], [data-status="failed"]')).waitFor({ timeout: 60_000 });
  return (await entry(page, key).getAttribute('data-status'))!;
}

/** Runs `check` with the page in Japanese, then puts it back in English (the choice is remembered across pages). */
async function inJapanese(page: Page, check: () => Promise<void>): Promise<void> {
  await page.getByLabel('Language').selectOption('ja');
  try {
    await check();
  } finally {
    await page.getByLabel('表示言語').selectOption('en');
  }
}

describe('every ETag checked: multipart ETags and S3 checksums verified, a corrupted object refused (#16)', () => {
  let stack: BrowserStack;

  beforeAll(async () => {
    stack = await startChromiumStack({ lab: { s3: { seed: { integrity: true } } }, initScript: OPFS_PICKER });
  }, 300_000);

  afterAll(() => stack?.close());

  /** A page of its own, connected, authenticated and in the `integrity/` folder. */
  const integrityPage = async (): Promise<Page> => {
    const page = await stack.browser.context.newPage();
    await connect(page, stack.url, 'Virtual SIM (demo)');
    await authenticate(page);
    await openIntegrityFolder(page);
    return page;
  };

  const seeded = (key: string) => {
    const o = stack.lab.s3.objects.find((x) => x.key === key);
    if (!o) throw new Error(`the lab seeded no ${key}`);
    return o;
  };

  it('saves to disk what matched and says what was checked; refuses the corrupted object and saves nothing — in English and Japanese', async () => {
    const { page } = stack.browser;
    await connect(page, stack.url, 'Virtual SIM (demo)');
    await authenticate(page);
    await openIntegrityFolder(page);

    // The details say what a download will be checked against.
    const details = async (name: RegExp) => {
      await page.getByRole('table').getByRole('row', { name }).getByRole('button', { name: 'Details' }).click();
      await page.getByTestId('etag-kind').waitFor();
    };
    await details(/crc32c-composite\.bin/);
    await expect(page.getByTestId('etag-kind').innerText()).resolves.toBe(
      '(the MD5 of the MD5s of its 2 parts (multipart upload): downloads are checked against it)',
    );
    await expect(page.getByTestId('s3-checksum').innerText()).resolves.toBe('CRC32C of its 2 parts (composite)');
    await details(/sse-kms\.bin/);
    await page.getByTestId('etag-kind').getByText('not an MD5 of the content', { exact: false }).waitFor();
    await expect(page.getByTestId('s3-checksum').count()).resolves.toBe(0);

    const expected: Array<[string, string]> = [
      [KEYS.multipart, 'MD5 of 3 parts ✓ (multipart ETag)'],
      [KEYS.crc32cComposite, 'MD5 of 2 parts ✓ (multipart ETag) · CRC32C of 2 parts ✓ (S3 composite checksum)'],
      [KEYS.crc32, 'MD5 matches the ETag. · CRC32 ✓ (S3 checksum)'],
      [KEYS.sha256, 'MD5 matches the ETag. · SHA-256 ✓ (S3 checksum)'],
      [
        KEYS.kms,
        'The ETag is not an MD5 of the content (the object is encrypted, e.g. with SSE-KMS) and S3 sent no checksum: not checked.',
      ],
    ];
    for (const [key, checks] of expected) {
      await expect(download(page, key), key).resolves.toBe('done');
      await expect(entry(page, key).getByTestId('dl-checks').innerText(), key).resolves.toBe(checks);
      const o = seeded(key);
      await expect(readOpfsFile(page, key.split('/').pop()!), key).resolves.toEqual({ size: o.size, sha256: o.sha256 });
    }

    const corrupted = seeded(KEYS.corrupted);
    expect(corrupted.corrupted).toBe(true);
    await expect(download(page, KEYS.corrupted)).resolves.toBe('failed');
    const refusal = await entry(page, KEYS.corrupted).innerText();
    expect(refusal).toContain('Failed. Nothing was saved.');
    expect(refusal).toContain('The downloaded bytes do not match what S3 recorded for the object');
    expect(refusal).toMatch(/ETag \(MD5 of 2 parts\): S3 recorded [0-9a-f]{32}-2, the bytes give [0-9a-f]{32}-2; CRC32: S3 recorded /);
    expect(refusal).toContain('if it fails the same way again, the object stored in S3 is damaged: upload it again from its source');
    await expect(entry(page, KEYS.corrupted).getByTestId('dl-checks').count()).resolves.toBe(0);
    await expect(readOpfsFile(page, 'corrupted.bin'), 'the file the picker made is removed').resolves.toBeNull();
    await screenshot(page, 'h-1-object-checks-en');

    await inJapanese(page, () => expectJapanese(page));
  }, 240_000);

  async function expectJapanese(page: Page): Promise<void> {
    // The Japanese catalog loads on demand: wait for it before reading texts.
    await entry(page, KEYS.multipart).getByText('保存しました', { exact: false }).waitFor();
    await expect(entry(page, KEYS.multipart).getByTestId('dl-checks').innerText()).resolves.toBe(
      'パート 3 個の MD5 ✓（マルチパート ETag）',
    );
    await expect(entry(page, KEYS.crc32cComposite).getByTestId('dl-checks').innerText()).resolves.toBe(
      'パート 2 個の MD5 ✓（マルチパート ETag） · パート 2 個の CRC32C ✓（S3 の合成チェックサム）',
    );
    await expect(entry(page, KEYS.sha256).getByTestId('dl-checks').innerText()).resolves.toBe(
      'MD5 が ETag と一致しました。 · SHA-256 ✓（S3 のチェックサム）',
    );
    await expect(entry(page, KEYS.kms).getByTestId('dl-checks').innerText()).resolves.toContain('照合していません');
    const ja = entry(page, KEYS.corrupted);
    await ja
      .getByText('ダウンロードしたデータが、S3 に記録されたオブジェクトの値（ETag, CRC32）と一致しません。', { exact: false })
      .waitFor();
    await expect(ja.innerText()).resolves.toContain(
      '同じように失敗する場合は S3 上のオブジェクトが壊れています。元のファイルからアップロードし直してください。',
    );
    await screenshot(page, 'h-2-object-checks-ja');
  }

  it('without File System Access (streamed to the browser’s own download): the verified object completes, the corrupted one fails there', async () => {
    const page = await stack.browser.context.newPage();
    await page.addInitScript({ content: 'delete window.showSaveFilePicker; delete Window.prototype.showSaveFilePicker;' });
    await connect(page, stack.url, 'Virtual SIM (demo)');
    await authenticate(page);
    await openIntegrityFolder(page);
    await page.getByText('streamed as they arrive (not held in memory)', { exact: false }).waitFor();

    const row = (name: RegExp) => page.getByRole('table').getByRole('row', { name });
    const [good] = await Promise.all([
      page.waitForEvent('download'),
      row(/multipart-3-parts\.bin/)
        .getByRole('button', { name: 'Download' })
        .click(),
    ]);
    const goodPath = await good.path();
    expect(createHash('sha256').update(readFileSync(goodPath)).digest('hex')).toBe(seeded(KEYS.multipart).sha256);
    await entry(page, KEYS.multipart).and(page.locator('[data-status="done"]')).waitFor({ timeout: 60_000 });
    await expect(entry(page, KEYS.multipart).getByTestId('dl-checks').innerText()).resolves.toBe('MD5 of 3 parts ✓ (multipart ETag)');

    const [bad] = await Promise.all([
      page.waitForEvent('download'),
      row(/corrupted\.bin/)
        .getByRole('button', { name: 'Download' })
        .click(),
    ]);
    await expect(bad.failure(), 'the browser’s download is failed, not completed').resolves.not.toBeNull();
    await entry(page, KEYS.corrupted).and(page.locator('[data-status="failed"]')).waitFor({ timeout: 60_000 });
    await expect(entry(page, KEYS.corrupted).innerText()).resolves.toContain('do not match what S3 recorded');
    await page.close();
  }, 180_000);

  it('a gzip-encoded object (Content-Encoding: gzip) is saved as S3 stores it and checked against its ETag, over one range and over several, and says it is gzip-compressed', async () => {
    const page = await integrityPage();
    const o = seeded(KEYS.gzipEncoded);
    expect(o.contentEncoding).toBe('gzip');
    await page
      .getByRole('table')
      .getByRole('row', { name: /gzip-encoded\.bin/ })
      .getByRole('button', { name: 'Details' })
      .click();
    await expect(page.getByTestId('content-encoding').innerText()).resolves.toBe('gzip (downloads save it as stored, still encoded)');
    for (const [connections, partMiB] of [
      ['auto', 'auto'],
      ['2', '4'],
    ] as const) {
      for (const dismiss of await page.locator('.download').getByRole('button', { name: 'Dismiss' }).all()) await dismiss.click();
      await page.getByLabel('Connections per download').selectOption(connections);
      await page.getByLabel('Part size').selectOption(partMiB);
      const how = `${connections} connections, ${partMiB} MiB parts`;
      const status = await download(page, KEYS.gzipEncoded);
      expect(status, `${how}: ${await entry(page, KEYS.gzipEncoded).innerText()}`).toBe('done');
      await expect(entry(page, KEYS.gzipEncoded).getByTestId('dl-checks').innerText(), how).resolves.toBe('MD5 matches the ETag.');
      await expect(entry(page, KEYS.gzipEncoded).getByTestId('dl-encoding').innerText(), how).resolves.toBe(
        'S3 stores it gzip-compressed (Content-Encoding: gzip): saved as stored; unpack it with `gunzip`.',
      );
      // The bytes S3 stores, not the browser's decoding of them.
      await expect(readOpfsFile(page, 'gzip-encoded.bin'), how).resolves.toEqual({ size: o.size, sha256: o.sha256 });
    }
    await inJapanese(page, async () => {
      const note = entry(page, KEYS.gzipEncoded).getByTestId('dl-encoding');
      await note.getByText('gzip で圧縮して保存されています', { exact: false }).waitFor();
      await expect(note.innerText()).resolves.toBe(
        'S3 には gzip で圧縮して保存されています（Content-Encoding: gzip）。そのまま保存しました。`gunzip` で展開してください。',
      );
    });
    await page.close();
  }, 180_000);

  it('an object archived in DEEP_ARCHIVE is marked in the listing, and its download says to restore it (not access denied) and saves nothing — in English and Japanese', async () => {
    const page = await integrityPage();
    const row = page.getByRole('table').getByRole('row', { name: /archived-deep\.bin/ });
    await expect(row.getByTestId('archived').innerText()).resolves.toBe('archived (DEEP_ARCHIVE): restore it before downloading');
    await expect(page.getByRole('table').getByTestId('archived').count(), 'only the archived object is marked').resolves.toBe(1);
    await expect(download(page, KEYS.archived)).resolves.toBe('failed');
    const item = entry(page, KEYS.archived);
    expect(await item.locator('.failure').getAttribute('data-code')).toBe('S3_ARCHIVED');
    const en = await item.innerText();
    expect(en).toContain(`s3://${stack.lab.s3.bucket}/${KEYS.archived} is in storage class DEEP_ARCHIVE: S3 keeps it archived`);
    expect(en).toContain('Restore it first');
    expect(en).not.toContain('IAM');
    await expect(readOpfsFile(page, 'archived-deep.bin'), 'nothing saved').resolves.toBeNull();
    await inJapanese(page, async () => {
      await item.getByText('ストレージクラス DEEP_ARCHIVE でアーカイブされています', { exact: false }).waitFor();
      await expect(row.getByTestId('archived').innerText()).resolves.toBe(
        'アーカイブ済み（DEEP_ARCHIVE）：ダウンロードの前に復元が必要です',
      );
    });
    await page.close();
  }, 120_000);

  it('a bucket whose CORS rule does not allow x-amz-checksum-mode still downloads, checked against the ETag alone', async () => {
    const admin = { accessKeyId: 'ASIAOBJECTCHECKS', secretAccessKey: 'object-checks-secret', sessionToken: 'object-checks-token' };
    stack.lab.credentials.add({ ...admin, expiration: new Date(Date.now() + 3_600_000) });
    const s3 = new S3Client({ endpoint: stack.lab.urls.s3, region: 'ap-northeast-1', forcePathStyle: true, credentials: admin });
    // The headers the SDK signs and sends, one by one: no x-amz-checksum-mode.
    const strict: CorsRule = {
      ...demoCorsRule(),
      allowedHeaders: [
        'authorization',
        'x-amz-date',
        'x-amz-security-token',
        'x-amz-content-sha256',
        'x-amz-user-agent',
        'amz-sdk-*',
        'if-match',
      ],
      exposeHeaders: [...DEMO_EXPOSE_HEADERS],
    };
    await putBucketCors(s3, stack.lab.s3.bucket, [strict]);
    // A browser of its own: the first one remembers the earlier preflights, which allowed the header.
    const fresh = await launchBrowser();
    try {
      const page = fresh.page;
      await page.addInitScript({ content: OPFS_PICKER });
      await connect(page, stack.url, 'Virtual SIM (demo)');
      await authenticate(page);
      await openIntegrityFolder(page);
      await expect(download(page, KEYS.crc32)).resolves.toBe('done');
      await expect(entry(page, KEYS.crc32).getByTestId('dl-checks').innerText()).resolves.toBe('MD5 matches the ETag.');
      await expect(download(page, KEYS.multipart)).resolves.toBe('done');
      await expect(entry(page, KEYS.multipart).getByTestId('dl-checks').innerText()).resolves.toBe('MD5 of 3 parts ✓ (multipart ETag)');
      await expect(readOpfsFile(page, 'crc32.bin')).resolves.toEqual({ size: seeded(KEYS.crc32).size, sha256: seeded(KEYS.crc32).sha256 });
    } finally {
      await fresh.close();
      await s3.send(new DeleteBucketCorsCommand({ Bucket: stack.lab.s3.bucket }));
      await putBucketCors(s3, stack.lab.s3.bucket, [demoCorsRule(), reportUploadCorsRule()]);
      s3.destroy();
    }
  }, 180_000);
});
