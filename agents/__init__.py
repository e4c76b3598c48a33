"""The room's agents, one module per role; each turns the room's context into a prompt's values."""
