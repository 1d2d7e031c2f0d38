"""Assertions shared by the rubric's four questions.

Every failure message names the call, what was expected, what was found and,
where the evidence allows, the likely mistake, in words a first-year student
can act on. Layer sizes never have a fan-in of 2: with n = 2, sqrt(2 / n) = 1 and
a missing He factor would go unnoticed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from autograder.base.close import allclose
from autograder.diagnose.sections import section_pointer

if TYPE_CHECKING:
    from autograder.diagnose.findings import Diagnosis
    from autograder.sandbox.probes import Student
    from autograder.training.submission_trainer import SubmissionTrainer

# Hidden cases: different from the examples shown in the notebook and public tests.
SEEDED_CASES = [[5, 4, 3], [3, 7, 1], [6, 5, 4, 3, 1]]
STRUCTURE_CASES = [[5, 4, 3], [1, 6, 1], [7, 5, 4, 3, 3, 1]]
# A mid-size call whose weights give a readable histogram (1000 + 250 weights, two
# different fan-ins) and more samples for the diagnosis's statistics.
EVIDENCE_CASE = [40, 25, 10]
EVIDENCE_RANDOM_SCALE = 10

class CheckFailure(AssertionError):
    """A failed check, with the diagnoses (autograder.diagnose.Diagnosis) that explain it.

    The engine attaches ``diagnoses`` to the CheckResult; under plain pytest it is an
    ordinary assertion failure.
    """

    def __init__(self, message: str, diagnoses=()):
        super().__init__(message)
        self.diagnoses = list(diagnoses)


class PartialCredit(CheckFailure):
    """The check failed in a way it recognises as nearly right: ``fraction`` of its points.

    Raised only when grading.yaml's ``partial_credit`` allows it for this check (see
    ``GradingConfig.partial_fraction``); the engine caps the fraction at that configured value.
    Still an AssertionError, so pytest reports it as a failure.
    """

    def __init__(self, fraction: float, message: str, diagnoses=()):
        super().__init__(message, diagnoses)
        self.fraction = float(fraction)


def fresh_call(student: Student, function: str, *args, as_tuple: bool = False):
    """A second, independent call with the same arguments (not the memoised answer):
    ``student.call_fresh`` (autograder.sandbox.probes.Student; the engine's makes it in a newly
    started sandbox process).

    Returns None when the call fails: a repeat is evidence for a diagnosis, never a
    reason to fail a check by itself.
    """
    try:
        return student.call_fresh(function, *args, as_tuple=as_tuple)
    except Exception:  # noqa: BLE001 - ProbeFailure, a dead sandbox...: no evidence
        return None


def _scale_of(question: str | None, r):
    return r.args[1] if question == "random" and len(r.args) > 1 else None


def _arrays_complete(r) -> bool:
    """Every string key holds a numeric array (else diagnose would see keys as missing)."""
    return all(e.get("key") is None or e.get("key") in r.arrays for e in r.entries)


def diagnose_call(r, reference, config, extra: dict | None = None) -> list:
    """autograder.diagnose on one call's return value against the reference's; [] if none.

    ``config`` (grading.yaml) says which question the called function answers, its tolerance
    and the functions the messages name."""
    try:
        from autograder.diagnose import diagnose

        asked = _diagnosis_of(r, reference, config, extra)
        if asked is None:
            return []
        with np.errstate(all="ignore"):
            return diagnose(*asked[0], **asked[1])
    except Exception:  # noqa: BLE001 - a diagnosis is a bonus, never a failure of the grader
        return []


def repeat_unread(r, reference, config, extra: dict | None = None) -> bool:
    """Whether ``diagnose_call(r, reference, config, dict(extra, repeat=...))`` is
    ``diagnose_call(r, reference, config, extra)`` whatever the second call returned
    (autograder.diagnose.repeat_unread); False whenever that is not certain."""
    try:
        from autograder.diagnose import repeat_unread as unread

        asked = _diagnosis_of(r, reference, config, extra)
        if asked is None:
            return True  # nothing to diagnose, with a second call or without: [] either way
        with np.errstate(all="ignore"):
            return unread(*asked[0], **asked[1])
    except Exception:  # noqa: BLE001 - not certain: the second call is made
        return False


def _diagnosis_of(r, reference, config, extra: dict | None) -> tuple[tuple, dict] | None:
    """The arguments of autograder.diagnose for one call (None: nothing to diagnose)."""
    question = config.question_of(r.function)
    if question is None or reference is None or r.function not in reference or not _arrays_complete(r):
        return None
    dims = list(r.args[0])
    expected = reference[r.function](list(dims), *r.args[1:])
    signature = r.signature
    if signature is not None and not any(p.get("kind") == "varargs" for p in signature):
        # the student's parameters, as the sandbox read them
        extra = dict(extra or {}, signature=[p.get("name") for p in signature
                                             if p.get("kind") == "positional"])
    elif signature is not None and not any(p.get("kind") == "positional" for p in signature):
        # def f(*layers_dims): the list arrives as one element of a tuple
        from autograder.diagnose.explain import expected_line, signature_line

        extra = dict(extra or {}, star=(signature_line(r.function, signature),
                                        expected_line(reference[r.function])))
    return (question, dims, r.params(), expected), dict(tolerance=config.tolerance,
                                                        functions=config.question_functions,
                                                        scale=_scale_of(question, r), extra=extra)


def with_diagnosis(message: str, diagnoses, notebook: str) -> str:
    """The check's message, then the most likely mistake and where in ``notebook`` to read about it."""
    if not diagnoses:
        return message
    d = diagnoses[0]
    pointer = " " + section_pointer(d.notebook_section, notebook)
    from autograder.diagnose.explain import sentence

    text = f"{sentence(message)} Diagnosis: {d.title}. {sentence(d.message)}"
    for x in diagnoses[1:]:  # every mistake found, not only the first
        text += f" Also found: {x.title}. {sentence(x.message)}"
    return text + pointer


