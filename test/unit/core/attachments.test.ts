import { describe, expect, it } from 'vitest';
import { FileTooLargeError, gatherFiles, kindOf, pictureType, skippedNote } from '../../../src/core/attachments.js';
import { distinctNames, safeFileName } from '../../../src/agent/copilot/attached-files.js';

describe('attached files', () => {
  it('tells pictures and text from the rest, by type and then by name', () => {
    expect(kindOf({ name: 'a.png', mimeType: 'image/png' })).toEqual({ kind: 'image', mimeType: 'image/png' });
    expect(kindOf({ name: 'a.webp', mimeType: 'application/octet-stream' })).toEqual({ kind: 'image', mimeType: 'image/webp' });
    expect(kindOf({ name: 'x.log', mimeType: 'application/octet-stream' })).toEqual({ kind: 'text' });
    expect(kindOf({ name: 'data', mimeType: 'text/csv; charset=utf-8' })).toEqual({ kind: 'text' });
    expect(kindOf({ name: 'Dockerfile' })).toEqual({ kind: 'text' });
    expect(kindOf({ name: 'main.rs', mimeType: 'application/rls-services+xml' })).toEqual({ kind: 'text' });
    expect(kindOf({ name: 'report.pdf', mimeType: 'application/pdf' })).toEqual({ kind: 'unsupported', why: "PDF isn't supported yet (pictures and text files are)" });
    expect(kindOf({ name: 'photo.heic', mimeType: 'image/heic' })).toMatchObject({ kind: 'unsupported', why: expect.stringMatching(/^HEIC pictures/) });
  });

  it('reads within the limits, in order, and names every file it did not read', async () => {
    const files = [
      { id: '1', name: 'a.txt', mimeType: 'text/plain' },
      { id: '2', name: 'b.bin', mimeType: 'application/zip' },
      { id: '3', name: 'c.txt', mimeType: 'text/plain' },
      { id: '4', name: 'd.txt', mimeType: 'text/plain' },
      { id: '5', name: 'e.txt', mimeType: 'text/plain' },
    ];
    const got = await gatherFiles(
      files,
      async (f) => {
        if (f.id === '3') throw new FileTooLargeError('big');
        if (f.id === '4') throw new Error('HTTP 500');
        return Buffer.from(`content of ${f.name}`);
      },
      { maxBytes: 1024, perMessage: 4 },
    );
    expect(got.attachments).toEqual([{ kind: 'text', name: 'a.txt', data: Buffer.from('content of a.txt') }]);
    expect(got.skipped).toEqual([
      "b.bin: a bin file isn't supported yet (pictures and text files are)",
      'c.txt: it is over 0 MB (FILES_MAX_MB)',
      'd.txt: it could not be downloaded',
      'e.txt: only 4 files are read per message (FILES_PER_MESSAGE)',
    ]);
    expect(skippedNote(['x.pdf: no'])).toBe("I couldn't read x.pdf: no.");
  });

  it('takes a picture by what its bytes are, not by its label', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const jpeg = Buffer.from('ffd8ffe000104a464946', 'hex');
    const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]);
    expect([png, jpeg, Buffer.from('GIF89a..'), webp, Buffer.from('<html>'), Buffer.alloc(0)].map(pictureType)).toEqual(['image/png', 'image/jpeg', 'image/gif', 'image/webp', undefined, undefined]);
    const bytes: Record<string, Buffer> = { '1': jpeg, '2': Buffer.from('#!/bin/sh\necho not a picture\n') };
    const got = await gatherFiles(
      [
        { id: '1', name: 'shot.png', mimeType: 'image/png' },
        { id: '2', name: 'cat.png', mimeType: 'image/png' },
      ],
      async (f) => bytes[f.id]!,
      { maxBytes: 1024, perMessage: 4 },
    );
    expect(got.attachments).toEqual([{ kind: 'image', name: 'shot.png', mimeType: 'image/jpeg', data: jpeg }]);
    expect(got.skipped).toEqual(['cat.png: it does not look like a picture']);
  });

  it('writes a person’s file under a plain name of its own', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('..\\\\win.ini')).toBe('win.ini');
    expect(safeFileName('.env')).toBe('env');
    expect(safeFileName('rm -rf $(x).txt')).toBe('rm -rf __x_.txt');
    expect(safeFileName('')).toBe('file.txt');
    // Two files of one message with the same name are two files in the folder.
    expect(distinctNames(['log.txt', 'log.txt', 'notes', 'log.txt', 'notes'])).toEqual(['log.txt', 'log-2.txt', 'notes', 'log-3.txt', 'notes-2']);
    // Files attached earlier in the thread keep their names.
    expect(distinctNames(['log.txt', 'notes'], ['log.txt', 'log-2.txt', 'other'])).toEqual(['log-3.txt', 'notes']);
  });
});
