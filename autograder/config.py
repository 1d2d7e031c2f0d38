"""Load and validate ``grading.yaml``, the single source of truth for grading.

Validation happens once, on load, with messages that name the offending key,
so an instructor who mistypes a check or a limit learns it before any
submission is graded.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from autograder import environment
from autograder.semester_settings import Semester

CONFIG_NAME = "grading.yaml"
# A built wheel carries the course files (grading.yaml, solutions/, data/, public_tests/, the
# notebook, examples/) in this package folder (see setup.py); a checkout has them at its root.
_PACKAGED = Path(__file__).resolve().parent / "course"
PROJECT_ROOT = _PACKAGED if (_PACKAGED / CONFIG_NAME).is_file() else Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_ROOT / CONFIG_NAME



class ConfigError(Exception):
    """grading.yaml is missing or invalid; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tolerance(_Strict):
    rtol: float = Field(ge=0)
    atol: float = Field(ge=0)


class Limits(_Strict):
    """grading.yaml's ``limits``: what one submission may cost. The sandbox's own bounds come first,
    then the grader's work for the submission (a submission over one of those keeps the points it
    earned so far and is told which limit it reached). The kit's fixed bounds are in
    autograder/limits.py. ``initgrade check --limits`` prints this table."""

    # The sandbox: what the student's code may use.
    load_seconds: float = Field(gt=0, description="Seconds to load the submission's code (imports, definitions), "
                                "wall clock.")
    probe_seconds: float = Field(gt=0, description="Seconds for one call of one student function, wall clock.")
    submission_seconds: float = Field(gt=0, description="Seconds for everything the sandbox does for one "
                                      "submission, wall clock.")
    cpu_seconds: int = Field(gt=0, description="CPU seconds of the sandboxed process (RLIMIT_CPU).")
    memory_mb: int = Field(ge=256, description="Address space of the sandboxed process, MB (RLIMIT_AS).")
    file_size_mb: int = Field(gt=0, description="Largest file the sandboxed process may write, MB (RLIMIT_FSIZE).")
    tmp_mb: int = Field(gt=0, description="Size of each of the sandbox's private scratch folders (/tmp...), MB.")
    processes: int = Field(gt=0, description="Processes and threads of the sandbox (RLIMIT_NPROC; the cgroup's "
                           "pids.max where there is one).")
    open_files: int = Field(ge=32, description="Open files of the sandboxed process (RLIMIT_NOFILE).")
    output_kb: int = Field(gt=0, description="Printed output (stdout and stderr) kept from a submission, KB.")
    reply_mb: int = Field(gt=0, description="Arrays one call may return, MB (the largest call of a correct "
                          "submission, the images training, needs 0.2 MB).")
    submission_mb: int = Field(gt=0, description="Size of a submission file or folder, MB.")
    archive_members: int = Field(default=200, gt=0, description="Files a .zip submission may hold.")
    folder_entries: int = Field(default=5000, gt=0, description="Files and folders a folder submission may "
                                "hold (a package has a handful; walking more is the grader's unbounded work).")
    # The grader's own work for one submission (in the grader, not the sandbox).
    replies_mb: int = Field(gt=0, description="Returned arrays the grader holds for one submission, all calls, "
                            "MB (a correct one: 0.2 MB).")
    intake_seconds: float = Field(gt=0, description="Seconds to read a submission (notebook JSON, magics, "
                                  "parsing), wall clock.")
    code_kb: int = Field(gt=0, description="Code in a submission's cells or modules, KB of UTF-8, all files "
                         "read together (parsing it takes about 300 MB per MB).")
    code_cells: int = Field(default=500, gt=0, description="Code cells of a submission's notebook (the "
                            "assignment's has 23; each cell is read, rewritten and loaded on its own, so their "
                            "number multiplies the grader's work).")
    grader_memory_mb: int = Field(default=200, ge=64, description="Memory the grader may spend reading one "
                                  "submission, MB beyond its own (the reading runs in a child process with this "
                                  "cap; a submission over it gets an error row and the batch goes on; a normal "
                                  "notebook needs under 20 MB).")
    training_seconds: int = Field(gt=0, description="CPU seconds of one training of the model (a correct one "
                                  "takes 1-4 s).")
    training_submission_seconds: int = Field(gt=0, description="CPU seconds of all trainings of one submission "
                                             "(a correct one: at most 5 of 1-4 s).")
    trainings_per_submission: int = Field(gt=0, description="Trainings one submission may start (cached ones "
                                          "are free).")

    @model_validator(mode="after")
    def _consistent(self):
        if self.replies_mb < self.reply_mb:
            raise ValueError(f"replies_mb ({self.replies_mb}) must be at least reply_mb ({self.reply_mb}): "
                             "one reply must fit in what a submission may hold")
        if self.training_submission_seconds < self.training_seconds:
            raise ValueError(f"training_submission_seconds ({self.training_submission_seconds}) must be at least "
                             f"training_seconds ({self.training_seconds})")
        return self