def diagnosed(r, reference, config, assertion, *args) -> None:
    """Run ``assertion(r, *args)``; if it fails, name the likely mistake behind it."""
    try:
        assertion(r, *args)
    except CheckFailure:
        raise
    except AssertionError as exc:
        found = diagnose_call(r, reference, config)
        raise CheckFailure(with_diagnosis(str(exc) or "check failed", found, config.notebook), found) from None


def call_text(r) -> str:
    return f"{r.function}({', '.join(repr(a) for a in r.args)})"


def expected_keys(dims) -> list[str]:
    return [f"{p}{l}" for l in range(1, len(dims)) for p in ("W", "b")]


def _key_hint(found: set, expected: list[str], L: int) -> str:
    if "W0" in found and "b0" in found:
        return " Likely mistake: the loop starts at 0; layers are numbered from 1 (W1 connects the input to layer 1)."
    if f"W{L}" not in found and f"W{L - 1}" in found:
        return f" Likely mistake: the loop stops one layer early; use range(1, len(layers_dims)) to reach W{L}."
    return ""


def assert_structure(r, dims) -> None:
    """Exactly the keys W1, b1, ..., WL, bL with W_l (n_l, n_{l-1}) and b_l (n_l, 1)."""
    L = len(dims) - 1
    want = expected_keys(dims)
    found = set(r.keys)
    missing = [k for k in want if k not in found]
    extra = sorted(str(k) for k in found - set(want))
    if missing or extra:
        msg = f"{call_text(r)} returned keys {sorted(map(str, found))}; expected exactly {want}."
        if missing:
            msg += f" Missing: {missing}."
        if extra:
            msg += f" Unexpected: {extra}."
        hint = _key_hint(found, want, L)
        if extra and not missing and not hint:
            hint = (" The dictionary must hold only the parameters W1, b1, ..., WL, bL: remove the other keys "
                    "(keep other values in variables of their own).")
        raise AssertionError(msg + hint)
    for l in range(1, L + 1):
        for key, shape in ((f"W{l}", (dims[l], dims[l - 1])), (f"b{l}", (dims[l], 1))):
            e = r.entry(key)
            got = tuple(e["shape"]) if e.get("shape") is not None else None
            if got is None:
                from autograder.diagnose.explain import kind_of

                kind = kind_of(str(e["type"]))
                left = (" The line that sets it still holds the template's `None`: set it with np.random.randn(...) "
                        "or np.zeros(...) as the exercise asks.") if kind == "`None`" else ""
                raise AssertionError(f"{call_text(r)}: {key} is {kind}, not a numpy array, so it has no shape; "
                                     f"expected a numpy array of shape {shape}.{left}")
            if got != shape:
                hint = ""
                if key.startswith("W") and got == shape[::-1]:
                    hint = (f" Likely mistake: the dimensions are swapped; W{l} needs (n_{l}, n_{l - 1}) = "
                            f"(layers_dims[{l}], layers_dims[{l - 1}]).")
                elif key.startswith("b") and got == (shape[0],):
                    hint = f" Likely mistake: a 1-D vector; use a column, np.zeros(({shape[0]}, 1))."
                raise AssertionError(f"{call_text(r)}: {key} has shape {got}; expected {shape}.{hint}")


