"""Every shell example of README.md and docs/*.md, run as written against real `cascade` processes.

A fenced bash (sh, shell, console) block is an example; the HTML comment on the line before it says how it runs
(docs/quality.md, "The documentation examples"):

    <!-- walkthrough:start -->                 the walkthrough (tests/e2e/test_walkthrough.py); here it runs first
    <!-- example: sandbox; server CASCADE_X=1; given HOOK_PORT -->   on `cascade dev --sandbox`, after it
    <!-- example: not run: why -->             left out, saying why

A block with no such comment fails `test_every_example_is_run_or_says_why_not`. The sandbox examples run in
document order, each in its own `bash -euo pipefail`, in the checkout, with the shell state the walkthrough
left (its variables and functions) and, in the environment, `$API` and the variables named after `given`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shlex
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from entrypoints.cli.processes import free_port
from entrypoints.http.errors import STATUS_BY_CODE
from entrypoints.wiring.settings import PROJECT_ROOT, env_name, flat, load_settings, setting_names
from tests.conftest import create_database
from tests.support.dev_process import Dev

CASCADE = str(PROJECT_ROOT / ".venv" / "bin" / "cascade")
DOCUMENTS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
SHELLS = {"bash", "sh", "shell", "console"}
SETUPS = {"sandbox"}
GIVEN = {"HOOK_PORT", "OLD_KEY", "CASCADE_DATABASE_URL", "BACKUP"}  # what the harness can hand an example
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")
COMMENT = re.compile(r"^\s*<!--\s*(?P<body>.*?)\s*-->\s*$")
EXAMPLE_TIMEOUT = 180


@dataclass(frozen=True)
class Block:
    document: str  # relative to the checkout
    line: int  # of the opening fence, from 1
    language: str
    code: str
    comment: str | None  # the HTML comment on the line before the fence, if any

    @property
    def where(self) -> str:
        return f"{self.document}:{self.line}"


@dataclass(frozen=True)
class Directive:
    setup: str  # "sandbox", "walkthrough" or "not run"
    reason: str = ""
    server: dict[str, str] = field(default_factory=dict)
    given: tuple[str, ...] = ()


def code_blocks(path: Path) -> list[Block]:
    return code_blocks_in(path.read_text(), str(path.relative_to(PROJECT_ROOT)))


def code_blocks_in(text: str, document: str) -> list[Block]:
    lines = text.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        end = index + 1
        while end < len(lines) and not re.match(rf"^ *{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[end]):
            end += 1
        before = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        comment = COMMENT.match(before)
        blocks.append(
            Block(
                document=document,
                line=index + 1,
                language=opening["info"].lower(),
                code="\n".join(line[indent:] for line in lines[index + 1 : end]) + "\n",
                comment=comment["body"] if comment else None,
            )
        )
        index = end + 1
    return blocks


def directive(block: Block) -> Directive:
    """What the block's comment asks for; AssertionError saying what is wrong with it."""
    assert block.comment is not None, "no <!-- example: ... --> comment on the line before it"
    if block.comment == "walkthrough:start":
        return Directive(setup="walkthrough")
    assert block.comment.startswith("example:"), f"the comment before it is not an example's: {block.comment!r}"
    body = block.comment.removeprefix("example:").strip()
    if body.startswith("not run:"):
        reason = body.removeprefix("not run:").strip()
        assert reason, "`not run:` takes a reason"
        return Directive(setup="not run", reason=reason)
    setup, *options = (part.strip() for part in body.split(";"))
    assert setup in SETUPS, f"unknown setup {setup!r}; known: {sorted(SETUPS)}"
    server: dict[str, str] = {}
    given: list[str] = []
    for option in options:
        word, _, rest = option.partition(" ")
        if word == "server":
            for assignment in rest.split():
                name, _, value = assignment.partition("=")
                assert name.startswith("CASCADE_"), f"`server` sets CASCADE_* settings, not {assignment!r}"
                assert value, f"`server` takes CASCADE_NAME=value, not {assignment!r}"
                server[name] = value
        elif word == "given":
            unknown = set(rest.split()) - GIVEN
            assert not unknown, f"the harness cannot give {sorted(unknown)}; it gives {sorted(GIVEN)}"
            given += rest.split()
        else:
            raise AssertionError(f"unknown option {option!r}: `server VAR=value ...` or `given VAR ...`")
    return Directive(setup=setup, server=server, given=tuple(given))


