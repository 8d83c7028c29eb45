/**
 * What a person approves is exactly what runs. A command, path or URL on an approval card is
 * shown as it is, never masked, cut or redrawn silently: characters a terminal or a chat would
 * hide or turn around (control characters, escape sequences, bidirectional controls, invisible
 * characters, long runs of spaces) are made visible, and whatever the card cannot show as it is
 * (too long, or any of those) is said in plain words, with the whole exact text attached.
 */

/** Longest text a card shows; past it the card shows the start and the whole text is attached. */
/* eslint-disable no-control-regex -- finding control characters is what this module is for */
export const CARD_TEXT_MAX = 800;

/** Runs of at least this many blank characters (spaces, tabs, wide or invisible spaces) are named instead of shown. */
const BLANK_RUN = 16;
/** More empty lines in a row than this are named instead of shown (they push the rest out of view). */
const EMPTY_LINES = 2;
/** A text of more lines than this may run past what a card shows at once. */
const MAX_LINES = 30;

/** Bidirectional controls (U+202A–202E, U+2066–2069, the marks) that reorder what is displayed. */
const BIDI = /\p{Bidi_Control}/u;
/** Characters that show as nothing: format characters, variation selectors, fillers (all default-ignorable). */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
/** Spaces other than the plain one, and the line and paragraph separators. */
const ODD_SPACE = /(?! )[\p{Zs}\p{Zl}\p{Zp}\u2800]/u;
const ESCAPE = /\u001B/;
/** C0 controls but tab and newline, DEL, C1 controls. */
const CONTROL = /[\u0000-\u0008\u000B-\u001A\u001C-\u001F\u007F-\u009F]/;
/** A run of blanks: plain spaces, tabs, other spaces, blank Braille, invisible characters. */
const BLANKS = new RegExp(`(?:[ \\t\\p{Zs}\\u2800]|\\p{Default_Ignorable_Code_Point}){${BLANK_RUN},}`, 'gu');
const EMPTY_RUN = new RegExp(`\\n(?:[ \\t]*\\n){${EMPTY_LINES + 1},}`, 'g');

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

/** `text` with every control, bidirectional, invisible or unusual blank character written as an escape, and long blank runs named. */
export function visible(text: string): string {
  // One pass: a run is named, any other character escaped or kept (so no text can pose as a name).
  const token = new RegExp(`(${BLANKS.source})|(${EMPTY_RUN.source})|([\\s\\S])`, 'gu');
  return text.replace(token, (_m, blanks: string | undefined, empty: string | undefined, c: string) => {
    if (blanks) return `⟨${[...blanks].length} blank characters⟩`;
    if (empty) return `\n⟨${empty.split('\n').length - 2} empty lines⟩\n`;
    return ESCAPE.test(c) || CONTROL.test(c) || BIDI.test(c) || INVISIBLE.test(c) || ODD_SPACE.test(c) ? escaped(c) : c;
  });
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
  if ([...text].some((c) => INVISIBLE.test(c) && !BIDI.test(c))) concerns.push('it holds invisible characters (shown as \\u200b and the like)');
  if (ODD_SPACE.test(text)) concerns.push('it holds unusual spaces or line separators (shown as \\u00a0 and the like)');
  if (new RegExp(BLANKS.source, 'u').test(text)) concerns.push('it holds long runs of blank characters that would push the rest out of view (shown as ⟨N blank characters⟩)');
  if (new RegExp(EMPTY_RUN.source).test(text)) concerns.push('it holds runs of empty lines that would push the rest out of view (shown as ⟨N empty lines⟩)');
  const lines = text.split('\n').length;
  if (lines > MAX_LINES) concerns.push(`it is ${lines} lines long`);
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
