"""Render the report: reports/index.html, reports/README.md and reports/summary.json.

Reads only what the stages wrote under reports/ (reports/runs/<run>/metrics.json and figures, its
study/, and reports/classifiers/), results only, never a *_time.json (host-dependent), for the
runs in params.yaml, so a run removed from params disappears from the report. Templates are
files next to this module (templates/*.j2); the HTML is self-contained (inline CSS, figures as
relative files, no network).

Every string the report did not write itself (run and dataset names, option strings from
params, anything read from metrics.json) is data. The HTML template autoescapes (see
`environment`); no data string is HTML, so nothing is marked safe: a string that ever must be
is wrapped in markupsafe.Markup here, in build_context, and nowhere else. Figure paths go
through jinja's `urlencode` in both templates. The Markdown template is not HTML-escaped:
every data value in it goes through the `md` filter, which keeps a table a table (and opens no
raw HTML) whatever a cell holds.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import jinja2

from ganlab import io
from ganlab.report import claims as claims_mod
from ganlab.report import scorecard as scorecard_mod
from ganlab.report.format import fmt, pm

TEMPLATES = Path(__file__).parent / "templates"

# Published rows, shown beside ours only when a dataset has the papers' exact settings: values
# by the metrics.json key of the column they belong under.
REFERENCES = {  # PacGAN's Table 1: mean ± standard error over 10 runs (fjxmlzn/PacGAN, results/Table1.png)
    "ring": [
        (
            "PacGAN (Lin et al. 2018), Table 1",
            "GAN",
            {"modes_captured": "6.3 ± 0.5", "high_quality_pct": "98.2 ± 0.2", "reverse_kl": "0.45 ± 0.09"},
        ),
        (
            "PacGAN (Lin et al. 2018), Table 1",
            "ALI",
            {"modes_captured": "6.6 ± 0.3", "high_quality_pct": "97.6 ± 0.4", "reverse_kl": "0.36 ± 0.04"},
        ),
        (
            "PacGAN (Lin et al. 2018), Table 1",
            "PacGAN2",
            {"modes_captured": "7.9 ± 0.1", "high_quality_pct": "95.6 ± 2.0", "reverse_kl": "0.07 ± 0.03"},
        ),
        (
            "PacGAN (Lin et al. 2018), Table 1",
            "PacGAN3",
            {"modes_captured": "7.8 ± 0.1", "high_quality_pct": "97.7 ± 0.3", "reverse_kl": "0.10 ± 0.02"},
        ),
        (
            "PacGAN (Lin et al. 2018), Table 1",
            "PacGAN4",
            {"modes_captured": "7.8 ± 0.1", "high_quality_pct": "95.9 ± 1.4", "reverse_kl": "0.07 ± 0.02"},
        ),
        ("VEEGAN (Srivastava et al. 2017), Table 1", "GAN", {"modes_captured": "1"}),
    ],
    "grid": [
        (
            "PacGAN (Lin et al. 2018), Table 1",
            "GAN",
            {"modes_captured": "17.3 ± 0.8", "high_quality_pct": "94.8 ± 0.7", "reverse_kl": "0.70 ± 0.07"},
        ),
        (
            "PacGAN (Lin et al. 2018), Table 1",
            "ALI",
            {"modes_captured": "24.1 ± 0.4", "high_quality_pct": "95.7 ± 0.6", "reverse_kl": "0.14 ± 0.03"},
        ),
        (
            "PacGAN (Lin et al. 2018), Table 1",
            "PacGAN2",
            {"modes_captured": "23.8 ± 0.7", "high_quality_pct": "91.3 ± 0.8", "reverse_kl": "0.13 ± 0.04"},
        ),
        (
            "PacGAN (Lin et al. 2018), Table 1",
            "PacGAN3",
            {"modes_captured": "24.6 ± 0.4", "high_quality_pct": "94.2 ± 0.4", "reverse_kl": "0.06 ± 0.02"},
        ),
        (
            "PacGAN (Lin et al. 2018), Table 1",
            "PacGAN4",
            {"modes_captured": "24.8 ± 0.2", "high_quality_pct": "93.6 ± 0.6", "reverse_kl": "0.04 ± 0.01"},
        ),
        ("VEEGAN (Srivastava et al. 2017), Table 1", "GAN", {"modes_captured": "3.3"}),
    ],
}
# Stacked MNIST (1,000 modes, 26,000 samples scored): modes captured and KL to uniform.
STACKED_REFERENCES = [
    ("VEEGAN (Srivastava et al. 2017), Table 2", "DCGAN", {"stacked_modes": "99", "stacked_kl": "3.4"}),
    ("VEEGAN (Srivastava et al. 2017), Table 2", "Unrolled GAN", {"stacked_modes": "48.7", "stacked_kl": "4.32"}),
    ("VEEGAN (Srivastava et al. 2017), Table 2", "VEEGAN", {"stacked_modes": "150", "stacked_kl": "2.95"}),
    ("PacGAN (Lin et al. 2018), Table 2", "PacDCGAN2", {"stacked_modes": "1000", "stacked_kl": "0.06"}),
    ("R3GAN (Huang et al. 2024), StackedMNIST", "RpGAN + R1 + R2", {"stacked_modes": "1000", "stacked_kl": "0.078"}),
]
PAPER_SETTINGS = {"ring": {"modes": 8, "radius": 1.0, "std": 0.01}, "grid": {"side": 5, "spacing": 2.0, "std": 0.05}}
REFERENCE_NOTE = (
    "Published rows (italic) use the same dataset settings but larger networks and longer training: "
    "context, not a like-for-like comparison."
)
# Published Inception FIDs on CIFAR-10, each measured as the papers' own code does: 50,000 generated
# images against the 50,000 training images, the 2015-12-05 Inception network, TF1-style bilinear
# resize (torch-fidelity's "tf_bilinear" reproduces it). Shown only beside runs measured the same way
# (FID_PROTOCOL); their models are class-conditional and far larger than the profile's.
FID_REFERENCES = {
    "cifar10": [
        ("R3GAN, Huang et al. 2024 (class-conditional)", "R3GAN", {"fid_inception": "1.96"}),
        ("StyleGAN2-ADA, Karras et al. 2020 (class-conditional)", "StyleGAN2-ADA", {"fid_inception": "2.42"}),
    ]
}
FID_PROTOCOL = {"n_generated": 50_000, "reference": "50,000 images of the train split", "resize": "tf_bilinear"}
FID_NOTE = (
    "Published Inception FIDs (italic) are FID-50k against the training set with the TF1-compatible resize, as our "
    "runs here were measured; their models are class-conditional and far larger: context, not a like-for-like "
    "comparison."
)


def measured_like_papers(m: dict) -> bool:
    """A run's Inception protocol (metrics.json "inception") is the published rows' (FID_PROTOCOL)."""
    p = m.get("inception") or {}
    return all(str(p.get(k, "")).startswith(str(v)) for k, v in FID_PROTOCOL.items())


STACKED_NOTE = (
    "Modes are distinct class triples among the scored samples. Published rows (italic) are for Stacked MNIST; "
    "our stacked set is three rendered glyphs, not MNIST digits, and our networks are smaller: context, "
    "not a like-for-like comparison."
)


# Line breaks as str.splitlines sees them (CommonMark's are \r\n, \r and \n): a cell stays one line.
_MD_BREAK = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
# Backslash-escaped: backslashes and pipes (a pipe ends a table cell unless an odd number of
# backslashes precede it), a `<` that could open raw HTML or an autolink, an `&` that would
# read as an entity, and a `]` that would close a link's text. Plain text ("ρ < 0",
# "Blau & Michaeli", "[0, 1]") is left as it is.
_MD_SPECIAL = re.compile(r"[\\|]|<(?=[A-Za-z/!?])|&(?=#?[A-Za-z0-9]+;)|\](?=[(\[])")


def md(value, code: bool = False):
    """The Markdown template's filter for data: one line, its special characters escaped.
    Numbers pass untouched. code=True returns a whole code span (backslashes are literal
    there), fenced by more backticks than the value holds in a row."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    s = _MD_BREAK.sub(" ", str(value))
    if code:
        fence = "`" * (max((len(r) for r in re.findall("`+", s)), default=0) + 1)
        pad = " " if s.startswith("`") or s.endswith("`") else ""
        return f"{fence}{pad}{s}{pad}{fence}"
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), s)


