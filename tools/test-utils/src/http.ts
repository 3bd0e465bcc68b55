// Scaffolding for tests that run a real HTTP server on loopback: listen on a free port, close
// without waiting on kept-alive connections, and one server at a time per test file.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on 127.0.0.1, port 0; resolves with the base URL (`http://127.0.0.1:<port>`). */
export function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

/** Closes a server, dropping kept-alive connections so `close` does not wait on them. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/**
 * The one loopback server a test file runs at a time: `serve` listens with it (and remembers it),
 * `stop` closes whichever is running, if any. Both are plain functions, so `stop` can be handed to
 * `afterEach` or to an adapter harness as it is.
 */
export interface LoopbackServer {
  /** Listens with `server` on 127.0.0.1, port 0; resolves with the base URL. */
  serve(server: Server): Promise<string>;
  /** Closes the server `serve` last started; resolves at once when none is running. */
  stop(): Promise<void>;
}

/** A fresh {@link LoopbackServer}, holding no server yet. */
export function loopbackServer(): LoopbackServer {
  let running: Server | undefined;
  return {
    serve(server) {
      running = server;
      return listen(server);
    },
    async stop() {
      const closing = running;
      running = undefined;
      if (closing) await closeServer(closing);
    },
  };
}
