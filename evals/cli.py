"""`writersroom eval ...`: the evals' commands."""

import typer

from writersroom.evals import commands, continuity_eval, planted, sanity

app = typer.Typer(help="Story-quality evals: run suites, score, calibrate the judge, compare.")
app.command()(commands.run)
app.command()(commands.score)
app.command()(commands.calibrate)
app.command()(commands.compare)
app.command()(continuity_eval.continuity)
app.command()(planted.planted)
app.command()(sanity.sanity)
