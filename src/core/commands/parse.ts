/**
 * The commands a user can give in any thread, from chat text (`/history 2`, `history`) or from
 * a platform's slash command (`/copilot forget`). Both forms parse into one `Command`.
 */

export type Command =
  | { kind: 'history'; page: number }
  | { kind: 'forget' }
  /** `in`: only the threads of that channel (a Discord thread's parent, a Slack channel). */
  | { kind: 'sessions'; in?: string }
  /** The person's own usage and daily budgets. */
  | { kind: 'usage' }
  /** Per-user mode: connect, disconnect, or name the person's GitHub account. */
  | { kind: 'login' }
  | { kind: 'logout' }
  | { kind: 'whoami' }
  /** Shows (no name) or switches this thread's model or custom agent; `default` goes back to its channel's. */
  | { kind: 'model'; name?: string }
  | { kind: 'agent'; name?: string }
  /** The thread's repository: shows it, binds one (a URL or owner/name, and a ref), refreshes it, or lets it go. */
  | { kind: 'repo'; action: RepoAction }
  /** A prompt run as a turn of this thread, as its author, at the times `when` says (core/schedules). */
  | { kind: 'schedule'; when: string; prompt: string }
  /** This thread's schedules, with cancel buttons. */
  | { kind: 'schedules' }
  | { kind: 'unschedule'; id: string }
  | { kind: 'help' };

export type RepoAction =
  | { kind: 'show' }
  | { kind: 'bind'; target: string; ref?: string }
  /** `discard`: local changes (a tool's edits) are thrown away. */
  | { kind: 'pull'; discard: boolean }
  | { kind: 'remove' };

export type Parsed =
  | { kind: 'command'; command: Command }
  | { kind: 'prompt'; text: string }
  /** Looked like a command (started with `/`) but was not a valid one. */
  | { kind: 'invalid'; message: string };

export const COMMAND_HELP: ReadonlyArray<readonly [usage: string, what: string]> = [
  ['history [page]', "show what this thread's Copilot session holds (newest page last)"],
  ['forget', "delete this thread's session for good; the next message starts fresh"],
  ['sessions', 'list the threads in this workspace that have a session'],
  ['usage', 'show what you used today and this week, and your daily budgets'],
  ['model [name]', "show this thread's model and the others on offer, or switch to one (`default`: back to the channel's)"],
  ['agent [name]', "show this thread's custom agent and the others, or switch to one (`default`: back to the channel's)"],
  ['repo [URL or owner/name] [ref]', "show this thread's repository, or bind one: cloned into the thread's folder for Copilot to work in (`repo pull`: refresh it; `repo remove`)"],
  ['schedule "<when>" <prompt>', 'run a prompt here at set times, as you ("every weekday at 09:00", "every 2h", "tomorrow 17:30", cron); the answer is posted in the thread'],
  ['schedules', "list this thread's schedules (with buttons to cancel them)"],
  ['unschedule <id>', 'stop a schedule'],
  ['login', 'connect your GitHub account: your turns run on your own Copilot seat (where the bot asks for it)'],
  ['logout', 'disconnect your GitHub account'],
  ['whoami', 'show which GitHub account your turns run as'],
  ['help', 'show this help'],
];

const PREFIX = /^\s*(?:\/|!)?(?:copilot\s+)?/i;

/**
 * `explicit` is true when the text came from a slash command, or started with `/`: then anything
 * that is not a valid command is an error to show, not a prompt for the model. Plain text is a
 * command only when it is exactly one (so "history of Rome" is a prompt).
 */
