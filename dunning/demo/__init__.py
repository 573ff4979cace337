"""A realistic, seeded demo data set, so a newcomer sees the product work without real data.

people    — names, addresses and email domains per language (static lists, no randomness).
generate  — `generate(as_of, seed) -> DemoData`: three companies, ~60 customers, ~400 invoices with
            payments, partial payments and credit notes, plus the cases a collector meets (a paused
            customer, a disputed invoice, an invoice without due date, credit covering the overdue).
            Pure: no Django, same seed and date give the same data.
load      — `load_demo(data) -> int`: writes it into the database in one transaction.
"""
