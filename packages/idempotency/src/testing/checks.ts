// The contract every IdempotencyStore keeps, as checks that need no test runner: each throws an
// AssertionError (node:assert) when the store breaks a rule. See IdempotencyStore for the rules.

import assert from 'node:assert/strict';
import { createIdempotency } from '../idempotency.js';
import type { ClaimResult, RecordedResponse } from '../types.js';
import { type ConformanceCheck, type StoreFactory, withStore } from './harness.js';

const LEASE = 1_000;
const TTL = 10_000;

// Every byte value, so a store that round-trips through a text encoding fails.
const BINARY = Uint8Array.from({ length: 512 }, (_, i) => i % 256);

/** A response with repeated headers and a binary body, to compare byte for byte. */
export function sampleResponse(body: Uint8Array = BINARY, status = 201): RecordedResponse {
  return {
    status,
    headers: [
      ['content-type', 'application/octet-stream'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ],
    body,
  };
}

function claimed(result: ClaimResult): number {
  assert.equal(result.state, 'claimed', `expected the key to be claimed, got ${result.state}`);
  return (result as { token: number }).token;
}

/** Asserts two responses are equal: status, header pairs in order, body bytes. */
export function assertSameResponse(actual: RecordedResponse, expected: RecordedResponse): void {
  assert.equal(actual.status, expected.status);
  assert.deepEqual(
    actual.headers.map(([n, v]) => [n, v]),
    expected.headers.map(([n, v]) => [n, v]),
  );
  assert.deepEqual(Buffer.from(actual.body), Buffer.from(expected.body));
}

// Waits a macrotask at a time (I/O runs in between, nothing sleeps) for an announcement that may
// travel over a connection; fails after 5 s of real time.
async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!condition()) {
    assert.ok(performance.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The unit checks of the store contract, one fresh store each. */
export function contractChecks(factory: StoreFactory): ConformanceCheck[] {
  const check = (name: string, body: Parameters<typeof withStore>[1]): ConformanceCheck => ({
    name,
    run: () => withStore(factory, body),
  });

  return [
    check('the first claim of a key takes its lease', async ({ store }) => {
      const token = claimed(await store.claim('k', 'fp', LEASE, TTL));
      assert.ok(Number.isSafeInteger(token), `token must be a safe integer, got ${token}`);
    }),

    check(
      'a claim during a live lease answers running with the first fingerprint',
      async ({ store }) => {
        claimed(await store.claim('k', 'fp-1', LEASE, TTL));
        const second = await store.claim('k', 'fp-2', LEASE, TTL);
        assert.equal(second.state, 'running');
        if (second.state !== 'running') return;
        assert.equal(second.fingerprint, 'fp-1');
        assert.ok(second.leaseRemainingMs > 0 && second.leaseRemainingMs <= LEASE);
      },
    ),

    check('a completed key replays the response byte for byte', async ({ store }) => {
      const token = claimed(await store.claim('k', 'fp', LEASE, TTL));
      assert.equal(await store.complete('k', token, sampleResponse(), TTL), true);
      const again = await store.claim('k', 'other', LEASE, TTL);
      assert.equal(again.state, 'completed');
      if (again.state !== 'completed') return;
      assert.equal(again.fingerprint, 'fp');
      assertSameResponse(again.response, sampleResponse());
    }),

    check('an empty body and a large body round-trip', async ({ store }) => {
      const large = Uint8Array.from({ length: 256 * 1024 }, (_, i) => (i * 7) % 256);
      for (const [key, body] of [
        ['empty', new Uint8Array(0)],
        ['large', large],
      ] as const) {
        const token = claimed(await store.claim(key, 'fp', LEASE, TTL));
        assert.equal(await store.complete(key, token, sampleResponse(body, 200), TTL), true);
        const replay = await store.claim(key, 'fp', LEASE, TTL);
        assert.equal(replay.state, 'completed');
        if (replay.state === 'completed')
          assertSameResponse(replay.response, sampleResponse(body, 200));
      }
    }),

    check('complete with a wrong token changes nothing', async ({ store }) => {
      const token = claimed(await store.claim('k', 'fp', LEASE, TTL));
      assert.equal(await store.complete('k', token + 1, sampleResponse(), TTL), false);
      assert.equal((await store.claim('k', 'fp', LEASE, TTL)).state, 'running');
      assert.equal(await store.complete('k', token, sampleResponse(), TTL), true);
      assert.equal(await store.complete('k', token, sampleResponse(undefined, 500), TTL), false);
      const replay = await store.claim('k', 'fp', LEASE, TTL);
      assert.equal(replay.state === 'completed' && replay.response.status, 201);
    }),

    check('a released key is claimed again with a larger token', async ({ store }) => {
      const first = claimed(await store.claim('k', 'fp', LEASE, TTL));
      assert.equal(await store.release('k', first), true);
      assert.equal(await store.release('k', first), false);
      const second = claimed(await store.claim('k', 'fp', LEASE, TTL));
      assert.ok(second > first, `token ${second} must exceed ${first}`);
      assert.equal(await store.complete('k', first, sampleResponse(), TTL), false);
    }),

    check(
      'an expired lease is taken over and its holder is fenced out',
      async ({ store, elapse }) => {
        const zombie = claimed(await store.claim('k', 'fp', LEASE, TTL));
        await elapse(LEASE + 100);
        const fresh = claimed(await store.claim('k', 'fp', LEASE, TTL));
        assert.ok(fresh > zombie, `token ${fresh} must exceed ${zombie}`);
        assert.equal(await store.complete('k', zombie, sampleResponse(undefined, 200), TTL), false);
        assert.equal(await store.release('k', zombie), false);
        assert.equal((await store.claim('k', 'fp', LEASE, TTL)).state, 'running');
        assert.equal(await store.complete('k', fresh, sampleResponse(), TTL), true);
        const replay = await store.claim('k', 'fp', LEASE, TTL);
        assert.equal(replay.state === 'completed' && replay.response.status, 201);
      },
    ),

    check(
      'a lease past its expiry that nobody took may still complete',
      async ({ store, elapse }) => {
        const token = claimed(await store.claim('k', 'fp', LEASE, TTL));
        await elapse(LEASE + 100);
        assert.equal(await store.complete('k', token, sampleResponse(), TTL), true);
        assert.equal((await store.claim('k', 'fp', LEASE, TTL)).state, 'completed');
      },
    ),

    check('a recorded response expires after ttlMs', async ({ store, elapse }) => {
      const token = claimed(await store.claim('k', 'fp', LEASE, TTL));
      await elapse(500);
      assert.equal(await store.complete('k', token, sampleResponse(), TTL), true);
      await elapse(TTL - 200);
      assert.equal((await store.claim('k', 'fp', LEASE, TTL)).state, 'completed');
      await elapse(300);
      const after = claimed(await store.claim('k', 'fp', LEASE, TTL));
      assert.ok(after > token, `token ${after} must exceed ${token}`);
    }),

    check('keys are independent', async ({ store }) => {
      const a = claimed(await store.claim('a', 'fp', LEASE, TTL));
      claimed(await store.claim('b', 'fp', LEASE, TTL));
      assert.equal(await store.complete('a', a, sampleResponse(), TTL), true);
      assert.equal((await store.claim('b', 'fp', LEASE, TTL)).state, 'running');
      assert.equal((await store.claim('a', 'fp', LEASE, TTL)).state, 'completed');
    }),

    check('of 50 concurrent claims of one key exactly one takes the lease', async ({ store }) => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.claim('k', `fp-${i}`, LEASE, TTL)),
      );
      assert.equal(results.filter((r) => r.state === 'claimed').length, 1);
      assert.equal(results.filter((r) => r.state === 'running').length, 49);
    }),

    check(
      'a store with onSettled calls its listeners after a complete and a release of the key',
      async ({ store }) => {
        if (store.onSettled === undefined) return; // optional: such a store is polled
        const heard = { done: 0, free: 0 };
        const stops = [
          store.onSettled('done', () => heard.done++),
          store.onSettled('free', () => heard.free++),
        ];
        try {
          const done = claimed(await store.claim('done', 'fp', LEASE, TTL));
          const free = claimed(await store.claim('free', 'fp', LEASE, TTL));
          const before = { ...heard };
          assert.equal(await store.complete('done', done, sampleResponse(), TTL), true);
          await eventually(() => heard.done > before.done, 'the complete to be announced');
          assert.equal(await store.release('free', free), true);
          await eventually(() => heard.free > before.free, 'the release to be announced');
        } finally {
          for (const stop of stops) stop();
        }
      },
    ),

    check(
      'the core replays a match and answers 422 to a mismatch, never replaying it',
      async ({ store }) => {
        const idempotency = createIdempotency({ store });
        const request = (body: string) => ({
          method: 'POST',
          path: '/payments',
          headers: { 'idempotency-key': '"pay-1"' },
          body: new TextEncoder().encode(body),
        });
        const first = await idempotency.begin(request('{"amount":10}'));
        assert.equal(first.action, 'execute');
        if (first.action !== 'execute') return;
        await idempotency.record(first, sampleResponse());
        const replay = await idempotency.begin(request('{"amount":10}'));
        assert.equal(replay.action === 'respond' && replay.outcome, 'replay');
        const mismatch = await idempotency.begin(request('{"amount":99}'));
        assert.equal(mismatch.action === 'respond' && mismatch.outcome, 'key-mismatch');
        assert.equal(mismatch.action === 'respond' && mismatch.response.status, 422);
      },
    ),
  ];
}
