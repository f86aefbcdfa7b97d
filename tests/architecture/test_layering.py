"""The layering of `salamin`, enforced (run first by scripts/test.sh; see README "Architecture").

    api  ->  domain packages  ->  {gateways, models, core}

- `core` imports only `core`; `models` only `models` and `core`; `gateways` only those three.
- Domain packages (`marketplace`, `analysis`, and `benchmarks`, `learning` once they exist)
  never import `api`, `firebase_functions` or `firebase_admin`: they get what they touch as
  arguments, so tests call them directly against the emulators.
- Inside the marketplace: `onboarding` and `calendar` import no other marketplace subpackage;
  `booking` and `discovery` may use `calendar`, and not each other.
- Domains do not import each other, except along the trigger chain's direction, which is by
  documents, not imports: `analysis` never imports `benchmarks` or `learning`.

Every import counts, including the lazy ones inside functions and under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "functions" / "salamin"
DOMAINS = ("marketplace", "analysis", "benchmarks", "learning")
FOUNDATION = ("gateways", "models", "core")
MARKETPLACE = ("onboarding", "discovery", "calendar", "booking")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = _module_name(path).split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            yield prefix
            # `from salamin.marketplace import booking` imports the subpackage
            yield from (f"{prefix}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    return {
        _module_name(p): set(_imports(p)) for p in PACKAGE.rglob("*.py") if "venv" not in p.parts
    }


GRAPH = _graph()


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _violations(source: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if _within(module, source)
        for target in targets
        if any(_within(target, f) for f in forbidden)
    )


def _salamin(*names: str) -> tuple[str, ...]:
    return tuple(f"salamin.{n}" for n in names)


def test_the_graph_is_read() -> None:
    """Guards the guard: the checks below see real modules and real imports."""
    assert "salamin.marketplace.booking.payments" in GRAPH
    assert "salamin.marketplace.calendar.occupancy" in GRAPH["salamin.marketplace.booking.payments"]


LAYERS = [
    ("core", _salamin("api", *DOMAINS, "gateways", "models")),
    ("models", _salamin("api", *DOMAINS, "gateways")),
    ("gateways", _salamin("api", *DOMAINS)),
    *((d, ("salamin.api", "firebase_functions", "firebase_admin")) for d in DOMAINS),
]


@pytest.mark.parametrize(("package", "forbidden"), LAYERS, ids=[p for p, _ in LAYERS])
def test_layers_only_import_downwards(package: str, forbidden: tuple[str, ...]) -> None:
    assert _violations(f"salamin.{package}", forbidden) == []


SIBLINGS = [
    ("onboarding", ("discovery", "calendar", "booking", "experts")),
    ("calendar", ("onboarding", "discovery", "booking", "experts")),
    ("discovery", ("onboarding", "booking", "experts")),
    ("booking", ("onboarding", "discovery", "experts")),
    # experts (issue 10) builds on onboarding's projection and calendar's slot rules only
    ("experts", ("discovery", "booking")),
]


@pytest.mark.parametrize(("sub", "forbidden"), SIBLINGS, ids=[s for s, _ in SIBLINGS])
def test_marketplace_subpackages_keep_their_seams(sub: str, forbidden: tuple[str, ...]) -> None:
    others = tuple(f"salamin.marketplace.{f}" for f in forbidden)
    assert _violations(f"salamin.marketplace.{sub}", others) == []


DOMAIN_RULES = [
    ("analysis", _salamin("benchmarks", "learning", "marketplace")),
    ("marketplace", _salamin("analysis", "benchmarks", "learning")),
]


@pytest.mark.parametrize(("domain", "forbidden"), DOMAIN_RULES, ids=[d for d, _ in DOMAIN_RULES])
def test_domains_are_linked_by_documents_not_imports(
    domain: str, forbidden: tuple[str, ...]
) -> None:
    assert _violations(f"salamin.{domain}", forbidden) == []


def test_only_main_and_api_know_firebase_functions() -> None:
    users = sorted(
        m for m, targets in GRAPH.items() if any(_within(t, "firebase_functions") for t in targets)
    )
    assert all(_within(m, "salamin.api") for m in users), users