def examples() -> list[Block]:
    return [block for path in DOCUMENTS for block in code_blocks(path) if block.language in SHELLS]


def runnable(setup: str) -> list[tuple[Block, Directive]]:
    found = []
    for block in examples():
        with suppress(AssertionError):  # reported by test_every_example_is_run_or_says_why_not
            if (wanted := directive(block)).setup == setup:
                found.append((block, wanted))
    return found


SANDBOX_EXAMPLES = runnable("sandbox")


# --- the marks ----------------------------------------------------------------------------------------------------


def test_every_example_is_run_or_says_why_not() -> None:
    problems = []
    for block in examples():
        try:
            directive(block)
        except AssertionError as exc:
            problems.append(f"{block.where} (```{block.language}): {str(exc).splitlines()[0]}")
    assert not problems, "examples that are neither run nor say why not:\n" + "\n".join(problems)


def test_the_parser_sees_every_fence_and_every_mark() -> None:
    """The harness itself: fences with or without a language, and the comment found across a blank line."""
    text = "\n".join(
        [
            "<!-- example: not run: a reason -->",
            "",
            "```bash",
            "echo one",
            "```",
            "```",
            "plain text",
            "```",
            "text",
            "~~~sh",
            "echo two",
            "~~~",
        ]
    )
    blocks = code_blocks_in(text, "sample.md")
    assert [(b.language, b.comment, b.code) for b in blocks] == [
        ("bash", "example: not run: a reason", "echo one\n"),
        ("", None, "plain text\n"),
        ("sh", None, "echo two\n"),
    ]
    assert directive(blocks[0]) == Directive(setup="not run", reason="a reason")
    with pytest.raises(AssertionError, match="no <!-- example"):
        directive(blocks[2])
    marked = Block(document="x", line=1, language="bash", code="", comment="example: sandbox; given NOPE")
    with pytest.raises(AssertionError, match="cannot give"):
        directive(marked)


def test_every_link_between_the_documents_resolves() -> None:
    broken = []
    for document in DOCUMENTS:
        for target, anchor in re.findall(r"\]\((?!https?:|mailto:)([^)#\s]*)(?:#([^)\s]*))?\)", document.read_text()):
            linked = (document.parent / target).resolve() if target else document
            if not linked.exists():
                broken.append(f"{document.name}: {target} does not exist")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{document.name}: {target}#{anchor} names no heading")
    assert not broken, "\n".join(broken)


