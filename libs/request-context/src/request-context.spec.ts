import {
  currentContext,
  isValidRequestId,
  newRequestId,
  runWithContext,
  systemContext,
} from './request-context';

describe('request context', () => {
  it('makes request ids in the req-<uuid> shape', () => {
    const id = newRequestId();
    expect(isValidRequestId(id)).toBe(true);
    expect(isValidRequestId('req-nope')).toBe(false);
    expect(isValidRequestId(undefined)).toBe(false);
  });

  it('is visible across awaits inside runWithContext and gone outside it', async () => {
    const ctx = systemContext('test');
    await runWithContext(ctx, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(currentContext()).toBe(ctx);
    });
    expect(currentContext()).toBeUndefined();
  });
});
