/** The `/copilot` slash command: defined once, registered by `npm run discord:register`. */
import { SlashCommandBuilder } from 'discord.js';

export const COMMAND_NAME = 'copilot';

export function copilotCommand() {
  return new SlashCommandBuilder()
    .setName(COMMAND_NAME)
    .setDescription('Copilot thread sessions')
    .addSubcommand((s) =>
      s
        .setName('history')
        .setDescription("Show this thread's Copilot session history (only to you)")
        .addIntegerOption((o) => o.setName('page').setDescription('Page number (default: newest)').setMinValue(1)),
    )
    .addSubcommand((s) => s.setName('forget').setDescription("Delete this thread's Copilot session for good"))
    .addSubcommand((s) => s.setName('sessions').setDescription('List the threads in this server that have a session'))
    .addSubcommand((s) => s.setName('usage').setDescription('What you used today and this week, and your daily budgets (only to you)'))
    .addSubcommand((s) => s.setName('login').setDescription('Connect your GitHub account: your turns run on your own Copilot seat (only to you)'))
    .addSubcommand((s) => s.setName('logout').setDescription('Disconnect your GitHub account (only to you)'))
    .addSubcommand((s) => s.setName('whoami').setDescription('Which GitHub account your turns run as (only to you)'))
    .addSubcommand((s) =>
      s
        .setName('model')
        .setDescription("Show this thread's model, or switch it (default: back to the channel's)")
        .addStringOption((o) => o.setName('name').setDescription('A model on offer, or default').setMaxLength(100)),
    )
    .addSubcommand((s) =>
      s
        .setName('agent')
        .setDescription("Show this thread's custom agent, or switch it (default: back to the channel's)")
        .addStringOption((o) => o.setName('name').setDescription('An agent on offer, or default').setMaxLength(100)),
    )
    .addSubcommand((s) =>
      s
        .setName('repo')
        .setDescription("Show this thread's repository, or bind one, refresh it (pull) or let it go (remove)")
        .addStringOption((o) => o.setName('what').setDescription('owner/name or an https:// URL to bind; pull, pull --discard or remove').setMaxLength(300))
        .addStringOption((o) => o.setName('ref').setDescription('A branch, tag or commit (default: the default branch)').setMaxLength(200)),
    )
    .addSubcommand((s) =>
      s
        .setName('schedule')
        .setDescription('Run a prompt in this thread at set times, as you; the answer is posted here')
        .addStringOption((o) => o.setName('when').setDescription('every weekday at 09:00, every 2h, tomorrow 17:30, cron; a zone at the end: … in Europe/Paris').setRequired(true).setMaxLength(100))
        .addStringOption((o) => o.setName('prompt').setDescription('What to ask each time (one line; for several, mention me: schedule "<when>" …)').setRequired(true).setMaxLength(6000)),
    )
    .addSubcommand((s) => s.setName('schedules').setDescription("This thread's schedules, with buttons to cancel them (only to you)"))
    .addSubcommand((s) =>
      s
        .setName('unschedule')
        .setDescription('Stop a schedule')
        .addStringOption((o) => o.setName('id').setDescription('The id schedules shows').setRequired(true).setMaxLength(20)),
    )
    .addSubcommand((s) => s.setName('help').setDescription('How to use Copilot here'));
}

/** Custom ids of the buttons the bot shows. */
export const BUTTON = {
  forgetYes: 'copilot:forget:yes',
  forgetNo: 'copilot:forget:no',
  historyPage: 'copilot:history:',
  unschedule: 'copilot:unschedule:',
} as const;
