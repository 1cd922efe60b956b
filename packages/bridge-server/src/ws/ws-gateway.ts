import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  BRIDGE_PROTOCOL_VERSION,
  BridgeProtocolError,
  MAX_BRIDGE_MESSAGE,
  parseBridgeRequest,
  type BridgeError,
  type BridgeEvent,
  type BridgeReply,
  type BridgeRequest,
} from '@krypton-web/sim-transport';
import { DEFAULT_LIMITS, type BridgeLimits } from '../limits.ts';
import { errorFacts, type Logger } from '../log.ts';
import type { AllowedHosts } from '../security/allowed-hosts.ts';
import type { ApprovalStore } from '../security/approvals.ts';
import { canonicalOrigin, type OriginPolicy } from '../security/origin-policy.ts';
import { RateLimiter } from '../security/rate-limit.ts';
import { RefusalLog, type RefusalLogOptions } from '../security/refusal-log.ts';
import type { ReaderBackend, ReaderChange } from '../readers/reader-backend.ts';
import { toBridgeError, type SimSessions } from '../readers/sim-sessions.ts';

/** What the WebSocket side of the bridge needs. */
export interface WsGatewayOptions {
  hosts: AllowedHosts;
  origins: OriginPolicy;
  approvals: ApprovalStore;
  sessions: SimSessions;
  log: Logger;
  bridgeName: string;
  /** The bridge's own URL, where the person approves (`<url>/approvals`). */
  bridgeUrl: string;
  rawApdu: boolean;
  /** Rates and timeouts (the defaults when absent). */
  limits?: BridgeLimits;
  /** How refusals and approval requests are logged (summarised under a flood). */
  refusalLog?: Partial<RefusalLogOptions> & { now?: () => number };
}

/** How long the page's news of a lost PC/SC session waits for pcscd to come back, to say what became of its reader. */
const SERVICE_RETURN_MS = 1500;

interface Connection {
  id: string;
  origin: string;
  socket: WebSocket;
  helloDone: boolean;
  /** The approval token shown in the hello (approved origins), checked again on every message. */
  token: string | undefined;
}

/**
 * The bridge's WebSocket endpoints. `/ws` carries SIM sessions for the bridge's own pages and for
 * approved origins that show their token in the first message; `/pair` lets a page of another origin
 * ask the person for approval. Every check (Host, Origin, rate) happens before the upgrade, so a
 * refused page never gets a socket at all.
 */
