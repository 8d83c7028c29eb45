/**
 * Colours for the terminal only: not when the output is piped or redirected, not when NO_COLOR
 * is set (https://no-color.org), so scripts and logs get plain text.
 */
import { styleText } from 'node:util';

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const PLAIN: Style = { bold: (t) => t, dim: (t) => t, red: (t) => t, green: (t) => t, yellow: (t) => t, cyan: (t) => t };

const ANSI: Style = {
  bold: (t) => styleText('bold', t),
  dim: (t) => styleText('dim', t),
  red: (t) => styleText('red', t),
  green: (t) => styleText('green', t),
  yellow: (t) => styleText('yellow', t),
  cyan: (t) => styleText('cyan', t),
};

export function useColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

export function styleFor(colour: boolean): Style {
  return colour ? ANSI : PLAIN;
}
