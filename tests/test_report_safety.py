"""The report escapes every string it did not write itself.

Run and dataset names, option strings from params and strings in metrics.json are data: in
index.html they must come out as text, never as elements or attributes; in README.md they must
not break a table (a `|` or a newline in a cell) or open raw HTML. Names are also restricted by
the params name rule; these tests build Params directly (bypassing ganlab.config.validate) so
that the escaping is tested on its own, as the defence in depth it is.
"""

from __future__ import annotations

import dataclasses
import re
import types
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ganlab import io
from ganlab.config import validate

SCRIPT = "<script>alert(1)</script>"
ATTR = '"onmouseover=alert(1) x="'
IMG = "<img src=x"
PAYLOADS = (SCRIPT, ATTR, IMG)

DATASETS = {
    "toy1d": {"recipe": "toy1d"},
    "ring8": {"recipe": "ring"},
    "grid25": {"recipe": "grid"},
    "glyphs": {"recipe": "glyphs", "image_size": 16},
    "stacked": {"recipe": "stacked", "image_size": 16},
    "edges": {"recipe": "edges2glyphs", "image_size": 16},
    "styled": {"recipe": "glyphs2styled"},
}
RUNS = {
    "toy": {"family": "toy1d", "dataset": "toy1d"},
    "gan-ring": {"family": "gan", "dataset": "ring8"},
    "gan_sat-grid": {"family": "gan", "dataset": "grid25", "loss": "saturating"},
    "wgan_gp-grid": {"family": "wgan_gp", "dataset": "grid25"},
    "dcgan-glyphs": {"family": "dcgan", "dataset": "glyphs"},
    "cgan-glyphs": {"family": "cgan", "dataset": "glyphs"},
    "dcgan-stacked": {"family": "dcgan", "dataset": "stacked"},
    "pix2pix-edges": {"family": "pix2pix", "dataset": "edges"},
    "pix2pix_l1-edges": {"family": "pix2pix", "dataset": "edges", "adv_weight": 0.0},
    "cyclegan-styled": {"family": "cyclegan", "dataset": "styled"},
    "not-evaluated": {"family": "gan", "dataset": "ring8"},
}


def _metrics(name: str, cfg, text: str) -> dict:
    """A plausible metrics.json for each kind of board, its layout declared by the evaluation
    registry as evaluate@ declares it; `text` is appended to its free strings."""
    from ganlab.evaluation.run import describe

    m = _values(name, cfg, text)
    kind = m.pop("_kind")
    meta = {
        "dim": 1 if cfg.family == "toy1d" else 2,
        "per_channel_labels": "stacked" in cfg.dataset,
        "pairing": m.get("translation"),
    }
    final = {"theta": "data units" + text} if cfg.family == "toy1d" else {}
    return {**m, **describe(kind, meta, EV, m, final), "units": m.get("units", {})}


EV = types.SimpleNamespace(prdc_k=5)


