import { parseArgs } from 'node:util';
import { startLab } from '../server/lab.ts';
import { loadProfileSetFile } from '../profiles/profile-file.ts';
import { intFlag, UsageError, type CommandIo } from './usage-error.ts';

const HELP = `usage: pnpm lab serve [--port N] [--latency-ms N] [--profiles FILE] [--large-object-mib N]
                     [--s3-mib-per-connection N] [--s3-rtt-ms N] [--s3-ignore-range]
Starts the Krypton Keys/Provisioning, cellular, Cognito and S3 emulators on 127.0.0.1, prints one
JSON line with their URLs once ready, and runs until SIGINT/SIGTERM.
--s3-mib-per-connection caps each S3 client connection at N MiB/s and --s3-rtt-ms adds N ms to
each S3 request, as a far-away S3 would (change them later with POST /_lab/s3-link).
--s3-ignore-range answers ranged object GETs with the whole object (200), as some S3-compatible
servers and proxies do (change it later with POST /_lab/s3-ignore-range).`;

/** `pnpm lab serve`: runs the whole lab until asked to stop. */
export async function serveCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(argv);
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  const port = intFlag('port', values.port, 1, 65_532);
  const latencyMs = intFlag('latency-ms', values['latency-ms'], 0, 60_000);
  const largeMib = intFlag('large-object-mib', values['large-object-mib'], 1, 8192);
  const mibPerConnection = intFlag('s3-mib-per-connection', values['s3-mib-per-connection'], 1, 10_240);
  const rttMs = intFlag('s3-rtt-ms', values['s3-rtt-ms'], 0, 10_000);
  const profiles = values.profiles ? await loadProfileSetFile(values.profiles) : undefined;
  const lab = await startLab({
    port,
    latencyMs,
    profiles,
    s3: {
      ...(largeMib ? { seed: { largeObjectBytes: largeMib * 1024 * 1024 } } : {}),
      link: { bytesPerSecond: (mibPerConnection ?? 0) * 1024 * 1024, rttMs: rttMs ?? 0 },
      ...(values['s3-ignore-range'] ? { ignoreRange: { enabled: true } } : {}),
    },
  });
  io.stdout(
    JSON.stringify({
      keys: lab.urls.keys,
      provisioning: lab.urls.provisioning,
      cognito: lab.urls.cognito,
      s3: lab.urls.s3,
      cellular: lab.urls.cellular,
      control: lab.urls.control,
      region: lab.region,
      identityPoolId: lab.identityPoolId,
      bucket: lab.bucket,
      sims: lab.profiles.sims.map((s) => ({ name: s.name, imsi: s.imsi })),
    }),
  );
  const signal = await io.stopSignal;
  io.stderr(`lab: ${signal} received, stopping`);
  await lab.close();
  return 0;
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        'latency-ms': { type: 'string' },
        profiles: { type: 'string' },
        'large-object-mib': { type: 'string' },
        's3-mib-per-connection': { type: 'string' },
        's3-rtt-ms': { type: 'string' },
        's3-ignore-range': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
