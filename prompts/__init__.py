"""Prompt templates, one file per agent task (package data)."""
