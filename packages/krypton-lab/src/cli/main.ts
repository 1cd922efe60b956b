import { UsageError, type CommandIo } from './usage-error.ts';

const HELP = `usage: pnpm lab <command> [flags]
commands:
  serve      start the Krypton, Cognito and S3 emulators on 127.0.0.1
  milenage   compute Milenage outputs for given inputs
  vcard      connect a virtual USIM to pcscd through vpcd
  modem      a Huawei-like AT modem over a virtual USIM on stdin/stdout (put it behind socat)
  stack      deal a box of virtual SIMs to several vpcd readers on a timeline (batch checks)
  replay     a card that answers as a recorded one did (a krypton-cli -record transcript), through vpcd
run "pnpm lab <command> --help" for the flags of one command`;

type Command = (argv: string[], io: CommandIo) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  // Loaded on demand: `milenage` should not pay for the server stack's start-up.
  serve: async () => (await import('./serve-command.ts')).serveCommand,
  milenage: async () => (await import('./milenage-command.ts')).milenageCommand,
  vcard: async () => (await import('../vpcd/vcard-command.ts')).runVcard,
  modem: async () => (await import('../modem/modem-command.ts')).modemCommand,
  stack: async () => (await import('../stack/stack-command.ts')).stackCommand,
  replay: async () => (await import('../replay/replay-command.ts')).replayCommand,
};

/** Runs one lab command and returns the process exit code; usage errors become one line on stderr. */
export async function runLab(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(HELP);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr(`lab: unknown command "${name}" (try: ${Object.keys(COMMANDS).join(', ')})`);
    return 2;
  }
  try {
    return await (
      await load()
    )(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`lab ${name}: ${e.message}`);
      return 2;
    }
    const err = e as { code?: string; message?: string };
    io.stderr(`lab ${name}: ${err.code ? `${err.code}: ` : ''}${err.message ?? String(e)}`);
    return 1;
  }
}

/** Runs the lab CLI as a process: argv from the command line, exit code set, stops on SIGINT/SIGTERM. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const stopSignal = new Promise<string>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
  });
  const code = await runLab(argv, {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    stopSignal,
  });
  process.exitCode = code;
  // Commands close their own servers; a stray handle must not keep a finished command alive.
  setTimeout(() => process.exit(code), 2000).unref();
}
