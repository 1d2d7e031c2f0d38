"""The kit's Jinja environments, and the rule for generated text that is not HTML.

Every environment of the kit (the HTML pages, feedback.md, the generated files) is built by
:func:`jinja_environment`: templates from a package's ``templates/`` folder, undefined names
failing loudly (``StrictUndefined``), block tags on lines of their own leaving no line behind,
compiled templates cached per user. Each caller gives only its escaping rule: autoescaping or
not, what every inserted value must be (``finalize``) and its filters.

Generated text that is not HTML (shell, YAML, Python, Markdown) follows the rule below: the
builds (:mod:`autograder.packaging`: ``setup.sh``, ``run_autograder``, the GitHub workflows,
``nbgrader_config.py``, the READMEs), Gradescope's view of the results
(:mod:`autograder.platforms.gradescope_view`) and ``feedback.md``
(:mod:`autograder.feedback.markdown`) render templates kept beside their code, in
``templates/`` of their package, shipped as package data.

Autoescaping is HTML's rule and would corrupt these formats, so the rule here is stricter
instead: every value a template inserts (``{{ ... }}``) must pass through the filter of the
format it lands in, which quotes it for that format; a value that reaches the output without
one stops the render (:class:`UnquotedValue`), as does a value the build forgot to pass
(``StrictUndefined``). A build then fails instead of writing an empty or unquoted string.

========== ====================================================================
filter     what it is for
========== ====================================================================
sh         a shell word (:func:`shlex.quote`)
yaml       a YAML scalar: plain when it reads back as the same string, else double-quoted
py         a Python literal (``repr``), for generated Python
num        a number as the kit prints numbers (``40``, ``2.5``)
line       instructor text on one line (a comment, a heading): line breaks and other
           invisible characters written out, so it cannot start a line of its own
md_block   student text as a Markdown fenced block it cannot close (autograder.base.escape)
md_item    the same block as the body of a list item: the template writes its ``- ``
md_code    a one-line string as a Markdown code span (autograder.base.escape)
kit        the kit's own text (isolation summaries, section headings), as is but for its
           invisible characters, written out (autograder.base.escape.visible) as on every page
========== ====================================================================
"""

from __future__ import annotations

import json
import os
import shlex
import stat
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

from autograder.base.escape import md_block, md_code, visible


class Quoted(str):
    """Text a filter has made safe for the format it is inserted in."""


class UnquotedValue(ValueError):
    """A template inserted a value without the filter of its format."""


def _sh(value: object) -> Quoted:
    return Quoted(shlex.quote(str(value)))


def _yaml(value: object) -> Quoted:
    import yaml

    text = str(value)
    try:
        plain = "\n" not in text and yaml.safe_load(text) == text and not text.startswith((" ", "'", '"'))
    except yaml.YAMLError:
        plain = False
    # JSON's string syntax is YAML's double-quoted scalar (YAML 1.2 is a superset of JSON).
    return Quoted(text if plain and text.strip() == text else json.dumps(text, ensure_ascii=False))


def _py(value: object) -> Quoted:
    return Quoted(repr(value))


def _num(value: float) -> Quoted:
    return Quoted(f"{float(value):g}")


def _line(value: object) -> Quoted:
    return Quoted(visible(value, one_line=True))


def _kit(value: object) -> Quoted:
    return Quoted(visible(value))


def _md_item(value: object) -> Quoted:
    return Quoted(md_block(value, "  ")[2:])  # its first line follows the item's "- "


FILTERS: dict[str, Callable[..., Quoted]] = {
    "sh": _sh, "yaml": _yaml, "py": _py, "num": _num, "line": _line, "kit": _kit,
    "md_block": lambda v, indent="": Quoted(md_block(v, indent)), "md_item": _md_item,
    "md_code": lambda v: Quoted(md_code(v)),
}


def quoted_only(filters: Mapping[str, Callable]) -> Callable[[object], Quoted]:
    """The stricter rule's ``finalize``: a value reaches the output only through one of ``filters``."""
    names = ", ".join(filters)

    def finalize(value):
        if isinstance(value, Quoted):
            return value
        raise UnquotedValue(f"a template inserted {value!r} without a format filter ({names})")

    return finalize


def private_cache_folder(name: str) -> Path | None:
    """``$XDG_CACHE_HOME/initgrade/<name>`` (``~/.cache`` by default), made mode 0700, or None when
    it is not a folder this user alone owns and can write: a link, another owner, or open to others
    (then nothing is cached there)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "initgrade" / name
    try:
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        own, parent = os.lstat(folder), os.lstat(folder.parent)
    except OSError:
        return None
    # The parent too, not writable by others: whoever may write it could swap the folder for a link.
    for st, others in ((own, 0o077), (parent, 0o022)):
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & others:
            return None
    return folder


def jinja_environment(package: str, *, autoescape: bool, finalize: Callable[[object], object],
                      filters: Mapping[str, Callable]):
    """A Jinja environment for the templates in ``package``'s ``templates/`` folder, whose every
    inserted value is HTML-escaped (``autoescape``) or not, then passed to ``finalize``, with
    ``filters``. ``finalize`` is a plain function (Jinja compiles a ``pass_context`` one differently)."""
    # Imported on first use: a command that renders nothing does not pay for it.
    from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined

    # Compiled templates are kept in a private folder of the user's cache (compiling costs 50-70 ms
    # of a one-notebook command), never in Jinja's default folder of the shared temporary directory:
    # Jinja chmods that path before checking it, so a link planted there as ``_jinja2-cache-0``
    # made a root grader chmod the file it points to. No safe folder: compile every time.
    # The compiled code carries the autoescaping choice, so each choice has files of its own.
    folder = private_cache_folder("templates")
    compiled = (FileSystemBytecodeCache(str(folder), pattern=f"__initgrade_{'html' if autoescape else 'text'}_%s.cache")
                if folder is not None else None)
    # Text formats are line-based: a tag on a line of its own leaves no line behind (trim_blocks,
    # lstrip_blocks); the pages use the same so that one template reads like another.
    env = Environment(loader=PackageLoader(package, "templates"), autoescape=autoescape, undefined=StrictUndefined,
                      finalize=finalize, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      bytecode_cache=compiled)
    env.filters.update(filters)
    return env


@cache
def environment(package: str):
    return jinja_environment(package, autoescape=False, finalize=quoted_only(FILTERS), filters=FILTERS)


def render(package: str, template: str, **values) -> str:
    """``template`` of ``package``'s ``templates/`` folder, rendered with ``values``."""
    return environment(package).get_template(template).render(**values)
