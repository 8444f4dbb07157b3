"""Render the report: reports/index.html, reports/README.md and reports/summary.json.

Reads only what the stages wrote under reports/ (reports/runs/<run>/metrics.json and figures,
its train_time.json for the training wall time, its study/, and reports/classifiers/) for the
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
from ganlab.report import translation
from ganlab.report.format import fmt, pm

TEMPLATES = Path(__file__).parent / "templates"

# Published rows, shown beside ours only when a dataset has the papers' exact settings.
REFERENCES = {
    "ring": [("PacGAN (Lin et al. 2018), Table 1", "GAN", "6.3 ± 0.5", "98.2", "0.45"),
             ("PacGAN (Lin et al. 2018), Table 1", "PacGAN2", "7.9", "–", "–"),
             ("VEEGAN (Srivastava et al. 2017), Table 1", "GAN", "1", "–", "–")],
    "grid": [("PacGAN (Lin et al. 2018), Table 1", "GAN", "17.3 ± 0.8", "94.8", "0.70"),
             ("PacGAN (Lin et al. 2018), Table 1", "PacGAN2", "23.8", "–", "–"),
             ("VEEGAN (Srivastava et al. 2017), Table 1", "GAN", "3.3", "–", "–")],
}
# Stacked MNIST (1,000 modes, 26,000 samples scored): modes captured and KL to uniform.
STACKED_REFERENCES = [("VEEGAN (Srivastava et al. 2017), Table 2", "DCGAN", "99", "3.4"),
                      ("VEEGAN (Srivastava et al. 2017), Table 2", "Unrolled GAN", "48.7", "4.32"),
                      ("VEEGAN (Srivastava et al. 2017), Table 2", "VEEGAN", "150", "2.95"),
                      ("PacGAN (Lin et al. 2018), Table 2", "PacDCGAN2", "1000", "0.06")]
PAPER_SETTINGS = {"ring": {"modes": 8, "radius": 1.0, "std": 0.01},
                  "grid": {"side": 5, "spacing": 2.0, "std": 0.05}}
HEADLINE = ["modes_captured", "high_quality_pct", "reverse_kl", "emd", "w_lp_hist", "w_sliced",
            "w1_closed_form", "theta", "d_real", "d_fake", "d_accuracy",
            "classes_covered", "label_kl", "stacked_modes", "stacked_kl", "fd", "precision", "recall", "density",
            "coverage", "w_sliced_features", "cond_accuracy", "code_class_accuracy", "code_rotation_corr",
            "code_thickness_corr", "l1", "psnr", "ssim", "accuracy", "target_accuracy", "cycle_l1_a", "cycle_l1_b",
            "label_ab", "label_ba", "fd_a", "fd_b"]
# Image leaderboards: (header, metric, decimals); the feature metrics show their noise floor.
COVERAGE_COLUMNS = {False: [("classes covered", "classes_covered", 1), ("label KL", "label_kl", 3)],
                    True: [("modes (of 1,000)", "stacked_modes", 1), ("KL to uniform", "stacked_kl", 3)]}
FEATURE_COLUMNS = [("Fréchet distance", "fd", 2), ("precision", "precision", 3), ("recall", "recall", 3),
                   ("density", "density", 3), ("coverage", "coverage", 3), ("sliced W1, features", "w_sliced_features", 3)]
CONDITIONAL_COLUMNS = [("requested class %", "cond_accuracy", 1), ("code → class %", "code_class_accuracy", 1)]


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
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"),
                                                                 disabled_extensions=("md", "md.j2"),
                                                                 default_for_string=True, default=True),
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(fmt=fmt, md=md)
    env.globals.update(pm=pm)
    return env


def options(cfg) -> str:
    bits = []
    for k in ("loss", "minibatch"):
        v = getattr(cfg, k, None)
        if v and v not in ("none", "non_saturating"):
            bits.append(f"{k}={v}")
    return ", ".join(bits) or "–"


def paper_setting(ds_cfg) -> str | None:
    want = PAPER_SETTINGS.get(ds_cfg.recipe)
    if want and all(getattr(ds_cfg, k) == v for k, v in want.items()):
        return ds_cfg.recipe
    return None


def image_board(ds_name: str, ds_cfg, rows: list[dict], params) -> dict:
    """A leaderboard of image runs as plain header + cell strings (both templates loop over them)."""
    stacked = rows[0].get("stacked_modes") is not None
    rows = sorted(rows, key=lambda m: m.get("fd") if m.get("fd") is not None else math.inf)
    cols = COVERAGE_COLUMNS[stacked] + FEATURE_COLUMNS
    cols += [c for c in CONDITIONAL_COLUMNS if any(r.get(c[1]) is not None for r in rows)]
    header = ["run", "family", "seeds", "status"] + [h for h, _, _ in cols] + ["train s"]
    cells = []
    for m in rows:
        line = [m["run"], m["family"], f"{len(m['seeds_evaluated'])}/{len(m['seeds'])}",
                m["status"] + (f" at step {m['diverged_at_step']}" if m.get("diverged_at_step") else "")]
        for _, k, nd in cols:
            scale = 100 if k in ("cond_accuracy", "code_class_accuracy") else 1
            v = {**m, k: None if m.get(k) is None else scale * m[k], f"{k}_std": (m.get(f"{k}_std") or 0) * scale}
            floor = m.get(f"{k}_floor")
            line.append(pm(v, k, nd) + (f" ({fmt(floor, nd)})" if floor is not None else ""))
        line.append(fmt(m.get("train_seconds"), 1))
        cells.append(line)
    refs = []
    if stacked:   # published Stacked-MNIST rows under our two coverage columns
        refs = [[name, f"published: {src}", "", ""] + [modes, kl] + [""] * (len(cols) - 1) for src, name, modes, kl in STACKED_REFERENCES]
    return {"dataset": ds_name, "recipe": ds_cfg.recipe, "rows": rows, "kind": "images", "header": header,
            "cells": cells, "references": refs, "stacked": stacked, "figure": None, "one_d": False}


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
    header = ["run", "family", "truncation sweep", "precision (2-D: HQ %)", "recall", "coverage (2-D: modes)",
              "ψ sweep: precision", "ψ: recall", "path length z slerp / z lerp / w lerp", "stretch",
              "class changes per path (excess)", "mixing: coarse / fine class %"]
    cells = []
    for n, st in rows:
        t, psi, it = st.get("truncation"), st.get("truncation_psi"), (st.get("interpolation") or {}).get("spaces", {})
        pts = st.get("kind") != "images"
        sweep = f"{t['parameter']} {t['values'][0]:g} → {t['values'][-1]:g}" if t else "–"
        ppl = " / ".join(fmt(it[k]["ppl_mean"], 0) if k in it else "–" for k in ("z_slerp", "z_lerp", "w_lerp")) if it else "–"
        stretch = " / ".join(fmt(r["stretch"], 2) for r in it.values()) if it else "–"
        changes = " / ".join(f"{fmt(r['class_changes'], 2)} ({fmt(r['excess_changes'], 2)})" for r in it.values()) if it else "–"
        mix = st.get("mixing")
        cells.append([n, st["family"], sweep, _ends(t, "high_quality_pct" if pts else "precision", 2 if pts else 3),
                      _ends(t, "recall"), _ends(t, "modes_captured" if pts else "coverage", 1 if pts else 3),
                      _ends(psi, "precision"), _ends(psi, "recall"), ppl, stretch, changes,
                      f"{fmt(100 * mix['follows_coarse'], 1)} / {fmt(100 * mix['follows_fine'], 1)}" if mix and mix.get("follows_coarse") is not None else "–"])
    return {"header": header, "cells": cells}


def classifier_rows(params, reports_dir: Path) -> list[dict]:
    out = []
    for ds in params.datasets:
        path = reports_dir / "classifiers" / ds / "metrics.json"
        if path.exists():
            m = io.read_json(path)
            if m.get("test_accuracy") is not None:
                out.append({"dataset": ds, **m})
    return out


def build_context(params, reports_dir: Path) -> dict:
    runs, missing = {}, []
    for name in params.runs:
        path = reports_dir / "runs" / name / "metrics.json"
        if path.exists():
            runs[name] = io.read_json(path)
            # Wall time is the train stage's own file, not in metrics.json: evaluate@ never
            # reads anything host-dependent (a rerun elsewhere would change its output).
            timing = reports_dir / "runs" / name / "train_time.json"
            runs[name]["train_seconds"] = io.read_json(timing)["seconds"] if timing.exists() else None
        else:
            missing.append(name)
    studies = {n: io.read_json(reports_dir / "runs" / n / "study" / "results.json") for n in params.runs
               if (reports_dir / "runs" / n / "study" / "results.json").exists()}
    ctx = claims_mod.Context(runs=runs, configs=params.runs, datasets=params.datasets, studies=studies)
    claim_rows = claims_mod.check_all(ctx)

    boards = []
    for ds_name, ds_cfg in params.datasets.items():
        names = [n for n, c in params.runs.items() if c.dataset == ds_name and n in runs]
        if not names:
            continue
        if runs[names[0]].get("translation"):     # pix2pix, srgan, cyclegan: ganlab.report.translation
            boards.append(translation.board(ds_name, ds_cfg, [runs[n] for n in names], params.runs))
            continue
        if runs[names[0]].get("kind") == "images":
            boards.append(image_board(ds_name, ds_cfg, [runs[n] for n in names], params))
            continue
        rows = sorted((runs[n] for n in names),
                      key=lambda m: (-(m.get("modes_captured") or -1), -(m.get("high_quality_pct") or -1)))
        for r in rows:
            r["_options"] = options(params.runs[r["run"]])
        ref = paper_setting(ds_cfg)
        boards.append({"dataset": ds_name, "recipe": ds_cfg.recipe, "rows": rows, "kind": "points",
                       "one_d": rows[0].get("w1_closed_form") is not None,
                       "references": REFERENCES.get(ref, []) if ref else [],
                       "figure": f"figures/{ds_name}_modes.png" if not rows[0].get("w1_closed_form") else None})
    sections = []
    for name in params.runs:
        m = runs.get(name)
        fig_dir = reports_dir / "runs" / name / "figures"
        figs = sorted(p.name for p in fig_dir.glob("*.png")) if fig_dir.exists() else []
        table = []
        if m:
            for k in HEADLINE + sorted(k for k in m if k.startswith(("train_", "notebook_"))):
                if k in m and m[k] is not None:
                    floor = m.get(f"{k}_floor")
                    table.append((k, pm(m, k, 4), fmt(floor, 4) if floor is not None else "", m.get("units", {}).get(k, "")))
        sections.append({"name": name, "cfg": params.runs[name], "m": m, "table": table,
                         "figures": [f"runs/{name}/figures/{f}" for f in figs],
                         "study_figures": [f"runs/{name}/study/{f}" for f in studies.get(name, {}).get("figures", [])]})
    return {"claims": claim_rows, "boards": boards, "sections": sections, "missing": missing,
            "classifiers": classifier_rows(params, reports_dir), "study_board": study_board(studies, params),
            "n_pass": sum(c["status"] == "pass" for c in claim_rows),
            "n_fail": sum(c["status"] == "fail" for c in claim_rows),
            "n_na": sum(c["status"] == "n/a" for c in claim_rows),
            "n_error": sum(c["status"] == "error" for c in claim_rows)}


def summary(ctx: dict) -> dict:
    """The file `dvc metrics show` / `dvc exp show` read: headline numbers per run, claims."""
    out = {"runs": {}, "claims": {c["id"]: {"pass": 1, "fail": 0}.get(c["status"]) for c in ctx["claims"]}}
    for board in ctx["boards"]:
        for m in board["rows"]:
            out["runs"][m["run"]] = {k: m[k] for k in HEADLINE if m.get(k) is not None}
            out["runs"][m["run"]]["diverged"] = int(m["status"] == "diverged")
            out["runs"][m["run"]]["train_seconds"] = m.get("train_seconds")
    return out


def render(params, reports_dir: str | Path = "reports") -> dict:
    from ganlab.report import figures

    reports_dir = Path(reports_dir)
    ctx = build_context(params, reports_dir)
    env = environment()
    with io.atomic_dir(reports_dir / "figures") as tmp:
        for b in ctx["boards"]:
            if b["figure"]:
                figures.leaderboard_bars(b["rows"], "modes_captured", "modes captured", f"{b['dataset']}: modes captured "
                                         f"(of {b['rows'][0]['n_modes']}, mean ± std over seeds)", tmp / Path(b["figure"]).name,
                                         ref=b["rows"][0]["n_modes"])
    io.write_text(reports_dir / "index.html", env.get_template("index.html.j2").render(**ctx))
    io.write_text(reports_dir / "README.md", env.get_template("README.md.j2").render(**ctx))
    s = summary(ctx)
    io.write_json(reports_dir / "summary.json", s)
    return s
