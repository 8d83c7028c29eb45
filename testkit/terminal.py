"""Runs a command on a pseudo-terminal, as a person at a terminal would: waits for each expected
text in the output, then types the next input. Prints the whole raw output (escape codes and all)
as JSON on stdout. Usage: pty.py SPEC_JSON where SPEC = {argv, env, cwd, steps: [{wait, send}], timeout}."""
import json, os, pty, select, sys, time, signal, struct, fcntl, termios

spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.chdir(spec.get("cwd", "."))
    os.execvpe(spec["argv"][0], spec["argv"], spec["env"])

fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
out = b""
deadline = time.time() + spec.get("timeout", 60)
status = None

def read_some(wait=0.1):
    global out
    r, _, _ = select.select([fd], [], [], wait)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        out += data
    return True

for step in spec["steps"]:
    want = step.get("wait")
    start = len(out) if step.get("new", True) else 0
    while want and want.encode() not in out[start:] and time.time() < deadline:
        if not read_some():
            break
    if step.get("send") is not None:
        time.sleep(step.get("pause", 0.05))
        os.write(fd, step["send"].encode())

while time.time() < deadline:
    if not read_some(0.2):
        break
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        while read_some(0.1):
            pass
        status = st
        break
if status is None:
    try:
        _, status = os.waitpid(pid, os.WNOHANG)
        if _ == 0:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        status = 0
print(json.dumps({"output": out.decode("utf-8", "replace"), "code": os.waitstatus_to_exitcode(status) if status is not None else None}))
