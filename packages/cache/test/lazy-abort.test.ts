import { expect, it } from 'vitest';
import { LazyAbort } from '../src/lazy-abort.js';

it('makes its signal on first use, aborted already when abort came first', () => {
  const early = new LazyAbort();
  early.abort('gone');
  early.abort('again'); // once only
  expect(early.aborted).toBe(true);
  expect(early.signal.aborted).toBe(true);
  expect(early.signal.reason).toBe('gone');
  expect(early.signal).toBe(early.signal);

  const late = new LazyAbort();
  const signal = late.signal;
  expect(signal.aborted).toBe(false);
  late.abort('bye');
  expect(signal.aborted).toBe(true);
  expect(late.reason).toBe('bye');
});