def _values(name: str, cfg, text: str) -> dict:
    from ganlab.families import get_family

    variant = get_family(
        cfg.family[: len(cfg.family) - len(text)] if text and cfg.family.endswith(text) else cfg.family
    ).variant(cfg)
    base = {
        "run": name,
        "family": cfg.family + text,
        "variant": variant + text,
        "seeds": [0, 1],
        "seeds_evaluated": [0, 1],
        "status": "completed" + text,
        "diverged_at_step": None,
        "train_seconds": 12.34,
        "n_samples": 2500,
        "n_real": 2500,
    }
    fam = cfg.family
    if fam == "toy1d":
        return {
            **base,
            "_kind": "points",
            "kind": "points",
            "w1_closed_form": 0.12,
            "w1_closed_form_floor": 0.01,
            "theta": 7.4,
            "theta_std": 0.1,
            "d_real": 0.51,
            "d_fake": 0.49,
            "d_accuracy": 0.52,
            "emd": 0.13,
            "emd_floor": 0.02,
            "w_lp_hist": 0.11,
            "w_lp_hist_floor": 0.03,
            "units": {"theta": "data units" + text},
        }
    if fam in ("gan", "wgan_gp"):
        return {
            **base,
            "_kind": "points",
            "kind": "points",
            "n_modes": 8 if "ring" in cfg.dataset else 25,
            "modes_captured": 6.5,
            "modes_captured_std": 0.5,
            "high_quality_pct": 91.2,
            "reverse_kl": 0.21,
            "emd": 0.05,
            "emd_floor": 0.01,
            "emd_floor_std": 0.003,
            "w_lp_hist": 0.04,
            "w_lp_hist_floor": 0.01,
            "w_sliced": 0.03,
            "w_sliced_floor": 0.002,
            "w1_closed_form": None,
            "train_grad_g_early": 0.2,
            "units": {"emd": "data units" + text},
        }
    if fam in ("dcgan", "cgan"):
        im = {
            **base,
            "_kind": "images",
            "kind": "images",
            "n_classes": 10,
            "fd": 3.2,
            "fd_floor": 0.4,
            "precision": 0.7,
            "recall": 0.6,
            "density": 0.9,
            "coverage": 0.8,
            "w_sliced_features": 0.3,
            "units": {"fd": "features" + text},
        }
        if "stacked" in cfg.dataset:
            return {**im, "stacked_modes": 950.0, "stacked_kl": 0.3, "n_mode_samples": 26000}
        im.update(classes_covered=10.0, label_kl=0.01, per_seed={"classes_covered": [10.0, 10.0]})
        return {**im, "cond_accuracy": 0.95, "cond_accuracy_std": 0.01} if fam == "cgan" else im
    if fam == "pix2pix":
        return {
            **base,
            "_kind": "paired",
            "kind": "images",
            "translation": "paired",
            "l1": 0.04,
            "psnr": 20.1,
            "ssim": 0.8,
            "fd": 5.0,
            "fd_floor": 0.5,
            "accuracy": 0.9,
            "target_accuracy": 0.99,
            "bicubic_l1": 0.1,
        }
    return {
        **base,
        "_kind": "unpaired",
        "kind": "images",
        "translation": "unpaired",
        "cycle_l1_a": 0.02,
        "cycle_l1_b": 0.03,
        "label_ab": 0.95,
        "label_ba": 0.92,
        "fd_a": 4.0,
        "fd_b": 5.0,
        "fd_a_floor": 0.4,
        "fd_b_floor": 0.5,
        "identity_label_ab": 1.0,
        "identity_label_ba": 1.0,
        "identity_fd_a": 9.0,
        "identity_fd_b": 8.0,
    }


def make_report(root: Path, name=lambda n: n, text: str = "") -> dict:
    """Write a small reports/ tree for RUNS and DATASETS, renamed by `name` (runs and datasets)
    and with `text` appended to other strings (options, recipe, family, status, units), render
    it, and return what render returned. Every kind of board, the classifier table, the study
    table, figures and a missing run are covered."""
    from ganlab.report.render import render

    p = validate({"datasets": DATASETS, "runs": RUNS})  # valid names first; renamed below, unvalidated
    datasets = {name(d): cfg for d, cfg in p.datasets.items()}
    datasets[name("grid25")] = dataclasses.replace(datasets[name("grid25")], recipe="grid" + text)
    runs = {}
    for r, cfg in p.runs.items():
        cfg = dataclasses.replace(cfg, dataset=name(cfg.dataset))
        if r == "gan_sat-grid":
            cfg = dataclasses.replace(cfg, loss="saturating" + text, minibatch="mbd" + text)
        if r == "cyclegan-styled":
            cfg = dataclasses.replace(cfg, family="cyclegan" + text)
        runs[name(r)] = cfg
    params = dataclasses.replace(p, datasets=datasets, runs=runs)
    reports = root / "reports"
    for r in p.runs:
        if r == "not-evaluated":
            continue
        out = reports / "runs" / name(r)
        io.write_json(out / "metrics.json", _metrics(name(r), runs[name(r)], text))
        (out / "figures").mkdir(parents=True)
        (out / "figures" / "samples.png").write_bytes(b"")
    for ds in ("glyphs", "stacked"):
        io.write_json(
            reports / "classifiers" / name(ds) / "metrics.json",
            {"test_accuracy": 0.995, "n_train": 2000, "n_test": 500, "r2_rotation": 0.9},
        )
        io.write_json(reports / "classifiers" / name(ds) / "classifier_time.json", {"seconds": 6.1})
    io.write_json(
        reports / "runs" / name("gan-ring") / "study" / "results.json",
        {
            "applicable": True,
            "family": "gan" + text,
            "kind": "points",
            "figures": ["truncation.png"],
            "truncation": {
                "parameter": "tau",
                "values": [4.0, 0.25],
                "metrics": {"high_quality_pct": [80.0, 95.0], "recall": [0.6, 0.4], "modes_captured": [8.0, 6.0]},
            },
        },
    )
    spaces = {
        s: {
            "ppl_mean": 120.0,
            "ppl_median": 100.0,
            "stretch": 1.5,
            "class_changes": 1.2,
            "excess_changes": 0.3,
            "ends_differ": 0.9,
        }
        for s in ("z_slerp", "z_lerp")
    }
    io.write_json(
        reports / "runs" / name("dcgan-glyphs") / "study" / "results.json",
        {
            "applicable": True,
            "family": "dcgan" + text,
            "kind": "images",
            "figures": ["interpolation.png"],
            "truncation": {
                "parameter": "tau",
                "values": [1.0, 0.1],
                "metrics": {"precision": [0.7, 0.8], "recall": [0.6, 0.3], "coverage": [0.8, 0.5]},
            },
            "interpolation": {"spaces": spaces},
        },
    )
    return render(params, reports)


