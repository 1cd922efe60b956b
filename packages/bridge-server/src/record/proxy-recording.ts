import { join } from 'node:path';
import { TranscriptRecorder, type FetchLike } from '@krypton-web/krypton-core';
import type { Logger } from '../log.ts';
import type { ProxiedCallFacts, SessionRecording } from '../readers/sim-sessions.ts';
import { AppendedTranscript } from './transcript-files.ts';

/** One proxied Krypton call being recorded. */
export interface RecordedCall {
  /** The upstream fetch, recording method, URL without query, status, header names and time (krypton-cli -record's own wrapper). */
  fetch: FetchLike;
  /** After the answer: ties the keyId Krypton gave (a key agreement) to the session, and waits until the call is on disk where it is written as it goes. */
  finish(answer: { keyId?: string }): Promise<void>;
}

/** What the Krypton proxy records through (`--record DIR`). */
export interface ProxyRecording {
  /** Starts recording one call, into its session's transcript or the bridge run's proxy transcript. */
  begin(call: ProxiedCallFacts, upstream: FetchLike): RecordedCall;
  /** Flushes and closes the run's proxy transcript. */
  close(): Promise<void>;
}

/**
 * `--record DIR` for the Krypton proxy: a call made by an origin while it holds a SIM session goes into
 * that session's transcript (in order with its APDUs, written when the session ends); any other call
 * goes into one proxy transcript per bridge run in the same folder, appended and flushed call by call.
 * Only what krypton-cli -record keeps of HTTP is kept: no bodies, header names only.
 */
export class BridgeProxyRecording implements ProxyRecording {
  private run: { recorder: TranscriptRecorder; file: AppendedTranscript; path: string } | undefined;

  constructor(
    private readonly dir: string,
    private readonly sessionFor: (call: ProxiedCallFacts) => SessionRecording | undefined,
    private readonly log: Logger,
  ) {}

  begin(call: ProxiedCallFacts, upstream: FetchLike): RecordedCall {
    const session = this.sessionFor(call);
    if (session) {
      return {
        fetch: session.recorder.wrapFetch(upstream),
        finish: async ({ keyId }) => {
          if (keyId !== undefined) session.claimKey(keyId);
        },
      };
    }
    const run = this.runTranscript();
    return { fetch: run.recorder.wrapFetch(upstream), finish: () => run.file.flush() };
  }

  async close(): Promise<void> {
    if (!this.run) return;
    await this.run.file.close();
    if (this.run.file.started) this.log.info('proxy transcript closed', { file: this.run.path, calls: this.run.recorder.counts().http });
  }

  private runTranscript(): NonNullable<BridgeProxyRecording['run']> {
    if (this.run) return this.run;
    const path = join(this.dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-proxy-${process.pid}.jsonl`);
    let file: AppendedTranscript | undefined;
    const recorder = new TranscriptRecorder({
      tool: 'krypton-web bridge',
      identity: { link: 'bridge', description: 'Krypton calls through the bridge proxy while no SIM session of the calling page was open' },
      retain: false,
      onEvent: (event) => file!.append(JSON.stringify(event)),
    });
    file = new AppendedTranscript(
      path,
      () => recorder.headerLine(),
      (e) => this.log.warn('proxy transcript not written', { file: path, error: e.message }),
    );
    this.run = { recorder, file, path };
    return this.run;
  }
}
