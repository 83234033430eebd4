"""The layout of the ``paperbot`` command (issue 14): one package, no import circle.

``jobs/cli/__init__.py`` defines the root group and registers the commands; each command
module imports only ``jobs.cli.context`` from the package; the helper modules
(``context``, and ``reference`` which renders docs/cli.md) import none."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import jobs.cli
from tests.conftest import REPO

CLI_DIR = Path(jobs.cli.__file__).parent
PACKAGE = "jobs.cli"
CONTEXT = "jobs.cli.context"
HELPERS = {CONTEXT, "jobs.cli.reference"}

# `paperbot --help` before the split into jobs/cli/ (name: first line of its help)
COMMANDS = {
    "config": "Inspect the configuration.",
    "crawl": "Crawl the configured blogs.",
    "deliver": "Send summaries to subscribers.",
    "papers": "List the papers found, newest first, with the blogs that...",
    "run": "Run the service until SIGTERM/SIGINT: the Telegram bot, a...",
    "site": "Build the static site: papers by day, a page per paper,...",
    "status": "Show source health, paper counts and queues.",
    "subscribers": "List subscribers and channels: language, mode, topics,...",
    "summarize": "Summarize papers per reader language with the configured LLM.",
}
SUBCOMMANDS = {"config": ["show"], "crawl": ["once"], "deliver": ["ambiguous", "once"],
               "summarize": ["once"], "site": ["build"]}


def cli_modules() -> list[str]:
    return sorted(f"{PACKAGE}.{m.name}" for m in pkgutil.iter_modules([str(CLI_DIR)])
                  if m.name != "__main__")


def source_file(module: str) -> Path:
    return CLI_DIR / ("__init__.py" if module == PACKAGE else module.rsplit(".", 1)[1] + ".py")


def imported_modules(module: str) -> set[str]:
    """Every module an ``import`` statement of ``module`` names (at the top or inside a
    function), relative imports resolved; ``from a import b`` counts as ``a`` and ``a.b``."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(source_file(module).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # every module here lives in the jobs.cli package
                parent = PACKAGE.rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def cli_imports(module: str) -> set[str]:
    """What ``module`` imports from the jobs.cli package (the package itself included)."""
    package = {PACKAGE, *cli_modules()}
    return (imported_modules(module) & package) - {module}


def test_every_cli_module_imports():
    modules = cli_modules()
    assert CONTEXT in modules and len(modules) >= 9, modules
    for name in modules:
        importlib.import_module(name)


def test_command_modules_import_only_the_context():
    leaves = [m for m in cli_modules() if m not in HELPERS]
    assert leaves
    for leaf in leaves:
        assert cli_imports(leaf) <= {CONTEXT}, (leaf, cli_imports(leaf))
    for helper in HELPERS:
        assert cli_imports(helper) == set(), (helper, cli_imports(helper))


def test_no_import_cycle_in_the_cli_package():
    graph = {m: cli_imports(m) for m in [PACKAGE, *cli_modules()]}
    assert graph[PACKAGE] >= set(cli_modules()) - HELPERS  # the root registers every command
    done: set[str] = set()

    def visit(node: str, stack: tuple[str, ...]) -> None:
        assert node not in stack, "import cycle: " + " -> ".join((*stack, node))
        if node in done:
            return
        for dep in sorted(graph[node]):
            visit(dep, (*stack, node))
        done.add(node)

    for module in graph:
        visit(module, ())


def test_each_command_module_imports_alone():
    """In a fresh interpreter, a command module loads with only the context module of the
    package before it (the package's ``__init__`` is bypassed: it would load them all)."""
    code = (
        "import importlib.util, sys, types\n"
        "import jobs\n"
        f"pkg = types.ModuleType({PACKAGE!r}); pkg.__path__ = [{str(CLI_DIR)!r}]\n"
        f"sys.modules[{PACKAGE!r}] = pkg\n"
        "name = sys.argv[1]\n"
        "importlib.import_module(name)\n"
        f"loaded = sorted(m for m in sys.modules if m.startswith({PACKAGE + '.'!r}))\n"
        "print(' '.join(loaded))\n"
    )
    for leaf in cli_modules():
        if leaf in HELPERS:
            continue
        out = subprocess.run([sys.executable, "-c", code, leaf], cwd=REPO, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert set(out.stdout.split()) <= {leaf, CONTEXT}, (leaf, out.stdout)


def test_the_send_only_bot_loads_no_command_handler():
    """``paperbot deliver once`` sends with ``bot.transport.build_bot``: building it and
    the delivery step loads none of the bot's command handlers (memory of every run)."""
    code = ("import sys\nimport bot.transport, jobs.steps.deliver\n"
            "print(' '.join(m for m in sys.modules if m.startswith('bot.')))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = set(out.stdout.split())
    assert "bot.transport" in loaded
    assert not loaded & {"bot.app", "bot.handlers", "bot.reader_commands", "bot.paper_commands",
                         "bot.conversation", "bot.groups"}, loaded


def help_commands(text: str) -> dict[str, str]:
    """The ``Commands:`` section of a --help (it ends at the first blank line)."""
    section = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return dict(line.strip().split(None, 1) for line in section.splitlines() if line.strip())


def test_paperbot_help_lists_the_same_commands():
    out = subprocess.run([sys.executable, "-m", "jobs", "--help"], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Usage: paperbot [OPTIONS] COMMAND [ARGS]...")
    assert help_commands(out.stdout) == COMMANDS
    for group, names in SUBCOMMANDS.items():
        sub = subprocess.run([sys.executable, "-m", "jobs", group, "--help"], cwd=REPO,
                             capture_output=True, text=True, timeout=60)
        assert sub.returncode == 0, sub.stderr
        assert sorted(help_commands(sub.stdout)) == names, (group, sub.stdout)


def test_python_m_jobs_cli_is_the_same_command():
    out = subprocess.run([sys.executable, "-m", "jobs.cli", "--help"], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert help_commands(out.stdout) == COMMANDS
