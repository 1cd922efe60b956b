import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEfImsi, encodeResponseApdu, fromHex, runT0, toHex } from '@krypton-web/krypton-core';
import { demoProfileSet, findSim } from '../profiles/index.ts';
import { PcscService, PcscTransport } from '@krypton-web/sim-transport/node';
import { findFreePortPair, startPcscd } from '../rigs/index.ts';
import { parseEndpoint, parseVcardArgs, resolveSim, runVcard, withExtraQuirks } from './vcard-command.ts';

/** An in-process io for runVcard: collected lines and a stop switch. */
function testIo() {
  const out: string[] = [];
  const err: string[] = [];
  let stop!: (signal: string) => void;
  const stopSignal = new Promise<string>((resolve) => (stop = resolve));
  const waiters: { test: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) if ([...out, ...err].some((l) => w.test.test(l))) w.resolve();
  };
  return {
    io: {
      stdout: (line: string) => {
        out.push(line);
        check();
      },
      stderr: (line: string) => {
        err.push(line);
        check();
      },
      stopSignal,
    },
    out,
    err,
    stop,
    /** Resolves when a line matching `test` has been written. */
    waitFor: (test: RegExp, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`no line matching ${test} within ${timeoutMs} ms; stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)}`),
            ),
          timeoutMs,
        );
        waiters.push({ test, resolve: () => (clearTimeout(timer), resolve()) });
        check();
      }),
  };
}

describe('vcard arguments', () => {
  it.each<[string[], { host: string; port: number; sim: string; trace: boolean }]>([
    [[], { host: '127.0.0.1', port: 35963, sim: 'demo', trace: false }],
    [['--vpcd', '127.0.0.1:37120', '--trace'], { host: '127.0.0.1', port: 37120, sim: 'demo', trace: true }],
    [['--vpcd=localhost:0x8C7C', '--sim', 'demo-pin'], { host: 'localhost', port: 0x8c7c, sim: 'demo-pin', trace: false }],
    [['--vpcd', '[::1]:35963', '--sim=./my-sims.json#lab-1'], { host: '::1', port: 35963, sim: './my-sims.json#lab-1', trace: false }],
  ])('reads %j', (argv, expected) => {
    expect(parseVcardArgs(argv)).toMatchObject(expected);
  });

  it.each<[string[], RegExp]>([
    [['--vpcd', 'localhost'], /HOST:PORT/],
    [['--vpcd', '127.0.0.1:0'], /from 1 to 65535/],
    [['--vpcd', '127.0.0.1:70000'], /from 1 to 65535/],
    [['--vpcd', '127.0.0.1:12ab'], /HOST:PORT/],
    [['--vpcd'], /argument missing|requires a value|vpcd/i],
    [['--sim', ''], /--sim needs/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /Unexpected argument 'extra'/],
    [['--quirks', 'no-p2-0c,nope'], /--quirks\[1\]: "nope" is not a card quirk; known: no-partial-aid/],
    [['--quirks', 't1-direct,chained-61xx'], /cannot be on one card/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseVcardArgs(argv)).toThrow(message);
  });

  it('reads --quirks and adds them to the profile once each', () => {
    expect(parseVcardArgs(['--quirks', 'no-p2-0c, no-sfi-6a82']).quirks).toEqual(['no-p2-0c', 'no-sfi-6a82']);
    expect(parseVcardArgs([]).quirks).toEqual([]);
    const demo = findSim(demoProfileSet(), 'demo');
    expect(withExtraQuirks({ ...demo, quirks: ['no-p2-0c'] }, ['no-p2-0c', 'wrong-le-6c']).quirks).toEqual(['no-p2-0c', 'wrong-le-6c']);
    expect(() => withExtraQuirks({ ...demo, quirks: ['t1-direct'] }, ['chained-61xx'])).toThrow(/cannot be on one card/);
    expect(withExtraQuirks(demo, [])).toBe(demo);
  });

  it('parses endpoints in hex and with IPv6 brackets', () => {
    expect(parseEndpoint('0.0.0.0:0x9100')).toEqual({ host: '0.0.0.0', port: 0x9100 });
    expect(parseEndpoint('[fe80::1]:1')).toEqual({ host: 'fe80::1', port: 1 });
  });
});

