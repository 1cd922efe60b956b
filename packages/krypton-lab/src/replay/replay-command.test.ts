import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toHex } from '@krypton-web/krypton-core';
import { runLab } from '../cli/main.ts';
import { FrameDecoder, VpcdControl, encodeFrame } from '../vpcd/framing.ts';

const R = '‹redacted›';
const TRANSCRIPT = [
  JSON.stringify({
    format: 'krypton-web-transcript',
    version: 1,
    recordedAt: '2026-12-03T00:00:00.000Z',
    tool: 'krypton-cli test',
    identity: { link: 'iso7816', description: 'PC/SC reader "Field Reader 00 00"', atr: '3B00' },
  }),
  JSON.stringify({ type: 'apdu', t: 1, command: '00A4040C07A0000000871002', response: '9000', durationMs: 40 }),
  JSON.stringify({ type: 'apdu', t: 2, command: '00B0870009', response: '0809101000000000109000', durationMs: 40 }),
  JSON.stringify({ type: 'apdu', t: 3, command: `008800812210${'11'.repeat(16)}10${'22'.repeat(16)}`, response: '6135', durationMs: 40 }),
  JSON.stringify({ type: 'apdu', t: 4, command: '00C0000035', response: `${R}9000`, durationMs: 40 }),
  JSON.stringify({
    type: 'http',
    t: 5,
    method: 'POST',
    url: 'https://g.api.soracom.io/v1/keys',
    status: 200,
    requestHeaders: [],
    responseHeaders: [],
    durationMs: 80,
  }),
].join('\n');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lab-replay-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function io(stop: Promise<string> = new Promise(() => undefined)) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l), stopSignal: stop } };
}

describe('pnpm lab replay', () => {
  it('--summary says what the transcript holds; --print-profile gives the SIM the lab must know', async () => {
    const file = join(dir, 't.jsonl');
    writeFileSync(file, TRANSCRIPT);
    const a = io();
    expect(await runLab(['replay', file, '--summary'], a.io)).toBe(0);
    expect(a.out[0]).toMatch(/Field Reader 00 00"; 4 APDUs, 0 AT lines, 1 HTTP calls/);
    const b = io();
    expect(await runLab(['replay', file, '--print-profile'], b.io)).toBe(0);
    const set = JSON.parse(b.out[0]!) as { sims: { name: string; imsi: string }[] };
    expect(set.sims).toMatchObject([{ name: 'demo', imsi: '001010000000001' }]);
  });

  it('refuses a missing or malformed file with one line saying what to do (exit 2)', async () => {
    const missing = io();
    expect(await runLab(['replay', join(dir, 'nope.jsonl')], missing.io)).toBe(2);
    expect(missing.err[0]).toMatch(/cannot read .*nope\.jsonl \(ENOENT\)/);
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, `${TRANSCRIPT}\n{"type":"apdu","t":1,"command":"zz","response":"9000","durationMs":1}`);
    const bad = io();
    expect(await runLab(['replay', file], bad.io)).toBe(2);
    expect(bad.err[0]).toMatch(/line 7: command must be hex.*krypton-cli -record/);
  });

  it('puts the replayed card in a vpcd reader: recorded ATR and answers, 6D00 for the rest', async () => {
    const file = join(dir, 't.jsonl');
    writeFileSync(file, TRANSCRIPT);
    const answers: string[] = [];
    let peer!: net.Socket;
    const decoder = new FrameDecoder();
    let wake: (() => void) | undefined;
    const server = net.createServer((socket) => {
      peer = socket;
      socket.on('data', (chunk) => {
        answers.push(...decoder.push(chunk).map(toHex));
        wake?.();
      });
      wake?.();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const until = (n: number) =>
      new Promise<void>((resolve) => {
        wake = () => (answers.length >= n ? resolve() : undefined);
        wake();
      });
    let stop!: (s: string) => void;
    const t = io(new Promise((resolve) => (stop = resolve)));
    const done = runLab(['replay', file, '--vpcd', `127.0.0.1:${port}`], t.io);
    await new Promise<void>((resolve) => {
      wake = () => (peer ? resolve() : undefined);
      wake();
    });
    peer.write(encodeFrame(Uint8Array.of(VpcdControl.PowerOn)));
    peer.write(encodeFrame(Uint8Array.of(VpcdControl.GetAtr)));
    await until(1);
    peer.write(encodeFrame(Uint8Array.from(Buffer.from('00B0870009', 'hex'))));
    await until(2);
    peer.write(encodeFrame(Uint8Array.from(Buffer.from('00A40000023F00', 'hex'))));
    await until(3);
    expect(answers).toEqual(['3b00', '0809101000000000109000', '6d00']);
    expect(t.err.some((l) => /no answer to 00A40000023F00/.test(l))).toBe(true);
    stop('SIGTERM');
    expect(await done).toBe(0);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(t.out[0]).toMatch(/in the vpcd reader at 127\.0\.0\.1:\d+ as SIM 001010000000001/);
  });
});
