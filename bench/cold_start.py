"""Cold start: import time of functions/main.py against the floor of importing
the Firebase SDK modules it uses (firebase_admin and the firebase_functions
trigger modules main.py names at its top level), each measured in fresh
processes, interleaved in one run so the machine's noise hits both alike. Runs
as Cloud Run starts one callable's service (FUNCTION_TARGET=create_post): the
Firestore trigger's SDK loads only in the trigger's own service.

Prints per-run medians, which heavy SDKs (if any) main.py pulls in at import,
and as its last line `cold_start_ratio <median main / median floor>`.
Goal: at most 1.15. Usage: python bench/cold_start.py [runs]
"""

import ast
import json
import statistics
import subprocess
import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[1] / "functions"
PYTHON = FUNCTIONS / "venv" / "bin" / "python"
HEAVY = ["google.cloud.firestore", "google.cloud.firestore_v1", "google.cloud.storage", "google.cloud.tasks_v2", "stripe", "openai",
         "httpx", "resend", "pydantic", "cryptography.hazmat.primitives.ciphers.aead"]

PROBE = """
import json, sys, time
t = time.perf_counter()
{body}
elapsed = time.perf_counter() - t
print(json.dumps({{"s": elapsed, "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
"""


def sdk_imports() -> str:
    """The SDK import statements of main.py, as they are written there."""
    tree = ast.parse((FUNCTIONS / "main.py").read_text())
    lines = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            if module and module.split(".")[0] in ("firebase_functions", "firebase_admin"):
                lines.append(ast.unparse(node))
    return "\n".join(lines)


def run(body: str) -> dict:
    out = subprocess.run(
        [str(PYTHON), "-c", PROBE.format(body=body, heavy=HEAVY)],
        cwd=FUNCTIONS, capture_output=True, text=True, check=True,
        # As Cloud Run starts a callable's service: FUNCTION_TARGET names the function it runs.
        env={"PATH": "/usr/bin:/bin", "GCLOUD_PROJECT": "demo-postr", "FUNCTION_TARGET": "create_post"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    floor_body = sdk_imports()
    print("floor:", floor_body.replace("\n", "; "))
    floors, mains, heavy, floor_heavy = [], [], set(), set()
    run(floor_body), run("import main")  # warm the OS file cache for both
    for _ in range(runs):
        floor = run(floor_body)
        floors.append(floor["s"])
        floor_heavy.update(floor["heavy"])
        result = run("import main")
        mains.append(result["s"])
        heavy.update(result["heavy"])
    f, m = statistics.median(floors), statistics.median(mains)
    print(f"runs: {runs} fresh processes each")
    print(f"floor median: {f * 1000:.1f} ms   main.py median: {m * 1000:.1f} ms")
    print(f"heavy SDKs the floor itself loads: {', '.join(sorted(floor_heavy)) or 'none'}")
    print(f"heavy SDKs main.py adds at import: {', '.join(sorted(heavy - floor_heavy)) or 'none'}")
    print(f"cold_start_ratio {m / f:.3f}")


if __name__ == "__main__":
    main()
