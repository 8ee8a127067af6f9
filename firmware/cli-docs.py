#!/usr/bin/env python3
"""Man page sections and bash completion, written from the programs' own --help at build time.

The programs' command lines (CLI11 definitions in agent/cli/main.cpp, agent/daemon/main.cpp,
county/main.cpp) are the one place where verbs and options are defined; this walks each
program's `--help` and every subcommand's, so the man pages and the completion cannot drift
from them.

    cli-docs.py man-include OUT PROGRAM [--run RUNNER]   help2man include: a COMMANDS section
    cli-docs.py completion OUT PROGRAM... [--run RUNNER] one bash completion script for all

RUNNER (e.g. "qemu-aarch64 -L SYSROOT") runs a cross-built program on the build machine.
"""
import os
import re
import shlex
import subprocess
import sys


def help_text(runner, program, path):
    cmd = runner + [program] + path + ["--help"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        sys.exit(f"cli-docs: {' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def sections(text):
    """{section name: [(name, description)]} of a CLI11 help page, plus its first line."""
    out, current = {}, None
    lines = text.splitlines()
    for line in lines[1:]:
        header = re.match(r"^(\w[\w ]*):$", line)
        if header:
            current = out.setdefault(header.group(1), [])
        elif current is not None and line.startswith("  ") and line.strip():
            m = re.match(r"^  (\S+(?: [A-Z]+)*)\s{2,}(.*)$", line) or re.match(r"^  (\S+)", line)
            if m:
                current.append((m.group(1), m.group(2) if m.lastindex and m.lastindex > 1 else ""))
            elif current:  # a description continued on the next line
                name, desc = current[-1]
                current[-1] = (name, (desc + " " + line.strip()).strip())
    return (lines[0] if lines else ""), out


def walk(runner, program, path=()):
    """Yields (path, help text, {section: entries}) for the program and every subcommand."""
    text = help_text(runner, program, list(path))
    _, secs = sections(text)
    yield list(path), text, secs
    for name, _ in secs.get("Subcommands", []):
        yield from walk(runner, program, path + (name,))


FILE_WORDS = r"file|folder|dir|path|csv|\.pub"


def option_words(secs):
    words = []
    for spec, _ in secs.get("Options", []):
        for part in spec.split(" ")[0].split(","):
            if part.startswith("-"):
                words.append(part)
    return words


def takes_file(secs):
    """Options whose argument is a file or folder: completed with paths."""
    words = []
    for spec, desc in secs.get("Options", []):
        if " " in spec and re.search(FILE_WORDS, spec + " " + desc, re.I):
            words += [p for p in spec.split(" ")[0].split(",") if p.startswith("-")]
    return words


def positional_takes_file(secs):
    return any(re.search(FILE_WORDS, spec + " " + desc, re.I)
               for spec, desc in secs.get("Positionals", []))


def man_include(out, runner, program):
    name = os.path.basename(program)
    parts = []
    for path, text, secs in walk(runner, program):
        if not path or secs.get("Subcommands"):
            continue  # the program itself is help2man's own part; groups only list their verbs
        usage = next((l for l in text.splitlines() if l.startswith("Usage:")), "")
        usage = re.sub(r"^Usage: \S+", name, usage)
        parts.append(f".TP\n.B {' '.join([name] + path)}\n{text.splitlines()[0]}\n")
        parts.append(f".br\n{usage.replace('-', chr(92) + '-')}\n")
        for section in ("Positionals", "Options"):
            for spec, desc in secs.get(section, []):
                if spec.startswith("-h,--help"):
                    continue
                parts.append(f".br\n\\ \\ {spec.replace('-', chr(92) + '-')}: {desc}\n")
    with open(out, "w") as f:
        f.write("[COMMANDS]\n" + "".join(parts) if parts else "")


def completion(out, runner, programs):
    lines = ["# bash completion for sealwatch's programs, written from their --help at build time",
             "# (firmware/cli-docs.py): verbs, then each verb's options; paths for file options.",
             ""]
    for program in programs:
        name = os.path.basename(program)
        fn = "_" + re.sub(r"\W", "_", name)
        cases = []
        for path, _, secs in walk(runner, program):
            key = " ".join(path)
            words = [n for n, _ in secs.get("Subcommands", [])] + option_words(secs)
            files = takes_file(secs)
            positional = "1" if positional_takes_file(secs) else ""
            cases.append(f'        "{key}") words={shlex.quote(" ".join(words))}; '
                         f'files={shlex.quote(" ".join(files))}; positional={positional} ;;')
        verbs = "|".join(f'"{" ".join(p)}"' for p, _, _ in walk(runner, program) if p)
        lines += [
            f"{fn}() {{",
            "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}",
            "    local path='' w i",
            "    # The verbs typed so far (words not starting with '-' that name a subcommand).",
            "    for ((i = 1; i < COMP_CWORD; i++)); do",
            "        w=${COMP_WORDS[i]}",
            "        case \"${path:+$path }$w\" in",
            f"            {verbs}) path=\"${{path:+$path }}$w\" ;;" if verbs else "            *) ;;",
            "        esac",
            "    done",
            "    local words='' files='' positional=''",
            "    case \"$path\" in",
            *cases,
            "    esac",
            "    if [[ \" $files \" == *\" $prev \"* ]] ||",
            "       [[ -n $positional && $cur != -* && \" $words \" != *\" $prev \"* ]]; then",
            "        COMPREPLY=($(compgen -f -- \"$cur\"))",
            "    else",
            "        COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))",
            "    fi",
            "}",
            f"complete -o filenames -F {fn} {name}",
            "",
        ]
    with open(out, "w") as f:
        f.write("\n".join(lines))


def main(argv):
    runner = []
    if "--run" in argv:
        i = argv.index("--run")
        runner = shlex.split(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    if len(argv) >= 3 and argv[0] == "man-include":
        man_include(argv[1], runner, argv[2])
    elif len(argv) >= 3 and argv[0] == "completion":
        completion(argv[1], runner, argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