export function parseInput(text: string, options: { explicit?: boolean } = {}): Parsed {
  const trimmed = text.trim();
  // `/word` is a command attempt; `/etc/hosts, what is this?` is a prompt that starts with a path.
  const body = trimmed.replace(PREFIX, '');
  // So is `schedule "…` (the quotes say it is meant as one), and `unschedule` with an id or none (and a mistake in it is shown, not asked of the model).
  const explicit = options.explicit === true || /^\/[A-Za-z]+(?:\s|$)/.test(trimmed) || /^schedule\s+["“”„'‘’]/i.test(body) || /^unschedule(?:\s+`?[0-9a-z]{1,16}`?)?$/i.test(body);
  const [word = '', ...args] = body.split(/\s+/).filter(Boolean);
  // A schedule's prompt keeps its own lines and spaces: it is read from the text, not the words.
  const command = word.toLowerCase() === 'schedule' ? scheduleCommand(body.slice(body.indexOf(word) + word.length).trim()) : toCommand(word.toLowerCase(), args);
  if (command.ok) return { kind: 'command', command: command.value };
  if (explicit) return { kind: 'invalid', message: command.error };
  return { kind: 'prompt', text: trimmed };
}

type Result = { ok: true; value: Command } | { ok: false; error: string };

function toCommand(word: string, args: string[]): Result {
  switch (word) {
    case 'history': {
      if (args.length === 0) return { ok: true, value: { kind: 'history', page: 0 } };
      const page = args.length === 1 && /^[1-9][0-9]{0,5}$/.test(args[0]!) ? Number(args[0]) : NaN;
      if (Number.isNaN(page)) return { ok: false, error: 'Usage: `history [page]`, where page is a number from 1.' };
      return { ok: true, value: { kind: 'history', page } };
    }
    case 'model':
    case 'agent': {
      if (args.length === 0) return { ok: true, value: { kind: word } };
      if (args.length > 1 || !/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$/.test(args[0]!)) return { ok: false, error: `Usage: \`${word} [name]\`, with one ${word} name (say \`${word}\` to see them).` };
      return { ok: true, value: { kind: word, name: args[0]! } };
    }
    case 'repo':
      return repoCommand(args);
    case 'unschedule':
      if (args.length !== 1 || !SCHEDULE_ID.test(args[0]!.replace(/^`|`$/g, ''))) return { ok: false, error: 'Usage: `unschedule ID`, with the id `schedules` shows.' };
      return { ok: true, value: { kind: 'unschedule', id: args[0]!.replace(/^`|`$/g, '').toLowerCase() } };
    case 'schedules':
    case 'forget':
    case 'sessions':
    case 'usage':
    case 'login':
    case 'logout':
    case 'whoami':
    case 'help':
      if (args.length > 0) return { ok: false, error: `\`${word}\` takes no arguments.` };
      return { ok: true, value: { kind: word } };
    case '':
      return { ok: false, error: 'Which command? Try `help`.' };
    default:
      return { ok: false, error: `Unknown command \`${word.slice(0, 30)}\`. Try \`help\`.` };
  }
}

/** A ref as git takes it: a branch, a tag or a commit (nothing an option or a path trick could hide in). */
const REF = /^(?!-)(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;
const REPO_USAGE = 'Usage: `repo` (show), `repo URL|owner/name [ref]` (bind), `repo pull [--discard]`, `repo remove`.';

function repoCommand(args: string[]): Result {
  // Slack wraps links in <…>, with a label after |.
  const [first, ...rest] = args.map((a) => a.replace(/^<([^|>]+)(?:\|[^>]*)?>$/, '$1'));
  if (first === undefined) return { ok: true, value: { kind: 'repo', action: { kind: 'show' } } };
  if (first === 'pull') {
    if (rest.length === 0) return { ok: true, value: { kind: 'repo', action: { kind: 'pull', discard: false } } };
    if (rest.length === 1 && rest[0] === '--discard') return { ok: true, value: { kind: 'repo', action: { kind: 'pull', discard: true } } };
    return { ok: false, error: REPO_USAGE };
  }
  if (first === 'remove') return rest.length ? { ok: false, error: REPO_USAGE } : { ok: true, value: { kind: 'repo', action: { kind: 'remove' } } };
  // A repository has a / in it (owner/name, a URL): "repo is broken" is a prompt, not a command.
  if (rest.length > 1 || first.length > 300 || !first.includes('/') || (rest[0] !== undefined && !REF.test(rest[0]))) return { ok: false, error: REPO_USAGE };
  return { ok: true, value: { kind: 'repo', action: { kind: 'bind', target: first, ...(rest[0] ? { ref: rest[0] } : {}) } } };
}

/** What a schedule id looks like (core/schedules/commands.ts makes them): nothing else is looked up. */
export const SCHEDULE_ID = /^[a-f0-9]{8}$/i;
const SCHEDULE_USAGE = 'Usage: `schedule "<when>" <prompt>`, the when in quotes, e.g. `schedule "every weekday at 09:00" summarise what changed in the repo yesterday`.';

/** `"<when>" <prompt>`: straight or typographic quotes (chat clients turn one into the other). */
function scheduleCommand(rest: string): Result {
  const m = /^["“”„'‘’]([^"“”„'‘’]{1,100})["“”„'‘’]\s+([\s\S]+)$/.exec(rest);
  if (!m) return { ok: false, error: SCHEDULE_USAGE };
  const prompt = m[2]!.trim();
  // A schedule runs prompts, not commands (`schedule "in 1h" forget` would forget as whoever made it).
  // Another schedule inside is refused before it is parsed: parsing it would parse the rest again, and so on.
  if (/^\s*(?:\/|!)?(?:copilot\s+)?schedule\b/i.test(prompt) || parseInput(prompt).kind !== 'prompt') return { ok: false, error: 'A schedule runs a question or a task for me, not a command.' };
  return { ok: true, value: { kind: 'schedule', when: m[1]!.trim(), prompt } };
}
