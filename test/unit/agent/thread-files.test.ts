/**
 * A thread's folder as the runtime's file tools reach it: links that lead out are refused, also
 * when they appear while a path is being resolved, and host files stay byte-identical.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ThreadFiles } from '../../../src/agent/thread-files.js';

let dir: string;
let folder: string;
let outside: string;
let files: ThreadFiles;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-thread-files-'));
  folder = path.join(dir, 'workspace', 'thread-b');
  outside = path.join(dir, 'outside');
  fs.mkdirSync(folder, { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'host secret\n');
  files = new ThreadFiles(folder);
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: NodeJS.ErrnoException) => err.code ?? String(err),
  );

describe('ThreadFiles', () => {
  it('reads, writes, appends, lists, renames and removes inside the folder', async () => {
    await files.mkdir(path.join(folder, 'src/deep'), true);
    await files.writeFile(path.join(folder, 'src/deep/a.txt'), 'alpha');
    await files.appendFile('src/deep/a.txt', ' beta');
    expect(await files.readFile(path.join(folder, 'src/deep/a.txt'))).toBe('alpha beta');
    expect(await files.stat(path.join(folder, 'src'))).toMatchObject({ isDirectory: true, isFile: false });
    expect(await files.readdirWithTypes(folder)).toEqual([{ name: 'src', type: 'directory' }]);
    await files.rename(path.join(folder, 'src/deep/a.txt'), path.join(folder, 'b.txt'));
    expect(await files.readdir(folder)).toEqual(expect.arrayContaining(['b.txt', 'src']));
    await files.rm(path.join(folder, 'src'), true, false);
    expect(await files.exists(path.join(folder, 'src'))).toBe(false);
    expect(fs.readFileSync(path.join(folder, 'b.txt'), 'utf8')).toBe('alpha beta');
  });

  it('follows links that stay inside, also through folders', async () => {
    fs.mkdirSync(path.join(folder, 'real'));
    fs.writeFileSync(path.join(folder, 'real/f.txt'), 'inside');
    fs.symlinkSync('real', path.join(folder, 'alias'));
    fs.symlinkSync(path.join(folder, 'real/f.txt'), path.join(folder, 'abs-link'));
    expect(await files.readFile(path.join(folder, 'alias/f.txt'))).toBe('inside');
    expect(await files.readFile(path.join(folder, 'abs-link'))).toBe('inside');
    await files.writeFile(path.join(folder, 'alias/new.txt'), 'via a folder link');
    expect(fs.readFileSync(path.join(folder, 'real/new.txt'), 'utf8')).toBe('via a folder link');
  });

  it('refuses links that lead out (to /, to another thread, to a host file), and writes nothing there', async () => {
    fs.symlinkSync('/', path.join(folder, 'hostroot'));
    fs.symlinkSync(outside, path.join(folder, 'out'));
    fs.symlinkSync('../../outside/secret.txt', path.join(folder, 'rel-out'));
    fs.symlinkSync(path.join(outside, 'new.txt'), path.join(folder, 'dangling'));
    const before = fs.readFileSync(path.join(outside, 'secret.txt'));
    for (const p of [`hostroot${outside}/secret.txt`, 'out/secret.txt', 'rel-out']) {
      expect(await code(files.readFile(path.join(folder, p))), p).toBe('EACCES');
      expect(await code(files.writeFile(path.join(folder, p), 'pwned')), p).toMatch(/EACCES|ELOOP/);
      expect(await code(files.appendFile(path.join(folder, p), 'pwned')), p).toMatch(/EACCES|ELOOP/);
    }
    expect(await code(files.writeFile(path.join(folder, 'dangling'), 'pwned'))).toBe('ELOOP');
    expect(await code(files.writeFile(path.join(folder, 'out/created.txt'), 'pwned'))).toBe('EACCES');
    expect(await code(files.mkdir(path.join(folder, 'out/made'), true))).toBe('EACCES');
    expect(await code(files.readdir(path.join(folder, 'out')))).toBe('EACCES');
    expect(await code(files.rename(path.join(folder, 'out/secret.txt'), path.join(folder, 'stolen.txt')))).toBe('EACCES');
    // Removing a link removes the link, never what it points at.
    await files.rm(path.join(folder, 'out'), true, false);
    expect(fs.readFileSync(path.join(outside, 'secret.txt'))).toEqual(before);
    expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
    expect(await code(files.readFile('/etc/passwd'))).toBe('ENOENT');
    expect(await code(files.writeFile('/etc/passwd-new', 'x'))).toBe('EACCES');
    expect(await code(files.readFile(path.join(folder, '../../outside/secret.txt')))).toBe('ENOENT');
  });

  it('refuses to write a file that has other hard links, and stops at link loops', async () => {
    fs.writeFileSync(path.join(folder, 'a'), 'one');
    fs.linkSync(path.join(folder, 'a'), path.join(folder, 'b'));
    expect(await code(files.writeFile(path.join(folder, 'b'), 'two'))).toBe('EACCES');
    expect(fs.readFileSync(path.join(folder, 'a'), 'utf8')).toBe('one');
    fs.symlinkSync('loop2', path.join(folder, 'loop1'));
    fs.symlinkSync('loop1', path.join(folder, 'loop2'));
    expect(await code(files.readFile(path.join(folder, 'loop1')))).toBe('ELOOP');
  });

  it('a folder swapped for a link while paths are resolved never leads a write or a read outside', async () => {
    const target = path.join(folder, 'sub');
    const swap = path.join(folder, 'sub.swap');
    fs.mkdirSync(target);
    let stop = false;
    // Another process (a tool) flips `sub` between a folder and a link to the outside, as fast as it can.
    const flipper = (async () => {
      while (!stop) {
        try {
          fs.renameSync(target, `${target}.dir`);
          fs.symlinkSync(outside, swap);
          fs.renameSync(swap, target);
          await new Promise((r) => setImmediate(r));
          fs.unlinkSync(target);
          fs.renameSync(`${target}.dir`, target);
        } catch {
          // a step raced with the other side: try again
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const outcomes = new Set<string>();
    for (let i = 0; i < 300; i++) {
      outcomes.add(await code(files.writeFile(path.join(target, `f${i}.txt`), 'x')));
      outcomes.add(await code(files.readFile(path.join(target, 'secret.txt'))));
    }
    stop = true;
    await flipper;
    expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
    expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('host secret\n');
    // Both sides of the race were seen: writes inside succeeded, and the link was refused.
    expect(outcomes).toContain('ok');
    expect([...outcomes].some((c) => c === 'EACCES' || c === 'ENOENT')).toBe(true);
  });
});

describe('ThreadFiles and files that are not plain files', () => {
  it('a FIFO neither blocks a read nor a write (the bot would wait forever), and a huge sparse file is not read into memory', async () => {
    const { execFileSync } = await import('node:child_process');
    const { MAX_READ_BYTES } = await import('../../../src/agent/thread-files.js');
    execFileSync('mkfifo', [path.join(folder, 'pipe')]);
    expect(await code(files.readFile(path.join(folder, 'pipe')))).toBe('EACCES');
    expect(await code(files.writeFile(path.join(folder, 'pipe'), 'x'))).toMatch(/ENXIO|EACCES/);
    expect(await code(files.appendFile(path.join(folder, 'pipe'), 'x'))).toMatch(/ENXIO|EACCES/);
    const big = await fs.promises.open(path.join(folder, 'sparse.txt'), 'w');
    await big.truncate(MAX_READ_BYTES + 1);
    await big.close();
    expect(await code(files.readFile(path.join(folder, 'sparse.txt')))).toBe('EFBIG');
  });
});

describe('removeThreadFolder', () => {
  it('removes a folder a tool made hard to remove (folders without permissions), and nothing a link in it points at', async () => {
    const { removeThreadFolder } = await import('../../../src/agent/thread-files.js');
    fs.mkdirSync(path.join(folder, 'locked/deeper'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'locked/deeper/f'), 'x');
    fs.symlinkSync(outside, path.join(folder, 'locked/out'));
    fs.chmodSync(path.join(folder, 'locked/deeper'), 0);
    fs.chmodSync(path.join(folder, 'locked'), 0);
    await removeThreadFolder(folder);
    expect(fs.existsSync(folder)).toBe(false);
    expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
    expect(fs.statSync(outside).mode & 0o777).not.toBe(0o700);
  });
});
