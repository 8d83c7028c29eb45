import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkMarkdown, openFence } from '../../../../adapters/shared/chunk.js';

const words = fc.array(fc.stringMatching(/^[a-z]{1,12}$/), { minLength: 1, maxLength: 40 }).map((w) => w.join(' '));
const block = fc.oneof(
  words,
  fc.tuple(fc.constantFrom('ts', 'python', ''), fc.array(words, { minLength: 1, maxLength: 30 })).map(([lang, lines]) => ['```' + lang, ...lines, '```'].join('\n')),
  fc.array(words.map((w) => `- ${w}`), { minLength: 1, maxLength: 10 }).map((l) => l.join('\n')),
);
const doc = fc.array(block, { minLength: 1, maxLength: 25 }).map((b) => b.join('\n\n'));

/** Content without the fence lines the chunker adds, and without whitespace differences. */
const content = (s: string) => s.replace(/^```\w*$/gm, '').replace(/\s+/g, '');

describe('chunkMarkdown', () => {
  it('keeps short text whole', () => {
    expect(chunkMarkdown('hello **world**', 2000)).toEqual(['hello **world**']);
  });

  it('fits every chunk in the limit, never leaves a fence open, and loses nothing', () => {
    fc.assert(
      fc.property(doc, fc.constantFrom(200, 500, 2000), (text, limit) => {
        const chunks = chunkMarkdown(text, limit);
        for (const c of chunks) {
          expect(c.length).toBeLessThanOrEqual(limit);
          expect(openFence(c)).toBeUndefined();
        }
        expect(content(chunks.join('\n'))).toBe(content(text));
      }),
      { numRuns: 300 },
    );
  });

  it('closes and reopens a code block that has to be split, with its language', () => {
    const code = ['```python', ...Array.from({ length: 120 }, (_, i) => `print(${i})`), '```'].join('\n');
    const chunks = chunkMarkdown(`Here:\n\n${code}\n\nDone.`, 500);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[1]!.startsWith('```python\n')).toBe(true);
    expect(chunks[0]!.endsWith('\n```')).toBe(true);
    expect(chunks.at(-1)).toMatch(/Done\.$/);
  });

  it('cuts a 2,500-character answer into two valid chunks for a 2,000 limit', () => {
    const text = `${'intro '.repeat(150)}\n\n\`\`\`js\n${'const x = 1;\n'.repeat(100)}\`\`\``;
    const chunks = chunkMarkdown(text, 2000);
    expect(text.length).toBeGreaterThan(2000);
    expect(chunks).toHaveLength(2);
    expect(chunks.every((c) => c.length <= 2000 && !openFence(c))).toBe(true);
  });

  it('splits a single huge word when it must', () => {
    const chunks = chunkMarkdown('x'.repeat(1000), 100);
    expect(chunks.every((c) => c.length <= 100)).toBe(true);
    expect(chunks.join('')).toBe('x'.repeat(1000));
  });
});
