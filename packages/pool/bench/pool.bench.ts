// Acquire + release cycles with a trivial resource and max 10, against tarn and generic-pool,
// in one run. One bench op = 1000 cycles: one caller doing 1000 in a row, or 100 concurrent
// callers doing 10 each (so cycles/s = ops/s x 1000). Every pool is warmed to 10 resources
// first, so creation is not measured.
//
// Rows: `bulwark` (leak detection off), `bulwark leak detection on` (default stacks:
// 'after-first-leak'), `bulwark leak detection on, stacks always` (a stack captured on every
// acquire), the peers, and `floor`: the least a promise-based pool can do (an idle stack and a
// FIFO of resolvers, no timeouts, no checks).
import { createPool as genericPool } from 'generic-pool';
import { Pool as TarnPool } from 'tarn';
import { bench, describe } from 'vitest';
import { createPool } from '../src/index.js';

const MAX = 10;
const CYCLES = 1000;
const CALLERS = 100;

interface Subject {
  acquire(): Promise<unknown>;
  release(handle: unknown): void;
}

let made = 0;
const makeResource = () => ({ id: made++ });

function bulwark(leakDetectionMs?: number, leakStacks?: 'always'): Subject {
  const pool = createPool({
    create: makeResource,
    destroy: () => {},
    max: MAX,
    leakDetectionMs,
    leakStacks,
  });
  return {
    acquire: () => pool.acquire(),
    release: (lease) => (lease as { release(): void }).release(),
  };
}

function generic(): Subject {
  const pool = genericPool(
    { create: async () => makeResource(), destroy: async () => {} },
    { max: MAX, min: 0 },
  );
  return {
    acquire: () => pool.acquire(),
    release: (resource) => void pool.release(resource as { id: number }),
  };
}

function tarn(): Subject {
  const pool = new TarnPool({
    create: (callback: (error: Error | null, resource: { id: number }) => void) =>
      callback(null, makeResource()),
    destroy: () => {},
    min: 0,
    max: MAX,
  });
  return {
    acquire: () => pool.acquire().promise,
    release: (resource) => void pool.release(resource as { id: number }),
  };
}

/** The floor: an idle stack and a FIFO of waiting resolvers; nothing else. */
function floor(): Subject {
  const idle: unknown[] = [];
  const waiting: ((resource: unknown) => void)[] = [];
  let size = 0;
  return {
    acquire() {
      if (idle.length > 0) return Promise.resolve(idle.pop());
      if (size < MAX) {
        size++;
        return Promise.resolve(makeResource());
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    release(resource) {
      const next = waiting.shift();
      if (next) next(resource);
      else idle.push(resource);
    },
  };
}

async function warm(subject: Subject): Promise<Subject> {
  const handles = await Promise.all(Array.from({ length: MAX }, () => subject.acquire()));
  for (const handle of handles) subject.release(handle);
  return subject;
}

async function oneCaller(subject: Subject, cycles: number): Promise<void> {
  for (let i = 0; i < cycles; i++) subject.release(await subject.acquire());
}

async function manyCallers(subject: Subject): Promise<void> {
  const callers: Promise<void>[] = [];
  for (let c = 0; c < CALLERS; c++) callers.push(oneCaller(subject, CYCLES / CALLERS));
  await Promise.all(callers);
}

const subjects: [string, () => Subject][] = [
  ['bulwark', () => bulwark()],
  ['bulwark leak detection on', () => bulwark(60_000)],
  ['bulwark leak detection on, stacks always', () => bulwark(60_000, 'always')],
  ['generic-pool', generic],
  ['tarn', tarn],
  ['floor', floor],
];

const options = { time: 1500, warmupTime: 300 };

describe('acquire + release, 1 caller (op = 1000 cycles)', async () => {
  for (const [name, make] of subjects) {
    const subject = await warm(make());
    bench(name, () => oneCaller(subject, CYCLES), options);
  }
});

describe('acquire + release, 100 concurrent callers (op = 1000 cycles)', async () => {
  for (const [name, make] of subjects) {
    const subject = await warm(make());
    bench(name, () => manyCallers(subject), options);
  }
});
