/// <reference lib="webworker" />
// The batch worker of the Check SIMs screen: the lanes, krypton-core, sim-check and the S3 client run
// here, so CK, RES, the batch's PIN and the AWS secrets never enter the page. Started only when the
// person opens that screen; the page talks to it through comlink (see batch-api.ts).
//
// Like session-worker.ts, this entry holds no code a chunk could import back (WebKit would evaluate
// it twice); the batch comes through one dynamic import, and early messages are replayed to it.
const early: MessageEvent[] = [];
const hold = (e: MessageEvent): void => void early.push(e);
self.addEventListener('message', hold);
void import('./batch-start.ts').then(({ start }) => {
  self.removeEventListener('message', hold);
  start();
  for (const e of early.splice(0)) self.dispatchEvent(new MessageEvent('message', { data: e.data as unknown, ports: [...e.ports] }));
});

// A module (its names stay its own), not a script.
export {};
