/**
 * How the e2e rigs start and stop what they are made of (a pcscd, a card, the bridge, a browser): in
 * order, and when a step fails, whatever was started already is stopped before the error goes on. A
 * beforeAll that fails half-way has nothing to close in its afterAll, and a pcscd, a vcard process or a
 * lab left running would hold the machine's pcscd lock or its ports against the next test file.
 */

/** The stops of a rig's started parts. */
export class RigParts {
  readonly #stops: (() => Promise<void>)[] = [];

  /** Records how to stop `part`, just started, and hands it back. */
  add<T>(part: T, stop: (part: T) => Promise<void>): T {
    this.#stops.push(() => stop(part));
    return part;
  }

  /** Stops every part, newest first, each even when one before it fails (then throws the first failure). Idempotent. */
  async stopAll(): Promise<void> {
    let failure: { error: unknown } | undefined;
    for (const stop of this.#stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}

/** Runs `start` with fresh RigParts; when it throws, stops the parts it had started, then rethrows its error. */
export async function buildRig<R>(start: (parts: RigParts) => Promise<R>): Promise<R> {
  const parts = new RigParts();
  try {
    return await start(parts);
  } catch (e) {
    // The start's error is the one worth reading; a stop failing on top of it is only logged.
    await parts.stopAll().catch((stopError: unknown) => console.error('a rig part did not stop after a failed start:', stopError));
    throw e;
  }
}
