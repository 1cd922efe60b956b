import { Hono, type MiddlewareHandler } from 'hono';
import type { Lab } from './lab.ts';
import type { FaultSettings, LabService } from './faults.ts';
import { ServerPersonality } from './personality.ts';

const SERVICES: readonly LabService[] = ['keys', 'provisioning', 'cellular', 'cognito', 's3'];

/**
 * The control API's door rules, the bridge's own: a Host naming the lab's loopback address (a page
 * on another site that rebinds its DNS name to 127.0.0.1 sends its own name), and no request from a
 * page of another origin (a browser always sends Origin on a cross-origin POST; the CLI and tests
 * send none). `port` is read per request: the lab's port is known only once it listens.
 */
export function controlGuard(port: () => number): MiddlewareHandler {
  return async (c, next) => {
    const own = [`127.0.0.1:${port()}`, `localhost:${port()}`];
    const host = c.req.header('host')?.toLowerCase();
    if (host === undefined || !own.includes(host))
      return c.json({ code: 'LAB0421', message: 'The lab control API answers only as 127.0.0.1 or localhost on its own port' }, 421);
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    if (
      (origin !== undefined && !own.some((h) => origin === `http://${h}`)) ||
      (site !== undefined && site !== 'same-origin' && site !== 'none')
    )
      return c.json({ code: 'LAB0403', message: 'The lab control API takes no requests from web pages of another origin' }, 403);
    await next();
  };
}

/**
 * The lab's control API for tools that drive a lab in another process (`pnpm lab serve`): read
 * the state, inject faults, skew the clock, force an SQN desync, forget keys, set the cellular SIM,
 * refuse S3 actions.
 * It changes only the emulators, listens on loopback like them, and never reveals keys.
 */
