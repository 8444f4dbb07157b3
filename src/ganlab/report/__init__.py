"""The report: claims checked against metrics, leaderboards, figures, HTML and Markdown.

render.py builds reports/index.html, reports/README.md and reports/summary.json from files only
(reports/runs/<run>/metrics.json with the layout evaluation declared in it, study results,
classifier metrics, params.yaml); claims/ holds the course's statements, one registry;
figures.py the plots (also used by the stages that write figures); format.py number formatting.
Nothing here loads a model or imports families, evaluation or studies.
"""