class SandboxSettings(_Strict):
    stub_modules: list[str] = []
    # The kit's own modules a submission imports: the sandbox starter (zygote) imports them
    # once, and every sandbox forked from it has them already. Never a submission's code.
    preload_modules: list[str] = []


class IsolationSettings(_Strict):
    """grading.yaml's ``isolation``: the weakest sandbox isolation a batch may run at (see
    autograder.sandbox.isolation_policy). Below it the batch is refused before any submission runs."""

    minimum: Literal["namespaces", "uid+landlock", "uid", "rlimits+landlock", "rlimits"] = Field(
        default="uid", description="namespaces; uid+landlock (another uid, files confined by Landlock); uid (another "
        "uid; without Landlock only once the secrets are proven unreadable by it); rlimits+landlock and rlimits "
        "(the grader's own user: root when the grader is root; trusted code only)")


class Training(_Strict):
    dataset: Literal["circles", "images"]
    hidden: list[int] = Field(min_length=1)
    learning_rate: float = Field(gt=0)
    num_iterations: int = Field(gt=0)


class Question(_Strict):
    function: str
    title: str
    checks: dict[str, float]

    @model_validator(mode="after")
    def _points_non_negative(self):
        bad = {k: v for k, v in self.checks.items() if v < 0}
        if bad:
            raise ValueError(f"points must be >= 0, got {bad}")
        return self


class Threshold(_Strict):
    training: str
    scale: float | None = None
    min_train_accuracy: float | None = Field(default=None, ge=0, le=1)
    max_train_accuracy: float | None = Field(default=None, ge=0, le=1)


class GradingConfig(_Strict):
    assignment: str
    title: str
    # The student notebook's file name: what the kit writes, what platforms ask students to
    # submit, and the notebook a folder submission is read from when it holds several.
    notebook: str = Field(default="initialization.ipynb", pattern=r"^[A-Za-z0-9_.-]+\.ipynb$")
    tolerance: Tolerance
    limits: Limits
    sandbox: SandboxSettings = SandboxSettings()
    isolation: IsolationSettings = IsolationSettings()
    training: dict[str, Training]
    questions: dict[str, Question]
    thresholds: dict[str, Threshold]
    # Fraction of a check's points given when the check fails only in a way its test
    # recognises as "nearly right" (e.g. seeded_values: the right distribution drawn
    # with the wrong seeding). Keys: a check name (every question with that check) or
    # "question.check"; values in [0, 1]. Empty: no partial credit anywhere.
    partial_credit: dict[str, float] = {}
    # The course around the grading (autograder/semester_settings.py): due date, late policy, what
    # students see when, LMS columns. Not part of any grade: the cache key leaves it out.
    semester: Semester = Semester()
    # The grading.yaml this configuration was read from (set by load_config; not a key of the file,
    # not in any digest): its folder is the course, whose solutions/ and data/ are graded against
    # (an instructor's course folder made by `initgrade init`). None: built in code, the kit's course.
    _source: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _cross_references(self):
        for name, t in self.thresholds.items():
            if t.training not in self.training:
                raise ValueError(
                    f"thresholds.{name}.training is {t.training!r}; known trainings: {sorted(self.training)}"
                )
        for key, fraction in self.partial_credit.items():
            if not 0.0 <= fraction <= 1.0:
                raise ValueError(f"partial_credit.{key} is {fraction}; expected a fraction between 0 and 1")
            q, _, c = key.rpartition(".")
            known = (c in self.questions[q].checks) if q in self.questions else \
                (not q and any(c in question.checks for question in self.questions.values()))
            if not known:
                raise ValueError(f"partial_credit.{key}: no such check (use a check name or question.check)")
        for key in self.semester.checks:
            q, _, c = key.partition(".")
            if q not in self.questions or (c and c not in self.questions[q].checks):
                raise ValueError(f"semester.checks.{key}: no such question or check (use 'question' or "
                                 "'question.check')")
        return self

    @property
    def source(self) -> Path:
        """The grading.yaml read (the kit's for a configuration built in code): what a build ships."""
        return self._source if self._source is not None else DEFAULT_CONFIG

    @property
    def course_root(self) -> Path:
        """The course folder: grading.yaml's folder (the kit's course root for one built in code)."""
        return self._source.parent if self._source is not None else PROJECT_ROOT

    def course_path(self, *parts: str) -> Path:
        """A course file: from this configuration's folder when it has it, else the kit's.

        A course folder may hold only grading.yaml: the reference solutions, data and
        templates then come from the kit, so a folder is never half a course by accident.
        """
        own = self.course_root.joinpath(*parts)
        return own if own.exists() else PROJECT_ROOT.joinpath(*parts)

    def data_folder(self) -> Path:
        """The datasets the grader trains on: ``$INITLAB_DATA``, else the course's ``data/``."""
        return environment.data_dir() or self.course_path("data")

    def course_secrets(self) -> list[str]:
        """What no sandbox may read of this course (beside the kit): its folder and its grading.yaml."""
        return [str(self.course_root), str(self.source)]

    def partial_fraction(self, question: str, check: str) -> float:
        """The fraction of a check's points its test may give as partial credit (0: none)."""
        return float(self.partial_credit.get(f"{question}.{check}", self.partial_credit.get(check, 0.0)))

    def max_points(self, question: str | None = None) -> float:
        qs = [self.questions[question]] if question else self.questions.values()
        return float(sum(sum(q.checks.values()) for q in qs))

    @property
    def functions(self) -> list[str]:
        return [q.function for q in self.questions.values()]

    @property
    def question_functions(self) -> dict[str, str]:
        """Question id -> the function students write for it, in grading.yaml's (the notebook's) order."""
        return {name: q.function for name, q in self.questions.items()}

    def question_of(self, function: str) -> str | None:
        """The question whose graded function is ``function``; None for any other name."""
        return next((name for name, q in self.questions.items() if q.function == function), None)


