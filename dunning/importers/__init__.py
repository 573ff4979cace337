"""Importing receivables from CSV and XLSX files.

reading   — a file as a stream of (line number, row dict), bounded memory, encoding and delimiter found out.
parsing   — text to dates, amounts, currencies, with errors a finance person can act on.
profiles  — column-mapping profiles as data ("ibm-ar", "highradius", "cassandra", "generic").
rows      — one source row to the records it stands for (customer, invoice, payment, allocation).
checks    — checks a batch of rows against itself and the database (duplicates, over-allocation).
writing   — set-based writing of a checked batch.
load      — `import_file(path, profile, **options) -> ImportResult`: atomic unless told to skip bad rows.
"""
