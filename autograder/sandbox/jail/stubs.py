"""Stand-ins for display-only modules (plotting, widgets, IPython) inside the sandbox.

Plotting cannot change what a graded function returns, and importing matplotlib in
every sandbox would cost more than grading itself, so ``grading.yaml``'s
``sandbox.stub_modules`` (and every submodule of them: ``matplotlib.cm``,
``mpl_toolkits.mplot3d``, ...) are replaced by objects that accept whatever a
notebook does with them and do nothing: settings (``plt.rcParams['figure.figsize'] = ...``,
``plt.rcParams.update``, ``plt.style.use``, ``sns.set()``), calls, subscripts,
``with`` blocks, loops (which run zero times), arithmetic.

Their type names are what a student would see in the rare error they still cause
(``a, b = plt.subplots()`` cannot know how many values to give), so they are named in
the student's terms, not the kit's.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types

STAND_IN_NAME = "display-only stand-in (plots are not run when grading)"


class DisplayStandIn:
    """Any attribute, call, item or operation gives another stand-in; settings are ignored."""


    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return DisplayStandIn()

    def __call__(self, *a, **k):
        return DisplayStandIn()

    def __getitem__(self, key):
        return DisplayStandIn()

    def __setitem__(self, key, value):
        pass

    def __delitem__(self, key):
        pass

    def __setattr__(self, name, value):
        pass  # plt.rcParams.x = ..., fig.dpi = ...: settings nobody reads

    def __delattr__(self, name):
        pass

    def __iter__(self):
        return iter(())  # `for ax in axes.flat:` runs zero times

    def __len__(self):
        return 0

    def __bool__(self):
        return True

    def __contains__(self, _item):
        return False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __float__(self):
        return 0.0

    def __int__(self):
        return 0

    def __index__(self):
        return 0

    def __repr__(self):
        return "<not shown when grading>"

    __str__ = __repr__

    def __format__(self, spec):
        return repr(self)

    def _same(self, *a):
        return DisplayStandIn()

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _same
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __pow__ = __rpow__ = _same
    __mod__ = __rmod__ = __matmul__ = __rmatmul__ = __neg__ = __pos__ = __abs__ = _same
    __and__ = __rand__ = __or__ = __ror__ = __lt__ = __le__ = __gt__ = __ge__ = _same
    __hash__ = object.__hash__


class DisplayModule(types.ModuleType):
    """A display-only module: every attribute is a stand-in, submodules are stand-ins too."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return DisplayStandIn()

    def __call__(self, *a, **k):
        return None


for _cls in (DisplayStandIn, DisplayModule):
    _cls.__name__ = _cls.__qualname__ = STAND_IN_NAME
    _cls.__module__ = "display"


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        module = DisplayModule(spec.name)
        module.__path__ = []  # a package: `import matplotlib.cm` finds its submodules here
        return module

    def exec_module(self, module):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    """Any submodule of a stubbed package (``matplotlib.colors``, ``IPython.core.display``) is a stub."""

    def __init__(self, roots: set[str]):
        self.roots = roots

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".", 1)[0] in self.roots:
            return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)
        return None


MODULE_TYPES = (types.ModuleType, DisplayModule)


def install(names: list[str]) -> None:
    """Replace the modules ``names`` and every module under their top-level packages."""
    roots = {n for n in names if isinstance(n, str) and n and "." not in n}  # whole packages only
    for name in names:
        module = DisplayModule(name)
        module.__path__ = []
        sys.modules[name] = module
    if roots:
        sys.meta_path.insert(0, _Finder(roots))
