/** Finding TCP ports for vpcd, which listens on a pair (slot 0 on `port`, slot 1 on `port + 1`) on every interface. */
import net from 'node:net';

/** Whether `port` can be bound on all IPv4 interfaces right now (as vpcd binds it). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port P such that P and P + 1 are both free; asks the kernel for P, retrying when P + 1 is taken. */
export async function findFreePortPair(attempts = 50): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen({ port: 0, host: '0.0.0.0', exclusive: true }, () => {
        const address = server.address() as net.AddressInfo;
        server.close(() => resolve(address.port));
      });
    });
    if (port < 65535 && (await isPortFree(port + 1))) return port;
  }
  throw new Error(`no free pair of TCP ports found in ${attempts} attempts`);
}
