/// <reference lib="webworker" />
// The download service worker: where File System Access is missing (Firefox, Safari), a download
// is the browser's own, streamed from the session worker through this worker, so the page never
// holds the file in memory. It answers only paths the page registered, under its narrow scope.
// Built as a single file at the app's root (vite.config.ts); it imports nothing at run time.
import type { DownloadRegistration } from '../lib/download-stream-protocol.ts';
import { responseFromPort } from './download-response.ts';

declare const self: ServiceWorkerGlobalScope;

const registered = new Map<string, { port: MessagePort; name: string }>();

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('message', (e) => {
  const m = e.data as Partial<DownloadRegistration> | undefined;
  const port = e.ports[0];
  if (m?.t !== 'krypton-download' || typeof m.path !== 'string' || typeof m.name !== 'string' || !port) return;
  registered.set(m.path, { port, name: m.name });
  port.postMessage({ t: 'registered' });
  // A registration nobody fetched (the frame never loaded) is dropped.
  setTimeout(() => registered.delete(m.path!), 120_000);
});

self.addEventListener('fetch', (e) => {
  const path = new URL(e.request.url).pathname;
  const entry = registered.get(path);
  if (!entry) return;
  registered.delete(path);
  e.respondWith(responseFromPort(entry.port, entry.name));
});