def environment() -> jinja2.Environment:
    """The templates' environment: HTML-escaped everywhere (index.html.j2, and any template
    that is not Markdown), not in README.md.j2, whose data goes through `md`."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "html.j2"),
            disabled_extensions=("md", "md.j2"),
            default_for_string=True,
            default=True,
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(fmt=fmt, md=md)
    env.globals.update(pm=pm)
    return env


def paper_setting(ds_cfg) -> str | None:
    want = PAPER_SETTINGS.get(ds_cfg.recipe)
    if want and all(getattr(ds_cfg, k) == v for k, v in want.items()):
        return ds_cfg.recipe
    return None


def _sorted(rows: list[dict], order: list) -> list[dict]:
    """Rows by the board's sort keys ((key, "asc" | "desc"), ...); a missing value sorts last."""

    def key(m):
        out = []
        for k, how in order:
            v = m.get(k)
            if v is None or (isinstance(v, float) and math.isnan(v)):
                out.append((1, 0))
            else:
                out.append((0, -v if how == "desc" else v))
        return out

    return sorted(rows, key=key)


def _cell(m: dict, c: dict, floors: bool) -> str:
    k, nd, scale = c["key"], c["decimals"], c["scale"]
    v = {**m, k: None if m.get(k) is None else scale * m[k], f"{k}_std": (m.get(f"{k}_std") or 0) * scale}
    floor = m.get(f"{k}_floor")
    return pm(v, k, nd) + (f" ({fmt(scale * floor, nd)})" if floors and floor is not None else "")


