import { describe, expect, it } from 'vitest';
import { AuthRun } from './auth-run.svelte.ts';
import type { MessageKey } from './i18n/en.ts';
import { english as en } from './i18n/english.test-support.ts';
import { I18n, interpolate } from './i18n/i18n.svelte.ts';
import { ja } from './i18n/ja.ts';
import { simName } from './sim-name.ts';

// Issue #15 §2: what came from core, the transports and the worker in English is said in Japanese by code.

const tEn = (key: MessageKey, params?: Record<string, string | number | undefined>) => interpolate(en[key], params, 'en');
const tJa = (key: MessageKey, params?: Record<string, string | number | undefined>) => interpolate(ja[key], params, 'ja');
const storage = { getItem: () => null, setItem: () => undefined };

describe('link names in the page’s language', () => {
  it('the transports’ English names read back into facts: English as it was, Japanese said again', () => {
    const names: [string, string][] = [
      ['Virtual SIM "demo-pin"', '仮想 SIM「demo-pin」'],
      ['Huawei modem (12d1:1506)', 'Huawei 製モデム（12d1:1506）'],
      ['Huawei modem (12d1:1506), USB interface 2', 'Huawei 製モデム（12d1:1506）、USB インターフェース 2'],
      ['USB serial device (1a86:????)', 'USB シリアルデバイス（1a86:????）'],
      ['USB device (2c7c:0125)', 'USB デバイス（2c7c:0125）'],
      ['serial port', 'シリアルポート'],
    ];
    for (const [name, inJa] of names) {
      expect(simName(name, tEn)).toBe(name);
      expect(simName(name, tJa)).toBe(inJa);
    }
  });

  it('other names are names: a reader, SORACOM Air, a product name the device gives', () => {
    for (const name of ['ACS ACR39U ICC Reader 00 00', 'SORACOM Air', 'Quectel EC25 (2c7c:0125)', 'Virtual SIM demo'])
      expect(simName(name, tJa)).toBe(name);
  });
});

describe('step notes by code', () => {
  it('the cached key’s age and a resynchronisation are kept by code and facts, and said in Japanese', () => {
    const auth = new AuthRun(() => undefined);
    auth.onTrace({ type: 'step-start', step: 'key-agreement', at: 1 });
    auth.onTrace({
      type: 'step-end',
      step: 'key-agreement',
      at: 2,
      durationMs: 1,
      ok: true,
      note: 'cached key, 12 min old',
      noteCode: 'cached-key',
      noteFacts: { minutes: 12 },
    });
    auth.onTrace({ type: 'step-start', step: 'authenticate', at: 3 });
    auth.onTrace({
      type: 'step-end',
      step: 'authenticate',
      at: 4,
      durationMs: 1,
      ok: true,
      note: 'sequence number out of sync',
      noteCode: 'sync-failure',
    });
    const [cached, sync] = auth.steps;
    expect(cached).toMatchObject({ noteCode: 'cached-key', noteFacts: { minutes: 12 } });
    expect(sync).toMatchObject({ noteCode: 'sync-failure' });
    // English says what core says; Japanese says it in Japanese.
    expect(tEn('auth.note.cached-key', cached!.noteFacts)).toBe(cached!.note);
    expect(tEn('auth.note.sync-failure')).toBe(sync!.note);
    expect(tJa('auth.note.cached-key', cached!.noteFacts)).toBe('キャッシュした鍵（12 分前に合意）');
    expect(tJa('auth.note.sync-failure')).toBe('シーケンス番号がずれています');
  });
});

describe('failures that name a host', () => {
  it('NETWORK_UNREACHABLE names the host in Japanese as in English; S3’s by bucket; an unknown one as the server', async () => {
    const i = new I18n(storage, ['ja']);
    await i.ready;
    await i.loadFailureTexts();
    const f = { code: 'NETWORK_UNREACHABLE', message: '', action: '', details: { host: 'g.api.soracom.io' } };
    expect(i.failure(f).message).toBe(
      'g.api.soracom.io に接続できません。インターネットにつながっていない、DNS で名前を引けない、またはプロキシーが通していない可能性があります。',
    );
    expect(i.failure({ ...f, details: { bucket: 'logs', region: 'ap-northeast-1' } }).message).toMatch(
      /^バケット logs の S3 に接続できません。/,
    );
    expect(i.failure({ ...f, details: {} }).message).toMatch(/^サーバー に接続できません。/);
    await i.set('en');
    // English with no text of the worker's: ours, naming the host.
    expect(i.failure(f).message).toBe('Cannot reach g.api.soracom.io: no internet, a DNS failure or a proxy in the way.');
  });
});

describe('sizes and punctuation', () => {
  it('S3 details give the exact size with the locale’s grouping, in the language’s parentheses', () => {
    expect(tEn('s3.sizeExact', { n: 3145728 })).toBe('(3,145,728 bytes)');
    expect(tEn('s3.sizeExact', { n: 1 })).toBe('(1 byte)');
    expect(tJa('s3.sizeExact', { n: 3145728 })).toBe('（3,145,728 バイト）');
  });

  it('Japanese sentences use full-width 。、：（）; English uses none of them', () => {
    const japanese = /[\u3040-\u30ff\u4e00-\u9fff]/;
    const fullWidth = /[\u3000-\u303f\uff01-\uff60]/;
    const bad: string[] = [];
    for (const [key, text] of Object.entries(ja)) {
      if (!japanese.test(text)) continue;
      // Outside plural syntax, params, URLs, paths and code-like tokens, an ASCII ( ) : , next to Japanese is a slip.
      const plain = text
        .replace(/\{\w+, plural,(?:[^{}]|\{[^{}]*\})*\}/g, 'X')
        .replace(/\{\w+\}/g, 'X')
        .replace(/[a-z]+:\/\/\S+/g, 'X')
        .replace(/\$Env:/g, 'X');
      if (/[\u3040-\u30ff\u4e00-\u9fff][(),:]|[(),:][\u3040-\u30ff\u4e00-\u9fff]/.test(plain)) bad.push(`ja ${key}: ${text}`);
    }
    for (const [key, text] of Object.entries(en)) if (fullWidth.test(text)) bad.push(`en ${key}: ${text}`);
    expect(bad).toEqual([]);
    expect(ja['punct.label']).toBe('{label}：');
    expect(ja['punct.paren']).toBe('（{text}）');
  });
});
