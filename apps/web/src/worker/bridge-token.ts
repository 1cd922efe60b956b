/** The bridge's Krypton proxy header for an approved page's token (the bridge's TOKEN_HEADER). */
export const BRIDGE_TOKEN_HEADER = 'x-krypton-bridge-token';

/**
 * A fetch that adds the bridge's approval token to calls to its Krypton proxy (`<origin>/krypton/...`,
 * the page's own origin) and to nothing else: the token never travels to another host.
 */
export function withBridgeToken(origin: string, token: string): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(`${origin}/krypton/`)) return fetch(input, init);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set(BRIDGE_TOKEN_HEADER, token);
    return fetch(input, { ...init, headers });
  };
}
