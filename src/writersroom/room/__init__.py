"""The room: the graph of agents and checkpoints, its state and context, the project that runs
it, the director's production, and the LangGraph server's view of it."""
