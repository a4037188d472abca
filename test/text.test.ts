import { describe, expect, it } from 'vitest';
import { clip, excerpt } from '../src/common/text.js';
import { deriveTitle } from '../src/modules/conversations/conversations.service.js';

/** Whether `s` holds no lone surrogate (what `isWellFormed` says, written out for clarity). */
const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('text cut to a length', () => {
  it('never splits a surrogate pair, at any cut', () => {
    for (let lead = 0; lead < 4; lead++) {
      const text = 'a'.repeat(lead) + '😀'.repeat(40);
      for (let max = 1; max < text.length + 2; max++) {
        const c = clip(text, max);
        expect(c.length).toBeLessThanOrEqual(max);
        expect(c.length).toBeGreaterThanOrEqual(Math.min(text.length, max) - 1);
        expect(wellFormed(c)).toBe(true);
        expect(text.startsWith(c)).toBe(true);
      }
    }
    expect(clip('plain', 3)).toBe('pla');
  });

  it('keeps titles and excerpts of emoji-rich text well formed', () => {
    for (let n = 25; n < 70; n++) {
      const text = `${'a'.repeat(n)}${'😀'.repeat(30)}`;
      expect(wellFormed(deriveTitle(text))).toBe(true);
      expect(wellFormed(excerpt(text, 50))).toBe(true);
    }
    // A title of 31 letters and emoji: cut before the emoji it would halve.
    expect(deriveTitle(`${'a'.repeat(31)}${'😀'.repeat(20)}`)).toBe(`${'a'.repeat(31)}${'😀'.repeat(14)}…`);
  });
});