def board(ds_name: str, ds_cfg, rows: list[dict]) -> dict:
    """One dataset's leaderboard as header + cell strings, laid out as the runs' evaluation kind
    declares it (metrics.json "board": columns, row order, baseline rows, note): a column shows
    when any run has its metric, its noise floor in parentheses."""
    spec = rows[0]["board"]
    rows = _sorted(rows, spec["sort"])
    cols = [c for c in spec["columns"] if any(r.get(c["key"]) is not None for r in rows)]
    floors = {c["key"] for c in cols if any(r.get(f"{c['key']}_floor") is not None for r in rows)}
    header = ["run", "variant", "seeds", "status"]
    header += [c["header"].format(**rows[0]) + (" (floor)" if c["key"] in floors else "") for c in cols] + ["train s"]
    cells = []
    for m in rows:
        status = m["status"] + (f" at step {m['diverged_at_step']}" if m.get("diverged_at_step") else "")
        cells.append(
            [m["run"], m["variant"], f"{len(m['seeds_evaluated'])}/{len(m['seeds'])}", status]
            + [_cell(m, c, c["key"] in floors) for c in cols]
            + [fmt(m.get("train_seconds"), 1)]
        )
    m = rows[0]
    for b in spec.get("baseline_rows", []):
        src = b["from"]
        if src and not any(m.get(f"{src}_{c['key']}") is not None for c in cols):
            continue  # e.g. no bicubic row where inputs and targets have one size
        line = [b["run"], b["variant"], "", ""]
        for c in cols:
            k = b.get("values", {}).get(c["key"]) or (f"{src}_{c['key']}" if src else None)
            line.append(
                b["fixed"][c["key"]]
                if c["key"] in b["fixed"]
                else fmt(None if k is None or m.get(k) is None else c["scale"] * m[k], c["decimals"])
            )
        cells.append(line + [""])
    refs = []
    if any(c["key"] == "stacked_modes" for c in cols):
        refs = STACKED_REFERENCES
    elif paper_setting(ds_cfg):
        refs = REFERENCES.get(paper_setting(ds_cfg), [])
    fid_refs = FID_REFERENCES.get(ds_cfg.recipe, []) if any(measured_like_papers(r) for r in rows) else []
    refs = [*refs, *fid_refs]
    ref_cells = [
        [name, f"published: {src}", "", ""] + [vals.get(c["key"], "") for c in cols] + [""] for src, name, vals in refs
    ]
    notes = [spec["note"]] if spec.get("note") else []
    if refs and len(refs) > len(fid_refs):
        notes.append(STACKED_NOTE if refs[0] in STACKED_REFERENCES else REFERENCE_NOTE)
    if fid_refs:
        notes.append(FID_NOTE)
    modes = any(c["key"] == "modes_captured" for c in cols)
    return {
        "dataset": ds_name,
        "recipe": ds_cfg.recipe,
        "rows": rows,
        "header": header,
        "cells": cells,
        "references": ref_cells,
        "notes": notes,
        "figure": f"figures/{ds_name}_modes.png" if modes else None,
    }


