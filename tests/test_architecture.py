"""The house's rules, checked: shared code asks models only what the Family base declares, and
a metric, a claim, a dataset recipe and a family are each one file that the registries find.
"""

from __future__ import annotations

import ast
import inspect
import json
import shutil
import textwrap
from pathlib import Path

import yaml
from conftest import run_stage

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "ganlab"


def _code_strings(tree: ast.AST) -> list[tuple[int, str]]:
    """String constants that are not docstrings, with their line numbers."""
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docs.add(id(first.value))
    return [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    ]


def test_no_family_names_or_attribute_probing_outside_families():
    """Evaluation, studies, the CLI, the loop and the report branch on declared capabilities,
    never on a family's name or on hasattr. Claims are exempt from the name rule only: a
    lecture statement is about a named family (they find its runs by name, as data)."""
    from ganlab.data import list_recipes
    from ganlab.families import list_families

    names = set(list_families()) - set(list_recipes())  # "toy1d" is also a dataset recipe
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("families/"):
            continue
        text = path.read_text()
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "hasattr":
                problems.append(f"{rel}:{node.lineno}: hasattr")
        if rel.startswith("report/claims/"):
            continue
        problems += [f"{rel}:{line}: family name {s!r}" for line, s in _code_strings(tree) if s in names]
    assert not problems, "\n".join(problems)


def test_every_family_keeps_the_contract():
    """One signature per contract method: every registered family's train_step, d_display and
    check_dataset take what Family's do; optimisers come from make_optimizers, and only the base
    builds and steps them (optimizers, update)."""
    import inspect

    from ganlab.families import get_family, list_families
    from ganlab.families.base import Family

    def sig(f):
        return list(inspect.signature(f).parameters)

    for name in list_families():
        fam = get_family(name)
        assert issubclass(fam, Family), name
        for m in ("d_display", "train_step", "check_dataset"):
            assert sig(getattr(fam, m)) == sig(getattr(Family, m)), (name, m)
        for m in ("optimizers", "update"):
            assert getattr(fam, m) is getattr(Family, m), (name, m)
        assert fam.make_optimizers is not Family.make_optimizers, name


def test_every_extension_point_satisfies_its_protocol():
    """Recipe modules (data.RecipeModule), kind modules (evaluation.registry.Kind; prepare returns a
    Prepared), claims (id: the function's name unless given)."""
    import importlib

    from ganlab import data
    from ganlab.evaluation import registry
    from ganlab.report.claims import CLAIMS

    for module in sorted(set(data._index().values())):
        assert isinstance(importlib.import_module(f"ganlab.data.{module}"), data.RecipeModule), module
    for kind in registry.kind_modules():
        mod = registry.kind(kind)
        assert isinstance(mod, registry.Kind), kind
        assert inspect.signature(mod.prepare).return_annotation in ("Prepared", registry.Prepared), kind
    named = [c for c in CLAIMS if c.check.__name__ != "<lambda>"]
    assert named and all(c.id == c.check.__name__ for c in named), [c.id for c in named if c.id != c.check.__name__]


def test_no_test_probes_with_hasattr():
    """Tests use the contracts (every Family has idle_parameters, ...), never probe for an attribute."""
    here = Path(__file__).resolve()
    problems = [
        f"{path.name}:{node.lineno}"
        for path in sorted(here.parent.glob("test_*.py"))
        if path != here
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "hasattr"
    ]
    assert not problems, "hasattr in tests: " + ", ".join(problems)


