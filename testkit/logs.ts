/** Reads the bot's JSON log lines as an operator's log pipeline would, strictly. */

/** Keys that appear more than once in one object of `json` (JSON.parse would silently keep the last). */
export function duplicateKeys(json: string): string[] {
  const dups: string[] = [];
  let i = 0;
  const ws = () => {
    while (/\s/.test(json[i] ?? '')) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (json[i] !== '"') i += json[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(json.slice(start, i)) as string;
  };
  const value = (): void => {
    ws();
    const c = json[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      while (json[i] !== '}') {
        ws();
        const key = str();
        if (seen.has(key)) dups.push(key);
        seen.add(key);
        ws();
        i++; // :
        value();
        ws();
        if (json[i] === ',') i++;
        ws();
      }
      i++;
    } else if (c === '[') {
      i++;
      ws();
      while (json[i] !== ']') {
        value();
        ws();
        if (json[i] === ',') i++;
        ws();
      }
      i++;
    } else if (c === '"') str();
    else while (i < json.length && !/[,}\]\s]/.test(json[i]!)) i++;
  };
  value();
  return dups;
}

export interface LogLine {
  level: string;
  time: string;
  msg?: string;
  [key: string]: unknown;
}

/** The JSON lines of a process's output (other lines, such as a start-up error, are skipped). */
export function logLines(output: string): Array<{ raw: string; line: LogLine }> {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((raw) => ({ raw, line: JSON.parse(raw) as LogLine }));
}
