import { describe, expect, it } from 'vitest';
import { roleOfThread, THREAD_NAMES, ThreadCpuTotals, type ThreadReading } from '../src/common/threads.js';

describe('ThreadCpuTotals: CPU time by thread role, for a counter', () => {
  it('adds what each thread ran since the last reading, keeps what ended threads ran, and never goes down', () => {
    let now: { tid: string; name: string; seconds: number }[] = [];
    // The readings in seconds, as /proc gives them (nanoseconds).
    const totals = new ThreadCpuTotals((): ThreadReading[] => now.map(({ seconds, ...t }) => ({ ...t, ns: seconds * 1e9, waitNs: 0 })));
    now = [
      { tid: '1', name: 'MainThread', seconds: 2 },
      { tid: '2', name: THREAD_NAMES.reading, seconds: 1 },
      { tid: '3', name: 'V8Worker', seconds: 0.5 },
    ];
    expect(Object.fromEntries(totals.sample())).toEqual({ serving: 2, reading: 1, v8: 0.5 });
    // The reading thread ran on, then ended (idle for a second): what it ran is kept; a new one starts from its own zero.
    now = [
      { tid: '1', name: 'MainThread', seconds: 2.5 },
      { tid: '2', name: THREAD_NAMES.reading, seconds: 1.75 },
      { tid: '3', name: 'V8Worker', seconds: 0.5 },
    ];
    expect(Object.fromEntries(totals.sample())).toEqual({ serving: 2.5, reading: 1.75, v8: 0.5 });
    now = [
      { tid: '1', name: 'MainThread', seconds: 3 },
      { tid: '4', name: THREAD_NAMES.reading, seconds: 0.25 },
      { tid: '3', name: 'V8Worker', seconds: 0.5 },
    ];
    expect(Object.fromEntries(totals.sample())).toEqual({ serving: 3, reading: 2, v8: 0.5 });
    // A thread id the system gave to a new thread (its time below the old one's) counts from zero.
    now = [
      { tid: '1', name: 'MainThread', seconds: 3 },
      { tid: '4', name: THREAD_NAMES.reading, seconds: 0.25 },
      { tid: '3', name: THREAD_NAMES.passwords, seconds: 0.1 },
    ];
    expect(Object.fromEntries(totals.sample())).toEqual({ serving: 3, reading: 2, v8: 0.5, passwords: 0.1 });
  });

  it('names roles from the threads\' names', () => {
    expect(['MainThread', THREAD_NAMES.reading, THREAD_NAMES.writing, THREAD_NAMES.passwords, THREAD_NAMES.grammar, 'V8Worker', 'libuv-worker', 'DelayedTaskSche'].map(roleOfThread)).toEqual([
      'serving',
      'reading',
      'writing',
      'passwords',
      'grammar',
      'v8',
      'libuv',
      'other',
    ]);
  });
});
