"""Production tools: video, voice, lip-sync and assembly, each a tool schema over backends."""
