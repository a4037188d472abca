import { describe, expect, it } from 'vitest';
import { PooledIdGenerator } from '../src/tracing.js';

describe('trace and span ids (PooledIdGenerator)', () => {
  it('hands out lowercase hex ids of 32 and 16 digits, none twice, across several pools', () => {
    const ids = new PooledIdGenerator(undefined, 64);
    const traces = new Set<string>();
    const spans = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      traces.add(ids.generateTraceId());
      spans.add(ids.generateSpanId());
    }
    expect(traces.size).toBe(2000);
    expect(spans.size).toBe(2000);
    for (const id of traces) expect(id).toMatch(/^[0-9a-f]{32}$/);
    for (const id of spans) expect(id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('draws a new pool when what is left cannot make a whole id', () => {
    const draws: number[] = [];
    let next = 0;
    const ids = new PooledIdGenerator((n) => {
      draws.push(n);
      return Buffer.alloc(n, ++next);
    }, 20);
    // 20 bytes are 40 digits: one trace id (32), then a span id does not fit in the 8 left.
    expect(ids.generateTraceId()).toBe('01'.repeat(16));
    expect(ids.generateSpanId()).toBe('02'.repeat(8));
    expect(draws).toEqual([20, 20]);
  });

  it('never hands out an all-zero id, which W3C Trace Context calls invalid', () => {
    let calls = 0;
    // The first pool is all zeros; the next ones are not.
    const ids = new PooledIdGenerator((n) => Buffer.alloc(n, calls++ === 0 ? 0 : 0xab), 16);
    expect(ids.generateTraceId()).toBe('ab'.repeat(16));
    const spans = new PooledIdGenerator((n) => Buffer.alloc(n, calls++ % 2 === 0 ? 0 : 0xcd), 8);
    expect(spans.generateSpanId()).toBe('cd'.repeat(8));
  });
});
