"""A run's tables/mailcensus.xlsx read back with openpyxl against its tables/*.csv: every
table has its sheet (named as its CSV file), the first sheet holds the run's facts, and every
cell equals the CSV's: a count is an integer, a rate a number shown as percent (the CSV's
percentage over 100, with as many decimals), `-` and labels text. Exits 1 on the first
difference, naming the sheet and cell.
    python workbook_check.py RUN_DIR
"""

import csv
import pathlib
import sys

import openpyxl


def fail(msg):
    print(f"workbook-check: {msg}", file=sys.stderr)
    sys.exit(1)


def check_cell(sheet, r, c, want, got, number_format):
    where = f"{sheet}!{openpyxl.utils.get_column_letter(c + 1)}{r + 1}"
    if want == "-" or not any(ch.isdigit() for ch in want) or want.startswith("0") and want[1:2].isdigit():
        if got != want:
            fail(f"{where}: {got!r}, the CSV has {want!r}")
        return "text"
    try:
        value = float(want)
    except ValueError:
        if got != want:
            fail(f"{where}: {got!r}, the CSV has {want!r}")
        return "text"
    if isinstance(got, str):
        fail(f"{where}: text {got!r}, the CSV has the number {want}")
    if number_format.endswith("%"):
        decimals = len(want.split(".")[1]) if "." in want else 0
        shown = number_format.split(".")[1][:-1] if "." in number_format else ""
        if abs(got * 100 - value) > 1e-9 or len(shown) != decimals:
            fail(f"{where}: {got} as {number_format!r}, the CSV has {want}%")
        return "rate"
    if got != value:
        fail(f"{where}: {got}, the CSV has {want}")
    if "." not in want and not isinstance(got, int) and not float(got).is_integer():
        fail(f"{where}: {got} is no integer")
    return "number"


def main(run):
    tables = pathlib.Path(run) / "tables"
    book = openpyxl.load_workbook(tables / "mailcensus.xlsx")
    names = book.sheetnames
    facts = book[names[0]]
    labels = [row[0].value for row in facts.iter_rows(min_row=2)]
    if "調査したドメイン名" not in labels:
        fail(f"the first sheet {names[0]!r} has no run facts: {labels}")
    kinds = {"text": 0, "number": 0, "rate": 0}
    csvs = sorted(tables.glob("*.csv"))
    for path in csvs:
        name = path.stem[:31]
        if name not in names:
            fail(f"no sheet for {path.name}: {names}")
        sheet = book[name]
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        if sheet.freeze_panes != "B3":
            fail(f"{name}: headers not frozen ({sheet.freeze_panes})")
        for r, row in enumerate(rows):
            for c, want in enumerate(row):
                cell = sheet.cell(row=r + 2, column=c + 1)
                got = cell.value if cell.value is not None else ""
                if r == 0 or c == 0:
                    if str(got) != want:
                        fail(f"{name}!{cell.coordinate}: {got!r}, the CSV has {want!r}")
                    continue
                kinds[check_cell(name, r + 1, c, want, got, cell.number_format)] += 1
    print(
        f"workbook-check: {len(csvs)} sheets equal their CSV tables "
        f"({kinds['number']} numbers, {kinds['rate']} rates as percent, {kinds['text']} text cells), "
        f"and the run's facts come first"
    )


if __name__ == "__main__":
    main(sys.argv[1])
