"""The shape of functions/, held by tests (no stack needed):

- dependencies point one way: kernel <- platforms <- domains (accounts, posts,
  billing, ai, analytics, telemetry, privacy) <- handlers <- main. Every import
  is checked, the ones inside functions too (heavy SDKs load where they are
  used, so many imports are there);
- no module reaches into another package's private names (`_name`): what two
  packages share is public, or moves down;
- main.py holds entry points only: every function it defines hands over to a
  handler in one call;
- a network's refusal becomes a person's error in one table at the edge
  (handlers.edge.NETWORK_ERRORS): no other module catches a platforms.errors
  class and raises a kernel.errors one in its place.
"""

import ast
import pathlib

FUNCTIONS = pathlib.Path(__file__).resolve().parents[1] / "functions"
LAYERS = {"kernel": 0, "platforms": 1, "accounts": 2, "posts": 2, "billing": 2, "ai": 2, "analytics": 2,
          "telemetry": 2, "privacy": 2, "handlers": 3, "main": 4}


def modules() -> dict[str, tuple[pathlib.Path, ast.Module]]:
    found = {}
    for path in sorted(FUNCTIONS.rglob("*.py")):
        if "venv" in path.parts:
            continue
        parts = path.relative_to(FUNCTIONS).with_suffix("").parts
        found[".".join(p for p in parts if p != "__init__")] = (path, ast.parse(path.read_text()))
    return found


def package(dotted: str) -> str:
    return dotted.split(".")[0]


def imports(tree: ast.Module) -> list[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) for every import in the tree."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names], node.lineno))
    return found


def test_every_package_is_placed_in_a_layer():
    assert {package(name) for name in modules()} <= set(LAYERS)


def test_dependencies_point_one_way():
    wrong = []
    for name, (path, tree) in modules().items():
        mine = LAYERS[package(name)]
        for imported, _, line in imports(tree):
            theirs = LAYERS.get(package(imported))
            if theirs is not None and theirs > mine:
                wrong.append(f"{path.relative_to(FUNCTIONS)}:{line} ({package(name)}) imports {imported}")
    assert not wrong, "imports that point up the layers:\n" + "\n".join(wrong)


def test_no_package_reaches_into_anothers_private_names():
    all_modules = modules()
    wrong = []
    for name, (path, tree) in all_modules.items():
        bound: dict[str, str] = {}  # local name -> another package's module
        for imported, names, line in imports(tree):
            if package(imported) not in LAYERS or package(imported) == package(name):
                continue
            for item in names:
                if item.startswith("_"):
                    wrong.append(f"{path.relative_to(FUNCTIONS)}:{line} imports {imported}.{item}")
                if f"{imported}.{item}" in all_modules:
                    bound[item] = f"{imported}.{item}"
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr.startswith("_") \
                    and not node.attr.startswith("__") and node.value.id in bound:
                wrong.append(f"{path.relative_to(FUNCTIONS)}:{node.lineno} uses {bound[node.value.id]}.{node.attr}")
    assert not wrong, "private names used across packages:\n" + "\n".join(wrong)


def test_main_holds_entry_points_that_hand_over_in_one_call():
    tree = ast.parse((FUNCTIONS / "main.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            body = [n for n in node.body if not isinstance(n, ast.Expr | ast.ImportFrom | ast.Import)
                    or isinstance(getattr(n, "value", None), ast.Call)]
            calls = [n for n in body if isinstance(n, ast.Return | ast.Expr)]
            assert len(body) == len(calls) == 1, f"main.{node.name} does more than hand over"


def test_the_plans_offer_exactly_the_models_of_the_ai_catalogue():
    """kernel.plans names AI models by id, not by importing the catalogue (kernel stands below ai)."""
    from ai import models
    from kernel import plans

    assert plans.ALL_AI_MODELS == models.MODEL_IDS
    for plan in plans.PLANS.values():
        assert set(plan.ai_models) <= set(models.MODEL_IDS), plan.name


PLATFORM_ERRORS = {"PlatformError", "AuthExpired", "RateLimited", "Transient", "Permanent", "OutcomeUnknown",
                   "PartlyPublished", "InstanceRefused"}
USER_ERRORS = {"InvalidArgument", "Unauthenticated", "PermissionDenied", "NotFound", "AlreadyExists",
               "FailedPrecondition", "ResourceExhausted", "Aborted", "Unavailable", "Internal"}


def _names(node) -> set[str]:
    return {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(node) if isinstance(n, ast.Name | ast.Attribute)}


def test_network_errors_become_user_errors_only_in_the_edge_table():
    by_hand = []
    for name, (path, tree) in modules().items():
        if name == "handlers.edge":
            continue
        for handler in (n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler)):
            if handler.type is None or not _names(handler.type) & PLATFORM_ERRORS:
                continue
            for raised in (n for n in ast.walk(handler) if isinstance(n, ast.Raise) and n.exc is not None):
                if _names(raised.exc) & USER_ERRORS:
                    by_hand.append(f"{path.relative_to(FUNCTIONS)}:{raised.lineno}")
    assert not by_hand, "network errors mapped to user errors by hand (use handlers.edge.NETWORK_ERRORS):\n" + \
        "\n".join(by_hand)
