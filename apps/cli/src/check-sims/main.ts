import { promptHidden } from './pin.ts';
import { runCheckSims } from './run.ts';

/**
 * Runs check-sims as a process. The first SIGINT or SIGTERM goes to the run (with --watch, Ctrl-C
 * ends the batch normally), a second one stops every check at once, a third ends the process.
 */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const first = new AbortController();
  const second = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) first.abort(signal);
    else if (signals === 2) second.abort(signal);
    else process.exit(signal === 'SIGTERM' ? 143 : 130);
  };
  // The AWS SDK (Cognito, S3) warns once per process that its releases after January 2027 need Node 22;
  // the versions pinned here run on Node 20, and a warning among the results would only alarm.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A reader that went away (`check-sims | head`) is not our failure: no stack trace for EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
  const code = await runCheckSims(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    signal: first.signal,
    hardSignal: second.signal,
    ...(process.stdin.isTTY ? { askSecret: (question: string) => promptHidden(process.stdin, process.stderr, question) } : {}),
  });
  process.exitCode = code;
  // Native handles (pcsclite's context, a modem port) must not keep a finished run alive; the run
  // closed its links and the log before returning, and stdout/stderr to pipes and files are synchronous.
  setTimeout(() => process.exit(code), 20).unref();
}
