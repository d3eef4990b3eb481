"""Which collections hold a person's data is declared once (kernel.collections.
USER_DATA); export and the purge read it. These tests fail when a collection
could be forgotten.

Two ways: on the code, every collection name the code uses must be a constant
in kernel/collections.py, and every constant must be declared either in USER_DATA
or in NOT_USER_DATA (with a reason); on the data, no document of a
NOT_USER_DATA collection carries `uid`, every owned collection's documents
carry it, and every collection that exists in the database (ListCollectionIds
on the official emulator, after the tests that ran before) is declared."""

import ast
import pathlib

from kernel import collections as model

FUNCTIONS = pathlib.Path(__file__).resolve().parents[2] / "functions"


def collection_constants() -> dict[str, str]:
    """NAME = "value" string constants at the top of kernel/collections.py."""
    tree = ast.parse((FUNCTIONS / "kernel" / "collections.py").read_text())
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id.isupper():
                    found[target.id] = node.value.value
    return found


def _sources() -> dict[str, ast.Module]:
    """Every module of functions/ by its dotted name (kernel.collections, handlers.posts...)."""
    found = {}
    for path in sorted(FUNCTIONS.rglob("*.py")):
        if "venv" not in path.parts:
            parts = path.relative_to(FUNCTIONS).with_suffix("").parts
            found[".".join(p for p in parts if p != "__init__")] = ast.parse(path.read_text())
    return found


def _resolver(modules: dict[str, ast.Module]):
    """resolve(module, name) -> the string a constant holds, following the module's own
    assignments and its `from x import NAME` and `from x import module` imports."""
    own: dict[str, dict[str, str]] = {}
    imported: dict[str, dict[str, tuple[str, str]]] = {}
    aliases: dict[str, dict[str, str]] = {}
    for name, tree in modules.items():
        own[name], imported[name], aliases[name] = {}, {}, {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        own[name][target.id] = node.value.value
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    local = alias.asname or alias.name
                    if f"{node.module}.{alias.name}" in modules:
                        aliases[name][local] = f"{node.module}.{alias.name}"
                    else:
                        imported[name][local] = (node.module, alias.name)

    def resolve(module: str, const: str, depth: int = 0) -> str | None:
        if depth > 5 or module not in own:
            return None
        if const in own[module]:
            return own[module][const]
        if const in imported[module]:
            return resolve(*imported[module][const], depth + 1)
        return None

    return resolve, aliases


COLLECTION_CALLS = ("collection", "doc", "collection_group")


def names_used_in_code() -> set[tuple[str, str]]:
    """Every collection name the code passes to client().collection(x), .collection_group(x)
    or db.doc(x, id), wherever it is defined: a literal, or a constant (NAME or module.NAME)
    resolved through the module's own imports. A constant that cannot be resolved is
    reported as "?NAME"."""
    modules = _sources()
    resolve, aliases = _resolver(modules)
    used = set()
    for module, tree in modules.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args or not isinstance(node.func, ast.Attribute) \
                    or node.func.attr not in COLLECTION_CALLS:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                used.add((first.value, module))
            elif isinstance(first, ast.Name) and first.id.isupper():
                used.add((resolve(module, first.id) or f"?{first.id}", module))
            elif isinstance(first, ast.Attribute) and first.attr.isupper() and isinstance(first.value, ast.Name):
                target = aliases[module].get(first.value.id)
                used.add(((resolve(target, first.attr) if target else None) or f"?{first.attr}", module))
    return used


def test_every_collection_constant_is_declared_one_way_or_the_other():
    undeclared = {name: value for name, value in collection_constants().items()
                  if value not in model.USER_DATA and value not in model.NOT_USER_DATA}
    assert not undeclared, (
        f"collections not declared: {undeclared}. Add USER_DATA[...] = UserData(...) in kernel/collections.py "
        "(export and the retention purge read it), or NOT_USER_DATA[...] with why it holds nobody's data.")
    assert not set(model.USER_DATA) & set(model.NOT_USER_DATA)


def test_the_code_names_collections_only_through_declared_constants():
    known = set(collection_constants().values())
    used = names_used_in_code()
    assert {"posts", "users", "purgeLists", "aiUsageMonthly"} <= {name for name, _ in used}  # the scan sees them
    stray = sorted((name, where) for name, where in used if name not in known)
    assert not stray, f"collection names used in code but not in kernel/collections.py: {stray}"


def test_every_collection_the_code_names_is_declared_wherever_its_constant_lives():
    declared = set(model.USER_DATA) | set(model.NOT_USER_DATA)
    undeclared = sorted((name, where) for name, where in names_used_in_code() if name not in declared)
    assert not undeclared, f"collections the code uses but USER_DATA / NOT_USER_DATA do not declare: {undeclared}"


def test_declarations_are_well_formed():
    for name, spec in model.USER_DATA.items():
        assert spec.kind in ("profile", "owned"), name
        assert spec.retention in ("content", "payment", "legal"), name
    assert [n for n, s in model.USER_DATA.items() if s.kind == "profile"] == [model.USERS]


def test_what_the_database_holds_matches_the_declaration(db, stack):
    """Every declared collection as it is in this run's database (the whole suite's data)."""
    for name in model.NOT_USER_DATA:
        carrying = [d.id for d in db.collection(name).limit(500).stream() if "uid" in (d.to_dict() or {})]
        assert not carrying, f"{name} is declared as holding nobody's data, yet {carrying[:3]} carry uid"
    for name, spec in model.USER_DATA.items():
        if spec.kind == "owned":
            missing = [d.id for d in db.collection(name).limit(500).stream() if "uid" not in (d.to_dict() or {})]
            assert not missing, f"{name} documents without uid cannot be exported or purged: {missing[:3]}"


def test_every_collection_in_the_database_is_declared(db):
    declared = set(model.USER_DATA) | set(model.NOT_USER_DATA)
    for collection in db.collections():
        if collection.id in declared:
            continue
        carrying = [d.id for d in collection.limit(50).stream() if "uid" in (d.to_dict() or {})]
        assert not carrying, f"collection {collection.id} carries uid but is not declared in USER_DATA"
