"""What a grading writes: results.json, feedback files, the gradebook, JUnit XML, and the output folder they go in."""
