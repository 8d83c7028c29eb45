/** Loads `.env` (or DOTENV_CONFIG_PATH) into process.env, silently: CLI output must stay clean. */
import dotenv from 'dotenv';

dotenv.config({ path: process.env.DOTENV_CONFIG_PATH ?? '.env', quiet: true });
