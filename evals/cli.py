"""`writersroom eval ...`: the evals' commands."""

import typer

app = typer.Typer(help="Story-quality evals: run suites, score, calibrate the judge, compare.")
