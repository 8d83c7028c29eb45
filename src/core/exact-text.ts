/**
 * What a person approves is exactly what runs. A command, path or URL on an approval card is
 * shown as it is, never masked, cut or redrawn silently: characters a terminal or a chat would
 * hide or turn around (control characters, escape sequences, bidirectional controls, invisible
 * characters, long runs of spaces) are made visible, and whatever the card cannot show as it is
 * (too long, or any of those) is said in plain words, with the whole exact text attached.
 */

/** Longest text a card shows; past it the card shows the start and the whole text is attached. */
export const CARD_TEXT_MAX = 800;

/** Runs of at least this many spaces are named instead of shown (they push the rest out of view). */
const SPACE_RUN = 16;

/** Bidirectional controls (U+202A–202E, U+2066–2069) and marks that reorder what is displayed. */
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/;
/** Characters that show as nothing. */
const INVISIBLE = /[\u200B-\u200D\u2060-\u2064\uFEFF\u00AD\u180E\u034F\u115F\u1160\u3164\uFFA0]/;
const ESCAPE = /\u001B/;
/** C0 controls but tab and newline, DEL, C1 controls. */
const CONTROL = /[\u0000-\u0008\u000B-\u001A\u001C-\u001F\u007F-\u009F]/;
const TAG = /[\u{E0000}-\u{E007F}]/u;

export interface ExactText {
  /** The text with every such character made visible (`\e`, `\r`, `\u202e`), long space runs named, cut at CARD_TEXT_MAX. */
  shown: string;
  /** In plain words, why the card cannot show the text as it is; empty when it shows it whole and as is. */
  concerns: string[];
  /** The whole exact text must go with the card (whenever there is a concern). */
  attach: boolean;
}

const hex = (c: string, width: number) => c.codePointAt(0)!.toString(16).padStart(width, '0');

/** One character as it is written in an escape: `\e`, `\r`, `\x07`, `\u202e`. */
function escaped(c: string): string {
  switch (c) {
    case '\u001B':
      return '\\e';
    case '\r':
      return '\\r';
    case '\b':
      return '\\b';
    case '\f':
      return '\\f';
    case '\v':
      return '\\v';
    case '\0':
      return '\\0';
  }
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${hex(c, 2)}` : code <= 0xffff ? `\\u${hex(c, 4)}` : `\\u{${hex(c, 1)}}`;
}

/** `text` with every control, bidirectional or invisible character written as an escape, and long space runs named. */
export function visible(text: string): string {
  let out = '';
  for (const c of text) out += ESCAPE.test(c) || CONTROL.test(c) || BIDI.test(c) || INVISIBLE.test(c) || TAG.test(c) ? escaped(c) : c;
  return out.replace(new RegExp(` {${SPACE_RUN},}`, 'g'), (run) => `⟨${run.length} spaces⟩`);
}

/**
 * How a card shows `text` (see the module comment). `secretLike`: masking for history would hide
 * part of it; the card still shows it as is, and says why.
 */
export function exactText(text: string, secretLike = false): ExactText {
  const concerns: string[] = [];
  const length = [...text].length;
  if (ESCAPE.test(text)) concerns.push('it holds terminal escape sequences (shown as \\e)');
  if (CONTROL.test(text.replace(/\u001B/g, ''))) concerns.push('it holds control characters (shown as \\r, \\x07 and the like)');
  if (BIDI.test(text)) concerns.push('it holds characters that reverse how text is displayed (shown as \\u202e and the like)');
  if (INVISIBLE.test(text) || TAG.test(text)) concerns.push('it holds invisible characters (shown as \\u200b and the like)');
  if (new RegExp(` {${SPACE_RUN},}`).test(text)) concerns.push('it holds long runs of spaces that would push the rest out of view (shown as ⟨N spaces⟩)');
  const all = visible(text);
  const shownChars = [...all];
  const cut = shownChars.length > CARD_TEXT_MAX;
  if (cut) concerns.unshift(`it is ${length.toLocaleString('en-US')} characters long, and the card shows only the first ${CARD_TEXT_MAX}`);
  if (secretLike) concerns.push('parts of it look like secrets; they are shown as they are, because what you approve is exactly what runs');
  return { shown: cut ? `${shownChars.slice(0, CARD_TEXT_MAX).join('')}…` : all, concerns, attach: concerns.length > 0 };
}

/** The sentence a card shows above its buttons when `concerns` is not empty. */
export function concernNotice(exact: ExactText): string | undefined {
  if (exact.concerns.length === 0) return undefined;
  const what = exact.concerns.join('; ');
  return `⚠️ Read the attached file before deciding: it is exactly what would run. This card does not show it as it is: ${what}.`;
}
