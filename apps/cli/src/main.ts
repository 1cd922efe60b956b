import { homedir } from 'node:os';
import { runCli } from './run.ts';

/** Runs krypton-cli as a process: argv, stdout/stderr, exit code; SIGINT/SIGTERM stop the run cleanly. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal while the first is being handled ends the process at once.
    if (controller.signal.aborted) process.exit(signal === 'SIGTERM' ? 143 : 130);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A reader that went away (`krypton-cli … | head -c 10`) is not our failure: no stack trace for EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
  const code = await runCli(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    home: homedir(),
    signal: controller.signal,
  });
  process.exitCode = code;
  // Native handles (pcsclite's context, a modem port a probe left behind) must not keep a finished
  // run alive; stdout and stderr are flushed by then (pipes and files are synchronous on POSIX), and
  // the run closed its link before returning, so only a short grace is given (a person waits on it).
  setTimeout(() => process.exit(code), 20).unref();
}
