import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedLoads, HashRing } from '../src/index.js';

describe('BoundedLoads: unit', () => {
  it('assigns sticky keys and releases them', () => {
    const loads = new BoundedLoads().add('a').add('b').add('c');
    const node = loads.assign('k');
    expect(loads.assign('k')).toBe(node);
    expect(loads.nodeOf('k')).toBe(node);
    expect(loads.assigned).toBe(1);
    expect(loads.loadOf(node)).toBe(1);
    expect(loads.release('k')).toBe(true);
    expect(loads.release('k')).toBe(false);
    expect(loads.nodeOf('k')).toBeUndefined();
    expect(loads.stats()).toEqual({
      name: 'default',
      nodes: 3,
      assigned: 0,
      maxLoad: 0,
      meanLoad: 0,
      moves: 0,
    });
  });

  it('caps every node at ceil(c × mean) even when keys all hash near one node', () => {
    const loads = new BoundedLoads({ loadFactor: 1.25, vnodes: 1 }).add('a').add('b').add('c');
    for (let i = 0; i < 3000; i++) loads.assign(`key:${i}`);
    const bound = Math.ceil((1.25 * 3000) / 3);
    for (const node of loads.nodes) expect(loads.loadOf(node)).toBeLessThanOrEqual(bound);
    expect(loads.capacityOf('a')).toBe(bound);
    expect(loads.capacityOf('zz')).toBe(0);
  });

  it('with c = 1 balances perfectly', () => {
    const loads = new BoundedLoads({ loadFactor: 1 }).add('a').add('b').add('c').add('d');
    for (let i = 0; i < 1000; i++) loads.assign(`key:${i}`);
    for (const node of loads.nodes) expect(loads.loadOf(node)).toBe(250);
  });

  it('moves a removed node’s keys and reports each move', () => {
    const moves: Array<[string, string, string | undefined]> = [];
    const seen: unknown[] = [];
    const onMove = (message: unknown) => seen.push(message);
    subscribe('bulwark:consistent-hash:move', onMove);
    try {
      const loads = new BoundedLoads({ onMove: (key, from, to) => moves.push([key, from, to]) });
      loads.add('a').add('b');
      for (let i = 0; i < 20; i++) loads.assign(`key:${i}`);
      const onA = loads.loadOf('a');
      loads.remove('a');
      expect(moves.length).toBe(onA);
      for (const [key, from, to] of moves) {
        expect(from).toBe('a');
        expect(to).toBe('b');
        expect(loads.nodeOf(key)).toBe('b');
      }
      loads.remove('b');
      expect(loads.assigned).toBe(0);
      expect(moves.at(-1)?.[2]).toBeUndefined();
      expect(() => loads.assign('x')).toThrow(/cannot assign "x": no nodes/);
    } finally {
      unsubscribe('bulwark:consistent-hash:move', onMove);
    }
    expect(seen.length).toBe(moves.length);
  });

  it('handles unknown keys and nodes, weight changes and re-assignment', () => {
    const loads = new BoundedLoads().add('a').add('b');
    expect(loads.release('unknown')).toBe(false);
    expect(loads.remove('zz')).toBe(false);
    expect(loads.loadOf('zz')).toBe(0);
    for (let i = 0; i < 40; i++) loads.assign(`key:${i}`);
    const before = loads.stats();
    const node = loads.nodeOf('key:0')!;
    expect(loads.assign('key:0')).toBe(node);
    expect(loads.stats()).toEqual(before);
    loads.add('a', { weight: 3 });
    expect(loads.size).toBe(2);
    expect(loads.capacityOf('a')).toBe(Math.ceil((1.25 * 40 * 3) / 4));
    expect(loads.capacityOf('b')).toBe(Math.ceil((1.25 * 40 * 1) / 4));
    expect(loads.loadOf('b')).toBeLessThanOrEqual(loads.capacityOf('b'));
    expect(loads.loadOf('a') + loads.loadOf('b')).toBe(40);
    expect(() => loads.add('c', { weight: Number.NaN })).toThrow(/weight must be .*, got NaN/);
    expect(() => loads.add('c', { weight: 0 })).toThrow(/weight must be .*, got 0/);
    expect(loads.size).toBe(2);
  });

  it('stays consistent when onMove throws, reports every move, then rethrows', () => {
    let calls = 0;
    const loads = new BoundedLoads({
      onMove: () => {
        calls++;
        throw new Error('handler failed');
      },
    });
    loads.add('a').add('b').add('c');
    for (let i = 0; i < 60; i++) loads.assign(`key:${i}`);
    const onA = loads.loadOf('a');
    expect(onA).toBeGreaterThan(1);
    expect(() => loads.remove('a')).toThrow('handler failed');
    expect(calls).toBe(onA);
    expect(loads.nodes).toEqual(['b', 'c']);
    expect(loads.loadOf('b') + loads.loadOf('c')).toBe(60);
    for (let i = 0; i < 60; i++) expect(['b', 'c']).toContain(loads.nodeOf(`key:${i}`));
    expect(loads.stats().moves).toBe(onA);
  });

  it('rejects bad options with messages naming them', () => {
    expect(() => new BoundedLoads({ loadFactor: 0.9 })).toThrow(
      /loadFactor must be a finite number >= 1, got 0.9/,
    );
    expect(() => new BoundedLoads({ loadFactor: Number.NaN })).toThrow(RangeError);
    // @ts-expect-error: not a function
    expect(() => new BoundedLoads({ onMove: 1 })).toThrow(/onMove must be a function, got 1/);
    expect(() => new BoundedLoads({ loadfactor: 2 } as never)).toThrow(
      'unknown option "loadfactor" in new BoundedLoads(options); did you mean "loadFactor"?',
    );
    // Another library's name for an option is answered with this package's name for it.
    expect(() => new BoundedLoads({ label: 'x' } as never)).toThrow(
      'unknown option "label" in new BoundedLoads(options); use "name" instead',
    );
    expect(() => new BoundedLoads({ compatibility: 'ketama' } as never)).toThrow(
      /unknown option "compatibility" in new BoundedLoads\(options\)/,
    );
    expect(() => new BoundedLoads({ vnodes: -1 })).toThrow(/vnodes/);
    const loads = new BoundedLoads().add('a');
    // @ts-expect-error: not a string key
    expect(() => loads.assign(1)).toThrow(/key must be a string, got 1/);
    expect(() => loads.add('b', { weight: -1 })).toThrow(/weight must be/);
  });
});