def _anchors(document: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped but `-` and `_`, spaces as `-`."""
    prose = re.sub(r"^(`{3,}|~{3,}).*?^\1", "", document.read_text(), flags=re.M | re.S)  # not code's comments
    headings = re.findall(r"^#{1,6} (.+)$", prose, re.M)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def test_every_setting_has_its_row_in_the_configuration_reference() -> None:
    reference = (PROJECT_ROOT / "docs" / "configuration.md").read_text()
    rows = set(re.findall(r"^\| `(CASCADE_[A-Z0-9_]+)` \|", reference, re.M))
    settings = {env_name(name) for name in setting_names()}
    assert not settings - rows, f"settings without a row in docs/configuration.md: {sorted(settings - rows)}"
    assert not rows - settings, f"rows of docs/configuration.md that are no setting: {sorted(rows - settings)}"


def test_the_readme_lists_every_error_code_with_its_status() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    listed = {code: int(status) for code, status in re.findall(r"^\| `([A-Z_]+)` \| (\d{3})", readme, re.M)}
    unanswered = {"PROVIDER_UNAVAILABLE"}  # in the table, raised by nothing yet; the README says so
    assert listed == {code: s for code, s in STATUS_BY_CODE.items() if code not in unanswered}
    for code in unanswered:
        assert not any(code in source.read_text() for source in _sources_raising()), f"{code} is answered now"
        assert f"`{code}`, {STATUS_BY_CODE[code]}, is in the table" in readme


def _sources_raising() -> list[Path]:
    """The code that could raise a domain error: everything but the table that maps them, and their definitions."""
    skip = {PROJECT_ROOT / "entrypoints" / "http" / "errors.py", PROJECT_ROOT / "domain" / "kernel" / "errors.py"}
    roots = ("domain", "application", "adapters", "entrypoints")
    return [p for root in roots for p in (PROJECT_ROOT / root).rglob("*.py") if p not in skip]


def test_every_documented_default_is_the_code_s() -> None:
    reference = (PROJECT_ROOT / "docs" / "configuration.md").read_text()
    defaults = flat(load_settings({}))
    wrong = []
    for name, default in re.findall(r"^\| `(CASCADE_[A-Z0-9_]+)` \| `([^`]*)`", reference, re.M):
        value = defaults[name.removeprefix("CASCADE_").lower()]
        if str(value).lower() != default.lower() and not _same_number(value, default):
            wrong.append(f"{name}: documented {default!r}, the code says {value!r}")
    assert not wrong, "\n".join(wrong)


def _same_number(value: Any, text: str) -> bool:
    try:
        return isinstance(value, int | float) and float(text) == float(value)
    except ValueError:
        return False


# --- the sandbox --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sandbox:
    api: str
    database_url: str
    old_key: str
    state: Path  # the walkthrough's shell state, for `source`
    scratch: Path


@pytest.fixture(scope="module")
def sandbox(postgres_url: str, temporal_address: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """`cascade dev --sandbox` on the test PostgreSQL and Temporal, with what the examples ask of its settings,
    and the walkthrough run on it once."""
    scratch = tmp_path_factory.mktemp("doc-examples")
    server: dict[str, str] = {}
    for block, wanted in SANDBOX_EXAMPLES:
        for name, value in wanted.server.items():
            assert server.setdefault(name, value) == value, f"{block.where} wants another {name}"
    database_url = asyncio.run(create_database(postgres_url, "cascade_doc_examples"))
    old_key = base64.b64encode(os.urandom(32)).decode()
    port = free_port()
    env = (
        {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")}
        | {
            "CASCADE_PASSWORD_HASH_MEMORY_KIB": "1024",  # argon2 at its cheapest: the examples are not about its cost
            "CASCADE_LOG_LEVEL": "WARNING",
            "CASCADE_DATA_DIR": str(scratch / "data"),
            "CASCADE_PORT": str(port),
            "CASCADE_DATABASE_URL": database_url,
            "CASCADE_TEMPORAL_ADDRESS": temporal_address,
            "CASCADE_TEMPORAL_TASK_QUEUE": f"doc-examples-{uuid.uuid4().hex[:8]}",  # its worker takes only its own work
            "CASCADE_WORKER_METRICS_PORT": "0",
            "CASCADE_ENCRYPTION_KEYS": f"v1:{old_key}",
        }
        | server
    )
    dev = Dev(env, "--sandbox")
    api = dev.api
    try:
        dev.wait_ready()  # its banner: the API, the worker and the fakes all answer
        state = scratch / "walkthrough.state"
        script = walkthrough()
        ran = run_bash(script + _dump_state(script, state), {"API": api})
        assert ran.returncode == 0, f"the walkthrough failed on the sandbox:\n{ran.stdout}\n{ran.stderr}"
        yield Sandbox(api=api, database_url=database_url, old_key=old_key, state=state, scratch=scratch)
    finally:
        dev.close()  # Ctrl-C: `cascade dev` stops its worker and fakes


def walkthrough() -> str:
    readme = code_blocks(PROJECT_ROOT / "README.md")
    found = [block.code for block in readme if block.comment == "walkthrough:start"]
    assert len(found) == 1, "README.md has one walkthrough"
    return found[0]


def _dump_state(script: str, into: Path) -> str:
    """Bash that writes the variables and functions `script` defined, for the examples to `source`."""
    names = sorted(set(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*)=", script, re.M)))
    functions = sorted(set(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\(\)\s*\{", script, re.M)))
    return f"\n{{ declare -p {' '.join(names)}; declare -f {' '.join(functions)}; }} > {shlex.quote(str(into))}\n"


def run_bash(script: str, variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`bash -euo pipefail` in the checkout, in a process group of its own: whatever it leaves running is stopped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASCADE_")} | variables
    process = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=EXAMPLE_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(f"still running after {EXAMPLE_TIMEOUT} s:\n{stdout}\n{stderr}") from None
    finally:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def given_values(names: tuple[str, ...], sandbox: Sandbox, block: Block) -> dict[str, str]:
    values = {
        "HOOK_PORT": lambda: str(free_port()),
        "OLD_KEY": lambda: sandbox.old_key,
        "CASCADE_DATABASE_URL": lambda: sandbox.database_url,
        "BACKUP": lambda: str(sandbox.scratch / f"backup-{block.line}.dump"),
    }
    return {name: values[name]() for name in names}


@pytest.mark.parametrize(("block", "wanted"), SANDBOX_EXAMPLES, ids=[block.where for block, _ in SANDBOX_EXAMPLES])
def test_the_example_runs_as_written_on_the_sandbox(block: Block, wanted: Directive, sandbox: Sandbox) -> None:
    variables = {"API": sandbox.api} | given_values(wanted.given, sandbox, block)
    result = run_bash(f"source {shlex.quote(str(sandbox.state))}\n{block.code}", variables)
    assert result.returncode == 0, f"{block.where} failed:\n{result.stdout}\n{result.stderr}"
    for marker, check in CHECKS.items():
        if marker in block.code:
            check(result.stdout, variables, sandbox)


# --- what some examples must show, beyond succeeding --------------------------------------------------------------


def the_job_ran_to_its_end(stdout: str, variables: dict[str, str], sandbox: Sandbox) -> None:
    assert "event: end" in stdout, stdout
    end = json.loads(stdout.split("event: end\ndata: ", 1)[1].splitlines()[0])
    assert end["status"] == "completed", end
    assert end["progress"]["enriched"] == 2, end


def the_big_job_ran_and_released_the_rest(stdout: str, variables: dict[str, str], sandbox: Sandbox) -> None:
    end = json.loads(stdout.split("event: end\ndata: ", 1)[1].splitlines()[0])
    assert (end["status"], end["progress"]["enriched"]) == ("completed", 2000), end
    assert (end["creditsReserved"], end["creditsSpent"]) == (8000, 2000), end
    balance = json.loads(stdout.strip().splitlines()[-1])["data"]
    assert balance["reserved"] == 0, balance


def the_search_found_as_typed(stdout: str, variables: dict[str, str], sandbox: Sandbox) -> None:
    prefix, typo = (json.loads(line)["data"] for line in stdout.strip().splitlines())
    assert prefix["hits"], prefix
    assert {(hit["email"], hit["match"]) for hit in prefix["hits"]} == {("maya.chen@northwind.io", "exact")}, prefix
    assert typo["hits"], typo
    assert {(hit["domain"], hit["match"]) for hit in typo["hits"]} == {("initech.dev", "typo")}, typo
    assert [f["value"] for f in typo["facets"]["kind"]] == ["company"], typo


def the_ping_and_its_replay_arrived_signed(stdout: str, variables: dict[str, str], sandbox: Sandbox) -> None:
    secret = next(line for line in stdout.splitlines() if line.startswith("whsec_"))
    received = [
        _received(line.removeprefix("received ")) for line in stdout.splitlines() if line.startswith("received ")
    ]
    assert len(received) == 2, f"the ping and its replay, nothing else:\n{stdout}"
    verify = readme_verifier()
    for headers, body in received:
        assert headers["X-Cascade-Event"] == "ping", headers
        assert verify(headers["X-Cascade-Signature"], body.encode(), secret), "signed with the secret shown"
    assert received[0][0]["X-Cascade-Delivery"] == received[1][0]["X-Cascade-Delivery"], "a replay keeps its id"
    assert received[0][1] == received[1][1], "a replay sends the same body"


def _received(printed: str) -> tuple[dict[str, str], str]:
    """What the README's receiver prints for a delivery: its headers as JSON, a space, the raw body."""
    headers, end = json.JSONDecoder().raw_decode(printed)
    return headers, printed[end + 1 :]


def the_key_was_refused_and_audited(stdout: str, variables: dict[str, str], sandbox: Sandbox) -> None:
    answers = [json.loads(line)["data"] for line in stdout.strip().splitlines()]
    assert answers[0]["maskedSecret"].endswith("1234"), answers[0]
    assert answers[1]["valid"] is False, answers[1]
    assert [entry["action"] for entry in answers[2]] == ["credential.tested", "credential.created"], answers[2]


def every_secret_moved_to_the_new_key(stdout: str, variables: dict[str, str], sandbox: Sandbox) -> None:
    assert re.search(r"re-encrypted \d+ credential\(s\) to key v2", stdout), stdout
    assert re.search(r"re-encrypted the secrets of \d+ webhook\(s\) to key v2", stdout), stdout
    with psycopg.connect(sandbox.database_url) as conn:
        credentials = conn.execute("SELECT key_version FROM credentials").fetchall()
        webhooks = conn.execute("SELECT secret_key_version FROM webhook_subscriptions").fetchall()
    assert credentials, "the credentials example (docs/modules.md) stores one before the rotation"
    assert webhooks, "the README's webhook example stores one before the rotation"
    assert {row[0] for row in credentials + webhooks} == {"v2"}


def the_dump_holds_the_tables(stdout: str, variables: dict[str, str], sandbox: Sandbox) -> None:
    assert Path(variables["BACKUP"]).stat().st_size > 0
    assert int(stdout.strip().splitlines()[-1]) >= 10, stdout


# A check applies to the example whose code holds its marker; each marker must be in exactly one example.
CHECKS: dict[str, Callable[[str, dict[str, str], Sandbox], None]] = {
    "Idempotency-Key: nightly-": the_job_ran_to_its_end,
    "@crowd.example": the_big_job_ran_and_released_the_rest,
    "search?q=maya": the_search_found_as_typed,
    "deliveries/$DELIVERY/replay": the_ping_and_its_replay_arrived_signed,
    "credentials/$CRED/test": the_key_was_refused_and_audited,
    "cascade keys rotate": every_secret_moved_to_the_new_key,
    "pg_dump": the_dump_holds_the_tables,
}


def test_every_check_has_its_example() -> None:
    for marker in CHECKS:
        holders = [block.where for block, _ in SANDBOX_EXAMPLES if marker in block.code]
        assert len(holders) == 1, f"{marker!r} is checked, and found in {holders or 'no example'}"


def readme_verifier() -> Callable[[str, bytes, str], bool]:
    """The README's `verify_cascade_signature`, exactly as users copy it."""
    code = next(b.code for b in code_blocks(PROJECT_ROOT / "README.md") if "def verify_cascade_signature" in b.code)
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    verify: Callable[[str, bytes, str], bool] = namespace["verify_cascade_signature"]
    return verify
