import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTranscript, type Transcript } from '@krypton-web/krypton-core';
import { repoRoot, runBin, useLabServe } from './support/processes.test-support.ts';

// A transcript written by krypton-cli -record, replayed as a card (-sim FILE.jsonl) against `pnpm lab serve`.
const run = useLabServe('krypton-replay-');
const cli = (args: string[]) => runBin(['-interface', 'virtual', '-disable-key-cache', ...run.endpoints(), ...args], { env: run.xdg.env });
/** The commands a transcript sent, AUTHENTICATE's RAND and AUTN left out (the lab draws new ones). */
const commands = (t: Transcript) =>
  t.events.flatMap((e) => (e.type === 'apdu' ? [e.command.startsWith('0088') ? e.command.slice(0, 10) : e.command] : []));

describe('krypton-cli against a replayed card', () => {
  it('authenticates through the lab with the recorded answers, sending the same commands', async () => {
    const recorded = join(run.dir, 'recorded.jsonl');
    const first = await cli(['-sim', 'demo', '-operation', 'getUserData', '-record', recorded]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);

    const again = join(run.dir, 'again.jsonl');
    const replayed = await cli(['-sim', recorded, '-operation', 'getUserData', '-record', again]);
    expect(replayed.stderr).toBe('');
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toBe(first.stdout);
    expect(commands(parseTranscript(readFileSync(again, 'utf8')))).toEqual(commands(parseTranscript(readFileSync(recorded, 'utf8'))));
  });

  it('reports a command the transcript lacks (6D00) and fails with a message, not a crash', async () => {
    const recorded = join(run.dir, 'recorded.jsonl');
    expect((await cli(['-sim', 'demo', '-operation', 'getUserData', '-record', recorded])).code).toBe(0);
    // Drop the card's answer to reading EF_IMSI: the replayed card was never asked that.
    const cut = join(run.dir, 'cut.jsonl');
    const lines = readFileSync(recorded, 'utf8').split('\n');
    writeFileSync(cut, lines.filter((l) => !l.includes('"command":"00B0')).join('\n'));
    const r = await cli(['-sim', cut, '-operation', 'getUserData', '-debug']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/replay: the transcript holds no answer to 00B0870009; answered 6D00/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('refuses a file that is not a transcript with what to do', async () => {
    const bad = join(run.dir, 'bad.jsonl');
    writeFileSync(bad, '{"hello":1}\n');
    const r = await cli(['-sim', bad, '-operation', 'getUserData']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.jsonl: line 1: "format" is not "krypton-web-transcript".*krypton-cli -record/s);
  });
});

// The transcripts shipped with the lab, recorded from card personalities (packages/krypton-lab/transcripts/README.md).
describe('the shipped transcripts, replayed', () => {
  const shipped = join(repoRoot, 'packages/krypton-lab/transcripts');
  it.each([
    ['default', 4, {}],
    ['no-partial-aid', 8, {}],
    ['strict-t0', 19, { KRYPTON_SIM_PIN: '1234' }],
  ])('%s: krypton-cli gets credentials from the replayed card with the recorded %i APDUs', async (name, apdus, env) => {
    const file = join(shipped, `${name}.jsonl`);
    const original = parseTranscript(readFileSync(file, 'utf8'));
    expect(commands(original)).toHaveLength(apdus);
    const again = join(run.dir, 'again.jsonl');
    const r = await runBin(
      [
        '-interface',
        'virtual',
        '-disable-key-cache',
        ...run.endpoints(),
        '-sim',
        file,
        '-operation',
        'generateAmazonCognitoSessionCredentials',
        '-record',
        again,
      ],
      { env: { ...run.xdg.env, ...env } },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ credentials: { accessKeyId: expect.any(String) as unknown } });
    expect(commands(parseTranscript(readFileSync(again, 'utf8')))).toEqual(commands(original));
  });
});