// Model-based: random assign / release / add / remove against a model of which keys are
// assigned and which nodes exist; after every command no node exceeds its bound.
type Model = { keys: Set<string>; nodes: Map<string, number> };
type Real = BoundedLoads<string>;
const C = 1.25;

function checkInvariants(model: Model, real: Real): void {
  expect(real.assigned).toBe(model.nodes.size === 0 ? 0 : model.keys.size);
  const m = real.assigned;
  let totalWeight = 0;
  for (const w of model.nodes.values()) totalWeight += w;
  let sum = 0;
  for (const [node, weight] of model.nodes) {
    const load = real.loadOf(node);
    sum += load;
    expect(load).toBeLessThanOrEqual(Math.ceil((C * m * weight) / totalWeight));
  }
  expect(sum).toBe(m);
  for (const key of model.keys) {
    const node = real.nodeOf(key);
    if (model.nodes.size > 0) expect(model.nodes.has(node!)).toBe(true);
  }
}

class Assign implements fc.Command<Model, Real> {
  constructor(readonly key: string) {}
  check = () => true;
  run(model: Model, real: Real): void {
    if (model.nodes.size === 0) {
      expect(() => real.assign(this.key)).toThrow(RangeError);
    } else {
      const node = real.assign(this.key);
      expect(model.nodes.has(node)).toBe(true);
      model.keys.add(this.key);
    }
    checkInvariants(model, real);
  }
  toString = () => `assign(${this.key})`;
}
class Release implements fc.Command<Model, Real> {
  constructor(readonly key: string) {}
  check = () => true;
  run(model: Model, real: Real): void {
    expect(real.release(this.key)).toBe(model.keys.delete(this.key));
    checkInvariants(model, real);
  }
  toString = () => `release(${this.key})`;
}
class Add implements fc.Command<Model, Real> {
  constructor(
    readonly node: string,
    readonly weight: number,
  ) {}
  check = () => true;
  run(model: Model, real: Real): void {
    real.add(this.node, { weight: this.weight });
    model.nodes.set(this.node, this.weight);
    checkInvariants(model, real);
  }
  toString = () => `add(${this.node}, ${this.weight})`;
}
class Remove implements fc.Command<Model, Real> {
  constructor(readonly node: string) {}
  check = () => true;
  run(model: Model, real: Real): void {
    expect(real.remove(this.node)).toBe(model.nodes.delete(this.node));
    if (model.nodes.size === 0) model.keys.clear();
    checkInvariants(model, real);
  }
  toString = () => `remove(${this.node})`;
}

