/**
 * The Host values the bridge answers to. A page on evil.example can make the browser send requests
 * to 127.0.0.1 (DNS rebinding): such a request carries `Host: evil.example:<port>`, so refusing every
 * Host but our own loopback names stops it before any handler runs.
 */
export class AllowedHosts {
  private readonly hosts: Set<string>;

  constructor(port: number, options: { ipv6?: boolean } = {}) {
    this.hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    if (options.ipv6) this.hosts.add(`[::1]:${port}`);
  }

  /** Whether a Host header names this bridge (exact match: no other port, no trailing dot, no userinfo). */
  allows(host: string | undefined | null): boolean {
    return host !== undefined && host !== null && this.hosts.has(host.toLowerCase());
  }

  /** The bridge's own origins (the pages it serves). */
  origins(): string[] {
    return [...this.hosts].map((h) => `http://${h}`);
  }
}
