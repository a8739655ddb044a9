"""``python -m evals.render``: write one rendering to look at by hand."""
from evals.render.report import main

raise SystemExit(main())