def assert_types(r) -> None:
    """Every value a plain numpy.ndarray of a float dtype, with no NaN or infinity; then float64.

    float64 is what the assignment's np.random.randn and np.zeros give. Another float dtype
    (float32 from ``.astype(np.float32)``) keeps values the other checks may still accept: it is
    told as its own mistake, through PartialCredit, so grading.yaml's ``partial_credit`` for
    ``types`` says how much of the check it keeps (none unless set; docs/grading.md)."""
    narrow: dict[str, str] = {}
    for e in r.entries:
        key = e.get("key") if e.get("key") is not None else e.get("key_repr")
        if e.get("key") is None:
            raise AssertionError(f"{call_text(r)} has a key {e.get('key_repr')} that is not a string; "
                                 "keys must be 'W1', 'b1', ...")
        if e.get("exact_ndarray") is None:
            from autograder.diagnose.explain import kind_of

            kind = kind_of(str(e.get("type")))
            if kind == "`None`":
                raise AssertionError(f"{call_text(r)}: {key} is `None`, not a numpy array: the line that sets it still "
                                     "holds the template's `None` (or calls something that returns nothing). Set it "
                                     "with np.random.randn(...) or np.zeros(...) as the exercise asks.")
            if not re.fullmatch(r"[Wb][1-9]\d*", str(key)):
                raise AssertionError(f"{call_text(r)}: {key} is {kind}, and `{key}` is not one of the parameters "
                                     "W1, b1, ..., WL, bL: the dictionary must hold only those. Remove the key "
                                     f"`{key}`.")
            raise AssertionError(f"{call_text(r)}: {key} is {kind}; expected a numpy array (np.ndarray). "
                                 "Build it with np.zeros or np.random.randn"
                                 + (" rather than a list." if kind in ("a list", "a tuple") else "."))
        if not e["exact_ndarray"]:
            subclass = str(e.get("type")).removeprefix("builtins.")
            raise AssertionError(f"{call_text(r)}: {key} is a `{subclass}`, a subclass of numpy.ndarray; "
                                 "expected a plain np.ndarray.")
        if not str(e.get("dtype", "")).startswith("float"):
            raise AssertionError(f"{call_text(r)}: {key} has dtype {e.get('dtype')}; expected a float dtype (float64). "
                                 "np.zeros(shape) and np.random.randn give float64: remove the `dtype=int`.")
        if str(e.get("dtype")) != "float64":  # numpy's names are short: a longer one is not numpy's
            narrow[str(key)] = str(e.get("dtype"))[:12]
        a = r.arrays.get(key)
        if a is not None and not np.all(np.isfinite(a)):
            n_nan, n_inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
            hint = (" Likely mistake: ** (power) instead of * (multiply): a negative number raised to a "
                    "fractional power is NaN.") if n_nan else ""
            raise AssertionError(f"{call_text(r)}: {key} contains {n_nan} NaN and {n_inf} infinite values; "
                                 f"expected finite numbers.{hint}")
    if narrow:
        raise PartialCredit(1.0, float_dtype_message(call_text(r), narrow))


