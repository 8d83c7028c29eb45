/** The configuration reference and .env.example are generated from the schema: out of date is a failure. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FILES, referenceProblems, renderEnvExample, renderReference } from '../../scripts/docs-config.js';
import { loadConfig } from '../../src/config.js';
import { CONFIG_REFERENCE } from '../../src/config-reference.js';

describe('the configuration reference', () => {
  it('lists every setting of the schema once', () => {
    expect(referenceProblems()).toEqual([]);
  });

  it('docs/configuration.md and .env.example are what npm run docs:config writes', () => {
    expect(fs.readFileSync(FILES.reference, 'utf8')).toBe(renderReference());
    expect(fs.readFileSync(FILES.envExample, 'utf8')).toBe(renderEnvExample());
  });

  it('shows each default as the schema has it', () => {
    const reference = renderReference();
    expect(reference).toContain('| `TURN_TIMEOUT_SECONDS` | `120` |');
    expect(reference).toContain('| `COPILOT_TOOLS_APPROVAL` | `bash,powershell,edit,create,web_fetch,mcp:*` |');
    // Secrets never have a default shown, even an example one.
    expect(reference).toMatch(/\| `SLACK_BOT_TOKEN` \| — \|/);
  });

  it('.env.example as shipped is a valid configuration once a model is set', () => {
    const example = Object.fromEntries(CONFIG_REFERENCE.flatMap((s) => s.blocks.flatMap((b) => b.settings.map(([k, v]) => [k, v]))));
    expect(() => loadConfig({ ...example, COPILOT_GITHUB_TOKEN: 'ghp_x' }, { needModel: true })).not.toThrow();
  });
});
