"""Continuity: the rule layer and the reading it rests on, the checker around the room, and the
deterministic quality checks that keep garbage out before any model judges a draft."""
