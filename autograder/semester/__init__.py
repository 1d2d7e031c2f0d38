"""The semester around the grading: a pipeline of pure steps over ``initgrade grade``'s output.

roster + graded submissions (results.json, cached by content) -> submission times and the late
policy -> the instructor's overrides -> what each student sees, when -> exports (the kit's
gradebook with student columns, Canvas's and Moodle's import layouts) -> the regrade report.
Each step is a function of the step before it and of a file the instructor owns (the roster,
grading.yaml's ``semester`` section, overrides.csv), so running it again never loses a hand
decision. ``initgrade semester`` (autograder.semester.command) runs them; docs/semester.md walks
through a term.
"""
