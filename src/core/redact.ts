/**
 * Secrets masked, in one place: whatever looks like a token, a key, a password or credentials in a
 * URL, wherever the bot shows or keeps text it did not write (approval records, history, logs of
 * tool calls). The approval card itself shows the exact text (what runs is what is approved) and
 * says when it holds something that looks like a secret.
 */
const SECRET_PATTERNS: Array<[RegExp, string | ((...m: string[]) => string)]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[private key hidden]'],
  [/\b(xox[abposr]|xapp)-[A-Za-z0-9-]+/g, '[token hidden]'],
  [/\b(gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})/g, '[token hidden]'],
  [/\bsk-[A-Za-z0-9_-]{16,}/g, '[key hidden]'],
  [/\bAKIA[0-9A-Z]{16}\b/g, '[key hidden]'],
  [/\b(glpat-[A-Za-z0-9_-]{16,}|npm_[A-Za-z0-9]{30,}|AIza[0-9A-Za-z_-]{30,})/g, '[token hidden]'],
  // curl -u user:password, mysql -pPASSWORD
  [/(\s-u\s+)([^\s:]+):\S+/g, '$1$2:[hidden]'],
  [/(\bmysql(?:dump)?\b[^\n]*?\s-p)(?!\s)\S+/g, '$1[hidden]'],
  // ?key=…, &apikey=… in URLs
  [/([?&](?:key|apikey|access_token|sig|signature)=)[^&\s#]+/gi, '$1[hidden]'],
  [/\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, (_m, scheme: string) => `${scheme} [hidden]`],
  [/(:\/\/)[^/\s:@]+:[^/\s@]+@/g, '$1[credentials hidden]@'],
  // KEY=value, "key": "value", --password value
  [
    /\b([A-Za-z0-9_-]*(?:password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth)[A-Za-z0-9_-]*)("?\s*[=:]\s*)(?!(?:Bearer|Basic|token)\s|\[)("[^"]*"|'[^']*'|[^\s&;|,}]+)/gi,
    (_m, key: string, sep: string) => `${key}${sep}[hidden]`,
  ],
  [/(--?[A-Za-z-]*(?:password|passwd|secret|token|api-key|apikey)[A-Za-z-]*)\s+(?!\[)("[^"]*"|'[^']*'|\S+)/gi, (_m, flag: string) => `${flag} [hidden]`],
];

/** Values the bot knows to be secret (MCP_CONFIG's `${env:…}` values): masked wherever they appear, whatever they look like. */
const known = new Set<string>();

/** Adds values to mask as they are (shorter than 6 characters: too likely to be ordinary words). */
export function addKnownSecrets(values: Iterable<string>): void {
  for (const v of values) if (v.length >= 6) known.add(v);
}

export function maskSecrets(text: string): string {
  let out = text;
  for (const secret of known) if (out.includes(secret)) out = out.split(secret).join('[hidden]');
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement as never);
  return out;
}
