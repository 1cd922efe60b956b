import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireMachineLock } from './machine-lock.ts';
import { readProcess } from './proc.ts';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'krypton-lock-test-'));
  path = join(dir, 'test.lock');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const holderFile = (pid: number, startTime: string) =>
  JSON.stringify({ pid, startTime, token: 'someone-else', purpose: 'test holder', since: new Date().toISOString() });

describe('acquireMachineLock', () => {
  it('records the owner and removes the file on release', async () => {
    const lock = await acquireMachineLock(path, { purpose: 'unit test' });
    const holder = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; purpose: string };
    expect(holder).toMatchObject({ pid: process.pid, purpose: 'unit test' });
    lock.release();
    expect(existsSync(path)).toBe(false);
    lock.release();
  });

  it('makes a second taker wait until the first releases', async () => {
    const first = await acquireMachineLock(path);
    const events: string[] = [];
    const second = acquireMachineLock(path, { pollMs: 10 }).then((l) => {
      events.push('second acquired');
      return l;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(events).toEqual([]);
    events.push('first released');
    first.release();
    const lock = await second;
    expect(events).toEqual(['first released', 'second acquired']);
    // The second holds the file now: releasing it removes it.
    expect(existsSync(path)).toBe(true);
    lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it('times out naming the holder', async () => {
    const lock = await acquireMachineLock(path, { purpose: 'holding on' });
    await expect(acquireMachineLock(path, { timeoutMs: 100, pollMs: 10 })).rejects.toMatchObject({
      code: 'LOCK_TIMEOUT',
      message: expect.stringMatching(new RegExp(`pid ${process.pid} \\(holding on\\)`)),
    });
    lock.release();
  });

  it('waits for a lock held by another live process and takes it over when that process dies', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    const info = readProcess(child.pid!);
    writeFileSync(path, holderFile(child.pid!, info!.startTime));
    const events: string[] = [];
    const waiting = acquireMachineLock(path, { pollMs: 10 }).then((l) => {
      events.push('acquired');
      return l;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(events).toEqual([]);
    const exited = new Promise((r) => child.once('exit', r));
    events.push('holder killed');
    child.kill('SIGKILL');
    await exited;
    const lock = await waiting;
    expect(events).toEqual(['holder killed', 'acquired']);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('takes over at once a lock whose pid now belongs to another process', async () => {
    writeFileSync(path, holderFile(process.pid, 'not-my-start-time'));
    const lock = await acquireMachineLock(path, { timeoutMs: 500 });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, startTime: readProcess(process.pid)!.startTime });
    lock.release();
  });

  it('does not remove a lock someone else took after it was judged stale', async () => {
    const lock = await acquireMachineLock(path);
    writeFileSync(path, holderFile(process.pid, readProcess(process.pid)!.startTime));
    lock.release();
    expect(existsSync(path)).toBe(true);
  });
});
