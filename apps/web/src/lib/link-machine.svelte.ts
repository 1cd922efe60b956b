import { canConnect, isConnected, transition, type LinkEvent, type LinkState } from './link-machine.ts';

/** The link lifecycle as reactive state: components read `state`, the session sends events. */
export class LinkMachine {
  state = $state<LinkState>({ name: 'idle' });
  readonly connected = $derived(isConnected(this.state));
  readonly canConnect = $derived(canConnect(this.state));
  readonly busy = $derived(this.state.name === 'connecting' || this.state.name === 'closing');

  /** Applies an event; returns whether it changed the state (events that mean nothing now are ignored). */
  send(event: LinkEvent): boolean {
    const next = transition(this.state, event);
    if (!next) return false;
    this.state = next;
    return true;
  }
}