def float_dtype_message(call: str, narrow: dict[str, str]) -> str:
    """What a student reads about arrays of a float dtype other than float64 (key -> dtype)."""
    dtypes = sorted(set(narrow.values()))
    keys = ", ".join(narrow)
    verb = "has" if len(narrow) == 1 else "have"
    return (f"{call}: {keys} {verb} dtype {' and '.join(dtypes)}; expected float64, the dtype np.random.randn and "
            f"np.zeros give. {dtypes[0]} keeps fewer significant digits of each value (float32 about 7, float64 "
            f"about 16). Likely mistake: a conversion to {dtypes[0]} (`.astype(np.{dtypes[0]})`, "
            f"`np.{dtypes[0]}(...)` or `dtype=np.{dtypes[0]}`): remove it, the arrays are float64 without it.")


def assert_biases_zero(r, dims) -> None:
    for l in range(1, len(dims)):
        b = r.arrays.get(f"b{l}")
        if b is None:
            raise AssertionError(f"{call_text(r)}: b{l} is missing or not a numeric numpy array.")
        if np.any(b != 0):
            raise AssertionError(f"{call_text(r)}: b{l} is not all zeros (largest |value| {np.max(np.abs(b)):.4g}); "
                                 f"biases start at zero: np.zeros(({dims[l]}, 1)). Drawing them at random also "
                                 "consumes random numbers and shifts every later weight.")


def keyword_problem(function: str, signature, reference_fn) -> str:
    """What goes wrong when the notebook passes the assignment's defaulted parameters by name
    (``scale=10``) to a function that calls them otherwise (``init_const``), or ''."""
    if signature is None or reference_fn is None or any(p.get("kind") == "varkw" for p in signature):
        return ""
    import inspect

    from autograder.diagnose.explain import expected_line, signature_line

    names = {p.get("name") for p in signature if p.get("kind") in ("positional", "keyword")}
    for want in inspect.signature(reference_fn).parameters.values():
        if want.default is inspect.Parameter.empty or want.name in names:
            continue
        at = list(inspect.signature(reference_fn).parameters).index(want.name)
        positional = [p.get("name") for p in signature if p.get("kind") == "positional"]
        yours = f" (yours is `{positional[at]}`)" if at < len(positional) else ""
        return (f"the notebook calls {function} with `{want.name}=` by name (for example "
                f"`{function}(layers_dims, {want.name}=10)`), but your function is defined as "
                f"`{signature_line(function, signature)}`, with no parameter `{want.name}`{yours}: that call raises "
                f"TypeError (unexpected keyword argument '{want.name}'). Name the parameter as the assignment "
                f"does: `{expected_line(reference_fn)}`.")
    return ""


def assert_arguments(student: Student, function, dims, *extra, reference=None) -> None:
    """Works for a tuple as for a list, leaves the caller's list unchanged, and takes the
    assignment's defaulted parameters by their names (the notebook calls ``scale=10``)."""
    as_list = student.call(function, list(dims), *extra)
    named = keyword_problem(function, as_list.signature, (reference or {}).get(function))
    if named:
        raise AssertionError(named[0].upper() + named[1:])
    if as_list.mutated:
        positional = [p.get("name") for p in as_list.signature or [] if p.get("kind") == "positional"]
        name = positional[0] if positional else "layers_dims"
        raise AssertionError(f"{call_text(as_list)} changed the list it was given (`{name}`): a function should "
                             "read its argument, not modify it (`.pop`, `.append`, `.insert` or an assignment into "
                             f"it change the caller's list too). Use a copy if you need one: `list({name})`.")
    as_tuple = student.call(function, list(dims), *extra, as_tuple=True)
    differ = []
    for k, v in as_list.arrays.items():
        w = as_tuple.arrays.get(k)
        if w is None or w.shape != v.shape or not np.array_equal(w, v, equal_nan=True):
            differ.append(k)
    if not differ:
        return
    same_shapes = all(k in as_tuple.arrays and as_tuple.arrays[k].shape == as_list.arrays[k].shape for k in differ)
    if same_shapes:
        # Two calls with the same list may differ too (an unseeded function): then the
        # values say nothing about tuples; the seeded-values check reports the seeding.
        again = fresh_call(student, function, list(dims), *extra)
        if again is not None and any(k not in again.arrays or not np.array_equal(again.arrays[k], as_list.arrays[k],
                                                                                  equal_nan=True) for k in differ):
            return
    k = differ[0]
    raise AssertionError(f"{function}{(tuple(dims),) + extra} (a tuple) gave a different {k} than with a "
                         "list; index the sizes (layers_dims[l]) rather than using list methods.")


