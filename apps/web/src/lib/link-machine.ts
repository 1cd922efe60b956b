import type { Failure, LinkKind } from '../worker/api.ts';

/**
 * The lifecycle of the link to the SIM, as a small state machine instead of scattered booleans:
 *
 *   idle ──connect──► connecting ──opened──► connected ──lost──► lost
 *    ▲                  │  │                   │                  │
 *    │                failed close            close            connect / close
 *    │                  ▼  ▼                   ▼                  │
 *    └──closed──── failed closing ◄────────────┘ ◄────────────────┘
 */
export type LinkState =
  | { name: 'idle' }
  | { name: 'connecting'; kind: LinkKind }
  | { name: 'connected'; kind: LinkKind; linkName: string }
  | { name: 'lost'; kind: LinkKind; failure: Failure }
  | { name: 'failed'; kind: LinkKind; failure: Failure }
  | { name: 'closing'; kind: LinkKind };

export type LinkEvent =
  | { type: 'connect'; kind: LinkKind }
  | { type: 'opened'; linkName: string }
  | { type: 'failed'; failure: Failure }
  | { type: 'lost'; failure: Failure }
  | { type: 'close' }
  | { type: 'closed' };

/** The next state, or undefined when the event means nothing in this state (it is then ignored). */
export function transition(state: LinkState, event: LinkEvent): LinkState | undefined {
  switch (state.name) {
    case 'idle':
    case 'failed':
      if (event.type === 'connect') return { name: 'connecting', kind: event.kind };
      if (event.type === 'close' && state.name === 'failed') return { name: 'idle' };
      return undefined;
    case 'connecting':
      if (event.type === 'opened') return { name: 'connected', kind: state.kind, linkName: event.linkName };
      if (event.type === 'failed') return { name: 'failed', kind: state.kind, failure: event.failure };
      if (event.type === 'close') return { name: 'closing', kind: state.kind };
      return undefined;
    case 'connected':
      if (event.type === 'lost') return { name: 'lost', kind: state.kind, failure: event.failure };
      if (event.type === 'close') return { name: 'closing', kind: state.kind };
      return undefined;
    case 'lost':
      if (event.type === 'connect') return { name: 'connecting', kind: event.kind };
      if (event.type === 'close') return { name: 'closing', kind: state.kind };
      return undefined;
    case 'closing':
      if (event.type === 'closed') return { name: 'idle' };
      return undefined;
  }
}

/** Whether a SIM is usable now. */
export function isConnected(state: LinkState): state is Extract<LinkState, { name: 'connected' }> {
  return state.name === 'connected';
}

/** Whether a new connection may start. */
export function canConnect(state: LinkState): boolean {
  return state.name === 'idle' || state.name === 'failed' || state.name === 'lost';
}