def _ends(res: dict | None, key: str, nd: int = 3) -> str:
    """'weakest → strongest' of a truncation metric (the sweep's first and last values)."""
    if not res or key not in res["metrics"]:
        return "–"
    v = res["metrics"][key]
    return f"{fmt(v[0], nd)} → {fmt(v[-1], nd)}"


def study_board(studies: dict, params) -> dict | None:
    """One row per run with studies (ganlab.studies): truncation ends, path length, class changes, mixing."""
    rows = [(n, st) for n, st in studies.items() if st.get("applicable") and n in params.runs]
    if not rows:
        return None
    header = [
        "run",
        "family",
        "truncation sweep",
        "precision (2-D: HQ %)",
        "recall",
        "coverage (2-D: modes)",
        "ψ sweep: precision",
        "ψ: recall",
        "path length z slerp / z lerp / w lerp",
        "stretch",
        "class changes per path (excess)",
        "mixing: coarse / fine class %",
    ]
    cells = []
    for n, st in rows:
        t, psi, it = st.get("truncation"), st.get("truncation_psi"), (st.get("interpolation") or {}).get("spaces", {})
        pts = st.get("kind") != "images"
        sweep = f"{t['parameter']} {t['values'][0]:g} → {t['values'][-1]:g}" if t else "–"
        ppl = (
            " / ".join(fmt(it[k]["ppl_mean"], 0) if k in it else "–" for k in ("z_slerp", "z_lerp", "w_lerp"))
            if it
            else "–"
        )
        stretch = " / ".join(fmt(r["stretch"], 2) for r in it.values()) if it else "–"
        changes = (
            " / ".join(f"{fmt(r['class_changes'], 2)} ({fmt(r['excess_changes'], 2)})" for r in it.values())
            if it
            else "–"
        )
        mix = st.get("mixing")
        cells.append(
            [
                n,
                st["family"],
                sweep,
                _ends(t, "high_quality_pct" if pts else "precision", 2 if pts else 3),
                _ends(t, "recall"),
                _ends(t, "modes_captured" if pts else "coverage", 1 if pts else 3),
                _ends(psi, "precision"),
                _ends(psi, "recall"),
                ppl,
                stretch,
                changes,
                f"{fmt(100 * mix['follows_coarse'], 1)} / {fmt(100 * mix['follows_fine'], 1)}"
                if mix and mix.get("follows_coarse") is not None
                else "–",
            ]
        )
    return {"header": header, "cells": cells}


def classifier_rows(params, reports_dir: Path) -> list[dict]:
    out = []
    for ds in params.datasets:
        path = reports_dir / "classifiers" / ds / "metrics.json"
        if path.exists():
            m = io.read_json(path)
            if m.get("test_accuracy") is not None:  # wall seconds (classifier_time.json) stay out: results only
                out.append({"dataset": ds, **m})
    return out


