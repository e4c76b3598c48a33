"""Hand-off to the tools studios already use: editable timelines of a cut, screenplay pages and
Final Draft files of a script, and a writer's own script brought into the room."""
