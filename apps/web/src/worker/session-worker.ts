/// <reference lib="webworker" />
// The session worker: krypton-core, the SIM links and the AWS SDK live here, so CK and the AWS
// secrets never enter the page's JavaScript. The page talks to it through comlink (see api.ts).
//
// This entry holds no code a lazily loaded chunk could need: everything comes through one dynamic
// import. When a chunk imports a worker's entry chunk back, WebKit evaluates the entry a second time,
// and two Sessions answered every call (the unconfigured one first: NOT_CONNECTED on Authenticate).
// Messages that arrive while the session loads are held and replayed to it, in order.
const early: MessageEvent[] = [];
const hold = (e: MessageEvent): void => void early.push(e);
self.addEventListener('message', hold);
void import('./session-start.ts').then(({ start }) => {
  self.removeEventListener('message', hold);
  start();
  for (const e of early.splice(0)) self.dispatchEvent(new MessageEvent('message', { data: e.data as unknown, ports: [...e.ports] }));
});

// A module (its names stay its own), not a script.
export {};
