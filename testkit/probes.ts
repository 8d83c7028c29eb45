/** Programs a test runs inside the tool sandbox to see what a tool could reach. */

/** A Python program that looks for `needle` (hex) in every readable /proc/<pid>/{mem,environ,cmdline} but its own (which holds the needle). */
export const SCAN = `python3 -c "
import os, sys
needle = bytes.fromhex(sys.argv[1]); found = 0; scanned = 0
for pid in [p for p in os.listdir('/proc') if p.isdigit() and p != str(os.getpid())]:
    for name in ('environ', 'cmdline'):
        try:
            scanned += 1; found += needle in open('/proc/%s/%s' % (pid, name), 'rb').read()
        except Exception: pass
    try:
        mem = open('/proc/%s/mem' % pid, 'rb', 0)
        for line in open('/proc/%s/maps' % pid).read().splitlines():
            start, end = (int(x, 16) for x in line.split()[0].split('-'))
            if 'r' not in line.split()[1]: continue
            try:
                mem.seek(start); found += needle in mem.read(min(end - start, 1 << 26))
            except Exception: pass
    except Exception: pass
print('found %d in %d' % (found, scanned))
"`;

/** A shell command that runs SCAN for `needle` (the program passes through chat as base64: no newlines or indentation to lose). */
export function scanFor(needle: string): string {
  const program = /python3 -c "([\s\S]*)"$/.exec(SCAN)![1]!;
  return `echo ${Buffer.from(program).toString('base64')} | base64 -d | python3 - ${Buffer.from(needle).toString('hex')}`;
}
