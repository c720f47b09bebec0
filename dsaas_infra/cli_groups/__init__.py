"""The CLI's commands by group: typer declarations (arguments, options, help) that call commands/."""