describe('vcard SIM choice', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vcard-sims-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const sim = (name: string, imsi: string) => ({
    name,
    imsi,
    iccid: '8981100000000000999',
    k: '000102030405060708090a0b0c0d0e0f',
    opc: '0f0e0d0c0b0a09080706050403020100',
  });

  it('takes a demo SIM by name', async () => {
    expect((await resolveSim('demo-pin')).imsi).toBe(findSim(demoProfileSet(), 'demo-pin').imsi);
  });

  it('takes the only SIM of a file, or the named one of several', async () => {
    const one = join(dir, 'one.json');
    writeFileSync(one, JSON.stringify(sim('solo', '001019999999991')));
    const many = join(dir, 'many.json');
    writeFileSync(many, JSON.stringify({ sims: [sim('a', '001019999999992'), sim('b', '001019999999993')] }));
    expect((await resolveSim(one)).name).toBe('solo');
    expect((await resolveSim(`${many}#b`)).imsi).toBe('001019999999993');
    await expect(resolveSim(many)).rejects.toThrow(/holds 2 SIMs; pick one with --sim .*#NAME \(a, b\)/);
  });

  it.each<[string, RegExp]>([
    ['no-such-sim', /no SIM named "no-such-sim"; known: demo/],
    ['/nonexistent/sims.json', /cannot read \/nonexistent\/sims.json/],
  ])('refuses %s with a message naming the problem', async (spec, message) => {
    await expect(resolveSim(spec)).rejects.toThrow(message);
  });

  it.each<[string[], RegExp]>([
    [['--vpcd', 'nowhere'], /^vcard: --vpcd must be HOST:PORT/],
    [['--sim', 'no-such-sim'], /^vcard: no SIM named "no-such-sim"/],
    [['--frobnicate'], /^vcard: Unknown option '--frobnicate'/],
  ])('ends %j with one line and exit code 2', async (argv, message) => {
    const t = testIo();
    expect(await runVcard(argv, t.io)).toBe(2);
    expect(t.err).toHaveLength(1);
    expect(t.err[0]).toMatch(message);
    expect(t.err[0]).not.toMatch(/\n|at .*\.ts:\d+/);
    expect(t.out).toEqual([]);
  });

  it('prints its help on --help and exits 0', async () => {
    const t = testIo();
    expect(await runVcard(['--help'], t.io)).toBe(0);
    expect(t.out.join('\n')).toMatch(/usage: pnpm lab vcard \[--vpcd HOST:PORT\] \[--sim NAME\|FILE/);
  });

  it('says once that it waits for vpcd, and stops cleanly on the stop signal', async () => {
    const port = await findFreePortPair();
    const t = testIo();
    const run = runVcard(['--vpcd', `127.0.0.1:${port}`], t.io);
    await t.waitFor(/waiting for vpcd/);
    await new Promise((r) => setTimeout(r, 500));
    t.stop('SIGINT');
    expect(await run).toBe(0);
    expect(t.err.filter((l) => /waiting for vpcd/.test(l))).toEqual([
      `vcard: waiting for vpcd at 127.0.0.1:${port} (ECONNREFUSED); is pcscd running with vsmartcard-vpcd?`,
    ]);
    expect(t.out).toEqual([]);
  });
});

describe('vcard through a pcscd started by the test', () => {
  it('lets the real pcsclite library read the IMSI of the demo SIM', async () => {
    const pcscd = await startPcscd();
    const t = testIo();
    let run: Promise<number> | undefined;
    let service: PcscService | undefined;
    try {
      service = await PcscService.open();
      run = runVcard(['--vpcd', `127.0.0.1:${pcscd.vpcdPort}`, '--sim', 'demo', '--trace'], t.io);
      await t.waitFor(/is in the vpcd reader/);
      const expected = findSim(demoProfileSet(), 'demo');
      expect(t.out).toEqual([
        `vcard: SIM "demo" (IMSI ${expected.imsi}) is in the vpcd reader at 127.0.0.1:${pcscd.vpcdPort}; Ctrl-C removes it`,
      ]);

      await service.waitForCard({ reader: pcscd.readerName, timeoutMs: 5000 });
      // Raw APDUs in and raw answers out: PcscTransport leaves GET RESPONSE to whoever drives it.
      const link = await PcscTransport.open(pcscd.readerName, { service, share: 'shared' });
      const send = (apdu: Uint8Array) => link.transmit(apdu);

      // SELECT the USIM by its partial AID (RID + application code), FCP requested: T=0 answers 61xx first.
      const first = await link.transmit(fromHex('00a4040407a0000000871002'));
      expect(toHex(first)).toMatch(/^61[0-9a-f]{2}$/);
      const fcp = await runT0(send, fromHex('00c00000' + toHex(first.subarray(1))));
      expect(fcp.sw).toBe(0x9000);
      expect(fcp.data[0]).toBe(0x62);
      const imsiFile = await runT0(send, fromHex('00a40004026f07'));
      expect(imsiFile.sw).toBe(0x9000);
      const content = await runT0(send, fromHex('00b0000009'));
      expect(content.sw).toBe(0x9000);
      expect(content.data).toHaveLength(9);
      expect(decodeEfImsi(content.data)).toBe(expected.imsi);

      expect(t.err).toContain('=> 00a4040407a0000000871002');
      expect(t.err).toContain('=> 00b0000009');
      // READ BINARY with the right Le is answered in one exchange: the trace holds exactly that answer.
      expect(t.err).toContain(`<= ${toHex(encodeResponseApdu(content))}`);
    } finally {
      // Closes the connection too, leaving the card powered: its removal below is vcard's own.
      await service?.close();
      t.stop('SIGTERM');
      const code = await run;
      await pcscd.stop();
      expect(code).toBe(0);
      expect(t.err.at(-1)).toBe('vcard: card removed');
    }
  }, 150_000);
});