def test_every_config_error_names_its_key_path_apart():
    """Validation answers are structured: each ConfigError of src/ and stages/ is raised as (key path,
    message), never one joined string that a caller would have to split back (a one-string call would
    only fail, with a TypeError, when that very problem occurs)."""
    calls, problems = 0, []
    for path in sorted([*SRC.rglob("*.py"), *(ROOT / "stages").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            name = getattr(node, "func", None)
            name = getattr(name, "id", None) or getattr(name, "attr", None)
            if isinstance(node, ast.Call) and name == "ConfigError":
                calls += 1
                if len(node.args) != 2 or node.keywords:
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert calls >= 50, calls  # the walk sees them (54 when written)
    assert not problems, "ConfigError not given (key, message): " + ", ".join(problems)


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return out


def test_package_dependency_rules():
    """What may depend on what (ganlab/__init__.py): families never import evaluation, studies
    or report; report reads files and imports no model code; metrics is torch-free."""
    rules = {
        "families/": ("ganlab.evaluation", "ganlab.studies", "ganlab.report", "ganlab.training"),
        "report/": (
            "torch",
            "ganlab.families",
            "ganlab.evaluation",
            "ganlab.studies",
            "ganlab.training",
            "ganlab.nn",
            "ganlab.classifier",
        ),
        "metrics/": ("torch", "ganlab.families", "ganlab.evaluation", "ganlab.report"),
        "nn/": ("ganlab.families", "ganlab.evaluation", "ganlab.report", "ganlab.training"),
    }
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        for prefix, banned in rules.items():
            if rel.startswith(prefix):
                problems += [
                    f"{rel} imports {m}"
                    for m in sorted(_imports(path))
                    if any(m == b or m.startswith(b + ".") for b in banned)
                ]
    assert not problems, "\n".join(problems)


def test_the_detector_finds_what_it_forbids():
    """The two rules above on code that breaks them (a rule that cannot fail proves nothing)."""
    tree = ast.parse(
        textwrap.dedent('''
        """Docstrings may name pix2pix."""
        def f(model, cfg):
            if cfg.family == "pix2pix":
                return hasattr(model, "mapping")
    ''')
    )
    assert [s for _, s in _code_strings(tree)] == ["pix2pix", "mapping"]
    assert any(isinstance(n, ast.Call) and getattr(n.func, "id", "") == "hasattr" for n in ast.walk(tree))


def test_family_capabilities_are_declared():
    """Every family answers the capability questions with values of the declared kinds."""
    from ganlab.families import get_family, list_families
    from ganlab.families.base import Family

    for name in list_families():
        fam = get_family(name)
        assert issubclass(fam, Family)
        assert fam.translation in ("", "paired", "unpaired"), name
        assert fam.conditioning in ("", "class", "code"), name
        assert bool(fam.directions) == bool(fam.translation), name
        assert not (fam.translation and fam.latent_spaces), name
        assert not fam.style_mixing or "w" in fam.latent_spaces, name
        assert isinstance(fam.variant(fam.Config(family=name, dataset="d")), str)
    assert get_family("stylegan").latent_spaces == ("z", "w")
    assert get_family("cyclegan").directions == ("a2b", "b2a")
    assert get_family("cgan").conditioning == "class" and get_family("infogan").conditioning == "code"
    pix = get_family("pix2pix")
    assert pix.variant(pix.Config(family="pix2pix", dataset="d", adv_weight=0.0)) == "pix2pix (L1 only)"
    gan = get_family("gan")
    assert gan.variant(gan.Config(family="gan", dataset="d")) == "gan"
    assert gan.variant(gan.Config(family="gan", dataset="d", loss="saturating")) == "gan (loss=saturating)"


def test_evaluation_registry_declares_each_kind():
    from ganlab.evaluation import registry

    kinds = registry.kind_modules()
    assert kinds == {"points": "points", "images": "images", "paired": "translation", "unpaired": "translation"}
    for kind in kinds:
        module = registry.kind(kind)
        assert kind in module.KINDS
        metrics = registry.metrics_of(kind)
        assert metrics, kind
        keys = [k for m in metrics for k in m.units]
        assert len(keys) == len(set(keys)), kind  # a key belongs to one metric
        for m in metrics:
            assert set(m.headline) <= set(m.units)
        for prop in ("prepare", "board", "figures", "HEADLINE_INFO"):
            assert prop in vars(module), (kind, prop)
    assert {"fd", "precision", "recall"} <= set(registry.units("images"))
    assert [m.name for m in registry.metrics_of("points")] == ["coverage", "spread", "distances", "discriminator"]


# --- one file each, found by the registries ------------------------------------------------

TOY_RECIPE = '''
"""A toy recipe added by the test: four Gaussians at the corners of a square."""
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ganlab.config import param


@dataclass
class SquareConfig:
    recipe: Literal["square"] = param("square", "four Gaussians at (+-1, +-1)")
    n_train: int = param(2000, "training points", ge=10)
    n_test: int = param(500, "held-out points", ge=10)
    std: float = param(0.05, "std of each Gaussian", gt=0)
    seed: int = param(0, "seed", ge=0)


CONFIGS = {"square": SquareConfig}


def describe(cfg):
    return {"kind": "points", "dim": 2}


def make(cfg):
    centres = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
    rng = np.random.default_rng(cfg.seed)
    draw = lambda n: (centres[rng.integers(0, 4, n)] + cfg.std * rng.standard_normal((n, 2))).astype(np.float32)
    meta = {"kind": "points", "dim": 2, "centres": centres.tolist(), "std": cfg.std, "weights": [0.25] * 4,
            "range": [[-1.2, -1.2], [1.2, 1.2]]}
    return {"train": draw(cfg.n_train), "test": draw(cfg.n_test)}, meta
'''

TOY_FAMILY = '''
"""A toy family added by the test: the GAN, with one final number of its own."""
from ganlab.families.gan import GAN


class ToyGAN(GAN):
    name = "toygan"
    final_units = {"toy_bias": "a constant the family reports"}

    def final_metrics(self):
        return {"toy_bias": [0.25] * self.n_seeds}


FAMILY = ToyGAN
'''

TOY_METRIC = '''
"""A toy metric added by the test: the distance of the samples' mean from the data's."""
import numpy as np

from ganlab.evaluation.registry import metric


@metric("points", units={"toy_mean_shift": "data units"}, floor=True)
def toy_mean_shift(s, ev):
    return {"toy_mean_shift": float(np.linalg.norm(s.fake.mean(0) - s.real.mean(0)))}
'''

TOY_CLAIM = '''
"""A toy claim added by the test."""
from ganlab.report.claims import Verdict, claim, each, num


@claim("The toy family's samples are centred where the data is.", "the test")
def toy_shift_small(ctx):
    return each(ctx, ctx.find("toygan"), "no toygan run",
                lambda m: (m["toy_mean_shift"] < 10, f"mean shift {num(m['toy_mean_shift'], 3)}"))
'''


def test_a_toy_metric_claim_recipe_and_family_reach_metrics_and_report(tmp_path):
    """One new file each in data/, families/, evaluation/ and report/claims/ of a copy of the
    project: the stages find all four, and the numbers reach metrics.json, summary.json and
    the report."""
    for name in ("src", "stages"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    pkg = tmp_path / "src" / "ganlab"
    (pkg / "data" / "square.py").write_text(TOY_RECIPE)
    (pkg / "families" / "toygan.py").write_text(TOY_FAMILY)
    (pkg / "evaluation" / "toy_metric.py").write_text(TOY_METRIC)
    (pkg / "report" / "claims" / "toy_claim.py").write_text(TOY_CLAIM)
    params = {
        "device": "cpu",
        "evaluation": {"n_samples": 200, "sliced_projections": 16},
        "datasets": {"sq": {"recipe": "square"}},
        "runs": {
            "toy-sq": {
                "family": "toygan",
                "dataset": "sq",
                "seeds": [0, 1],
                "steps": 20,
                "batch_size": 32,
                "g_hidden": [8],
                "d_hidden": [8],
                "log_every": 5,
                "w_every": 10,
            }
        },
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run_stage(tmp_path, "stages/check.py")
    run_stage(tmp_path, "stages/prepare.py", "sq")
    run_stage(tmp_path, "stages/train.py", "toy-sq")
    run_stage(tmp_path, "stages/evaluate.py", "toy-sq")
    run_stage(tmp_path, "stages/report.py")

    m = json.loads((tmp_path / "reports/runs/toy-sq/metrics.json").read_text())
    assert len(m["per_seed"]["toy_mean_shift"]) == 2 and m["toy_mean_shift"] >= 0
    assert m["toy_mean_shift_floor"] >= 0  # floor=True: scored on real vs real
    assert m["units"]["toy_mean_shift"] == "data units" and m["units"]["toy_bias"] == "a constant the family reports"
    assert "toy_mean_shift" in m["headline"] and "toy_bias" in m["headline"] and m["toy_bias"] == 0.25
    assert m["modes_captured"] is not None and m["n_modes"] == 4  # the kind's own metrics still there
    summary = json.loads((tmp_path / "reports/summary.json").read_text())
    assert summary["runs"]["toy-sq"]["toy_mean_shift"] == m["toy_mean_shift"]
    assert summary["claims"]["toy_shift_small"] == 1
    report = (tmp_path / "reports/README.md").read_text()
    assert "The toy family's samples are centred where the data is." in report
    assert f"| toy_mean_shift | {m['toy_mean_shift']:.4f} ± " in report  # the run's table, with its unit
    assert "| data units |" in report and "| toy_bias | 0.2500" in report
    assert "modes captured (of 4)" in report  # the points board, for a recipe it never heard of


def test_compare_metrics_finds_every_changed_number(tmp_path, capsys):
    """scripts/compare_metrics.py: the refactor's witness. Equal trees pass; a changed,
    a lost and a new number are each reported, and the first two fail it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("compare_metrics", ROOT / "scripts" / "compare_metrics.py")
    cmp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cmp)
    m = {"fd": 1.5, "per_seed": {"fd": [1.5, float("nan")]}, "status": "completed", "ok": True}
    for side in ("a", "b"):
        (tmp_path / side / "runs" / "r").mkdir(parents=True)
        (tmp_path / side / "summary.json").write_text(json.dumps({"runs": {"r": {"fd": 1.5}}}))
        (tmp_path / side / "runs" / "r" / "metrics.json").write_text(json.dumps(m))
    assert cmp.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert "2 files, 4 numbers compared: 0 differ, 0 gone, 0 new" in capsys.readouterr().out
    (tmp_path / "b" / "runs" / "r" / "metrics.json").write_text(
        json.dumps({**m, "fd": 1.5000001, "per_seed": {"fd": [1.5]}, "new_key": 2})
    )
    assert cmp.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    out = capsys.readouterr().out
    assert "1 differ, 1 gone, 1 new" in out and "fd: 1.5 -> 1.5000001" in out and "per_seed.fd[1]" in out
