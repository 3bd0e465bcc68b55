import { createServer } from 'node:net';

const handedOut = new Set<number>();

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback port nobody listens on. With `alsoPlus`, the port `port + alsoPlus` must be free as
 * well (Redis Cluster's bus listens on port + 10000).
 */
export async function freePort(host = '127.0.0.1', alsoPlus?: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 25_000);
    if (handedOut.has(port)) continue;
    if (!(await canListen(port, host))) continue;
    if (alsoPlus !== undefined && !(await canListen(port + alsoPlus, host))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('freePort: no free loopback port found after 200 tries');
}
