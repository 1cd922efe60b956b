/** An IDBOpenDBRequest that fails the way Firefox private windows fail (`onerror` on the next task). */
export function refusingRequest(error: DOMException): IDBOpenDBRequest {
  const req = {
    error,
    result: undefined,
    onerror: null as ((ev: Event) => void) | null,
    onsuccess: null,
    onupgradeneeded: null,
    onblocked: null,
  };
  setTimeout(() => req.onerror?.(new Event('error', { cancelable: true })), 0);
  return req as unknown as IDBOpenDBRequest;
}

/** An IDBOpenDBRequest that never settles, as some WebKit versions leave the first open. */
export function hangingRequest(): IDBOpenDBRequest {
  return {
    error: null,
    result: undefined,
    onerror: null,
    onsuccess: null,
    onupgradeneeded: null,
    onblocked: null,
  } as unknown as IDBOpenDBRequest;
}

/** `real` with its `open` replaced while `replace()` returns a request; otherwise the real one. */
export function factoryWithOpen(real: IDBFactory, replace: () => IDBOpenDBRequest | undefined): IDBFactory {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'open') {
        return (name: string, version?: number) => replace() ?? (version === undefined ? target.open(name) : target.open(name, version));
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
}