# ---------------------------------------------------------------------------- HTML


class Page(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


# What the template itself writes; anything else came from data.
TEMPLATE_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "h1",
    "h2",
    "h3",
    "p",
    "code",
    "em",
    "table",
    "tr",
    "th",
    "td",
    "span",
    "img",
    "br",
}
TEMPLATE_ATTRS = {"lang", "charset", "class", "id", "src", "alt", "colspan"}


def evil(n: str) -> str:
    """A name for every payload: each run or dataset name carries one of them."""
    return n + PAYLOADS[sum(map(ord, n)) % len(PAYLOADS)]


def assert_no_injection(page: Page) -> None:
    tags = [t for t, _ in page.tags]
    assert "script" not in tags
    assert set(tags) <= TEMPLATE_TAGS, set(tags) - TEMPLATE_TAGS
    attrs = {a for _, at in page.tags for a in at}
    assert "onmouseover" not in attrs and set(attrs) <= TEMPLATE_ATTRS, attrs - TEMPLATE_ATTRS
    srcs = [at.get("src") for t, at in page.tags if t == "img"]
    assert srcs and all(s and s.startswith(("runs/", "figures/")) for s in srcs), srcs


def test_html_names_and_strings_are_text(tmp_path):
    make_report(tmp_path, name=evil, text=SCRIPT + ATTR + IMG)
    page = Page((tmp_path / "reports/index.html").read_text())
    assert_no_injection(page)
    text = "".join(page.text)
    for payload in PAYLOADS:
        assert payload in text
    for r in RUNS:
        assert evil(r) in text
    assert "saturating" + SCRIPT + ATTR + IMG in text  # an option string from params
    # attribute values keep the whole name: the run sections' anchors
    ids = {at["id"] for t, at in page.tags if t == "h3" and "id" in at}
    assert ids == {evil(r) for r in RUNS}


def test_html_autoescape_is_on_and_markdown_is_not():
    from ganlab.report.render import environment

    env = environment()
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"  # unknown templates escape too
    html = env.get_template("index.html.j2")
    md = env.get_template("README.md.j2")
    assert html.environment.autoescape("index.html.j2") is True
    assert md.environment.autoescape("README.md.j2") is False


# ---------------------------------------------------------------------------- Markdown


def split_row(line: str) -> list[str]:
    """Cells of a GFM table row: split on pipes not escaped by an odd number of backslashes."""
    cells, cur, slashes = [], "", 0
    for ch in line:
        if ch == "|" and slashes % 2 == 0:
            cells.append(cur)
            cur = ""
        else:
            cur += ch
        slashes = slashes + 1 if ch == "\\" else 0
    cells.append(cur)
    assert cells[0].strip() == "" and cells[-1].strip() == "", line
    return cells[1:-1]


