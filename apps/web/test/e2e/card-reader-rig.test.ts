import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CARD_READER_RIG_TIMEOUT_MS, startCardReaderRig } from './support/card-reader-rig.test-support.ts';

/** A live process as /proc shows it (undefined when gone or a zombie). */
function processInfo(pid: number): { ppid: number; argv: string[] } | undefined {
  try {
    // The fields after the command name (in parentheses): state, then the parent's pid.
    const [state, ppid] = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    if (state === 'Z') return undefined;
    return { ppid: Number(ppid), argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') };
  } catch {
    return undefined;
  }
}

/** The pids of live processes for which `match` holds. */
function processes(match: (p: { ppid: number; argv: string[] }) => boolean): number[] {
  return readdirSync('/proc')
    .filter((e) => /^[0-9]+$/.test(e))
    .map(Number)
    .filter((pid) => {
      const info = processInfo(pid);
      return info !== undefined && match(info);
    });
}

// What the rig promises the suites using it: a beforeAll failing half-way leaves nothing running to hold
// the machine's pcscd lock or the vpcd ports against the next test file. Needs root for pcscd (as in CI).
describe('the card-reader rig', () => {
  it(
    'stops pcscd and takes the card out when a later step (the browser) fails, and passes that step’s error on',
    async () => {
      const failure = new Error('the browser did not start');
      let started: number[] = [];
      const launch = (): Promise<never> => {
        // By now both run: pcscd, its config folder named after this process, and the lab's vcard, a child of it.
        started = [
          ...processes((p) => p.argv.some((a) => a.includes(`krypton-lab-pcscd-${process.pid}-`))),
          ...processes((p) => p.ppid === process.pid && p.argv.includes('vcard')),
        ];
        return Promise.reject(failure);
      };
      await expect(startCardReaderRig({ launch })).rejects.toBe(failure);
      expect(started, 'pcscd and the vcard process, seen running before the failure').toHaveLength(2);
      expect(
        started.filter((pid) => processInfo(pid) !== undefined),
        'processes the failed start left running',
      ).toEqual([]);
    },
    CARD_READER_RIG_TIMEOUT_MS,
  );
});
