import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pidFile, removePidFile, runningBot, startTime, writePidFile } from '../../../src/infra/pid.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const home = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pid-'));
  dirs.push(d);
  return d;
};

describe("the bot's pid file", () => {
  it('names this process with its start time; config reload finds it; removed only by its own process', () => {
    const h = home();
    expect(runningBot(h)).toBeUndefined();
    writePidFile(h);
    expect(fs.readFileSync(pidFile(h), 'utf8')).toBe(`${process.pid} ${startTime(process.pid)}\n`);
    expect(runningBot(h)).toBe(process.pid);
    removePidFile(h);
    expect(fs.existsSync(pidFile(h))).toBe(false);
  });

  it('a file left by a killed bot, whose pid now belongs to another process, names no bot', () => {
    const h = home();
    // Our own pid, but another start time: what a reused pid looks like.
    fs.writeFileSync(pidFile(h), `${process.pid} 1\n`);
    expect(runningBot(h)).toBeUndefined();
    fs.writeFileSync(pidFile(h), '999999999 1\n');
    expect(runningBot(h)).toBeUndefined();
    fs.writeFileSync(pidFile(h), 'garbage');
    expect(runningBot(h)).toBeUndefined();
  });

  it('a link planted at its name is replaced, never written through', () => {
    const h = home();
    const target = path.join(h, 'elsewhere');
    fs.writeFileSync(target, 'keep me');
    fs.symlinkSync(target, pidFile(h));
    writePidFile(h);
    expect(fs.readFileSync(target, 'utf8')).toBe('keep me');
    expect(fs.lstatSync(pidFile(h)).isSymbolicLink()).toBe(false);
    removePidFile(h);
  });
});
