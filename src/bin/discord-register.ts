/**
 * `npm run discord:register`: registers `/copilot` with Discord, to DISCORD_GUILD_ID when set
 * (instant) or globally (can take up to an hour to appear).
 */
import '../infra/dotenv.js';
import { REST, Routes } from 'discord.js';
import { z } from 'zod';
import { copilotCommand } from '../../adapters/discord/commands.js';

const env = z
  .object({
    DISCORD_TOKEN: z.string({ error: 'DISCORD_TOKEN is required' }).min(1, { error: 'DISCORD_TOKEN is required' }),
    DISCORD_GUILD_ID: z.string().regex(/^\d{5,25}$/, { error: 'DISCORD_GUILD_ID must be a guild id' }).optional().or(z.literal('')),
    DISCORD_API_URL: z.url({ error: 'DISCORD_API_URL must be a URL' }).optional().or(z.literal('')),
  })
  .safeParse(process.env);

async function main(): Promise<void> {
  if (!env.success) throw new Error(env.error.issues[0]!.message);
  const { DISCORD_TOKEN, DISCORD_GUILD_ID, DISCORD_API_URL } = env.data;
  const rest = new REST({ ...(DISCORD_API_URL ? { api: DISCORD_API_URL } : {}), retries: 2, timeout: 15_000 }).setToken(DISCORD_TOKEN);
  const app = (await rest.get(Routes.currentApplication())) as { id: string };
  const body = [copilotCommand().toJSON()];
  const route = DISCORD_GUILD_ID ? Routes.applicationGuildCommands(app.id, DISCORD_GUILD_ID) : Routes.applicationCommands(app.id);
  const saved = (await rest.put(route, { body })) as Array<{ name: string }>;
  process.stdout.write(`registered /${saved.map((c) => c.name).join(', /')} ${DISCORD_GUILD_ID ? `in guild ${DISCORD_GUILD_ID}` : 'globally (may take up to an hour to appear)'}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`copilot-threads discord:register: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
