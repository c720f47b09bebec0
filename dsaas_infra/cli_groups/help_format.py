"""--help shows what a user types (metavars, choices), not Python types: a patch of typer's help rendering."""

from __future__ import annotations


def metavars_not_python_types() -> None:
    """typer 0.29 labels every parameter in --help with its Python type (`<bool>`, `<list[Path]>`,
    `<text|json>`); show what a user types instead: an option's metavar (or its choices as
    `[a|b]`, or its type in capitals), nothing after a flag or an argument (its name is its
    metavar). tests/test_cli_help.py checks every command's help."""
    from typer import core

    def option_type(self, ctx):
        if self.is_flag or self.count:
            return None
        if self.metavar is not None:
            return self.metavar
        label = core._TyperParameter.display_type(self, ctx).strip("<>")
        if label.startswith("list[") and label.endswith("]"):
            label = label[5:-1]  # a repeatable option takes one value each time
        return f"[{label}]" if "|" in label else label.upper().replace("STR", "TEXT")

    def argument_name(self) -> str:
        name = self.metavar or self.name.upper()
        return name if self.nargs == 1 or name.endswith("...") else f"{name}..."

    # Patching typer's help rendering on purpose (its classes offer no hook for this).
    core.TyperOption.display_type_rich = option_type  # type: ignore[method-assign]
    core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]
    core.TyperArgument._rich_display_name = argument_name  # type: ignore[method-assign]
    core.TyperArgument._usage_display_name = argument_name  # type: ignore[method-assign]