def tables(md: str) -> list[list[str]]:
    """Every table in a Markdown text: its header, delimiter and body lines (up to a blank line)."""
    lines = md.split("\n")
    out = []
    for i, line in enumerate(lines):
        if re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", line):
            j = i + 1
            while j < len(lines) and lines[j].strip():
                j += 1
            out.append(lines[i - 1 : j])
    return out


MD_PAYLOADS = ("a|b", "c\nd", "e\r\nf|", "g\\|h", "i\\")


def md_evil(n: str) -> str:
    return n + MD_PAYLOADS[sum(map(ord, n)) % len(MD_PAYLOADS)]


def test_markdown_tables_keep_their_columns(tmp_path):
    make_report(tmp_path, name=md_evil, text="|x\ny|")
    md = (tmp_path / "reports/README.md").read_text()
    found = tables(md)
    assert len(found) >= 10  # claims, classifiers, seven boards, studies, the runs' metrics
    for table in found:
        width = len(split_row(table[1]))
        for line in table:
            assert line.startswith("|") and line.endswith("|"), line
            assert len(split_row(line)) == width, (line, width)
    # the names are in the cells, as text: backslashes and pipes escaped, newlines made spaces
    for r in set(RUNS) - {"not-evaluated"}:
        cell = md_evil(r).replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", " ").replace("\n", " ")
        assert f"| {cell} |" in md, cell


def test_per_run_tables_show_the_floor_with_its_spread_over_draws(tmp_path):
    """A floor that is a mean over real draws (`<key>_floor_std` present) is shown with its std;
    one without (older metrics) alone; the leaderboards keep the floor alone."""
    make_report(tmp_path)
    md = (tmp_path / "reports/README.md").read_text()
    assert "| emd | 0.0500 | 0.0100 ± 0.0030 |" in md
    assert "| emd | 0.1300 | 0.0200 |" in md  # toy1d: no floor_std
    assert "| 0.050 ± 0.000 (0.010) |" in md  # a leaderboard cell: the floor alone


def test_markdown_renders_names_as_text(tmp_path):
    """A CommonMark renderer with GFM tables and raw HTML allowed (markdown-it) makes no element of a name."""
    markdown_it = pytest.importorskip("markdown_it")
    make_report(tmp_path, name=evil, text=SCRIPT + ATTR + IMG)
    md = (tmp_path / "reports/README.md").read_text()
    page = Page(markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").render(md))
    tags = [t for t, _ in page.tags]
    assert "script" not in tags
    assert not {a for _, at in page.tags for a in at} & {"onmouseover", "x", "x="}
    srcs = [at.get("src") for t, at in page.tags if t == "img"]
    assert srcs and all(s.startswith(("runs/", "figures/")) for s in srcs), srcs
    text = "".join(page.text)
    for payload in PAYLOADS:
        assert payload in text


def test_md_filter_keeps_plain_text_and_numbers():
    from ganlab.report.render import md

    for plain in (
        "gan-ring",
        "wgan_gp-grid",
        "0.123 ± 0.004",
        "ρ < 0 (diversity falls)",
        "of the [0, 1] range",
        "Blau & Michaeli 2018",
        "the toy GAN's D",
        "A→B→A",
        "",
    ):
        assert md(plain) == plain
    assert md(3) == 3 and md(2.5) == 2.5 and md(None) == "None"
    assert md("a|b") == "a\\|b" and md("a\\|b") == "a\\\\\\|b"
    assert md("a\nb\r\nc\rd") == "a b c d"
    assert md("<script>") == "\\<script>" and md("</td>") == "\\</td>" and md("<!--") == "\\<!--"
    assert md("&lt;") == "\\&lt;" and md("[x](javascript:y)") == "[x\\](javascript:y)"
    assert md("gan", code=True) == "`gan`" and md("a`b", code=True) == "``a`b``" and md("`a", code=True) == "`` `a ``"