def _parse_yaml(text: str):
    """``yaml.safe_load``, with libyaml's parser when PyYAML has it (7 ms less per command).

    Same constructor and resolver, so the same values; a file libyaml refuses is parsed
    again by the pure-Python parser, so what is accepted, and the error an instructor reads,
    do not depend on whether libyaml is installed.
    """
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        try:
            return yaml.load(text, Loader=loader)  # noqa: S506 - CSafeLoader is the safe loader
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def find_config(path: str | Path | None = None) -> Path:
    """Which grading.yaml to use: ``path`` (``--config``), else ``$INITGRADE_CONFIG``, else
    ``./grading.yaml`` in the current folder, else the kit's own (the checkout's or the one
    packaged in the wheel)."""
    if path:
        return Path(path)
    explicit = environment.config_path()
    if explicit:
        return explicit
    here = Path.cwd() / CONFIG_NAME
    return here if here.is_file() else DEFAULT_CONFIG


def load_config(path: str | Path | None = None) -> GradingConfig:
    """Read and validate grading.yaml, found by :func:`find_config`; its folder is the course it
    carries (``course_root``). Nothing is remembered: two loads in one process are two courses."""
    path = find_config(path)
    config = _read_config(path)
    config._source = path.resolve()
    return config


@functools.cache
def kit_config() -> GradingConfig:
    """The kit's own grading.yaml (its course: the kit's), read once."""
    return load_config(DEFAULT_CONFIG)


class RetiredSetting(UserWarning):
    """A key of an older grading.yaml the kit no longer uses: read, dropped, and said (on stderr)."""


# Keys of older grading.yaml files that no longer do anything, with why: a file that sets one still
# loads, and its instructor is told to remove the line.
RETIRED_LIMITS = {
    "notebook_cell_seconds": "nbgrader records the engine's grades without running the notebook's cells "
                             "(`initgrade build nbgrader`), so no cell has a time limit to set",
}


def _drop_retired(raw: dict, path: Path) -> None:
    limits = raw.get("limits")
    if not isinstance(limits, dict):
        return
    for key, why in RETIRED_LIMITS.items():
        if key in limits:
            del limits[key]
            warnings.warn(f"{path}: limits.{key} is no longer used ({why}); remove that line", RetiredSetting,
                          stacklevel=3)


def _read_config(path: Path) -> GradingConfig:
    try:
        raw = _parse_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    _drop_retired(raw, path)
    try:
        config = GradingConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{path}: invalid grading configuration:"]
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"  {where}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from None
    return config
