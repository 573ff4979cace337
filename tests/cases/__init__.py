"""The shared bug-report cases (../shared/cases/cases.yaml) as tests in the product's own terms.

`load` reads the YAML, `facts` turns a case into the core's Snapshot, `expect` checks the core's
Decisions against a case's expected letters, `database` loads a case into the real models for the
run-service tests.
"""
