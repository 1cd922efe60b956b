import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { loadServing } from './lib/config.ts';
import { i18n } from './lib/i18n/i18n.svelte.ts';
import { SessionState } from './lib/session.svelte.ts';

/** Web Serial is there (Chrome, Edge on desktop); checked without loading the serial code. */
function hasWebSerial(): boolean {
  return typeof (navigator as { serial?: { requestPort?: unknown } }).serial?.requestPort === 'function';
}

/** WebUSB is there (Chrome, Edge on desktop, Chrome on Android); checked without loading the USB code. */
function hasWebUsb(): boolean {
  return typeof (navigator as { usb?: { requestDevice?: unknown } }).usb?.requestDevice === 'function';
}

/** localStorage, when the browser lets the page use it (private modes and embedded views may not). */
function safeLocalStorage(): Storage | undefined {
  try {
    return typeof localStorage !== 'undefined' ? localStorage : undefined;
  } catch {
    return undefined;
  }
}

async function start(): Promise<void> {
  const target = document.getElementById('app')!;
  // The first paint is in the person's language: its catalog loads alongside the config.
  const [serving] = await Promise.all([loadServing(), i18n.ready]);
  const session = new SessionState({
    env: { serving, webSerial: hasWebSerial(), webUsb: hasWebUsb(), secureContext: globalThis.isSecureContext },
    origin: location.origin,
    bridgeWsUrl: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
    startWorker: async (onEvent) => (await import('./lib/worker-client.ts')).startWorker(onEvent),
    openModemPipe: async (anyPort) => (await import('./lib/modem-port.ts')).openModemPipe(anyPort),
    openUsbPipe: async (anyDevice) => (await import('./lib/usb-modem-port.ts')).openUsbModemPipe(anyDevice),
    readPcsc: async () => {
      const now = await loadServing();
      return now.kind === 'bridge' ? now.config.pcsc : undefined;
    },
    storage: safeLocalStorage(),
    requestApproval: async (pairUrl, onPrompt, signal) =>
      (await import('@krypton-web/sim-transport')).requestBridgeApproval(pairUrl, onPrompt, { signal }),
  });
  target.replaceChildren();
  mount(App, { target, props: { session, serving } });
}

document.documentElement.lang = i18n.locale;
void start();
