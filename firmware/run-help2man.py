#!/usr/bin/env python3
"""help2man for one program, through the cross emulator when there is one.

    run-help2man.py HELP2MAN OUT SECTION PROGRAM RUNNER INCLUDE...

help2man runs the program it is given; a cross-built program needs its emulator, so it gets a
small wrapper script that calls RUNNER PROGRAM. The wrapper takes the program's name, so the page
says `sealwatch`, not the wrapper's.
"""
import os
import shlex
import subprocess
import sys
import tempfile

help2man, out, section, program, runner, *includes = sys.argv[1:]
name = os.path.basename(program)
with tempfile.TemporaryDirectory() as tmp:
    target = program
    if runner.strip():
        target = os.path.join(tmp, name)
        with open(target, "w") as f:
            f.write("#!/bin/sh\nexec " + " ".join(shlex.quote(a) for a in shlex.split(runner))
                    + " " + shlex.quote(program) + ' "$@"\n')
        os.chmod(target, 0o755)
    cmd = [help2man, "--no-info", "--no-discard-stderr", f"--section={section}", f"--output={out}"]
    for inc in includes:
        if os.path.getsize(inc) > 0:
            cmd.append(f"--include={inc}")
    r = subprocess.run(cmd + [target])
    sys.exit(r.returncode)
