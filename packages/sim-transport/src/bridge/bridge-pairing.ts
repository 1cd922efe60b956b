import { BridgeRemoteError, type WebSocketLike } from './bridge-client.ts';

/** What the person sees while a page waits for approval. */
export interface PairingPrompt {
  /** Six digits the page shows; the bridge shows the same next to this page's origin. */
  code: string;
  /** Where the person approves (the bridge's own page). */
  approvalPage: string;
}

/**
 * Asks the bridge to trust this page's origin: the bridge shows the page's origin and a code, the
 * page shows the same code (via `onPrompt`), and once the person approves on the bridge's own page
 * this resolves with the token to present in `BridgeClient.connect(url, { token })`.
 */
export function requestBridgeApproval(
  pairUrl: string,
  onPrompt: (prompt: PairingPrompt) => void,
  options: { WebSocket?: WebSocketLike; signal?: AbortSignal } = {},
): Promise<string> {
  const Ws = options.WebSocket ?? WebSocket;
  return new Promise<string>((resolve, reject) => {
    const socket = new Ws(pairUrl);
    let settled = false;
    const finish = (error: BridgeRemoteError | undefined, token?: string) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve(token!);
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(1000);
    };
    options.signal?.addEventListener(
      'abort',
      () => finish(new BridgeRemoteError({ code: 'ABORTED', message: 'Approval was cancelled', action: 'Ask again when ready' })),
      { once: true },
    );
    socket.addEventListener('message', (e: MessageEvent) => {
      let m: { code?: unknown; approvalPage?: unknown; approved?: unknown; token?: unknown; reason?: unknown };
      try {
        m = JSON.parse(String(e.data)) as typeof m;
      } catch {
        return;
      }
      if (typeof m.code === 'string' && typeof m.approvalPage === 'string') onPrompt({ code: m.code, approvalPage: m.approvalPage });
      else if (m.approved === true && typeof m.token === 'string') finish(undefined, m.token);
      else if (m.approved === false)
        finish(
          new BridgeRemoteError({
            code: 'ABORTED',
            message: `The bridge did not approve this page (${typeof m.reason === 'string' ? m.reason : 'denied'})`,
            action: 'Ask again, and approve it on the bridge page',
          }),
        );
    });
    socket.addEventListener('close', (e: CloseEvent) => {
      finish(
        new BridgeRemoteError({
          code: 'TRANSPORT_FAILED',
          message:
            e.code === 1006
              ? 'The bridge is not reachable, or refused this page'
              : `The bridge ended the approval request: ${e.reason || e.code}`,
          action: 'Check that `pnpm bridge` is running, then ask again',
        }),
      );
    });
  });
}
