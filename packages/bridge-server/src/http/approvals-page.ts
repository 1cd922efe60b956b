import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ApprovalStore } from '../security/approvals.ts';
import { FormTokens } from '../security/form-tokens.ts';

/**
 * Where the person decides which other origins may use the bridge. Plain HTML forms (no script),
 * never framed; a decision is a POST carrying our Origin (guards.ts) and the page's form token.
 * The page's Referrer-Policy is same-origin, not the bridge's usual no-referrer: under no-referrer
 * Chromium sends `Origin: null` on the page's own form POSTs, which the bridge must refuse.
 */
export function approvalsPage(
  approvals: ApprovalStore,
  onDecision: (what: string, origin: string) => void,
  formTokens: FormTokens = new FormTokens(),
): Hono {
  const app = new Hono();
  // A decision is a tiny form; nothing bigger is read.
  app.post('*', bodyLimit({ maxSize: 4096, onError: (c) => c.text('Request body too large', 413) }));
  // Every decision carries the token of the page it was made on: a form another site forged has none.
  app.post('*', async (c, next) => {
    const form = await c.req.parseBody();
    if (!formTokens.valid(form.csrf))
      return c.json(
        { code: 'FORBIDDEN', message: 'This form is out of date or not from the approvals page: reload the page and decide again' },
        403,
      );
    await next();
  });

  app.get('/', (c) => {
    const pending = approvals.listPending();
    const approved = approvals.listApproved();
    const csrf = `<input type="hidden" name="csrf" value="${esc(formTokens.issue())}">`;
    c.header('Referrer-Policy', 'same-origin');
    c.header('Cache-Control', 'no-store');
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
    return c.html(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="3"><title>Krypton Web bridge — approvals</title>
<style>body{font:16px system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}code{font-size:1.4rem;letter-spacing:.2em}
li{margin:.8rem 0}button{font-size:1rem;margin-right:.5rem}</style></head><body>
<h1>Pages asking to use your card reader</h1>
<p>Approve only a page you opened yourself, and only when it shows the same code.</p>
${
  pending.length === 0
    ? '<p>No page is asking right now.</p>'
    : `<ul>${pending
        .map(
          (p) => `<li><strong>${esc(p.origin)}</strong> shows code <code>${esc(p.code)}</code>
<form method="post" action="/approvals/${encodeURIComponent(p.id)}/approve" style="display:inline">${csrf}<button>Approve</button></form>
<form method="post" action="/approvals/${encodeURIComponent(p.id)}/deny" style="display:inline">${csrf}<button>Deny</button></form></li>`,
        )
        .join('')}</ul>`
}
<h2>Approved</h2>
${
  approved.length === 0
    ? '<p>None.</p>'
    : `<ul>${approved
        .map(
          (a) => `<li>${esc(a.origin)}${a.preApproved ? ' (from --allow-origin)' : ''}
<form method="post" action="/approvals/revoke" style="display:inline">${csrf}<input type="hidden" name="origin" value="${esc(a.origin)}"><button>Revoke</button></form></li>`,
        )
        .join('')}</ul>`
}
</body></html>`);
  });

  app.get('/list', (c) => c.json({ pending: approvals.listPending(), approved: approvals.listApproved() }));

  app.post('/:id/approve', (c) => {
    const done = approvals.approve(c.req.param('id'));
    if (done) onDecision('approved', done.origin);
    return c.redirect('/approvals', 303);
  });

  app.post('/:id/deny', (c) => {
    const pending = approvals.listPending().find((p) => p.id === c.req.param('id'));
    if (approvals.deny(c.req.param('id')) && pending) onDecision('denied', pending.origin);
    return c.redirect('/approvals', 303);
  });

  app.post('/revoke', async (c) => {
    const form = await c.req.parseBody();
    const origin = typeof form.origin === 'string' ? form.origin : '';
    if (approvals.revoke(origin)) onDecision('revoked', origin);
    return c.redirect('/approvals', 303);
  });

  return app;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
