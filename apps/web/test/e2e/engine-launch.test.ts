import { describe, expect, it } from 'vitest';
import { EngineLaunchError, launchWebKit } from '@krypton-web/web-driver';

// WebKitGTK's session creation waits for a display that may never answer: the launcher must give up
// at its timeout with an error that says which step failed, never hang the run.
describe('engine launch failures end with a clear error, in time', () => {
  it('WebKit on a display with no X server: SESSION_NOT_CREATED within the timeout, naming the display', async () => {
    const started = performance.now();
    const error = await launchWebKit({ display: ':4711', timeoutMs: 5_000 }).then(
      async (b) => {
        await b.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(EngineLaunchError);
    expect((error as EngineLaunchError).code).toBe('SESSION_NOT_CREATED');
    expect((error as EngineLaunchError).message).toContain(':4711');
    expect(elapsed).toBeLessThan(20_000);
  }, 30_000);
});
