import { describe, expect, it } from 'vitest';
import { camelizeKeys } from '../src/common/case.js';

describe('REST input keys renamed to the services\' camelCase', () => {
  it('lets the contract\'s snake_case spelling win over a camelCase one, whichever comes first', () => {
    expect(camelizeKeys({ session_type: 'voice', sessionType: 'avatar' })).toEqual({ sessionType: 'voice' });
    expect(camelizeKeys({ sessionType: 'avatar', session_type: 'voice' })).toEqual({ sessionType: 'voice' });
    expect(camelizeKeys({ outer: [{ team_id: 'a', teamId: 'b' }] })).toEqual({ outer: [{ teamId: 'a' }] });
    // Alone, either spelling is taken.
    expect(camelizeKeys({ sessionType: 'avatar' })).toEqual({ sessionType: 'avatar' });
  });
});