describe('BoundedLoads: the bound is computed exactly', () => {
  it('c = 1.1, 3 nodes, 360 keys: every capacity is 132 (1.1 × 360 / 3), never 133', () => {
    // In doubles 1.1 × 360 / 3 = 132.00000000000003, whose ceiling is 133.
    const loads = new BoundedLoads({ loadFactor: 1.1 }).add('a').add('b').add('c');
    for (let i = 0; i < 360; i++) loads.assign(`key:${i}`);
    for (const node of ['a', 'b', 'c']) {
      expect(loads.capacityOf(node)).toBe(132);
      expect(loads.loadOf(node)).toBeLessThanOrEqual(132);
    }
    expect(loads.stats().maxLoad).toBeLessThanOrEqual(132);
  });

  it('stays exact when the integers outgrow doubles (weights of 1/3: 16 significant digits)', () => {
    // 1.1 × 360 × 0.3333333333333333 / 0.9999999999999999: the integers behind it pass 2^53,
    // so the bound is computed in BigInt; equal weights make it 1.1 × 360 / 3 = 132.
    const loads = new BoundedLoads({ loadFactor: 1.1 });
    for (const node of ['a', 'b', 'c']) loads.add(node, { weight: 1 / 3 });
    for (let i = 0; i < 360; i++) loads.assign(`key:${i}`);
    for (const node of ['a', 'b', 'c']) expect(loads.capacityOf(node)).toBe(132);
    loads.add('d', { weight: 2 / 3 }); // 1.1 × 360 × (2/3) / (5/3) = 158.4
    expect(loads.capacityOf('d')).toBe(159);
    expect(loads.capacityOf('a')).toBe(80); // 1.1 × 360 × (1/3) / (5/3) = 79.2
  });

  it('equals ceil(c × m × w / W) in integer arithmetic, for decimal c and weights', () => {
    // c = k / 100 and weights = j / 10 as written in decimal: the reference scales them to
    // integers and divides with BigInt, so no rounding can hide in it.
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 400 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 4 }),
        (k, tenths, free, t) => {
          // Half the runs take an m whose exact bound for the first node is a whole number, the
          // case floating point gets wrong: m = t × 100 × total / gcd(k × j, 100 × total).
          const sum = tenths.reduce((a, b) => a + b, 0);
          const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
          const whole = (t * 100 * sum) / gcd(k * tenths[0]!, 100 * sum);
          const m = free % 2 === 0 && whole <= 6000 ? whole : free;
          const loads = new BoundedLoads({ loadFactor: k / 100 });
          for (const [i, j] of tenths.entries()) loads.add(`n${i}`, { weight: j / 10 });
          for (let i = 0; i < m; i++) loads.assign(`key:${i}`);
          const total = BigInt(tenths.reduce((a, b) => a + b, 0));
          tenths.forEach((j, i) => {
            // ceil(k/100 × m × (j/10) / (total/10)) = ceil(k × m × j / (100 × total))
            const num = BigInt(k) * BigInt(m) * BigInt(j);
            const den = 100n * total;
            const expected = Number((num + den - 1n) / den);
            expect(loads.capacityOf(`n${i}`)).toBe(expected);
            expect(loads.loadOf(`n${i}`)).toBeLessThanOrEqual(expected);
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('BoundedLoads: properties', () => {
  it('never lets a node exceed ceil(c × m × weight / totalWeight) under random commands', () => {
    const key = fc.integer({ min: 0, max: 60 }).map((i) => `key:${i}`);
    const node = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    const commands = [
      key.map((k) => new Assign(k)),
      key.map((k) => new Assign(k)),
      key.map((k) => new Assign(k)),
      key.map((k) => new Release(k)),
      fc.tuple(node, fc.constantFrom(1, 1, 1, 2, 0.5, 3)).map(([n, w]) => new Add(n, w)),
      node.map((n) => new Remove(n)),
    ];
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 120 }), (cmds) => {
        const setup = () => ({
          model: { keys: new Set<string>(), nodes: new Map<string, number>() },
          real: new BoundedLoads<string>({ loadFactor: C, vnodes: 20 }),
        });
        fc.modelRun(setup, cmds);
      }),
      { numRuns: 200 },
    );
  });

  it('puts keys where the plain ring would while no node is full', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 8 }),
        (names) => {
          // With a huge factor capacities never bind, so assignment is the ring's lookup.
          const loads = new BoundedLoads<string>({ loadFactor: 1e9 });
          const ring = new HashRing<string>();
          for (const name of names) {
            loads.add(name);
            ring.add(name);
          }
          for (let i = 0; i < 50; i++) expect(loads.assign(`k${i}`)).toBe(ring.get(`k${i}`));
        },
      ),
      { numRuns: 50 },
    );
  });
});
