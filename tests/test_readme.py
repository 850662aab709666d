"""The README's two opening commands are exactly what CI runs, and every command the README shows is one the CLI
accepts."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    block = REPO.joinpath("README.md").read_text().split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.strip().splitlines()]


def test_ci_runs_the_readme_commands_verbatim():
    main_job, tests = _readme_commands()
    ci = REPO.joinpath(".ci", "run").read_text().splitlines()
    assert main_job in ci and tests in ci
    assert tests == "bash scripts/setup.sh && MIRAGE_DATA=../shared/datasets python3 -m pytest -q"


def test_readme_cli_examples_parse():
    from graph_mirage.cli import build_parser

    parser = build_parser()
    text = REPO.joinpath("README.md").read_text()
    commands = "datasets|distill|train|run|inspect|search|export|bench|condense"
    examples = re.findall(rf"^mirage ({commands})(.*?)(?:\s+#.*)?$", text, flags=re.M)
    assert len(examples) >= 14 and {"search", "export", "bench"} <= {cmd for cmd, _ in examples}
    for cmd, rest in examples:
        parser.parse_args([cmd, *rest.split()])  # exits with status 2 on an unknown flag or value
