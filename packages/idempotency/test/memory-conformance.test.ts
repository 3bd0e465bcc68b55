import { FakeClock } from '@bulwark/test-utils';
import { describe, it } from 'vitest';
import { MemoryIdempotencyStore } from '../src/index.js';
import { registerStoreConformance } from '../src/testing.js';

registerStoreConformance({ describe, it }, 'memory store conformance', () => {
  const clock = new FakeClock(1_000_000);
  return { store: new MemoryIdempotencyStore({ clock }), elapse: (ms) => clock.advance(ms) };
});
