"""Bash completion and man pages, written from the programs' --help (firmware/cli-docs.py):
completion offers each program's verbs, a verb's options, and paths after a file option; the
man pages list every verb with its options and render without a groff warning."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import SOURCE, binary  # noqa: E402

CLI_DOCS = os.path.join(SOURCE, "firmware", "cli-docs.py")
PROGRAMS = ["sealwatch", "sealwatchd", "sealwatch-county"]


class Completion(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="sw-cli-docs-")
        cls.script = os.path.join(cls.dir, "completion")
        subprocess.run([sys.executable, CLI_DOCS, "completion", cls.script] +
                       [binary(p) for p in PROGRAMS], check=True, timeout=120)
        open(os.path.join(cls.dir, "data.csv"), "w").close()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def complete(self, line):
        """What bash offers for `line` (the word being completed is its last, maybe empty)."""
        words = line.split(" ")
        prog = "_" + words[0].replace("-", "_")
        array = " ".join("'" + w + "'" for w in words)
        script = (f"source {self.script}\nCOMP_WORDS=({array})\nCOMP_CWORD={len(words) - 1}\n"
                  f"{prog}\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n")
        r = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True,
                           cwd=self.dir, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return set(filter(None, r.stdout.split("\n")))

    def test_verbs(self):
        self.assertTrue({"status", "export", "verify", "analyze", "asset", "config"} <=
                        self.complete("sealwatch "), self.complete("sealwatch "))
        self.assertEqual(self.complete("sealwatch st"), {"status"})
        self.assertIn("keygen", self.complete("sealwatch-county "))

    def test_options_of_a_verb(self):
        self.assertTrue({"--json", "--config"} <= self.complete("sealwatch status --"))
        self.assertIn("--by", self.complete("sealwatch asset set-state --"))
        self.assertIn("--check", self.complete("sealwatchd --"))
        self.assertNotIn("--json", self.complete("sealwatch export --"))

    def test_paths_after_a_file_option(self):
        self.assertEqual(self.complete("sealwatch analyze --csv da"), {"data.csv"})
        self.assertEqual(self.complete("sealwatchd --config da"), {"data.csv"})


class ManPages(unittest.TestCase):
    def test_every_verb_with_its_options_renders_cleanly(self):
        if not (shutil.which("help2man") and shutil.which("man")):
            raise unittest.SkipTest("help2man and man are needed (toolchains/install-deps.sh)")
        tmp = tempfile.mkdtemp(prefix="sw-man-")
        try:
            inc = os.path.join(tmp, "commands.h2m")
            page = os.path.join(tmp, "sealwatch.1")
            subprocess.run([sys.executable, CLI_DOCS, "man-include", inc, binary("sealwatch")],
                           check=True, timeout=120)
            subprocess.run([sys.executable, os.path.join(SOURCE, "firmware", "run-help2man.py"),
                            shutil.which("help2man"), page, "1", binary("sealwatch"), "",
                            os.path.join(SOURCE, "firmware", "man", "sealwatch.h2m"), inc],
                           check=True, timeout=120)
            r = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True,
                               env=dict(os.environ, MANWIDTH="80"), timeout=60)
            self.assertEqual(r.stderr, "", r.stderr)
            for text in ("sealwatch status", "--json", "sealwatch asset set-state", "--by",
                         "EXIT STATUS", "sealwatch.toml"):
                self.assertIn(text, r.stdout.replace("\u2010", "-"), text)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