def seeded_problem(r, expected: dict, tolerance, dims) -> str:
    """What differs from the seeded reference values, or '' when everything matches."""
    for key in expected_keys(dims):
        got, want = r.arrays.get(key), expected[key]
        if got is None or got.shape != want.shape:
            return f"{call_text(r)}: {key} is missing or has the wrong shape (see the structure check)."
        if not allclose(got, want, rtol=tolerance.rtol, atol=tolerance.atol):
            with np.errstate(all="ignore"):
                diff = np.abs(got - want)
                idx = np.unravel_index(int(np.nanargmax(np.where(np.isnan(diff), np.inf, diff))), diff.shape)
                largest = np.nanmax(diff) if not np.all(np.isnan(diff)) else float("nan")
            return (f"{call_text(r)}: {key} differs from the expected seeded values "
                    f"(at {[int(i) for i in idx]}: expected {want[idx]:.8g}, found {got[idx]:.8g}; "
                    f"largest difference {largest:.3g}).")
    return ""


def _rounded_to(r, expected: dict, tolerance) -> str:
    """The float dtype (float16, float32) whose rounding of the expected values gives the returned
    arrays of that dtype (the float64 ones equal to the expected values); else ''."""
    dtypes = {e.get("key"): str(e.get("dtype")) for e in r.entries if e.get("key") in expected}
    narrow = set(dtypes.values()) - {"float64"}
    if len(narrow) != 1 or not narrow <= {"float16", "float32"}:
        return ""
    for key, want in expected.items():
        got, dtype = r.arrays.get(key), dtypes.get(key, "float64")
        if dtype not in ("float16", "float32", "float64"):
            return ""
        with np.errstate(all="ignore"):
            if got is None or got.shape != want.shape or not allclose(
                    got, want.astype(dtype).astype(np.float64), rtol=tolerance.rtol, atol=tolerance.atol):
                return ""
    return narrow.pop()


def _as_other_call(question: str, r) -> dict:
    dims = list(r.args[0])
    scale = (r.args[1] if len(r.args) > 1 else 0.01) if question == "random" else None
    return {"layers_dims": dims, "returned": r.params(), "scale": scale}


def _only_the_default_differs(returned, failures, raised, reference_fn, question: str):
    """A diagnosis when every call that passes the defaulted argument is right and every call that
    leaves it out is wrong (``scale=10`` in the ``def`` line), else None."""
    import inspect

    failed = {id(r) for r, _ in failures}
    given = [r for r in returned if len(r.args) > 1]
    left_out = [r for r in returned if len(r.args) == 1]
    if raised or not given or not left_out or any(id(r) in failed for r in given) \
            or not all(id(r) in failed for r in left_out):
        return None
    params = list(inspect.signature(reference_fn).parameters.values())
    if len(params) < 2 or params[1].default is inspect.Parameter.empty:
        return None
    from autograder.diagnose import default_diagnosis
    from autograder.diagnose.wording import wrong_default

    default = params[1].default
    used = None
    r = left_out[0]
    expected = reference_fn(list(r.args[0]))
    w, e = r.arrays.get("W1"), expected.get("W1")
    if isinstance(default, (int, float)) and w is not None and e is not None and w.shape == e.shape \
            and float(np.sum(e * e)) > 0:
        ratio = float(np.sum(w * e) / np.sum(e * e))
        if allclose(w, ratio * e, rtol=1e-6, atol=1e-12):
            used = ratio * float(default)
    return default_diagnosis(question, wrong_default(r.function, params[1].name, used, default))


