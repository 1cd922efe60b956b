import { DOWNLOAD_SCOPE, DOWNLOAD_WORKER_SCRIPT, type DownloadRegistration, type FromDownloadWorker } from './download-stream-protocol.ts';

/** How long registering a download with the service worker may take. */
const REGISTER_TIMEOUT_MS = 5_000;

let ready: Promise<ServiceWorker | undefined> | undefined;

/**
 * The download service worker, registered once (narrow scope: it sees only its own download paths),
 * or undefined where there is none (no service workers, not a secure context, the dev server, which
 * does not build it). Start it early: the click that downloads must not wait for an install.
 */
export function downloadWorker(): Promise<ServiceWorker | undefined> {
  ready ??= register();
  return ready;
}

async function register(): Promise<ServiceWorker | undefined> {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator) || !globalThis.isSecureContext) return undefined;
  try {
    const registration = await navigator.serviceWorker.register(new URL(DOWNLOAD_WORKER_SCRIPT, document.baseURI), {
      scope: new URL(DOWNLOAD_SCOPE, document.baseURI).pathname,
    });
    const worker = registration.active ?? registration.waiting ?? registration.installing;
    if (!worker) return undefined;
    if (worker.state !== 'activated')
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the download service worker did not activate')), 10_000);
        worker.addEventListener('statechange', () => {
          if (worker.state === 'activated') {
            clearTimeout(timer);
            resolve();
          } else if (worker.state === 'redundant') {
            clearTimeout(timer);
            reject(new Error('the download service worker was replaced'));
          }
        });
      });
    return registration.active ?? worker;
  } catch {
    // No service worker here (blocked by policy, private mode, dev server): downloads go through memory.
    return undefined;
  }
}

/**
 * Registers a download named `name` with the service worker and starts the browser's download of it
 * (a hidden frame opens its path). Returns the port the session worker streams the bytes into, and
 * a `done` that removes the frame, and `missed`, which resolves if the frame loaded a page instead
 * (the service worker did not answer its path); undefined when the service worker did not take the download.
 */
export async function startStreamedDownload(
  worker: ServiceWorker,
  name: string,
): Promise<{ port: MessagePort; done(): void; missed: Promise<void> } | undefined> {
  const channel = new MessageChannel();
  const path = new URL(`${DOWNLOAD_SCOPE}${crypto.randomUUID()}/${encodeURIComponent(name)}`, document.baseURI).pathname;
  const registered = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), REGISTER_TIMEOUT_MS);
    channel.port1.onmessage = (e: MessageEvent<FromDownloadWorker>) => {
      if (e.data.t !== 'registered') return;
      clearTimeout(timer);
      resolve(true);
    };
    const message: DownloadRegistration = { t: 'krypton-download', path, name };
    worker.postMessage(message, [channel.port2]);
  });
  channel.port1.onmessage = null;
  if (!registered) {
    channel.port1.close();
    return undefined;
  }
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.title = name;
  frame.src = path;
  // A download answered by the service worker leaves the frame's document at about:blank (same origin,
  // readable). A document at the path itself, or one the page may not read (the browser's error page for
  // an answer that refuses framing, as the bridge's do), means the request reached the server and no
  // download will start: the page learns it when the frame loads, not after the first-pull timeout.
  const missed = new Promise<void>((resolve) =>
    frame.addEventListener('load', () => {
      let at: string | undefined;
      try {
        at = frame.contentWindow?.location.pathname;
      } catch {
        resolve();
        return;
      }
      if (at === path) resolve();
    }),
  );
  document.body.append(frame);
  // The frame stays until the download ended: removing it earlier may cancel the download.
  return { port: channel.port1, done: () => setTimeout(() => frame.remove(), 1_000), missed };
}