def build_context(params, reports_dir: Path) -> dict:
    runs, missing = {}, []
    for name in params.runs:
        path = reports_dir / "runs" / name / "metrics.json"
        if path.exists():
            runs[name] = io.read_json(path)
            # Results only: the *_time.json files (wall seconds, samples per second, device) depend on
            # the host, so the report reads none of them and two runs of the same code give the same pages.
        else:
            missing.append(name)
    studies = {
        n: io.read_json(reports_dir / "runs" / n / "study" / "results.json")
        for n in params.runs
        if (reports_dir / "runs" / n / "study" / "results.json").exists()
    }
    ctx = claims_mod.Context(runs=runs, configs=params.runs, datasets=params.datasets, studies=studies)
    claim_rows = claims_mod.check_all(ctx)

    boards = []
    for ds_name, ds_cfg in params.datasets.items():
        names = [n for n, c in params.runs.items() if c.dataset == ds_name and n in runs]
        if names:
            boards.append(board(ds_name, ds_cfg, [runs[n] for n in names]))
    sections = []
    for name in params.runs:
        m = runs.get(name)
        fig_dir = reports_dir / "runs" / name / "figures"
        figs = sorted(p.name for p in fig_dir.glob("*.png")) if fig_dir.exists() else []
        table = []
        if m:
            for k in m.get("headline", []) + sorted(k for k in m if k.startswith(("train_", "notebook_"))):
                if k in m and m[k] is not None:
                    floor, spread = m.get(f"{k}_floor"), m.get(f"{k}_floor_std")
                    floor_text = (
                        "" if floor is None else fmt(floor, 4) + ("" if spread is None else f" ± {fmt(spread, 4)}")
                    )
                    table.append((k, pm(m, k, 4), floor_text, m.get("units", {}).get(k, "")))
        sections.append(
            {
                "name": name,
                "cfg": params.runs[name],
                "m": m,
                "table": table,
                "figures": [f"runs/{name}/figures/{f}" for f in figs],
                "study_figures": [f"runs/{name}/study/{f}" for f in studies.get(name, {}).get("figures", [])],
            }
        )
    return {
        "claims": claim_rows,
        "boards": boards,
        "sections": sections,
        "missing": missing,
        "classifiers": classifier_rows(params, reports_dir),
        "study_board": study_board(studies, params),
        "scorecard": scorecard_mod.scorecard(runs, studies),
        "n_pass": sum(c["status"] == "pass" for c in claim_rows),
        "n_fail": sum(c["status"] == "fail" for c in claim_rows),
        "n_undecided": sum(c["status"] == "undecided" for c in claim_rows),
        "n_na": sum(c["status"] == "n/a" for c in claim_rows),
        "n_error": sum(c["status"] == "error" for c in claim_rows),
    }


SUMMARY_VALUE = {"pass": 1, "fail": 0, "undecided": 0.5}  # a claim's verdict in summary.json (n/a, error: null)


def summary(ctx: dict) -> dict:
    """The file `dvc metrics show` / `dvc exp show` read: headline numbers per run, claims."""
    out = {
        "runs": {},
        "claims": {c["id"]: SUMMARY_VALUE.get(c["status"]) for c in ctx["claims"]},
        "scorecard": scorecard_mod.summary(ctx["scorecard"]),
    }
    for board in ctx["boards"]:
        for m in board["rows"]:
            out["runs"][m["run"]] = {k: m[k] for k in m.get("headline", []) if m.get(k) is not None}
            out["runs"][m["run"]]["diverged"] = int(m["status"] == "diverged")
    return out


def render(params, reports_dir: str | Path = "reports") -> dict:
    from ganlab.report import figures

    reports_dir = Path(reports_dir)
    ctx = build_context(params, reports_dir)
    env = environment()
    with io.atomic_dir(reports_dir / "figures") as tmp:
        for b in ctx["boards"]:
            if b["figure"]:
                figures.leaderboard_bars(
                    b["rows"],
                    "modes_captured",
                    "modes captured",
                    f"{b['dataset']}: modes captured (of {b['rows'][0]['n_modes']}, mean ± std over seeds)",
                    tmp / Path(b["figure"]).name,
                    ref=b["rows"][0]["n_modes"],
                )
    io.write_text(reports_dir / "index.html", env.get_template("index.html.j2").render(**ctx))
    io.write_text(reports_dir / "README.md", env.get_template("README.md.j2").render(**ctx))
    s = summary(ctx)
    io.write_json(reports_dir / "summary.json", s)
    return s
