"""Stage 2: every reference resolves inside its module; module calls pass known and required variables."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from dsaas_infra.validate.blueprint import Blueprint, local_source
from dsaas_infra.validate.findings import ERROR, Finding, Rule, StageResult
from dsaas_infra.validate.tf_module import Block, Module, Ref, address

NAME = "references"
RULES = {r.id: r for r in [
    Rule("REF001", "undeclared-variable", "var.X refers to a variable that the module does not declare."),
    Rule("REF002", "undeclared-local", "local.X refers to a local value that the module does not define."),
    Rule("REF003", "undeclared-resource", "TYPE.NAME refers to a resource that the module does not declare."),
    Rule("REF004", "undeclared-data-source", "data.TYPE.NAME refers to a data source the module does not declare."),
    Rule("REF005", "undeclared-module", "module.X refers to a module call that does not exist."),
    Rule("REF006", "unknown-module-output", "module.X.OUT names an output the called module does not have."),
    Rule("REF007", "unknown-module-argument", "A module call passes a variable the module does not declare."),
    Rule("REF008", "missing-module-argument", "A module call omits a variable that has no default."),
    Rule("REF009", "duplicate-declaration", "The same variable, local, resource, data source, module or output "
                                            "is declared twice."),
    Rule("REF010", "module-source-missing", "A local module source is not a directory with .tf files."),
    Rule("REF011", "invalid-reference", "A reference that Terraform cannot resolve (unknown name, count/each "
                                        "outside count/for_each, incomplete reference)."),
]}
MODULE_META = {"source", "version", "providers", "count", "for_each", "depends_on"}
IGNORED_ROOTS = {"self", "path", "terraform"}
# attributes whose values are not expressions to resolve (provider addresses, attribute names, type constraints)
SKIP_ATTRS = {"resource": {"provider", "ignore_changes"}, "data": {"provider"}, "ephemeral": {"provider"},
              "module": {"providers"}, "variable": {"type"},
              "moved": {"from"}, "removed": {"from"}}  # `from` names an address that no longer exists


@dataclass
class _Scope:
    variables: dict[str, Block] = field(default_factory=dict)
    locals: set[str] = field(default_factory=set)
    resources: set[tuple[str, str]] = field(default_factory=set)
    data: set[tuple[str, str]] = field(default_factory=set)
    ephemeral: set[tuple[str, str]] = field(default_factory=set)
    modules: dict[str, Block] = field(default_factory=dict)
    outputs: set[str] = field(default_factory=set)


def declarations(module: Module) -> tuple[_Scope, list[tuple[Block, str, int]]]:
    """What a module declares, and (block, key, line) for every duplicate."""
    scope, seen, dups = _Scope(), set(), []

    def add(kind: str, key: str | tuple[str, ...], block: Block, line: int) -> None:
        if (kind, key) in seen:
            dups.append((block, f"{kind} {key}" if isinstance(key, str) else f"{kind} {'.'.join(key)}", line))
        seen.add((kind, key))

    for block in module.blocks:
        labels = tuple(block.labels)
        if block.type == "variable" and labels:
            add("variable", labels[0], block, block.line)
            scope.variables[labels[0]] = block
        elif block.type == "locals":
            for name, attr in block.attributes.items():
                add("local", name, block, attr.line)
                scope.locals.add(name)
        elif block.type == "resource" and len(labels) == 2:
            add("resource", labels, block, block.line)
            scope.resources.add(labels)
        elif block.type == "data" and len(labels) == 2:
            add("data", labels, block, block.line)
            scope.data.add(labels)
        elif block.type == "ephemeral" and len(labels) == 2:
            add("ephemeral", labels, block, block.line)
            scope.ephemeral.add(labels)
        elif block.type == "check":  # a check block may declare scoped data sources
            scope.data.update((d.labels[0], d.labels[1]) for d in block.children("data") if len(d.labels) == 2)
        elif block.type == "module" and labels:
            add("module", labels[0], block, block.line)
            scope.modules[labels[0]] = block
        elif block.type == "output" and labels:
            add("output", labels[0], block, block.line)
            scope.outputs.add(labels[0])
    return scope, dups


def block_refs(block: Block, skip: set[str], iterators: frozenset[str] = frozenset()) -> list[Ref]:
    """References in a block, minus those to dynamic-block iterators in scope."""
    refs = [r for name, a in block.attributes.items() if name not in skip for r in a.refs
            if r.parts[0] not in iterators]
    for child in block.blocks:
        inner = iterators
        if child.type == "dynamic" and child.labels:
            it = child.attributes.get("iterator")
            inner = iterators | {it.refs[0].parts[0] if it and it.refs else child.labels[0]}
            refs.extend(r for name, a in child.attributes.items() if name not in skip | {"iterator"}
                        for r in a.refs if r.parts[0] not in iterators)
            for content in child.blocks:
                refs.extend(block_refs(content, skip, inner))
            continue
        refs.extend(block_refs(child, skip, inner))
    return refs


def run(blueprints: list[Blueprint], context: object = None) -> StageResult:
    result = StageResult(NAME, rules=RULES)
    for bp in blueprints:
        scopes = {path: declarations(module)[0] for path, module in bp.modules.items() if not module.errors}
        for path, module in bp.modules.items():
            if path in scopes:
                result.findings.extend(_check_module(bp, module, scopes))
    return result


def _check_module(bp: Blueprint, module: Module, scopes: dict) -> list[Finding]:
    scope, dups = declarations(module)
    findings = [Finding(NAME, "REF009", ERROR, f"duplicate declaration of {what}", bp.display(b.file), line,
                        what.replace("local ", "local.") if b.type == "locals" else address(b))
                for b, what, line in dups]

    def err(rule: str, msg: str, block: Block, line: int, addr: str | None = None) -> None:
        findings.append(Finding(NAME, rule, ERROR, msg, bp.display(block.file), line, addr or address(block)))

    for block in module.blocks:
        if block.type == "terraform":
            continue
        if block.type == "locals":  # each local value is its own address
            pairs: list[tuple[Ref, str | None]] = [
                (r, f"local.{name}") for name, attr in block.attributes.items() for r in attr.refs]
        else:
            pairs = [(r, None) for r in block_refs(block, SKIP_ATTRS.get(block.type, set()))]
        for ref, addr in pairs:
            problem = _resolve(ref, block, scope, bp, module, scopes)
            if problem:
                err(problem[0], problem[1], block, ref.line, addr)
        if block.type == "module":
            _check_call(bp, module, block, scopes, err)
    return findings


def _hint(name: str, choices) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _resolve(ref: Ref, block: Block, scope: _Scope, bp: Blueprint, module: Module,
             scopes: dict) -> tuple[str, str] | None:
    parts, root = ref.parts, ref.parts[0]
    text = ".".join(parts)
    if root in IGNORED_ROOTS:
        return None
    if root in ("count", "each"):
        meta = "count" if root == "count" else "for_each"
        if meta not in block.attributes:
            return "REF011", f"{text} used in a block without {meta}"
        return None
    if root in ("var", "local", "module") and len(parts) < 2 or root in ("data", "ephemeral") and len(parts) < 3:
        return "REF011", f"incomplete reference {text}"
    if root == "var":
        if parts[1] not in scope.variables:
            return "REF001", f"undeclared variable var.{parts[1]}{_hint(parts[1], scope.variables)}"
    elif root == "local":
        if parts[1] not in scope.locals:
            return "REF002", f"undeclared local value local.{parts[1]}{_hint(parts[1], scope.locals)}"
    elif root == "data":
        if (parts[1], parts[2]) not in scope.data:
            names = [".".join(d) for d in scope.data]
            return "REF004", f"undeclared data source data.{parts[1]}.{parts[2]}" \
                             f"{_hint(parts[1] + '.' + parts[2], names)}"
    elif root == "ephemeral":
        if (parts[1], parts[2]) not in scope.ephemeral:
            return "REF003", f"undeclared ephemeral resource ephemeral.{parts[1]}.{parts[2]}"
    elif root == "module":
        call = scope.modules.get(parts[1])
        if call is None:
            return "REF005", f"undeclared module module.{parts[1]}{_hint(parts[1], scope.modules)}"
        child = bp.module_for(call, module)
        if len(parts) > 2 and child is not None and child.path in scopes:
            outputs = scopes[child.path].outputs
            if parts[2] not in outputs:
                return "REF006", f"module.{parts[1]} has no output {parts[2]!r}{_hint(parts[2], outputs)}"
    elif len(parts) >= 2:
        if "_" not in root:
            return "REF011", f"unknown name {root!r} in {text}"
        if (root, parts[1]) not in scope.resources:
            names = [".".join(r) for r in scope.resources]
            return "REF003", f"undeclared resource {root}.{parts[1]}{_hint(root + '.' + parts[1], names)}"
    return None


def _check_call(bp: Blueprint, module: Module, call: Block, scopes: dict, err) -> None:
    source = local_source(call)
    if "source" not in call.attributes:
        err("REF010", "module call has no source", call, call.line)
        return
    if source is None:
        return  # a registry or remote module: its interface is not known offline
    child = bp.module_for(call, module)
    if child is None or not child.files:
        err("REF010", f"module source {source!r} is not a directory with .tf files", call, call.line)
        return
    if child.path not in scopes:
        return  # the child does not parse; the syntax stage reports it
    variables = scopes[child.path].variables
    for name, attr in call.attributes.items():
        if name not in MODULE_META and name not in variables:
            err("REF007", f"module {source} has no variable {name!r}{_hint(name, variables)}", call, attr.line)
    for name, var in variables.items():
        if "default" not in var.attributes and name not in call.attributes:
            err("REF008", f"missing required argument {name!r} for module {source}", call, call.line)