def check_seeded_values(student: Student, reference, config, question: str, calls) -> None:
    """Every call in ``calls`` ((layers_dims, extra args) pairs) must return the reference's seeded values.

    On failure each differing call is diagnosed with the evidence the diagnosis needs
    (a second identical call, the other calls, a mid-size call). When every
    difference is the right distribution drawn with the wrong seeding (high
    confidence), grading.yaml's ``partial_credit`` for this check applies.
    """
    function = config.questions[question].function
    returned, failures = [], []
    raised: list[AssertionError] = []  # calls that gave no value (told by their own message)
    for dims, extra in calls:
        try:
            r = student.call(function, dims, *extra)
        except AssertionError as exc:  # ProbeFailure: a signature without `scale`, an error...
            raised.append(exc)
            continue
        returned.append(r)
        expected = reference[function](list(dims), *extra)
        problem = seeded_problem(r, expected, config.tolerance, dims)
        if problem:
            failures.append((r, problem))
    if raised and not failures:
        raise raised[0]  # no value to compare: the error is the whole story
    if not failures:
        return
    rounded = [_rounded_to(r, reference[function](list(r.args[0]), *r.args[1:]), config.tolerance)
               for r, _ in failures]
    if all(rounded):
        # float16 weights: the right draws, factor and seed, rounded; no seeding or scale mistake to name
        raise CheckFailure(f"{failures[0][1]} Those are the expected values rounded to {rounded[0]}: the draws, the "
                           f"factor and the seed are right, the dtype is not (see the types check). Remove the "
                           f"conversion to {rounded[0]}.")
    wrong_default = _only_the_default_differs(returned, failures, raised, reference[function], question)
    if wrong_default is not None:
        raise CheckFailure(with_diagnosis(failures[0][1], [wrong_default], config.notebook), [wrong_default])
    evidence_args = (EVIDENCE_RANDOM_SCALE,) if question == "random" else ()
    try:
        returned.append(student.call(function, list(EVIDENCE_CASE), *evidence_args))
    except AssertionError:
        pass
    usable = [r for r in returned if _arrays_complete(r)]

    def evidence(r) -> dict:
        return {"other_calls": [_as_other_call(question, o) for o in usable if o is not r]}

    def first_findings(r) -> list:
        # Once per answer and other calls: a check stopped for a round of calls (CallDeferred)
        # runs again from the start, on the same memoised answers.
        key = ("diagnosis", tuple(id(o) for o in usable))
        if key not in r.derived:
            r.derived[key] = diagnose_call(r, reference, config, evidence(r))
        return list(r.derived[key])

    found_per_call = [first_findings(r) for r, _ in failures]
    # Values no known mistake regenerates: ask for the same call again (in the sandbox, a
    # newly started process: probes fork from the loaded code, so in one process even an
    # unseeded function repeats itself). Differing values prove the seeding is missing.
    def explained(i: int) -> bool:  # the values are explained; a wrong shape alone leaves the seeding to check
        return any(d.confidence == "high" and d.notebook_section != "shapes" for d in found_per_call[i])

    def unread(i: int) -> bool:
        # Whether failure i's diagnosis, given a second call, would neither read it nor differ from
        # the diagnosis without it: then whatever the call returned, or if it failed, the findings
        # are the first ones (once per answer and other calls, as the first findings).
        r = failures[i][0]
        key = ("repeat unread", tuple(id(o) for o in usable))
        if key not in r.derived:
            r.derived[key] = repeat_unread(r, reference, config, evidence(r))
        return r.derived[key]

    # A fresh call starts a process with another random state (in the sandbox). The check's fresh
    # calls are left out, all of them, when no answer of theirs would change a finding and that
    # process would show nothing (Student.may_leave_out_fresh; a student object that does not say
    # is asked every fresh call, as before); else they are all asked, as before. Asked whether a
    # finding reads its second call failure by failure, until one does.
    may = getattr(student, "may_leave_out_fresh", None)
    unexplained = [i for i in range(len(failures)) if not explained(i)]
    leave_out = callable(may) and bool(unexplained) and bool(may()) and all(unread(i) for i in unexplained)
    asked = [] if leave_out else unexplained
    student.ask_ahead(function, [failures[i][0].args for i in asked], fresh=True)
    for i in asked:
        r = failures[i][0]
        again = fresh_call(student, function, *r.args)
        if again is None:
            break
        found_per_call[i] = diagnose_call(r, reference, config, dict(evidence(r), repeat=again.params()))
    found: list[Diagnosis] = []
    for failure in raised[:1]:
        found += list(getattr(failure, "diagnoses", None) or [])
    for ds in found_per_call:
        found += [d for d in ds if d.code not in {x.code for x in found}]
    message = failures[0][1]
    if len(failures) > 1:
        message += f" ({len(failures)} of the {len(calls)} seeded calls differ.)"
    if raised:
        message = (f"{len(raised)} of the {len(calls)} seeded calls raised an error (see the structure check); "
                   f"of those that returned values, {message[0].lower()}{message[1:]}")
    message = with_diagnosis(message, found_per_call[0] if not raised else found, config.notebook)
    fraction = config.partial_fraction(question, "seeded_values")
    eligible = not raised and all(ds and all(d.partial_credit_eligible and d.confidence == "high" for d in ds)
                                  for ds in found_per_call)
    if eligible and fraction > 0:
        raise PartialCredit(fraction, message + f" Partial credit: your weights have the right distribution and "
                            f"only the seeding differs, so this check gives {fraction:.0%} of its points.", found)
    raise CheckFailure(message, found)


