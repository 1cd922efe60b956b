import { parseArgs } from 'node:util';
import { fromHexExact, toHex, type CodecError } from '@krypton-web/krypton-core';
import { Milenage } from '../milenage/index.ts';
import { UsageError, type CommandIo } from './usage-error.ts';

const HELP = `usage: pnpm lab milenage --k HEX (--op HEX | --opc HEX) --rand HEX --sqn HEX --amf HEX
Prints {"opc","macA","macS","res","ck","ik","ak","akStar"} as one JSON line (lowercase hex).`;

/** `pnpm lab milenage`: computes every Milenage output for one set of inputs. */
export async function milenageCommand(argv: string[], io: CommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        k: { type: 'string' },
        op: { type: 'string' },
        opc: { type: 'string' },
        rand: { type: 'string' },
        sqn: { type: 'string' },
        amf: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  if ((values.op === undefined) === (values.opc === undefined)) throw new UsageError('give exactly one of --op and --opc');
  const hex = (name: 'k' | 'op' | 'opc' | 'rand' | 'sqn' | 'amf', bytes: number): Uint8Array => {
    const v = values[name];
    if (v === undefined) throw new UsageError(`--${name} is required (${bytes * 2} hex digits)`);
    try {
      return fromHexExact(v, bytes, `--${name}`);
    } catch (e) {
      throw new UsageError((e as CodecError).message);
    }
  };
  const k = hex('k', 16);
  const m = values.op !== undefined ? await Milenage.withOp(k, hex('op', 16)) : await Milenage.withOpc(k, hex('opc', 16));
  const out = await m.compute(hex('rand', 16), hex('sqn', 6), hex('amf', 2));
  io.stdout(
    JSON.stringify({
      opc: toHex(m.opc),
      macA: toHex(out.macA),
      macS: toHex(out.macS),
      res: toHex(out.res),
      ck: toHex(out.ck),
      ik: toHex(out.ik),
      ak: toHex(out.ak),
      akStar: toHex(out.akStar),
    }),
  );
  return 0;
}