export function controlApi(lab: Lab): Hono {
  const app = new Hono();

  app.get('/state', (c) =>
    c.json({
      faults: lab.faults.snapshot(),
      personality: lab.personality.snapshot(),
      clockOffsetMs: lab.clock.offsetMs,
      s3Link: lab.s3.link.snapshot(),
      s3IgnoreRange: lab.s3.ignoreRangeState(),
      cellularImsi: lab.cellularImsi,
      keysHeld: lab.keys.size,
      credentialTtlSeconds: lab.identityPool.credentialTtlSeconds,
      tokenTtlSeconds: lab.identityPool.tokenTtlSeconds,
      sims: lab.profiles.sims.map((s) => {
        const { seqHe, nextInd } = lab.hss.sequenceState(s.imsi);
        return { name: s.name, imsi: s.imsi, seqHe, nextInd };
      }),
    }),
  );

  app.post('/faults', async (c) => {
    const body = await jsonObject(c.req.raw);
    if (!body) return c.json({ code: 'LAB0400', message: 'a JSON object is expected' }, 400);
    const patch: Partial<FaultSettings> = {};
    if (body.latencyMs !== undefined) patch.latencyMs = body.latencyMs as number;
    if (body.errorRate !== undefined) patch.errorRate = body.errorRate as number;
    if (body.errorStatus !== undefined) patch.errorStatus = body.errorStatus as number;
    if (body.errorServices !== undefined) {
      if (!Array.isArray(body.errorServices) || !body.errorServices.every((s) => SERVICES.includes(s as LabService))) {
        return c.json({ code: 'LAB0400', message: `errorServices: a list of ${SERVICES.join(', ')}` }, 400);
      }
      patch.errorServices = body.errorServices as LabService[];
    }
    try {
      lab.faults.update(patch);
    } catch (e) {
      return c.json({ code: 'LAB0400', message: (e as Error).message }, 400);
    }
    return c.json(lab.faults.snapshot());
  });

  // Where SORACOM may answer differently from the lab: `{"reset": true}` restores the usual answers,
  // any other field is one setting (see ServerPersonalitySettings); unknown fields or values are refused.
  app.post('/personality', async (c) => {
    const body = await jsonObject(c.req.raw);
    if (!body) return c.json({ code: 'LAB0400', message: 'a JSON object is expected' }, 400);
    const { reset, ...patch } = body;
    if (reset !== undefined && reset !== true) return c.json({ code: 'LAB0400', message: 'reset: true, or absent' }, 400);
    try {
      const next = new ServerPersonality();
      if (reset !== true) next.update(lab.personality.snapshot() as unknown as Record<string, unknown>);
      next.update(patch);
      lab.personality.update(next.snapshot() as unknown as Record<string, unknown>);
    } catch (e) {
      return c.json({ code: 'LAB0400', message: (e as Error).message }, 400);
    }
    return c.json(lab.personality.snapshot());
  });

  // The S3 link: `{"bytesPerSecond": N, "rttMs": N}` (either may be left out; 0 turns it off).
  app.post('/s3-link', async (c) => {
    const body = await jsonObject(c.req.raw);
    if (!body) return c.json({ code: 'LAB0400', message: 'a JSON object is expected' }, 400);
    const unknown = Object.keys(body).filter((k) => k !== 'bytesPerSecond' && k !== 'rttMs');
    if (unknown.length > 0)
      return c.json({ code: 'LAB0400', message: `unknown fields: ${unknown.join(', ')} (bytesPerSecond, rttMs)` }, 400);
    try {
      lab.s3.link.update({
        ...(body.bytesPerSecond !== undefined ? { bytesPerSecond: body.bytesPerSecond as number } : {}),
        ...(body.rttMs !== undefined ? { rttMs: body.rttMs as number } : {}),
      });
    } catch (e) {
      return c.json({ code: 'LAB0400', message: (e as Error).message }, 400);
    }
    return c.json(lab.s3.link.snapshot());
  });

  // Cut the connection of each of the next `count` object downloads after `afterBytes` body bytes,
  // after `skip` downloads that pass untouched (default 0).
  app.post('/s3-drop', async (c) => {
    const body = await jsonObject(c.req.raw);
    try {
      if (typeof body?.afterBytes !== 'number') throw new RangeError('afterBytes: body bytes to deliver before the cut');
      lab.s3.link.armDrop(
        body.afterBytes,
        body.count === undefined ? 1 : (body.count as number),
        body.skip === undefined ? 0 : (body.skip as number),
      );
    } catch (e) {
      return c.json({ code: 'LAB0400', message: (e as Error).message }, 400);
    }
    return c.json(lab.s3.link.snapshot());
  });

  // A proxy or S3-compatible server that ignores Range: `{"enabled": true, "skip": N}` answers ranged
  // object GETs 200 with the whole object once N of them passed untouched (default 0); `{"enabled": false}` stops it.
  app.post('/s3-ignore-range', async (c) => {
    const body = await jsonObject(c.req.raw);
    if (!body) return c.json({ code: 'LAB0400', message: 'a JSON object is expected' }, 400);
    const unknown = Object.keys(body).filter((k) => k !== 'enabled' && k !== 'skip');
    if (unknown.length > 0) return c.json({ code: 'LAB0400', message: `unknown fields: ${unknown.join(', ')} (enabled, skip)` }, 400);
    try {
      return c.json(lab.s3.ignoreRange({ enabled: body.enabled as boolean, skip: body.skip as number | undefined }));
    } catch (e) {
      return c.json({ code: 'LAB0400', message: (e as Error).message }, 400);
    }
  });

  app.post('/clock', async (c) => {
    const body = await jsonObject(c.req.raw);
    const offset = body?.offsetMs;
    if (typeof offset !== 'number' || !Number.isFinite(offset) || Math.abs(offset) > 366 * 86_400_000) {
      return c.json({ code: 'LAB0400', message: 'offsetMs: milliseconds to add to the lab clock' }, 400);
    }
    lab.clock.offsetMs = offset;
    return c.json({ offsetMs: offset });
  });

  app.post('/desync', async (c) => {
    const imsi = (await jsonObject(c.req.raw))?.imsi;
    if (typeof imsi !== 'string' || !lab.hss.profile(imsi)) return c.json({ code: 'LAB0404', message: 'imsi: a SIM the lab knows' }, 404);
    lab.hss.forceDesync(imsi);
    return c.json({ imsi, desynchronised: true });
  });

  app.post('/forget-keys', async (c) => {
    const imsi = (await jsonObject(c.req.raw))?.imsi;
    if (imsi !== undefined && typeof imsi !== 'string')
      return c.json({ code: 'LAB0400', message: 'imsi: a string, or absent for every SIM' }, 400);
    return c.json({ forgotten: lab.keys.forget(imsi) });
  });

  app.post('/cellular', async (c) => {
    const body = await jsonObject(c.req.raw);
    const imsi = body?.imsi;
    if (imsi !== null && (typeof imsi !== 'string' || !lab.hss.profile(imsi))) {
      return c.json({ code: 'LAB0400', message: 'imsi: a SIM the lab knows, or null for "not on SORACOM Air"' }, 400);
    }
    lab.cellularImsi = imsi;
    return c.json({ cellularImsi: imsi });
  });

  app.post('/ttl', async (c) => {
    const body = await jsonObject(c.req.raw);
    for (const name of ['credentialTtlSeconds', 'tokenTtlSeconds'] as const) {
      const v = body?.[name];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 43_200)
        return c.json({ code: 'LAB0400', message: `${name}: 1 to 43200 seconds` }, 400);
      lab.identityPool[name] = v;
    }
    return c.json({ credentialTtlSeconds: lab.identityPool.credentialTtlSeconds, tokenTtlSeconds: lab.identityPool.tokenTtlSeconds });
  });

  // The S3 role's policy in miniature: `{"deny": ["s3:PutObject"]}` refuses those IAM actions with
  // AccessDenied from now on; `{"deny": []}` allows everything again.
  app.post('/s3-policy', async (c) => {
    const deny = (await jsonObject(c.req.raw))?.deny;
    if (!Array.isArray(deny) || !deny.every((a) => typeof a === 'string' && /^s3:[A-Za-z]+$/.test(a)))
      return c.json({ code: 'LAB0400', message: 'deny: a list of IAM actions such as "s3:PutObject"' }, 400);
    lab.s3.denyActions(deny as string[]);
    return c.json({ deny });
  });

  return app;
}

async function jsonObject(req: Request): Promise<Record<string, unknown> | undefined> {
  try {
    const v: unknown = await req.json();
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
