#!/usr/bin/env python3
"""Fails when a header of hqml includes one from a layer above its own (README, "Architecture").

Layers, bottom up; each may include its own and those below:
  core      include/hqml/{config,error,rng,gate,fusion_costs}.hpp, include/hqml/detail/state_ops.hpp
  kernels   kernels/hqml/kernels/   host/device maths: gate functors, reductions, the annealing step
  backends  backends/hqml/backends/ cpu, cuda: memory and the drivers that run kernels; one backend never
            includes another's files (cpu.hpp, cpu/... vs cuda.hpp, cuda/...), only the shared traits.hpp
  api       include/hqml/           the toolkit (hqml::hqml)
  app       include/hqml/app/, include/hqml/app.hpp, include/hqml/serve/, adapters/hqml/   the main job's
            files (hqml::app) and the serving parts
Usage: check_layers.py [ROOT]. Prints every wrong-way include as FILE:LINE: message.
       check_layers.py --self-test: the check itself finds each kind of wrong-way include in a scratch tree.
"""
import pathlib
import re
import sys

ROOTS = ("include", "kernels", "backends", "adapters")
CORE = {"hqml/config.hpp", "hqml/error.hpp", "hqml/rng.hpp", "hqml/gate.hpp", "hqml/fusion_costs.hpp",
        "hqml/detail/state_ops.hpp"}
RANK = {"core": 0, "kernels": 1, "backends": 2, "api": 3, "app": 4}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"](hqml/[^>"]+)[>"]')


def layer(root: str, name: str) -> str:
    """The layer of header `name` (as included, hqml/...) found under top-level folder `root`."""
    if root == "kernels":
        return "kernels"
    if root == "backends":
        return "backends"
    if root == "adapters":
        return "app"
    if name in CORE:
        return "core"
    if name == "hqml/app.hpp" or name.startswith("hqml/app/") or name.startswith("hqml/serve/"):
        return "app"
    return "api"


def self_test() -> int:
    import tempfile
    cases = {  # (file, line it holds, is it wrong-way)
        "kernels/hqml/kernels/a.hpp": ("#include <hqml/circuit.hpp>", True),
        "kernels/hqml/kernels/b.hpp": ("#include <hqml/config.hpp>", False),
        "backends/hqml/backends/c.hpp": ("#include <hqml/fusion.hpp>", True),
        "backends/hqml/backends/d.hpp": ("#  include \"hqml/kernels/b.hpp\"", False),
        "backends/hqml/backends/cuda/e.cuh": ("#include <hqml/backends/cpu_simd.hpp>", True),
        "backends/hqml/backends/cpu_simd.hpp": ("#include <hqml/backends/traits.hpp>", False),
        "backends/hqml/backends/traits.hpp": ("", False),
        "include/hqml/config.hpp": ("#include <hqml/kernels/b.hpp>", True),
        "include/hqml/circuit.hpp": ("#include <hqml/app/x.hpp>", True),
        "include/hqml/fusion.hpp": ("#include <hqml/backends/d.hpp>", False),
        "include/hqml/app/x.hpp": ("#include <hqml/circuit.hpp>", False),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for rel, (text, _) in cases.items():
            p = pathlib.Path(tmp, rel)
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text + "\n", encoding="utf-8")
        found = {e.split(":")[0] for e in check(pathlib.Path(tmp))[0]}
    expected = {rel for rel, (_, bad) in cases.items() if bad}
    if found != expected:
        print(f"layers self-test FAILED: flagged {sorted(found)}, expected {sorted(expected)}")
        return 1
    print(f"layers self-test: all {len(expected)} wrong-way includes found, no false alarm")
    return 0


def backend_of(name: str):
    """Which backend a backends/ header belongs to (None: shared by all, such as traits.hpp)."""
    m = re.match(r"hqml/backends/([a-z0-9]+?)(?:_[a-z0-9_]+)?(?:\.hpp|\.cuh|/)", name)
    return m.group(1) if m and m.group(1) != "traits" else None


def main() -> int:
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    top = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2])
    errors, count = check(top)
    for e in errors:
        print(e)
    print(f"layers: {count} headers checked, {len(errors)} wrong-way include(s)")
    return 1 if errors else 0


def check(top: pathlib.Path):
    where = {}  # included name -> top-level folder that holds it
    headers = []
    for root in ROOTS:
        base = top / root
        if not base.is_dir():
            continue
        for p in sorted(base.rglob("*")):
            if p.suffix in (".hpp", ".cuh", ".h") and p.is_file():
                name = p.relative_to(base).as_posix()
                where[name] = root
                headers.append((root, name, p))
    errors = []
    for root, name, path in headers:
        mine = layer(root, name)
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = m.group(1)
            if target not in where:
                errors.append(f"{path.relative_to(top)}:{lineno}: includes <{target}>, which no layer holds")
                continue
            theirs = layer(where[target], target)
            if mine == theirs == "backends" and None not in (backend_of(name), backend_of(target)) \
                    and backend_of(name) != backend_of(target):
                errors.append(f"{path.relative_to(top)}:{lineno}: the {backend_of(name)} backend includes "
                              f"<{target}> of the {backend_of(target)} backend")
            if RANK[theirs] > RANK[mine]:
                errors.append(f"{path.relative_to(top)}:{lineno}: {mine} header includes <{target}> "
                              f"from the {theirs} layer above it")
    return errors, len(headers)


if __name__ == "__main__":
    sys.exit(main())