export class WsGateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BRIDGE_MESSAGE, perMessageDeflate: false });
  private readonly connections = new Map<string, Connection>();
  private readonly limits: BridgeLimits;
  private readonly connectLimit: RateLimiter;
  private readonly pairLimit: RateLimiter;
  private readonly openLimit: RateLimiter;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly refusals: RefusalLog;

  constructor(private readonly options: WsGatewayOptions) {
    this.limits = options.limits ?? DEFAULT_LIMITS;
    const { now, ...refusalOptions } = options.refusalLog ?? {};
    this.refusals = new RefusalLog(
      options.log,
      {
        ...(now ? { now } : {}),
        pending: () => options.approvals.listPending(),
        expected: (origin) => options.approvals.isExpected(origin),
        approvalsUrl: `${options.bridgeUrl}/approvals`,
      },
      refusalOptions,
    );
    this.connectLimit = new RateLimiter(this.limits.connects.burst, this.limits.connects.perMinute);
    this.pairLimit = new RateLimiter(this.limits.pairings.burst, this.limits.pairings.perMinute);
    this.openLimit = new RateLimiter(this.limits.opens.burst, this.limits.opens.perMinute);
    // A revoked origin loses its connections (and so its readers) at once, not at its next message.
    this.unsubscribe.push(
      options.approvals.onRevoke((origin) => {
        for (const c of this.connections.values()) if (c.origin === origin) c.socket.close(4403, 'approval revoked');
      }),
    );
  }

  /** Handles upgrades on an HTTP server; anything not allowed is answered with a plain HTTP refusal. */
  attach(server: Server, backends: ReaderBackend[]): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    for (const b of backends) {
      this.unsubscribe.push(
        b.onChange((change) => {
          // A floating rejection would end the process: a failure here is logged, and the next change tries again.
          this.onReaderChange(change, b).catch((e) =>
            this.options.log.error('reader change not passed on', { backend: b.kind, change: change.type, ...errorFacts(e) }),
          );
        }),
      );
    }
  }

  /** Closes every connection (sessions and pairing requests alike); peers that do not answer are cut off. */
  async close(): Promise<void> {
    this.unsubscribe.forEach((u) => u());
    this.refusals.close();
    for (const ws of this.wss.clients) ws.close(1001, 'bridge stopping');
    const cutOff = setTimeout(() => {
      for (const ws of this.wss.clients) ws.terminate();
    }, this.limits.closeGraceMs);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    clearTimeout(cutOff);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { hosts, origins } = this.options;
    // Node hands over an upgrading socket without its error listener: a peer that resets the connection
    // while it is refused (or before ws takes it) would otherwise end the process.
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    const origin = singleHeader(req, 'origin');
    const refuse = (status: number, reason: string) => {
      this.refusals.refused({ reason, origin: origin ?? '(none)', path: path ?? '' });
      socket.end(
        `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : status === 429 ? 'Too Many Requests' : status === 421 ? 'Misdirected Request' : 'Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
    };
    // Node keeps the first of two Host headers in req.headers: count them, so a second one cannot hide.
    if (!hosts.allows(singleHeader(req, 'host'))) return refuse(421, 'unknown Host');
    if (path !== '/ws' && path !== '/pair') return refuse(404, 'unknown path');
    if (!this.connectLimit.take(origin ?? '(none)')) return refuse(429, 'too many connections');
    const standing = origins.standing(origin);
    if (path === '/ws') {
      if (standing === 'unknown') return refuse(403, 'origin not approved');
      this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, origin!));
      return;
    }
    // /pair: only a well-formed origin that is not ours (ours needs no approval) may ask.
    if (standing === 'own' || !origin || canonicalOrigin(origin) !== origin) return refuse(403, 'pairing not needed or not allowed');
    if (!this.pairLimit.take(origin)) return refuse(429, 'too many approval requests');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.pair(ws, origin));
  }

  private pair(ws: WebSocket, origin: string): void {
    const { approvals } = this.options;
    // ws reports an oversized or malformed frame as an 'error' event: unheard, it would end the process.
    ws.on('error', () => ws.terminate());
    const pending = approvals.request(
      origin,
      (token) => {
        ws.send(JSON.stringify({ approved: true, token }));
        ws.close(1000, 'approved');
      },
      (why) => {
        ws.send(JSON.stringify({ approved: false, reason: why }));
        ws.close(1000, why);
      },
    );
    if (!pending) {
      ws.close(4429, 'too many approval requests are waiting');
      return;
    }
    this.refusals.approvalRequested(origin, pending.code);
    ws.send(JSON.stringify({ code: pending.code, approvalPage: `${this.options.bridgeUrl}/approvals` }));
    ws.on('message', () => ws.close(4400, 'the pairing socket takes no messages'));
    ws.on('close', () => approvals.withdraw(pending.id));
  }

  private serve(ws: WebSocket, origin: string): void {
    const id = Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString('base64url');
    const conn: Connection = { id, origin, socket: ws, helloDone: false, token: undefined };
    this.connections.set(id, conn);
    this.options.sessions.admit(id);
    const idleMs = this.limits.idleMs;
    let idle = setTimeout(() => ws.close(4408, 'idle'), idleMs);
    // The first message must be the hello, and quickly: a socket that says nothing is dropped.
    const helloTimer = setTimeout(() => {
      if (!conn.helloDone) ws.close(4408, 'no hello');
    }, this.limits.helloMs);
    ws.on('message', (data, isBinary) => {
      clearTimeout(idle);
      idle = setTimeout(() => ws.close(4408, 'idle'), idleMs);
      if (isBinary) {
        ws.close(4400, 'binary messages are not part of the protocol');
        return;
      }
      // The last resort: onMessage answers its own failures, so one that escapes it is ours, and the socket ends.
      // A text frame arrives as one Buffer (ws joins fragments; binaryType is Node's default).
      this.onMessage(
        conn,
        Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'),
      ).catch((e) => {
        this.options.log.error('WebSocket message failed', { connection: id, ...errorFacts(e) });
        ws.close(1011, 'the bridge failed: try again');
      });
    });
    ws.on('close', () => {
      clearTimeout(idle);
      clearTimeout(helloTimer);
      this.connections.delete(id);
      this.options.sessions
        .closeOwner(id)
        .catch((e) => this.options.log.error('sessions of a closed connection not released', { connection: id, ...errorFacts(e) }));
    });
    ws.on('error', () => ws.terminate());
  }

  private async onMessage(conn: Connection, text: string): Promise<void> {
    let request;
    try {
      request = parseBridgeRequest(text);
    } catch (e) {
      conn.socket.close(4400, e instanceof BridgeProtocolError ? `bad message: ${e.message}` : 'bad message');
      return;
    }
    const reply = (r: BridgeReply) => conn.socket.readyState === conn.socket.OPEN && conn.socket.send(JSON.stringify(r));
    try {
      await this.handle(conn, request, reply);
    } catch (e) {
      // Refusals (KryptonError, TransportError) are the card's or the page's; anything else is a fault of ours.
      const error = toBridgeError(e);
      if (error.code === 'BRIDGE_ERROR')
        this.options.log.error('WebSocket command failed', { op: request.op, connection: conn.id, ...errorFacts(e) });
      else this.options.log.debug('WebSocket command refused', { op: request.op, code: error.code });
      reply({ id: request.id, ok: false, error });
    }
  }

  /** Runs one parsed request of a connection: the hello, then approval checks and the SIM operations. */
  private async handle(conn: Connection, request: BridgeRequest, reply: (r: BridgeReply) => void): Promise<void> {
    if (!conn.helloDone) {
      if (request.op !== 'hello') {
        conn.socket.close(4401, 'the first message must be hello');
        return;
      }
      if (request.version !== BRIDGE_PROTOCOL_VERSION) {
        reply({
          id: request.id,
          ok: false,
          error: {
            code: 'BAD_INPUT',
            message: `This bridge speaks protocol ${BRIDGE_PROTOCOL_VERSION}`,
            action: 'Reload the page to get the matching version',
          },
        });
        conn.socket.close(4400, 'protocol version');
        return;
      }
      if (this.options.origins.standing(conn.origin) === 'approved' && !this.options.approvals.accepts(conn.origin, request.token)) {
        conn.socket.close(4401, 'not approved: missing or revoked token');
        return;
      }
      conn.token = request.token;
      conn.helloDone = true;
      reply({
        id: request.id,
        ok: true,
        result: { bridge: this.options.bridgeName, version: BRIDGE_PROTOCOL_VERSION, rawApdu: this.options.rawApdu },
      });
      return;
    }
    // Every request proves the approval again: a revoked origin, or a token from before a revocation
    // (even if the origin was approved again since), ends the connection.
    const standing = this.options.origins.standing(conn.origin);
    if (standing === 'unknown' || (standing === 'approved' && !this.options.approvals.accepts(conn.origin, conn.token))) {
      conn.socket.close(4403, 'approval revoked');
      return;
    }
    switch (request.op) {
      case 'hello':
        conn.socket.close(4400, 'bad message: hello was already sent');
        return;
      case 'readers':
        reply({ id: request.id, ok: true, result: { readers: await this.options.sessions.readers() } });
        return;
      case 'open': {
        // Per reader, so a batch of SIMs checked in several readers at once is limited by each reader,
        // not by their number; a name no reader has shares the origin's one bucket, so made-up names
        // cannot buy a page fresh buckets.
        const known = (await this.options.sessions.readers()).some((r) => r.name === request.reader);
        if (!this.openLimit.take(known ? `${conn.origin}\n${request.reader}` : conn.origin)) {
          reply({
            id: request.id,
            ok: false,
            error: {
              code: 'TRANSPORT_BUSY',
              message: 'Too many session opens in a short time',
              action: 'Wait a minute before trying again',
            },
          });
          return;
        }
        reply({ id: request.id, ok: true, result: await this.options.sessions.open(request.reader, conn.id, conn.origin) });
        return;
      }
      default:
        reply({ id: request.id, ok: true, result: await this.options.sessions.run(request, conn.id) });
    }
  }

  private async onReaderChange(change: ReaderChange, backend: ReaderBackend): Promise<void> {
    if (change.type === 'card-removed') {
      const lost = await this.options.sessions.cardRemoved(change.reader);
      this.tellLost(lost, (reader) => ({
        code: 'NO_CARD',
        message: change.message ?? `The card was removed from "${reader}"`,
        action: change.action ?? 'Put the SIM back in the reader and open it again',
      }));
      return;
    }
    if (change.type === 'service-lost') {
      // Every card handle died with pcscd: the sessions end now (a pending command fails at once). The
      // page is told why once it is known whether pcscd came straight back, and with which readers: a
      // restart with a reader fewer is how a reader leaves when pcscd cannot drop one while it runs.
      const lost = await this.options.sessions.backendLost(backend);
      if (lost.length === 0) return;
      const back = (await backend.whenRestored?.(SERVICE_RETURN_MS)) ?? false;
      const present = back ? new Set((await backend.readers().catch(() => [])).map((r) => r.name)) : undefined;
      this.tellLost(lost, (reader) => {
        if (!present)
          return {
            code: 'TRANSPORT_FAILED',
            message: 'The PC/SC service (pcscd) stopped',
            action: 'Start pcscd again (sudo systemctl start pcscd), then open the reader again',
          };
        if (!present.has(reader))
          return {
            code: 'NO_CARD',
            message: `The reader "${reader}" is gone: it was unplugged, or the PC/SC service (pcscd) restarted without it`,
            action: 'Plug the reader back in (or pick another one), then open it again',
          };
        return {
          code: 'TRANSPORT_FAILED',
          message: 'The PC/SC service (pcscd) restarted, which ended the session with the card',
          action: 'Open the reader again',
        };
      });
      return;
    }
    const readers = await this.options.sessions.readers();
    const event: BridgeEvent = { event: 'readers', readers };
    for (const conn of this.connections.values())
      if (conn.helloDone && conn.socket.readyState === conn.socket.OPEN) conn.socket.send(JSON.stringify(event));
  }

  /** Tells each owner of a session that ended under it. */
  private tellLost(lost: { id: string; owner: string; reader?: string }[], error: (reader: string) => BridgeError): void {
    for (const { id, owner, reader } of lost) {
      const conn = this.connections.get(owner);
      const event: BridgeEvent = { event: 'session-lost', session: id, error: error(reader ?? '') };
      if (conn && conn.socket.readyState === conn.socket.OPEN) conn.socket.send(JSON.stringify(event));
    }
  }
}

/** A header's value when the request carries it exactly once (raw headers counted, not Node's merged view). */
function singleHeader(req: IncomingMessage, name: string): string | undefined {
  let value: string | undefined;
  let count = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === name) {
      count++;
      value = req.rawHeaders[i + 1];
    }
  }
  return count === 1 ? value : undefined;
}
