// Another program wanting the card: opens the reader named on the command line exclusively through
// pcscd, reads the IMSI, and prints one JSON line ({ imsi } or { error }). Exit 0 on success, 1 if not.
import { Usim } from '@krypton-web/krypton-core';
import { PcscTransport } from '@krypton-web/sim-transport/node';

const reader = process.argv[2]!;
try {
  const transport = await PcscTransport.open(reader, { share: 'exclusive', timeoutMs: 3000 });
  try {
    process.stdout.write(`${JSON.stringify({ imsi: await new Usim(transport).readImsi() })}\n`);
  } finally {
    await transport.close();
  }
  process.exitCode = 0;
} catch (e) {
  const err = e as { code?: string; problem?: string; message?: string };
  process.stdout.write(`${JSON.stringify({ error: err.code, problem: err.problem, message: err.message })}\n`);
  process.exitCode = 1;
}
