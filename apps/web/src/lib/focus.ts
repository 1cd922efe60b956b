/**
 * Focus after a main action (Connect, Authenticate, Browse, List, a folder): it goes to what the action
 * produced, so a keyboard or screen-reader user lands on the result. Only for an action the person
 * took, and only while they have not moved on: background updates never take focus.
 */

/** What had focus when the action started (pass it to `focusResult`). */
export function focusOrigin(): Element | null {
  return document.activeElement;
}

/** Whether focus is still where the action left it: on its control, or lost to the page because the control went away. */
function unmoved(origin: Element | null): boolean {
  const now = document.activeElement;
  return now === null || now === document.body || now === origin;
}

function usable(el: HTMLElement | null): el is HTMLElement {
  return el !== null && el.isConnected && !(el as HTMLButtonElement).disabled;
}

/**
 * Focuses the first element of `ids` that is in the page and enabled, waiting up to `timeoutMs` for
 * a lazily loaded part to appear; does nothing once the person has moved focus elsewhere.
 */
export async function focusResult(ids: readonly string[], origin: Element | null, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!unmoved(origin)) return false;
    const el = ids.map((id) => document.getElementById(id)).find(usable);
    if (el) {
      el.focus();
      return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 30));
  }
}
