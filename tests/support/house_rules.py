"""Parley's house rules that import-linter cannot see, checked on the syntax tree of desktop_app/
(in the spirit of qutebrowser's scripts/dev/misc_checks.py). Each rule returns `Violation`s that
name file and line; tests/unit/test_house_rules.py runs them over the package.

    python -m tests.support.house_rules        # prints the violations, exit status 1 if any

- `ui-builds-no-controller`: no module in desktop_app/ui/ calls `ChatController(...)`: the
  `ChatWorkspace` in chat/ owns the controllers (widgets may name the class in annotations).
- `kind-literal`: outside desktop_app/core/, no string constant equal to a `ProviderKind` value:
  code names a kind by its member (`ProviderKind.OLLAMA`), so the kinds stay in one place. A
  literal that is something else spelt the same (a preset id) is allowed by `KIND_EXEMPTIONS`,
  by its place in the code and with its reason; an exemption that no longer matches is reported.
- `ui-no-history`: desktop_app/ui/ never imports desktop_app.storage, never names `HistoryStore`
  or `SqliteHistory`, and never calls through an attribute named `history` / `_history`: widgets
  call the workspace, which owns the history store.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from desktop_app.core.provider_kinds import ProviderKind

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "desktop_app"


@dataclass(frozen=True, slots=True)
class Violation:
    path: str  # relative to the repository, "desktop_app/ui/sidebar.py"
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.message}"


@dataclass(frozen=True, slots=True)
class Source:
    path: str  # relative, with "/" separators
    tree: ast.Module

    @property
    def module(self) -> str:
        """Dotted module name: "desktop_app.ui.sidebar" ("desktop_app.ui" for its __init__)."""
        parts = self.path.removesuffix(".py").split("/")
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    def is_in(self, package: str) -> bool:
        return self.module == package or self.module.startswith(package + ".")


@dataclass(frozen=True, slots=True)
class Exemption:
    """A kind-spelt literal that is something else: in `path`, in the place `role` describes."""

    path: str
    role: str  # as `_role()` describes a constant's place: "Preset() argument 0", "NAME ="
    reason: str


KIND_EXEMPTIONS: tuple[Exemption, ...] = (
    Exemption(
        "desktop_app/providers/registry.py",
        "Preset() argument 0",
        "preset ids: the Yqcloud, OpenAI and Ollama presets' ids are spelt like their kinds, and "
        "settings files hold them as profile ids",
    ),
    Exemption(
        "desktop_app/providers/discovery.py",
        "_Candidate() argument 0",
        "local servers are named by their preset ids (also the names in PARLEY_DISCOVERY_PORTS)",
    ),
    Exemption("desktop_app/compose.py", "DEFAULT_PROVIDER =", "the default provider is a preset id"),
)


def read_sources(root: Path = REPO_ROOT) -> list[Source]:
    """Every module of the package under `root`, parsed."""
    sources = []
    for file in sorted((root / PACKAGE).rglob("*.py")):
        relative = file.relative_to(root).as_posix()
        sources.append(Source(relative, ast.parse(file.read_text(encoding="utf-8"), filename=relative)))
    return sources


def check_all(
    sources: Sequence[Source], exemptions: Sequence[Exemption] = KIND_EXEMPTIONS
) -> list[Violation]:
    found = [
        *ui_builds_no_controller(sources),
        *no_kind_literals(sources, exemptions),
        *ui_no_history(sources),
    ]
    return sorted(found, key=lambda v: (v.path, v.line, v.rule))


# ui-builds-no-controller ---------------------------------------------------------------------

CONTROLLER = "ChatController"


def ui_builds_no_controller(sources: Iterable[Source]) -> Iterator[Violation]:
    for source in sources:
        if not source.is_in(f"{PACKAGE}.ui"):
            continue
        names = {CONTROLLER} | _aliases_of(source.tree, CONTROLLER)
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Call) and _callee(node) in names:
                yield Violation(
                    source.path,
                    node.lineno,
                    "ui-builds-no-controller",
                    f"{_callee(node)}(...) in ui/: ask the ChatWorkspace (chat/workspace.py) for the "
                    "conversation's controller instead",
                )


def _aliases_of(tree: ast.Module, name: str) -> set[str]:
    """Local names bound to `name` by `from ... import name as alias`."""
    return {
        alias.asname
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name == name and alias.asname
    }


def _callee(call: ast.Call) -> str:
    """`f` for `f(...)` and `a.b.f(...)`; "" for anything else (a call of a call's result)."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


# kind-literal --------------------------------------------------------------------------------

KIND_VALUES = frozenset(kind.value for kind in ProviderKind)


def no_kind_literals(
    sources: Iterable[Source], exemptions: Sequence[Exemption] = KIND_EXEMPTIONS
) -> Iterator[Violation]:
    """String constants spelt like a kind outside core; then exemptions that matched nothing, for
    files that were checked."""
    used: set[Exemption] = set()
    checked: set[str] = set()
    for source in sources:
        if source.is_in(f"{PACKAGE}.core"):
            continue
        checked.add(source.path)
        parents = _parents(source.tree)
        for node in ast.walk(source.tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if node.value not in KIND_VALUES or isinstance(parents.get(node), ast.Expr):  # docstring
                continue
            role = _role(node, parents)
            exemption = next((e for e in exemptions if (e.path, e.role) == (source.path, role)), None)
            if exemption is not None:
                used.add(exemption)
                continue
            member = ProviderKind(node.value).name
            yield Violation(
                source.path,
                node.lineno,
                "kind-literal",
                f"{node.value!r} (in {role or 'an expression'}) spells a provider kind: use "
                f"ProviderKind.{member} and its facts (core/provider_kinds.py), or, if it is "
                "something else spelt the same, add an Exemption with the reason",
            )
    for exemption in exemptions:
        if exemption.path in checked and exemption not in used:
            yield Violation(
                exemption.path, 1, "kind-literal", f"exemption for {exemption.role!r} matches nothing now"
            )


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _role(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str:
    """Where a constant stands: "Preset() argument 0", "Preset(id=)", "NAME =", or ""."""
    parent = parents.get(node)
    if isinstance(parent, ast.Call) and any(arg is node for arg in parent.args):
        index = next(i for i, arg in enumerate(parent.args) if arg is node)
        return f"{_callee(parent)}() argument {index}"
    if isinstance(parent, ast.keyword) and isinstance(call := parents.get(parent), ast.Call):
        return f"{_callee(call)}({parent.arg}=)"
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        target: ast.AST = parent.targets[0]
    elif isinstance(parent, ast.AnnAssign):
        target = parent.target
    else:
        return ""
    return f"{target.id} =" if isinstance(target, ast.Name) else ""


# ui-no-history -------------------------------------------------------------------------------

STORAGE = f"{PACKAGE}.storage"
HISTORY_NAMES = frozenset({"HistoryStore", "SqliteHistory"})
HISTORY_ATTRIBUTES = frozenset({"history", "_history"})


def ui_no_history(sources: Iterable[Source]) -> Iterator[Violation]:
    for source in sources:
        if not source.is_in(f"{PACKAGE}.ui"):
            continue
        for node in ast.walk(source.tree):
            problem = _history_use(source, node)
            if problem:
                yield Violation(source.path, getattr(node, "lineno", 1), "ui-no-history", problem)


def _history_use(source: Source, node: ast.AST) -> str:
    hint = "widgets call the ChatWorkspace, which owns the history store"
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == STORAGE or alias.name.startswith(STORAGE + "."):
                return f"imports {alias.name}: {hint}"
    elif isinstance(node, ast.ImportFrom):
        module = _absolute(source, node)
        if module == STORAGE or module.startswith(STORAGE + "."):
            return f"imports from {module}: {hint}"
        if module == PACKAGE and any(a.name == "storage" for a in node.names):
            return f"imports {STORAGE}: {hint}"
        named = sorted(a.name for a in node.names if a.name in HISTORY_NAMES)
        if named:
            return f"imports {', '.join(named)}: {hint}"
    elif isinstance(node, ast.Name) and node.id in HISTORY_NAMES:
        return f"names {node.id}: {hint}"
    elif isinstance(node, ast.Attribute) and node.attr in HISTORY_NAMES:
        return f"names {node.attr}: {hint}"
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        receiver = node.func.value
        if isinstance(receiver, ast.Attribute) and receiver.attr in HISTORY_ATTRIBUTES:
            return f"calls .{receiver.attr}.{node.func.attr}(...): {hint}"
        if isinstance(receiver, ast.Name) and receiver.id in HISTORY_ATTRIBUTES:
            return f"calls {receiver.id}.{node.func.attr}(...): {hint}"
    return ""


def _absolute(source: Source, node: ast.ImportFrom) -> str:
    """The module an `from X import ...` reads, relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = source.module.split(".")
    if not source.path.endswith("/__init__.py"):
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def main() -> int:
    violations = check_all(read_sources())
    for violation in violations:
        print(violation)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
