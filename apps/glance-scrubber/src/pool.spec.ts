import { runPool } from './pool';

describe('runPool', () => {
  it('runs every item once, never more than `size` at a time', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5 + (item % 3)));
      done.push(item);
      running--;
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('starts nothing new once stopped, and lets what runs finish', async () => {
    const started: number[] = [];
    let stopped = false;
    await runPool(
      [1, 2, 3, 4, 5],
      2,
      async (item) => {
        started.push(item);
        if (item === 2) stopped = true;
        await new Promise((r) => setTimeout(r, 5));
      },
      () => stopped,
    );
    expect(started).toEqual([1, 2]);
  });

  it('does nothing with nothing to do', async () => {
    const work = jest.fn();
    await runPool([], 4, work);
    expect(work).not.toHaveBeenCalled();
  });
});
