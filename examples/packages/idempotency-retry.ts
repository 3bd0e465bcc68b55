// idempotency: a client posts a payment, the response is lost, the client retries with the same
// Idempotency-Key: the server replays the first response instead of charging again. The same
// key with a different body is refused with 422; a missing key with 400.
//   npx tsx examples/packages/idempotency-retry.ts
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryIdempotencyStore } from '@bulwark/idempotency';
import { withIdempotency } from '@bulwark/idempotency/http';

let charges = 0;
const server = createServer(
  withIdempotency(
    (_req, res) => {
      charges++;
      res
        .writeHead(201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ charge: charges }));
    },
    { store: new MemoryIdempotencyStore(), required: true },
  ),
);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/payments`;

async function pay(key: string | undefined, amount: number): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': `"${key}"` } : {}),
    },
    body: JSON.stringify({ amount }),
  });
  const replayed = res.headers.get('idempotent-replayed') === 'true' ? ' (replayed)' : '';
  return `${res.status}${replayed} ${await res.text()}`;
}

console.log('first attempt: ', await pay('order-7', 10));
console.log('retry, same key:', await pay('order-7', 10));
console.log('same key, other body:', await pay('order-7', 99));
console.log('no key:        ', await pay(undefined, 10));
console.log(`customer charged ${charges} time(s)`);
server.close();
