// Loaded with `node --import` before an example that starts a server: the server listens on a
// free port instead of the one the example names, answers one `GET /` from here, then closes,
// so the example's process can exit. The answer is printed for the test to check.
import http from 'node:http';
import net from 'node:net';

const listen = net.Server.prototype.listen;

/**
 * @this {net.Server}
 * @param {any[]} args
 */
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) args[0] = 0;
  else if (first !== null && typeof first === 'object' && 'port' in first)
    args[0] = { ...first, port: 0 };
  this.once('listening', () => probe(this));
  return listen.apply(this, /** @type {[any]} */ (args));
};

/** @param {net.Server} server */
function probe(server) {
  const address = /** @type {net.AddressInfo} */ (server.address());
  const request = http.request(
    { host: '127.0.0.1', port: address.port, path: '/', method: 'GET', agent: false },
    (response) => {
      response.resume();
      response.on('end', () => {
        const rateLimit = response.headers.ratelimit ?? 'none';
        console.log(
          `[readme-examples] GET / answered ${response.statusCode} (RateLimit: ${rateLimit})`,
        );
        close(server);
      });
    },
  );
  request.on('error', (error) => {
    console.log(`[readme-examples] GET / failed: ${error.message}`);
    process.exitCode = 1;
    close(server);
  });
  request.end();
}

/** @param {net.Server} server */
function close(server) {
  server.close();
  if (server instanceof http.Server) server.closeAllConnections();
}
