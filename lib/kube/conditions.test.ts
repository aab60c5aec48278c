import { conditionSchema, type Condition, withTransitions } from './conditions.js';

const earlier = new Date('2026-01-01T10:00:00.000Z');
const now = new Date('2026-01-01T11:30:00.750Z');

function previousReady(status: Condition['status']): Condition<'Ready'>[] {
  return [
    {
      type: 'Ready',
      status,
      observedGeneration: 1,
      lastTransitionTime: '2026-01-01T10:00:00Z',
      reason: 'Old',
      message: 'old',
    },
  ];
}

describe('withTransitions', () => {
  it('keeps the previous lastTransitionTime when the status did not flip', () => {
    const [ready] = withTransitions(
      [{ type: 'Ready', status: 'True', reason: 'New', message: 'new' }],
      previousReady('True'),
      2,
      now,
    );
    expect(ready).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'New',
      message: 'new',
      observedGeneration: 2,
      lastTransitionTime: '2026-01-01T10:00:00Z',
    });
  });

  it('moves lastTransitionTime to now, in whole seconds, when the status flips', () => {
    const [ready] = withTransitions(
      [{ type: 'Ready', status: 'False', reason: 'New', message: 'new' }],
      previousReady('True'),
      2,
      now,
    );
    expect(ready?.lastTransitionTime).toBe('2026-01-01T11:30:00Z');
  });

  it('sets lastTransitionTime to now for a condition seen for the first time', () => {
    const [ready] = withTransitions(
      [{ type: 'Ready', status: 'True', reason: 'R', message: 'm' }],
      undefined,
      1,
      earlier,
    );
    expect(ready?.lastTransitionTime).toBe('2026-01-01T10:00:00Z');
  });
});

describe('conditionSchema', () => {
  it('accepts only the listed condition types', () => {
    const schema = conditionSchema(['Ready']);
    const condition = previousReady('True')[0];
    expect(schema.safeParse(condition).success).toBe(true);
    expect(schema.safeParse({ ...condition, type: 'Active' }).success).toBe(false);
    expect(schema.safeParse({ ...condition, status: 'Maybe' }).success).toBe(false);
  });
});