# How a training check starts its message when the parameters cannot be trained (the engine tells
# a problem a structure or types check already told in full once: autograder.engine).
UNTRAINABLE = "cannot train the model from these parameters: "


def trainable(r, dims) -> dict:
    """Parameters fit to train, or an AssertionError saying why not."""
    try:
        assert_structure(r, dims)
        assert_types(r)
    except PartialCredit:
        pass  # float32 weights: the types check says it; the model trains from them as float64
    except AssertionError as exc:
        raise AssertionError(f"{UNTRAINABLE}{exc}") from None
    return r.params()


def assert_accuracy(outcome, threshold, what: str) -> None:
    acc = outcome.train_accuracy
    lo, hi = threshold.min_train_accuracy, threshold.max_train_accuracy
    if (lo is not None and acc < lo) or (hi is not None and acc > hi):
        bounds = " and ".join(b for b in (f">= {lo}" if lo is not None else "",
                                          f"<= {hi}" if hi is not None else "") if b)
        raise AssertionError(f"training {what} reached training accuracy {acc:.4f}; expected {bounds} "
                             f"(final cost {outcome.final_cost:.4g}).")


def train_and_check(student: Student, reference, trainer: SubmissionTrainer, config, threshold, function: str, *extra,
                    outcome_check=None):
    """Train from ``function(layers, *extra)`` and check the accuracy bounds of ``threshold``.

    Failures name the likely mistake in the parameters (autograder.diagnose), since a
    bad accuracy is nearly always the consequence of a wrong initialization.
    ``outcome_check(outcome, dims)`` runs before the accuracy bounds (symmetry).
    """
    dims = trainer.layers(threshold.training)
    r = student.call(function, dims, *extra)
    what = f"from {function}({dims}{''.join(f', {e}' for e in extra)})"
    try:
        params = trainable(r, dims)
    except AssertionError as exc:
        found = diagnose_call(r, reference, config)
        raise CheckFailure(with_diagnosis(str(exc), found, config.notebook), found) from None
    try:
        outcome = trainer.outcome(threshold.training, params)
    except AssertionError as exc:  # a bound of the grader's work (autograder.training.trainer.TrainingLimit)
        raise AssertionError(f"the model could not be trained {what}: {exc}.") from None
    trainer.record_run(threshold.training, r.function, r.args, outcome)  # the feedback's cost curves
    try:
        if outcome_check is not None:
            outcome_check(outcome, dims)
        assert_accuracy(outcome, threshold, what)
    except AssertionError as exc:
        found = diagnose_call(r, reference, config)
        raise CheckFailure(with_diagnosis(str(exc), found, config.notebook), found) from None
    return outcome
