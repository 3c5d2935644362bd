import { describe, expect, it } from 'vitest';
import { RetryBudget } from './retry-budget.ts';

describe('RetryBudget', () => {
  it('allows minPerSecond × 10 extra attempts over 10 s however few requests came', () => {
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 3 });
    let allowed = 0;
    for (let index = 0; index < 100; index += 1) if (budget.tryAcquire(0)) allowed += 1;
    expect(allowed).toBe(30);
  });

  it('allows ratio × requests when that is more, and frees the budget as the window slides', () => {
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 1 });
    for (let index = 0; index < 1_000; index += 1) budget.recordRequest(index * 5);
    let allowed = 0;
    for (let index = 0; index < 1_000; index += 1) if (budget.tryAcquire(5_000)) allowed += 1;
    expect(allowed).toBe(200);
    expect(budget.tryAcquire(9_999)).toBe(false);
    // 10 s later every count has left the window: only the floor of 10 remains.
    let later = 0;
    for (let index = 0; index < 100; index += 1) if (budget.tryAcquire(20_000)) later += 1;
    expect(later).toBe(10);
  });
});
